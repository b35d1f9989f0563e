"""The sops-install-secrets manifest as typed, validated data (spec §1).

:func:`parse` reads the JSON bytes: every field sops-nix writes, unknown fields
ignored, strict JSON types (a string where a string is due, an int where an int is due,
``null`` only where sops-nix allows it). A mistake raises :class:`ManifestError` naming
the field path, for example ``secrets[2].mode``. :func:`validate` then checks what
concerns several fields at once. No file is read here.

Extensions (ignored by sops-nix, so a manifest stays usable by both): a secret may name
an age file (``ageFile``, or agenix's ``file``) instead of ``sopsFile`` and may set
agenix's ``symlink: false``; the top level may list agenix ``identityPaths`` and ask
for ``generateKey``. Such an agenix secret reads its fields as agenix does: ``mode`` is
anything chmod takes (:mod:`sekret.install.chmod`), and an empty or missing ``group``
beside an ``owner`` is the owner's login group (``chown owner:``).
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field, replace

from sekret.install import chmod
from sekret.install.errors import ManifestError

FORMATS = ("yaml", "json", "binary", "dotenv", "ini")
_ABSENT = object()
#: mode strings already parsed (a manifest repeats a few modes thousands of times)
_MODES: dict[str, int] = {}


@dataclass(frozen=True)
class Logging:
    """Which log lines to print."""

    key_import: bool = False
    secret_changes: bool = False


@dataclass(frozen=True)
class Owner:
    """Owner and group by name (wins when set) or by id."""

    owner: str | None = None
    uid: int = 0
    group: str | None = None
    gid: int = 0
    #: agenix's ``chown owner:``: no group given, so the owner's login group
    login_group: bool = False


@dataclass(frozen=True)
class Secret:
    """One secret: where its value comes from and how it is installed."""

    name: str
    key: str = ""
    path: str = ""
    who: Owner = field(default_factory=Owner)
    sops_file: str = ""
    age_file: str = ""
    format: str = "yaml"
    mode: int = 0o400
    restart_units: tuple[str, ...] = ()
    reload_units: tuple[str, ...] = ()
    symlink: bool = True

    @property
    def source(self) -> str:
        """The encrypted file this secret comes from."""
        return self.age_file or self.sops_file


@dataclass(frozen=True)
class Template:
    """A file rendered from ``content`` (or ``file``) with placeholders replaced."""

    name: str
    content: str = ""
    file: str = ""
    path: str = ""
    who: Owner = field(default_factory=Owner)
    mode: int = 0o400
    restart_units: tuple[str, ...] = ()
    reload_units: tuple[str, ...] = ()


@dataclass(frozen=True)
class Manifest:
    """The whole manifest."""

    secrets: tuple[Secret, ...] = ()
    templates: tuple[Template, ...] = ()
    placeholders: dict[str, str] = field(default_factory=dict)
    mount_point: str = ""
    symlink_path: str = ""
    keep_generations: int = 0
    ssh_key_paths: tuple[str, ...] = ()
    gnupg_home: str | None = None
    age_key_file: str | None = None
    age_ssh_key_paths: tuple[str, ...] = ()
    identity_paths: tuple[str, ...] = ()
    generate_key: bool = False
    use_tmpfs: bool = False
    user_mode: bool = False
    logging: Logging = field(default_factory=Logging)


class _Obj:
    """Typed access to one JSON object, naming fields by their path in errors."""

    def __init__(self, raw: object, where: str) -> None:
        if not isinstance(raw, dict):
            raise ManifestError(where or "manifest", "expected a JSON object")
        self.raw = raw
        self.where = where

    def _path(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def _get(self, name: str, types: tuple[type, ...], default: object, nullable: bool) -> object:
        value = self.raw.get(name, _ABSENT)
        if type(value) in types:  # the common case, fast (exact: true is not an int)
            return value
        if value is _ABSENT:
            return default
        if value is None and nullable:
            return default
        if isinstance(value, bool) and bool not in types:
            value = object()  # JSON true/false is not an int here
        if not isinstance(value, types):
            want = " or ".join("integer" if t is int else "boolean" if t is bool else
                               "string" if t is str else t.__name__ for t in types)
            raise ManifestError(self._path(name), f"expected {want}" + (" or null" if nullable
                                                                        else ""))
        return value

    # Each accessor tries the common case (present with the right type, or absent) with
    # one dict lookup, and leaves the rest, errors included, to _get.

    def text(self, name: str, default: str = "", *, nullable: bool = False) -> str:
        value = self.raw.get(name, default)
        if type(value) is str:
            return value
        value = self._get(name, (str,), default, nullable)
        assert isinstance(value, str)
        return value

    def opt_str(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None or type(value) is str:
            return value
        value = self._get(name, (str,), None, True)
        return value if isinstance(value, str) else None

    def integer(self, name: str, default: int = 0) -> int:
        value = self.raw.get(name, default)
        if type(value) is int:
            return value
        value = self._get(name, (int,), default, False)
        assert isinstance(value, int)
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.raw.get(name, default)
        if type(value) is bool:
            return value
        value = self._get(name, (bool,), default, False)
        assert isinstance(value, bool)
        return value

    def texts(self, name: str) -> tuple[str, ...]:
        value = self.raw.get(name)
        if value is None or value == []:
            return ()
        value = self._get(name, (list,), [], True)
        assert isinstance(value, list)
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise ManifestError(f"{self._path(name)}[{i}]", "expected string")
        return tuple(value)

    def objs(self, name: str) -> list[_Obj]:
        value = self._get(name, (list,), [], True)
        assert isinstance(value, list)
        return [_Obj(item, f"{self._path(name)}[{i}]") for i, item in enumerate(value)]


def parse_mode(text: str, where: str) -> int:
    """An octal mode string (``"0400"``, ``"400"``); symbolic modes are refused."""
    known = _MODES.get(text)
    if known is not None:
        return known
    stripped = text.strip()
    if not stripped or any(c not in "01234567" for c in stripped) or int(stripped, 8) > 0o7777:
        raise ManifestError(where, f"invalid number in mode: {text!r}",
                            hint="write the mode in octal, for example \"0400\"")
    _MODES[text] = int(stripped, 8)
    return _MODES[text]


def _plain_mode(mode: int, where: str) -> None:
    """Refuse setuid, setgid and sticky bits on a secret.

    sops-install-secrets drops them without a word (Go's ``os.FileMode`` has no room for
    the octal 07000 bits: ``WriteFile`` and ``Chmod`` keep ``mode & 0777``), so a config
    saying "04400" gets 0400. Keeping them would make a secret setuid; dropping them
    silently hides a typo. Refused, at build time too (``-check-mode``).
    """
    if mode & 0o7000:
        raise ManifestError(where, f"mode {mode:04o} sets setuid, setgid or sticky bits",
                            hint=f"a secret file takes permission bits only: use "
                            f"\"{mode & 0o777:04o}\"")


def _owner(o: _Obj, *, agenix: bool = False) -> Owner:
    uid, gid = o.integer("uid"), o.integer("gid")
    for name, value in (("uid", uid), ("gid", gid)):
        if value < 0 or value > 0xFFFFFFFE:
            raise ManifestError(o._path(name), "out of range")
    owner, group = o.opt_str("owner") or None, o.opt_str("group") or None
    return Owner(owner, uid, group, gid, login_group=agenix and bool(owner) and not group)


def _name(o: _Obj) -> str:
    name = o.text("name")
    parts = name.split("/")
    if not name or "" in parts or "." in parts or ".." in parts:  # "" also: a leading "/"
        raise ManifestError(o._path("name"), f"not a relative file name: {name!r}",
                            hint="names are relative paths without '.', '..' or empty parts")
    return name


def _secret(o: _Obj) -> Secret:
    fmt = o.text("format") or "yaml"
    if fmt not in FORMATS:
        raise ManifestError(o._path("format"), f"unsupported format {fmt!r}",
                            hint="use one of: " + ", ".join(FORMATS))
    age_file = o.text("ageFile") or o.text("file")
    sops_file = o.text("sopsFile")
    if not (age_file or sops_file):
        raise ManifestError(o._path("sopsFile"), "missing (or give an age file as ageFile)")
    if age_file and sops_file:
        raise ManifestError(o._path("ageFile"), "give either sopsFile or ageFile, not both")
    mode = o.text("mode", "0400") or "0400"
    return Secret(
        name=_name(o), key=o.text("key"), path=o.text("path"),
        who=_owner(o, agenix=bool(age_file)), sops_file=sops_file, age_file=age_file,
        format=fmt,
        mode=(chmod.manifest_mode(mode, o._path("mode")) if age_file
              else parse_mode(mode, o._path("mode"))),
        restart_units=o.texts("restartUnits"), reload_units=o.texts("reloadUnits"),
        symlink=o.flag("symlink", True),
    )


def _template(o: _Obj) -> Template:
    return Template(
        name=_name(o), content=o.text("content"), file=o.text("file"), path=o.text("path"),
        who=_owner(o), mode=parse_mode(o.text("mode", "0400") or "0400", o._path("mode")),
        restart_units=o.texts("restartUnits"), reload_units=o.texts("reloadUnits"),
    )


def parse(data: bytes) -> Manifest:
    """Parse manifest JSON bytes (types checked, unknown fields ignored)."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestError("", f"failed to parse manifest: {exc}") from None
    top = _Obj(raw, "")
    placeholders = top._get("placeholderBySecretName", (dict,), {}, True)
    assert isinstance(placeholders, dict)
    for key, value in placeholders.items():
        if not isinstance(value, str):
            raise ManifestError(f"placeholderBySecretName.{key}", "expected string")
    log = _Obj(top._get("logging", (dict,), {}, True), "logging")
    return Manifest(
        secrets=tuple(_secret(o) for o in top.objs("secrets")),
        templates=tuple(_template(o) for o in top.objs("templates")),
        placeholders=dict(placeholders),
        mount_point=top.text("secretsMountPoint"),
        symlink_path=top.text("symlinkPath"),
        keep_generations=top.integer("keepGenerations"),
        ssh_key_paths=top.texts("sshKeyPaths"),
        gnupg_home=top.opt_str("gnupgHome") or None,
        age_key_file=top.opt_str("ageKeyFile") or None,
        age_ssh_key_paths=top.texts("ageSshKeyPaths"),
        identity_paths=top.texts("identityPaths"),
        generate_key=top.flag("generateKey"),
        use_tmpfs=top.flag("useTmpfs"),
        user_mode=top.flag("userMode"),
        logging=Logging(log.flag("keyImport"), log.flag("secretChanges")),
    )


