"""The work behind ``sekret host``: find the configs, edit them, re-encrypt, commit.

Everything is decided and re-encrypted in memory first (each new SOPS file is checked
by reading it back and decrypting it, each new ``.age`` file by decrypting it with its
file key); then the configs, the re-encrypted files and the new host key are staged
beside their targets and renamed together by :class:`sekret.files.transaction.Transaction`.
A file that cannot be decrypted, a config that cannot be edited, a failed write: nothing
changes.
"""

from __future__ import annotations

import copy
import os
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sekret import age
from sekret.cli import _ui, sops_ops
from sekret.cli import agenix_ops as agenix
from sekret.cli._env import Environment
from sekret.errors import SekretError
from sekret.files import config as cfg
from sekret.files import document
from sekret.hosts import rules_data, secrets_nix
from sekret.install import agenix_rules as ar
from sekret.stores.base import format_for_path, get_store

SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".direnv", "result"})


class HostError(SekretError):
    """``sekret host`` cannot do what was asked; nothing was changed."""


@dataclass
class Repo:
    """The configs ``sekret host`` edits: ``.sops.yaml`` and agenix rules, when present."""

    sops_path: str | None = None
    sops_text: str = ""
    rules_path: str | None = None
    rules_text: str = ""
    new_sops: str | None = None
    new_rules: str | None = None
    sops_rules: dict[int, str] = field(default_factory=dict)  # changed creation rules
    secrets: list[str] = field(default_factory=list)  # changed agenix secrets


def _read_text(env: Environment, path: str) -> str:
    return env.read_file(path, what="read").decode("utf-8")


def locate(env: Environment, sops_config: str | None, rules: str | None) -> Repo:
    """The configs: given, or ``.sops.yaml`` found upwards and ``secrets.{nix,toml,json}``
    (or ``$RULES``) in the working directory."""
    repo = Repo()
    if sops_config:
        repo.sops_path = posixpath.abspath(env.path(sops_config))
    else:
        found = cfg.find(sops_ops.config_path(env.cwd))
        repo.sops_path = str(found) if found else None
    given = rules or env.environ.get("RULES")
    if given:
        repo.rules_path = posixpath.abspath(env.path(given))
    else:
        for name in agenix.DEFAULT_RULES:
            if os.path.isfile(env.path(name)):
                repo.rules_path = posixpath.abspath(env.path(name))
                break
    if repo.sops_path is None and repo.rules_path is None:
        raise HostError("found neither .sops.yaml nor agenix rules (secrets.nix)",
                        hint="run it in your configuration's directory, or give "
                        "--sops-config FILE / --rules FILE")
    if repo.sops_path:
        repo.sops_text = _read_text(env, repo.sops_path)
    if repo.rules_path:
        repo.rules_text = _read_text(env, repo.rules_path)
    return repo


# --------------------------------------------------------------------------- rules


