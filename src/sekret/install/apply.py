"""The only module that writes system paths: the secret filesystem, the generation
directory, the stable symlink, the ``path`` links, pruning and the unit lists.

Every file is created empty with mode 0 and ``O_EXCL|O_NOFOLLOW``, then given its owner
and final mode, and only then its content: no file is ever readable by anyone it is not
meant for, whatever the umask. Symlinks are made under a temporary name and renamed
into place, so a symlink or file planted at a target is replaced, never written through.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import secrets
import shutil
import subprocess
from collections.abc import Callable

from sekret._dates import UTC, datetime
from sekret.files.atomic import fsync_dir
from sekret.install.errors import ApplyError
from sekret.install.plan import Changes, CopyOut, Ids, Link, MakeDir, Plan, WriteFile

Warn = Callable[[str], None]
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 2, 4, 8
_FS_MAGIC = {"ramfs", "tmpfs"}


def _mounted_fs(path: str) -> str | None:
    """The filesystem type mounted exactly at ``path`` (from /proc/self/mountinfo)."""
    real = os.path.realpath(path)
    found = None
    with contextlib.suppress(OSError), open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields = left.split()
            if len(fields) > 4 and fields[4].encode().decode("unicode_escape") == real:
                found = right.split()[0]
    return found


def prepare_mount_point(
    mount_point: str, *, mount: bool, use_tmpfs: bool, ids: Ids, warn: Warn
) -> None:
    """Make the 0751 directory and, when allowed, mount ramfs (or tmpfs) on it."""
    os.makedirs(mount_point, 0o751, exist_ok=True)
    expected = "tmpfs" if use_tmpfs else "ramfs"
    if mount and _mounted_fs(mount_point) != expected:
        error = _mount(mount_point, expected)
        if error:
            warn(f"cannot mount {expected} on {mount_point} ({error}): secrets go to a private "
                 "0751 directory on the underlying filesystem")
    os.chmod(mount_point, 0o751)
    if ids is not None:
        os.chown(mount_point, ids[0], ids[1])


def _mount(target: str, fstype: str) -> str | None:
    if os.geteuid() != 0:
        return "not running as root"
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    flags = _MS_NODEV | _MS_NOSUID | _MS_NOEXEC
    options = ["mode=0751,noswap", "mode=0751"] if fstype == "tmpfs" else ["mode=0751"]
    for opt in options:
        if libc.mount(b"none", target.encode(), fstype.encode(), flags, opt.encode()) == 0:
            return None
        errno = ctypes.get_errno()
    return os.strerror(errno)


def generate_key(path: str) -> str | None:
    """``generateKey``: a new age identity at ``path`` (0600) when none is there yet."""
    from sekret.age.x25519 import X25519Identity

    if os.path.lexists(path):
        return None
    os.makedirs(os.path.dirname(path) or ".", 0o700, exist_ok=True)
    ident = X25519Identity.generate()
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f"# created: {now}\n# public key: {ident.recipient()}\n{ident.to_string()}\n"
    _create(path, text.encode(), None, 0o600)
    return str(ident.recipient())


def _create(path: str, data: bytes, ids: Ids, mode: int) -> None:
    """A new file: mode 0, then owner, then final mode, then the content."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0)
    try:
        if ids is not None:
            os.fchown(fd, ids[0], ids[1])
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _mkdir(path: str, ids: Ids, mode: int) -> None:
    os.mkdir(path, 0o700)
    if ids is not None:
        os.chown(path, ids[0], ids[1])
    os.chmod(path, mode)


def write_generation(plan: Plan, dir_ids: Ids) -> None:
    """Create the generation directory and everything in it; on failure remove it all."""
    gen = plan.gen_dir
    if os.path.lexists(gen):
        shutil.rmtree(gen)  # a leftover of a run that did not finish (or a dry run)
    try:
        _mkdir(gen, dir_ids, 0o751)
        for action in plan.writes:
            full = os.path.join(gen, action.rel)
            if isinstance(action, MakeDir):
                _mkdir(full, action.ids, action.mode)
            elif isinstance(action, WriteFile):
                _create(full, action.content.expose(), action.ids, action.mode)
    except OSError as exc:
        shutil.rmtree(gen, ignore_errors=True)
        raise ApplyError(f"cannot write secrets: {exc.strerror} ({exc.filename})") from None


def _tmp_name(path: str) -> str:
    parent, base = os.path.split(path)
    return os.path.join(parent, f".{base}.sekret-{secrets.token_hex(6)}")


