"""Pure planning: manifest + decrypted values + the previous generation → ordered actions.

Nothing here reads or writes a file: the caller passes the values, the template texts,
the owners already resolved to ids and a snapshot of the previous generation. The plan
says what :mod:`sekret.install.apply` will do, in order, and is what a dry run shows.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sekret._sensitive import SecretBytes
from sekret.install.errors import ApplyError
from sekret.install.manifest import Manifest, Owner

#: uid and gid to give a file, or None to leave ownership alone (user mode)
Ids = tuple[int, int] | None
RENDERED = "rendered"


@dataclass(frozen=True)
class OldFile:
    """One regular file of the previous generation, as found on disk."""

    content: bytes
    uid: int
    gid: int
    mode: int


@dataclass(frozen=True)
class MakeDir:
    """Create a directory inside the new generation."""

    rel: str
    ids: Ids
    mode: int = 0o751


@dataclass(frozen=True)
class WriteFile:
    """Create a file inside the new generation: final owner and mode first, then content."""

    rel: str
    content: SecretBytes = field(repr=False)
    ids: Ids
    mode: int


@dataclass(frozen=True)
class Link:
    """A user-visible symlink ``path`` → ``target`` (the stable path, not the generation)."""

    path: str
    target: str
    ids: Ids


@dataclass(frozen=True)
class CopyOut:
    """agenix ``symlink = false``: the file itself at ``path``, replaced atomically."""

    path: str
    content: SecretBytes = field(repr=False)
    ids: Ids
    mode: int


@dataclass
class Changes:
    """Names added, modified and removed, for secrets and for rendered templates."""

    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    r_added: list[str] = field(default_factory=list)
    r_modified: list[str] = field(default_factory=list)
    r_removed: list[str] = field(default_factory=list)
    restart: list[str] = field(default_factory=list)
    reload: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """Everything the installer will do, in order."""

    generation: int
    gen_dir: str
    writes: list[MakeDir | WriteFile] = field(default_factory=list)
    changes: Changes | None = None
    links: list[Link | CopyOut] = field(default_factory=list)

    def describe(self) -> list[str]:
        """The actions as log lines (names, owners and modes; never a value)."""
        lines = [f"create generation {self.gen_dir}"]
        for w in self.writes:
            owner = "unchanged" if w.ids is None else f"{w.ids[0]}:{w.ids[1]}"
            kind = "directory" if isinstance(w, MakeDir) else "file"
            lines.append(f"  {kind} {w.rel} {owner} {w.mode:04o}")
        lines.append(f"switch the symlink to {self.gen_dir}")
        for link in self.links:
            verb = "link" if isinstance(link, Link) else "copy to"
            lines.append(f"{verb} {link.path}")
        return lines


def next_generation(link_target: str | None, mount_point: str) -> int:
    """The new generation number from where the stable symlink points now (0 → none)."""
    if link_target is None:
        return 1
    prefix = mount_point.rstrip("/") + "/"
    if not link_target.startswith(prefix):
        return 1
    base = posixpath.basename(link_target.rstrip("/"))
    if not base.isdigit():
        raise ApplyError(f"cannot parse {base} of {link_target} as a number")
    return int(base) + 1


def render(text: str, placeholders: Mapping[str, str], values: Mapping[str, SecretBytes]) -> bytes:
    """Replace every placeholder with its secret's raw value (a deterministic order)."""
    out = text
    for name in sorted(placeholders):
        token = placeholders[name]
        if token and token in out and name in values:
            out = out.replace(token, values[name].expose().decode("utf-8", "surrogateescape"))
    return out.encode("utf-8", "surrogateescape")


def _dirs(rel: str, ids: Ids, seen: set[str], out: list[MakeDir | WriteFile]) -> None:
    parts = rel.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        d = "/".join(parts[:i])
        if d not in seen:
            seen.add(d)
            out.append(MakeDir(d, ids))


def _unique(units: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(units))