def _expand(text: str, runtime_dir: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "%" and i + 1 < len(text) and text[i + 1] in "r%":
            out.append(runtime_dir if text[i + 1] == "r" else "%")
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def expand_runtime_dir(m: Manifest, runtime_dir: str) -> Manifest:
    """User mode: ``%r`` → the runtime dir, ``%%`` → ``%`` in every path."""
    return replace(
        m,
        mount_point=_expand(m.mount_point, runtime_dir),
        symlink_path=_expand(m.symlink_path, runtime_dir),
        secrets=tuple(replace(s, path=_expand(s.path, runtime_dir)) for s in m.secrets),
        templates=tuple(replace(t, path=_expand(t.path, runtime_dir)) for t in m.templates),
    )


def validate(m: Manifest) -> None:
    """Checks across fields (spec §2.8); raises :class:`ManifestError`."""
    for name, value in (("secretsMountPoint", m.mount_point), ("symlinkPath", m.symlink_path)):
        if not value or not posixpath.isabs(value):
            raise ManifestError(name, f"must be an absolute path, got {value!r}")
    if posixpath.normpath(m.symlink_path) == posixpath.normpath(m.mount_point):
        raise ManifestError("symlinkPath", "must differ from secretsMountPoint")
    if m.keep_generations < 0:
        raise ManifestError("keepGenerations", "must not be negative")
    if m.gnupg_home and m.ssh_key_paths:
        raise ManifestError("gnupgHome", "gnupgHome and sshKeyPaths were specified in the "
                            "manifest. Both options are mutually exclusive")
    if m.gnupg_home and m.age_key_file:
        raise ManifestError("gnupgHome", "gnupgHome and ageKeyFile were specified in the "
                            "manifest. Both options are mutually exclusive")
    for i, sec in enumerate(m.secrets):
        if not sec.age_file:  # agenix's chmod keeps them, and so does sekret for its files
            _plain_mode(sec.mode, f"secrets[{i}].mode")
    for i, tpl in enumerate(m.templates):
        _plain_mode(tpl.mode, f"templates[{i}].mode")
    formats: dict[str, tuple[str, str]] = {}
    names: set[str] = set()
    for i, s in enumerate(m.secrets):
        if s.name in names:
            raise ManifestError(f"secrets[{i}].name", f"duplicate secret {s.name!r}")
        names.add(s.name)
        if s.sops_file:
            seen = formats.setdefault(s.sops_file, (s.format, s.name))
            if seen[0] != s.format:
                raise ManifestError(
                    f"secrets[{i}].format",
                    f"secret {s.name} defined the format of {s.sops_file} as {s.format}, "
                    f"but it was specified as {seen[0]} in {seen[1]} before")
        if m.templates and s.name not in m.placeholders:
            raise ManifestError("placeholderBySecretName", f"placeholder for {s.name} not found "
                                "in manifest")
        if m.templates and (s.name == "rendered" or s.name.startswith("rendered/")):
            raise ManifestError(f"secrets[{i}].name", "'rendered' is used by the templates")
    rendered: set[str] = set()
    for i, t in enumerate(m.templates):
        if t.name in rendered:
            raise ManifestError(f"templates[{i}].name", f"duplicate template {t.name!r}")
        rendered.add(t.name)
        if not t.content and not t.file:
            raise ManifestError(f"templates[{i}]", "neither content nor file was specified "
                                f"for template {t.name}")