def switch(symlink_path: str, gen_dir: str) -> None:
    """Point ``symlink_path`` at ``gen_dir`` with one rename (a directory there is replaced)."""
    try:
        parent = os.path.dirname(symlink_path)
        os.makedirs(parent, 0o755, exist_ok=True)
        tmp = _tmp_name(symlink_path)
        os.symlink(gen_dir, tmp)
        aside = None
        if os.path.isdir(symlink_path) and not os.path.islink(symlink_path):
            aside = _tmp_name(symlink_path)
            os.rename(symlink_path, aside)
        os.replace(tmp, symlink_path)
        fsync_dir(parent)
        if aside:
            shutil.rmtree(aside, ignore_errors=True)
    except OSError as exc:
        raise ApplyError(f"cannot update secrets symlink: {exc.strerror}") from None


def _place_link(link: Link, user_mode: bool) -> None:
    path = link.path
    os.makedirs(os.path.dirname(path) or ".", 0o755, exist_ok=True)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None and os.path.islink(path) and os.readlink(path) == link.target:
        if user_mode or link.ids is None or (st.st_uid, st.st_gid) == link.ids:
            return
    if st is not None and os.path.isdir(path) and not os.path.islink(path):
        if os.listdir(path):
            raise ApplyError(f"cannot override {path}: a directory is in the way")
        os.rmdir(path)
    tmp = _tmp_name(path)
    os.symlink(link.target, tmp)
    try:
        if link.ids is not None and not user_mode:
            os.lchown(tmp, link.ids[0], link.ids[1])
        os.replace(tmp, path)  # replaces a planted symlink or file; never follows it
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _copy_out(c: CopyOut) -> None:
    os.makedirs(os.path.dirname(c.path) or ".", 0o755, exist_ok=True)
    if os.path.isdir(c.path) and not os.path.islink(c.path):
        raise ApplyError(f"cannot override {c.path}: a directory is in the way")
    tmp = _tmp_name(c.path)
    try:
        _create(tmp, c.content.expose(), c.ids, c.mode)
        os.replace(tmp, c.path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def place_links(links: list[Link | CopyOut], *, user_mode: bool) -> list[str]:
    """Create every ``path`` link (or agenix copy); return the failures, one line each."""
    errors = []
    for item in links:
        try:
            if isinstance(item, Link):
                _place_link(item, user_mode)
            else:
                _copy_out(item)
        except ApplyError as exc:
            errors.append(str(exc))
        except OSError as exc:
            errors.append(f"cannot link {item.path}: {exc.strerror}")
    return errors


def prune(mount_point: str, numbers: list[int]) -> None:
    """Delete old generation directories."""
    for n in numbers:
        try:
            shutil.rmtree(os.path.join(mount_point, str(n)))
        except OSError as exc:
            raise ApplyError(f"cannot prune old secrets generations: {exc.strerror}") from None


def request_units(
    ch: Changes, *, dry: bool, via_systemctl: bool, activation_dir: str, warn: Warn
) -> None:
    """Queue restarts and reloads: systemctl, or the activation list files of NixOS."""
    if not ch.restart and not ch.reload:
        return
    if via_systemctl:
        for verb, units, action in (("restart", ch.restart, "try-restart"),
                                    ("reload", ch.reload, "try-reload-or-restart")):
            if not units:
                continue
            if dry:
                for unit in units:
                    warn(f"would {verb} {unit}")
                continue
            proc = subprocess.run(["systemctl", "--no-block", action, *units], check=False)
            if proc.returncode != 0:
                raise ApplyError(f"cannot request units to {verb}: systemctl failed")
        return
    if not os.path.isdir(activation_dir):
        # The Go binary skips the lists silently when /run/nixos is missing. Outside a
        # first boot (no previous generation: nothing is queued then) that means
        # nothing would restart the units, so say so.
        names = ", ".join(dict.fromkeys([*ch.restart, *ch.reload]))
        warn(f"{activation_dir} does not exist: {names} not queued for "
             f"{'restart/reload' if not dry else 'dry-activation'}")
        return
    prefix = "dry-activation" if dry else "activation"
    for kind, units in (("restart", ch.restart), ("reload", ch.reload)):
        if not units:
            continue
        path = os.path.join(activation_dir, f"{prefix}-{kind}-list")
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(path, flags, 0o600)
            try:
                os.write(fd, "".join(u + "\n" for u in units).encode())
            finally:
                os.close(fd)
        except OSError as exc:
            raise ApplyError(f"cannot request units to {kind}: {exc.strerror}") from None
