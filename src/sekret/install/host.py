"""Reading the host (never writing it): files, symlinks, the previous generation, NSS users.

The installer's only reads of the outside world go through here, so that
:mod:`sekret.install.plan` stays pure and :mod:`sekret.install.apply` is the only
module that writes.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from collections.abc import Callable, Mapping

from sekret import age
from sekret.errors import SekretError
from sekret.install.errors import ApplyError, ManifestError
from sekret.install.manifest import Manifest, Owner
from sekret.install.plan import OldFile

Warn = Callable[[str], None]


def read_file(path: str) -> bytes:
    """The bytes of ``path`` (raises OSError)."""
    with open(path, "rb") as f:
        return f.read()


def readlink(path: str) -> str | None:
    """Where the symlink ``path`` points, or None when it is missing or not a symlink."""
    try:
        return os.readlink(path)
    except OSError:
        return None


def exists(path: str) -> bool:
    """Whether anything (even a dangling symlink) is at ``path``."""
    return os.path.lexists(path)


def resolves(path: str) -> bool:
    """Whether ``path`` exists after following symlinks (False for a dangling link)."""
    return os.path.exists(path)


def list_dir(path: str) -> list[str]:
    """Entry names of a directory ([] when it is missing)."""
    try:
        return os.listdir(path)
    except OSError:
        return []


def _read_nofollow(path: str) -> tuple[bytes, os.stat_result] | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks), st
    finally:
        os.close(fd)


def snapshot(symlink_path: str) -> dict[str, OldFile]:
    """Every regular file of the generation ``symlink_path`` names, by relative path."""
    root = os.path.realpath(symlink_path)
    skip = len(root.rstrip("/")) + 1  # os.walk's dirpaths all start with root
    out: dict[str, OldFile] = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            full = os.path.join(dirpath, name)
            found = _read_nofollow(full)
            if found is not None:
                data, st = found
                out[full[skip:]] = OldFile(data, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
    return out


def lookup_owner(who: Owner) -> tuple[int, int]:
    """uid and gid: names looked up through NSS (they win), else the numeric ids.

    A name that is not in NSS but is a decimal number is that id, as chown(1) reads
    it (agenix's default owner and group are "0"); with ``login_group`` the gid is the
    owner's login group (agenix's ``chown owner:``).
    """
    uid, gid = who.uid, who.gid
    if who.owner is not None:
        try:
            entry: pwd.struct_passwd | None = pwd.getpwnam(who.owner)
        except KeyError:
            entry = None
            number = _numeric(who.owner)
            if number is None:
                raise ManifestError("owner", f"failed to lookup user '{who.owner}'") from None
        uid = entry.pw_uid if entry else int(who.owner)
        if who.login_group and who.group is None:
            if entry is None:
                try:
                    entry = pwd.getpwuid(uid)
                except KeyError:
                    raise ManifestError("group", f"user '{who.owner}' has no login group: "
                                        "give the group") from None
            gid = entry.pw_gid
    if who.group is not None:
        try:
            gid = grp.getgrnam(who.group).gr_gid
        except KeyError:
            number = _numeric(who.group)
            if number is None:
                raise ManifestError("group", f"failed to lookup group '{who.group}'") from None
            gid = number
    return uid, gid


def _numeric(name: str) -> int | None:
    """A user or group id written as a name (chown's fallback), or None."""
    if name.isascii() and name.isdecimal() and int(name) <= 0xFFFFFFFE:
        return int(name)
    return None


def keys_gid() -> int:
    """The gid of group ``keys``, else ``nogroup``."""
    for name in ("keys", "nogroup"):
        try:
            return grp.getgrnam(name).gr_gid
        except KeyError:
            continue
    raise ApplyError("can't find group 'keys' nor 'nogroup'",
                     hint="create a 'keys' group, or run with --ignore-passwd")


def load_identities(m: Manifest, warn: Warn, note: Warn) -> list[age.Identity]:
    """All identities combined: ageKeyFile (fatal if unreadable), ageSshKeyPaths
    through ssh-to-age (non-fatal), agenix identityPaths (skipped when missing or empty)."""
    ids: list[age.Identity] = []
    if m.age_ssh_key_paths:  # ssh/RSA code loads only when there are ssh keys to import
        from sekret.age import sshconv
        from sekret.age.x25519 import X25519Identity
    for path in m.age_ssh_key_paths:
        try:
            data = read_file(path)
        except OSError as exc:
            warn(f"cannot read ssh key '{path}': {exc.strerror}")
            continue
        try:
            ident = X25519Identity.parse(sshconv.private_to_identity(data))
        except SekretError as exc:
            warn(f"cannot convert ssh key '{path}': {exc}")
            continue
        ids.append(ident)
        note(f"imported {path} as age key with fingerprint {ident.recipient()}")
    if m.age_key_file:
        try:
            data = read_file(m.age_key_file)
        except OSError as exc:
            raise ApplyError(f"cannot read keyfile '{m.age_key_file}': {exc.strerror}") from None
        try:
            ids.extend(age.parse_identity_file(data, name=m.age_key_file))
        except SekretError as exc:
            raise ApplyError(f"cannot parse keyfile '{m.age_key_file}': {exc}") from None
    for path in m.identity_paths:
        try:
            data = read_file(path)
        except OSError:
            warn(f"identity path {path} not present")
            continue
        if not data.strip():
            warn(f"identity path {path} is empty, skipped")
            continue
        try:
            ids.extend(age.parse_identity_file(data, name=path))
        except SekretError as exc:
            warn(f"cannot use identity {path}: {exc}")
    return ids


def sops_identities(m: Manifest, environ: Mapping[str, str]) -> Callable[[str], list[age.Identity]]:
    """The keys sops itself would find in ``environ``, for one recipient at a time.

    ``sops-install-secrets`` leaves sops's own key lookup on: ``SOPS_AGE_KEY``,
    ``SOPS_AGE_KEY_CMD`` (run with ``SOPS_AGE_RECIPIENT``, as sops does),
    ``SOPS_AGE_SSH_PRIVATE_KEY_FILE``, ``~/.ssh/id_ed25519`` / ``id_rsa`` and the
    default ``keys.txt`` (sops-nix sets ``HOME=/var/empty`` for the last three), and
    ``SOPS_AGE_KEY_FILE`` unless the manifest names age keys: then the Go binary points
    that variable at the keys it imported, which sekret already holds.
    """
    from sekret.files.keys import IdentityFinder

    env = dict(environ)
    if m.age_key_file or m.age_ssh_key_paths:
        env.pop("SOPS_AGE_KEY_FILE", None)
    if not env.get("HOME"):
        env["HOME"] = "/var/empty"  # no home: nothing under ~ (sops skips it too)
    return IdentityFinder(env)