def eval_rules(env: Environment, path: str, text: str) -> dict[str, ar.Rule]:
    """The rules ``text`` (for the rules file at ``path``) as agenix reads them."""
    if path.endswith(".json"):
        return ar.parse_json(text, posixpath.basename(path))
    if path.endswith(".toml"):
        return ar.parse_toml(text, posixpath.basename(path))
    import tempfile

    # nix evaluates a file (it may import its neighbours): the text goes beside it
    fd, tmp = tempfile.mkstemp(prefix=".sekret-rules-", suffix=".nix",
                               dir=posixpath.dirname(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        _, _, rules = agenix.load_rules(env, tmp, verbose=False)
    finally:
        os.unlink(tmp)
    return rules


def edit_rules(env: Environment, repo: Repo, edit: Callable[[str], tuple[str, list[str]]],
               expect: Callable[[str, ar.Rule], tuple[str, ...]]) -> None:
    """Apply ``edit`` to the rules and check the evaluated result: every secret's keys
    must be ``expect(name, old rule)``."""
    assert repo.rules_path is not None
    before = eval_rules(env, repo.rules_path, repo.rules_text)
    new, changed = edit(repo.rules_text)
    after = eval_rules(env, repo.rules_path, new)
    want = {n: ar.Rule(expect(n, r) if n in changed else r.public_keys, r.armor)
            for n, r in before.items()}
    if after != want:
        bad = sorted(n for n in set(want) | set(after) if want.get(n) != after.get(n))
        raise HostError(f"the edited rules do not evaluate as intended ({', '.join(bad[:3])})",
                        hint="edit the rules by hand, or report the rules' shape; "
                        "nothing was changed")
    repo.new_rules, repo.secrets = new, changed


def rules_add(repo: Repo, env: Environment, name: str, key: str,
              select: Callable[[str], bool]) -> None:
    """Add ``key`` (bound as ``name`` in secrets.nix) to the chosen agenix secrets."""
    path = repo.rules_path or ""
    edit: Callable[[str], tuple[str, list[str]]]
    if path.endswith(".json"):
        edit = lambda t: rules_data.add_json(t, key, select)  # noqa: E731
    elif path.endswith(".toml"):
        edit = lambda t: rules_data.add_toml(t, key, select)  # noqa: E731
    else:
        edit = lambda t: secrets_nix.add_host(t, name, key, select)  # noqa: E731
    edit_rules(env, repo, edit, lambda n, r: (*r.public_keys, key))


def rules_remove(repo: Repo, env: Environment, name: str) -> str:
    """Remove host ``name``'s key from the agenix rules; return the key."""
    path = repo.rules_path or ""
    edit: Callable[[str], tuple[str, list[str]]]
    if path.endswith((".json", ".toml")):
        key = _key_in_data(eval_rules(env, path, repo.rules_text), name)
        remove = rules_data.remove_json if path.endswith(".json") else rules_data.remove_toml
        edit = lambda t: remove(t, key)  # noqa: E731
    else:
        key = secrets_nix.bound_key(repo.rules_text, name)
        edit = lambda t: secrets_nix.remove_host(t, name)  # noqa: E731
    edit_rules(env, repo, edit, lambda n, r: tuple(k for k in r.public_keys if k != key))
    return key


def _key_in_data(rules: dict[str, ar.Rule], name: str) -> str:
    """A TOML/JSON rules file names no hosts: the key's comment must be NAME or root@NAME."""
    for rule in rules.values():
        for key in rule.public_keys:
            parts = key.split()
            if len(parts) > 2 and parts[2] in (name, f"root@{name}"):
                return key
    raise HostError(f"no key with the comment {name!r} or 'root@{name}' in the rules",
                    hint="sekret host add writes the key with that comment")


# --------------------------------------------------------------------------- files


def candidates(root: str, conf: cfg.Config) -> list[tuple[str, int]]:
    """(path, index of the creation rule it matches or -1) of every file under ``root``
    (version-control and build directories skipped, symlinks not followed)."""
    out: list[tuple[str, int]] = []
    for d, dirs, names in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS)
        for n in sorted(names):
            path = posixpath.join(d, n)
            if n == cfg.CONFIG_NAME or os.path.islink(path) or not os.path.isfile(path):
                continue
            try:
                rule = conf.match(path)
            except cfg.ConfigError:
                rule = None
            out.append((path, conf.rules.index(rule) if rule is not None else -1))
    return out


def is_sops(path: str, data: bytes) -> bool:
    """Whether ``data`` is a SOPS file of ``path``'s format (its metadata loads)."""
    if b"sops" not in data:  # every format's metadata is named so: most files stop here
        return False
    try:
        get_store(format_for_path(path)).load_encrypted(data)
    except (SekretError, ValueError, RecursionError):
        return False
    return True


class Progress:
    """``re-encrypting 12/500 [####......]`` on a terminal's standard error only."""

    def __init__(self, env: Environment, total: int) -> None:
        self.env, self.total, self.done = env, total, 0
        self.on = env.stderr_isatty and total > 1

    def step(self) -> None:
        self.done += 1
        if self.on:
            width = 30
            fill = width * self.done // self.total
            self.env.stderr.write(
                f"\r\x1b[Kre-encrypting {self.done}/{self.total} "
                f"[{'#' * fill}{'.' * (width - fill)}]".encode())
            if self.done == self.total:
                self.env.stderr.write(b"\n")
            self.env.stderr.flush()


def rekey_sops(env: Environment, path: str, data: bytes, rule: cfg.CreationRule | None,
               identities_for: Callable[[str], list[age.Identity]], *, rotate: bool,
               drop: str = "") -> bytes:
    """A SOPS file for its rule's key groups: the data key re-wrapped (updatekeys), or
    with ``rotate`` a new one (rotate), ``drop`` removed when no rule applies."""
    store = get_store(format_for_path(path))
    rel = posixpath.basename(path)
    try:
        if not rotate:
            assert rule is not None
            out, _, _ = document.update_keys(data, store, identities_for, rule.key_groups,
                                             rule.shamir_threshold)
            return out
        opened = document.open_(data, store, identities_for)
        if rule is not None:
            opened.meta.key_groups = copy.deepcopy(rule.key_groups)
        for group in opened.meta.key_groups:
            group.age = [k for k in group.age if k.recipient != drop]
        return document.rotate(opened)
    except SekretError as exc:
        raise HostError(f"cannot re-encrypt {rel!r}: {exc}",
                        hint=exc.hint or "nothing was changed") from None


class _FileKey:
    """An identity that knows the file key (to check a file just encrypted)."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def unwrap(self, stanzas: Sequence[object]) -> bytes:
        return self.key


def rekey_age(data: bytes, recipients: list[age.Recipient], armor: bool) -> bytes:
    """``data`` encrypted anew for ``recipients`` (a new file key), checked by decrypting."""
    import io

    from sekret.age import core

    key = os.urandom(16)
    out = io.BytesIO()
    core.encrypt_stream(io.BytesIO(data), out, recipients, armor=armor, file_key=key)
    back = io.BytesIO()
    core.decrypt_stream(io.BytesIO(out.getvalue()), back, [_FileKey(key)])
    if back.getvalue() != data:
        raise HostError("a re-encrypted .age file does not decrypt (a bug in sekret)")
    return out.getvalue()


def rule_selector(rules: Sequence[str]) -> tuple[Callable[[str], bool], Callable[[str], bool]]:
    """(creation rule by path_regex, agenix secret by name) for ``--rule`` values: a
    creation rule is chosen when its path_regex is one of them, a secret when one of
    them matches its name; none given: everything."""
    compiled = []
    for r in rules:
        try:
            compiled.append(re.compile(r))
        except re.error as exc:
            raise HostError(f"invalid --rule {r!r}: {exc}") from None
    return ((lambda rx: not rules or rx in rules),
            (lambda name: not rules or any(c.search(name) for c in compiled)))


def say(env: Environment, text: str) -> None:
    """One line of the report on standard error (standard output stays for the command)."""
    _ui.say(env, "info", text)