def build(
    m: Manifest,
    values: Mapping[str, SecretBytes],
    template_texts: Mapping[str, str],
    *,
    owner_ids: Callable[[Owner], Ids],
    dir_ids: Ids,
    generation: int,
    old: Mapping[str, OldFile] | None,
) -> Plan:
    """The plan for one install. ``old`` is the previous generation (None: there is none)."""
    gen_dir = posixpath.join(m.mount_point, str(generation))
    plan = Plan(generation, gen_dir)
    seen: set[str] = set()
    new_files: dict[str, WriteFile] = {}
    copies: dict[str, WriteFile] = {}
    for s in m.secrets:
        ids = owner_ids(s.who)
        if not s.symlink:  # agenix symlink = false: the file only at its path, as agenix
            copies[s.name] = WriteFile(s.name, values[s.name], ids, s.mode)
            continue
        _dirs(s.name, dir_ids, seen, plan.writes)
        new_files[s.name] = WriteFile(s.name, values[s.name], ids, s.mode)
        plan.writes.append(new_files[s.name])
    if m.templates:
        seen.add(RENDERED)
        plan.writes.append(MakeDir(RENDERED, dir_ids))
    for tpl in m.templates:
        rel = f"{RENDERED}/{tpl.name}"
        _dirs(rel, dir_ids, seen, plan.writes)
        content = render(template_texts[tpl.name], m.placeholders, values)
        new_files[rel] = WriteFile(rel, SecretBytes(content), owner_ids(tpl.who), tpl.mode)
        plan.writes.append(new_files[rel])
    if old is not None:
        plan.changes = diff(m, new_files, old)
    for s in m.secrets:
        target = posixpath.join(m.symlink_path, s.name)
        if not s.symlink:
            w = copies[s.name]
            plan.links.append(CopyOut(s.path or target, w.content, w.ids, w.mode))
        elif s.path and s.path != target and posixpath.normpath(s.path) != posixpath.normpath(
                target):
            plan.links.append(Link(s.path, target, new_files[s.name].ids))
    for tpl in m.templates:
        target = posixpath.join(m.symlink_path, RENDERED, tpl.name)
        if tpl.path and posixpath.normpath(tpl.path) != posixpath.normpath(target):
            plan.links.append(Link(tpl.path, target, new_files[f"{RENDERED}/{tpl.name}"].ids))
    return plan


def _same(w: WriteFile, o: OldFile) -> bool:
    if w.content.expose() != o.content or w.mode != o.mode:
        return False
    return w.ids is None or w.ids == (o.uid, o.gid)


def diff(m: Manifest, new: Mapping[str, WriteFile], old: Mapping[str, OldFile]) -> Changes:
    """What changed since the previous generation; owner/group/mode changes count (#220)."""
    ch = Changes()
    units: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
        s.name: (s.restart_units, s.reload_units) for s in m.secrets}
    units.update({f"{RENDERED}/{t.name}": (t.restart_units, t.reload_units) for t in m.templates})
    restart: list[str] = []
    reload: list[str] = []
    for rel, w in new.items():
        rendered = rel.startswith(RENDERED + "/") and rel not in {s.name for s in m.secrets}
        name = rel[len(RENDERED) + 1:] if rendered else rel
        before = old.get(rel)
        if before is None:
            (ch.r_added if rendered else ch.added).append(name)
        elif not _same(w, before):
            (ch.r_modified if rendered else ch.modified).append(name)
        else:
            continue
        restart.extend(units[rel][0])
        reload.extend(units[rel][1])
    for rel in old:
        if rel in new:
            continue
        if rel.startswith(RENDERED + "/"):
            ch.r_removed.append(rel[len(RENDERED) + 1:])
        else:
            ch.removed.append(rel)
    ch.restart, ch.reload = _unique(restart), _unique(reload)
    return ch


def change_log(ch: Changes, *, dry: bool) -> list[str]:
    """The sops-nix change lines: adding/modifying/removing, secrets then rendered ones."""
    verbs = (("would add", "would modify", "would remove") if dry
             else ("adding", "modifying", "removing"))
    lines = []
    groups = ((ch.added, ch.modified, ch.removed, "secret"),
              (ch.r_added, ch.r_modified, ch.r_removed, "rendered secret"))
    for added, modified, removed, noun in groups:
        for verb, names in zip(verbs, (added, modified, removed), strict=True):
            if names:
                plural = "" if len(names) == 1 else "s"
                lines.append(f"{verb} {noun}{plural}: {', '.join(sorted(names))}")
    return lines


def to_prune(entries: Iterable[str], current: int, keep: int) -> list[int]:
    """Generation numbers to delete: numeric, not current, and ``n <= current - keep``."""
    if keep <= 0:
        return []
    return sorted(int(e) for e in entries
                  if e.isdigit() and int(e) != current and current - keep >= int(e))
