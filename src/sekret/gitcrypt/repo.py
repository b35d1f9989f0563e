"""The one module of :mod:`sekret.gitcrypt` that runs git and gpg and touches files.

Everything is batched: one ``ls-files``, one ``check-attr --stdin``, one
``cat-file --batch`` and one ``checkout-index --stdin`` per command, whatever the number
of files (git-crypt 0.7 spawns processes per file, which is what makes it slow).

Keys live where git-crypt keeps them, ``<git-dir>/git-crypt/keys/{default|NAME}``, so
git-crypt and sekret can share one unlocked repository. sekret writes them to the
*common* git dir and looks in the worktree's git dir first, then the common one, so
linked worktrees (``git worktree add``) work.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sekret.gitcrypt.errors import (
    GitCryptError,
    NotARepositoryError,
    NotUnlockedError,
)
from sekret.gitcrypt.keyfile import KeyFile, parse, serialize

ATTR = "git-crypt"
#: File modes of regular files in the index (symlinks and submodules are never filtered).
_REGULAR = ("100644", "100755")


def attr_for(name: str | None) -> str:
    """The filter/diff attribute of a key: ``git-crypt`` or ``git-crypt-NAME``."""
    return ATTR if name is None else f"{ATTR}-{name}"


def name_for(attr: str) -> str | bool | None:
    """The key name an attribute value selects: None for the default, False if none."""
    if attr == ATTR:
        return None
    if attr.startswith(ATTR + "-"):
        return attr[len(ATTR) + 1:]
    return False


@dataclass(frozen=True)
class IndexEntry:
    """A staged file: its mode, blob id and path."""

    mode: str
    oid: str
    path: str


class Repo:
    """A git working tree, found from a directory, with the commands sekret needs."""

    def __init__(self, top: str, git_dir: str, common_dir: str,
                 environ: Mapping[str, str]) -> None:
        self.top = top
        self.git_dir = git_dir
        self.common_dir = common_dir
        self.environ = dict(environ)

    @classmethod
    def discover(cls, cwd: str, environ: Mapping[str, str]) -> Repo:
        """The repository containing ``cwd``; :class:`NotARepositoryError` otherwise."""
        proc = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--show-toplevel", "--git-dir",
             "--git-common-dir"], cwd=cwd, env=dict(environ), capture_output=True)
        lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
        if proc.returncode != 0 or len(lines) != 3:
            raise NotARepositoryError(f"not a git repository: {cwd!r}",
                                      hint="run the command inside a git working tree")
        return cls(lines[0], lines[1], lines[2], environ)

    # ------------------------------------------------------------------ running git

    def git(self, args: Sequence[str], *, input: bytes | None = None,
            check: bool = True) -> bytes:
        """Run ``git ARGS`` at the top of the tree and return its standard output."""
        proc = subprocess.run(["git", *args], cwd=self.top, env=self.environ,
                              input=input, capture_output=True)
        if check and proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitCryptError(f"'git {args[0]}' failed" +
                                (f": {detail[-1]}" if detail else ""))
        return proc.stdout

    def is_dirty(self) -> bool:
        """Whether tracked files have uncommitted changes (untracked files do not count)."""
        return bool(self.git(["status", "-uno", "--porcelain"]).strip())

    def other_worktrees(self) -> list[Repo]:
        """The repository's other working trees that exist (``git worktree add``).

        They share the config and (for sekret) the keys, so lock and unlock must
        rewrite their encrypted files too.
        """
        out = self.git(["worktree", "list", "--porcelain", "-z"])
        trees = []
        for record in out.split(b"\0\0"):
            fields = record.strip(b"\0").split(b"\0")
            if not fields[0].startswith(b"worktree ") or b"bare" in fields:
                continue
            top = os.fsdecode(fields[0][len(b"worktree "):])
            if os.path.realpath(top) != os.path.realpath(self.top) and os.path.isdir(top):
                trees.append(Repo.discover(top, self.environ))
        return trees

    def index(self, paths: Sequence[str] = ()) -> list[IndexEntry]:
        """Every staged regular file (stage 0), optionally under ``paths``."""
        out = []
        for rec in self.git(["ls-files", "-s", "-z", "--", *paths]).split(b"\0"):
            if not rec:
                continue
            info, _, path = rec.partition(b"\t")
            mode, oid, stage = info.decode().split()
            if mode in _REGULAR and stage == "0":
                out.append(IndexEntry(mode, oid, os.fsdecode(path)))
        return out

    def untracked(self, paths: Sequence[str] = ()) -> list[str]:
        """Untracked, not ignored files."""
        out = self.git(["ls-files", "-o", "--exclude-standard", "-z", "--", *paths])
        return [os.fsdecode(p) for p in out.split(b"\0") if p]

    def attributes(self, paths: Iterable[str]) -> dict[str, tuple[str, str]]:
        """path → (filter, diff) attribute values, from one ``check-attr --stdin``."""
        data = b"".join(os.fsencode(p) + b"\0" for p in paths)
        if not data:
            return {}
        out = self.git(["check-attr", "--stdin", "-z", "filter", "diff"], input=data)
        fields = out.split(b"\0")
        result: dict[str, list[str]] = {}
        for i in range(0, len(fields) - 2, 3):
            path, attr, value = fields[i:i + 3]
            slot = result.setdefault(os.fsdecode(path), ["", ""])
            slot[0 if attr == b"filter" else 1] = value.decode()
        return {p: (v[0], v[1]) for p, v in result.items()}

    def blobs(self, oids: Sequence[str]) -> list[bytes]:
        """The contents of ``oids``, in order, from one ``cat-file --batch``."""
        if not oids:
            return []
        out = self.git(["cat-file", "--batch"], input="".join(o + "\n" for o in oids).encode())
        result, pos = [], 0
        for _ in oids:
            nl = out.index(b"\n", pos)
            header = out[pos:nl].split()
            if len(header) != 3:
                raise GitCryptError("'git cat-file' could not read a blob")
            size = int(header[2])
            result.append(out[nl + 1:nl + 1 + size])
            pos = nl + 1 + size + 1
        return result

    def encrypted_entries(self, names: Iterable[str | None]) -> list[IndexEntry]:
        """Staged files whose filter attribute selects one of the keys ``names``."""
        wanted = {attr_for(n) for n in names}
        entries = self.index()
        attrs = self.attributes(e.path for e in entries)
        return [e for e in entries if attrs.get(e.path, ("", ""))[0] in wanted]

    def checkout(self, paths: Sequence[str]) -> None:
        """Rewrite ``paths`` from the index through the current filters, in one process.

        git skips files whose stat data matches the index even with ``-f``, so each
        file first gets an mtime the index cannot have recorded.
        """
        if paths:
            self.touch(paths, stamp=1)
            data = b"".join(os.fsencode(p) + b"\0" for p in paths)
            self.git(["checkout-index", "-f", "-u", "-z", "--stdin"], input=data)

    def add(self, paths: Sequence[str], *, renormalize: bool = False) -> None:
        """Stage ``paths`` (``--renormalize`` re-runs clean on unchanged files)."""
        if paths:
            flags = ["--renormalize"] if renormalize else []
            self.git(["add", *flags, "--pathspec-from-file=-", "--pathspec-file-nul"],
                     input=b"".join(os.fsencode(p) + b"\0" for p in paths))

    def touch(self, paths: Iterable[str], *, stamp: int | None = None) -> None:
        """Make files stat-dirty (mtime now, or ``stamp`` seconds after the epoch)."""
        times = None if stamp is None else (stamp, stamp)
        for p in paths:
            with contextlib.suppress(FileNotFoundError):
                os.utime(os.path.join(self.top, p), times)

    def commit(self, paths: Sequence[str], message: str) -> None:
        """Commit exactly ``paths`` (already staged) with ``message``."""
        self.git(["commit", "-q", "-m", message, "--", *paths])

    # ---------------------------------------------------------------- keys and config

    def _key_dirs(self) -> list[str]:
        dirs = [os.path.join(self.git_dir, "git-crypt", "keys")]
        if self.common_dir != self.git_dir:
            dirs.append(os.path.join(self.common_dir, "git-crypt", "keys"))
        return dirs

    def key_path(self, name: str | None) -> str:
        """Where an unlocked key is written (the common git dir)."""
        return os.path.join(self.common_dir, "git-crypt", "keys", name or "default")

    def find_key(self, name: str | None) -> str | None:
        """The path of the installed key ``name``, or None when it is locked."""
        for d in self._key_dirs():
            path = os.path.join(d, name or "default")
            if os.path.isfile(path):
                return path
        return None

    def load_key(self, name: str | None) -> KeyFile:
        """The installed key ``name``; :class:`NotUnlockedError` when there is none."""
        path = self.find_key(name)
        if path is None:
            what = "the default key" if name is None else f"key {name!r}"
            raise NotUnlockedError(f"{what} is not unlocked in this repository",
                                   hint="run 'sekret git-crypt unlock' (or 'init' for a new repo)")
        with open(path, "rb") as f:
            return parse(f.read())

    def installed_keys(self) -> list[str | None]:
        """The names of all unlocked keys (None for the default key)."""
        names: set[str] = set()
        for d in self._key_dirs():
            with contextlib.suppress(OSError):
                names.update(n for n in os.listdir(d) if os.path.isfile(os.path.join(d, n)))
        return [None if n == "default" else n for n in sorted(names)]

    def save_key(self, key: KeyFile) -> None:
        """Write ``key`` atomically, mode 0600."""
        path = self.key_path(key.name)
        write_private(path, serialize(key))

    def remove_key(self, name: str | None) -> None:
        """Delete the installed key ``name`` wherever it is."""
        for d in self._key_dirs():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(d, name or "default"))

    def configure(self, name: str | None, command: str) -> None:
        """Point git's filter and diff drivers at ``command`` (a quoted program prefix)."""
        attr = attr_for(name)
        opt = "" if name is None else f" --key-name={name}"
        for key, value in (
            (f"filter.{attr}.process", f"{command} filter-process{opt}"),
            (f"filter.{attr}.smudge", f"{command} smudge{opt}"),
            (f"filter.{attr}.clean", f"{command} clean{opt}"),
            (f"filter.{attr}.required", "true"),
            (f"diff.{attr}.textconv", f"{command} diff{opt}"),
        ):
            self.git(["config", key, value])

    def deconfigure(self, name: str | None) -> None:
        """Remove the filter and diff sections of a key (as ``git-crypt lock`` does)."""
        attr = attr_for(name)
        for section in (f"filter.{attr}", f"diff.{attr}"):
            self.git(["config", "--remove-section", section], check=False)

    def config_get(self, key: str) -> str | None:
        """One git config value, or None."""
        out = self.git(["config", "--get", key], check=False)
        return out.decode().strip() or None

    # ---------------------------------------------------------------- in-repo state

    @property
    def state_dir(self) -> str:
        """``.git-crypt`` at the top (or ``git-crypt.repoStateDir``)."""
        rel = self.config_get("git-crypt.repoStateDir") or ".git-crypt"
        return os.path.join(self.top, rel)

    def list_state(self, sub: str) -> list[str]:
        """Files under the state directory's ``sub``, relative to it, sorted."""
        base = os.path.join(self.state_dir, sub)
        found = []
        for root, _, files in os.walk(base):
            found += [os.path.relpath(os.path.join(root, f), base) for f in files]
        return sorted(found)

    def read_state(self, rel: str) -> bytes:
        """A file of the state directory."""
        with open(os.path.join(self.state_dir, rel), "rb") as f:
            return f.read()

    def write_state(self, rel: str, data: bytes, *, exclusive: bool = False) -> str:
        """Write a file of the state directory; return its path relative to the top."""
        path = os.path.join(self.state_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if exclusive and os.path.exists(path):
            raise GitCryptError(f"{rel!r} already exists")
        with open(path, "wb") as f:
            f.write(data)
        return os.path.relpath(path, self.top)

    def hooks_dir(self) -> str:
        """The directory git runs hooks from (honours core.hooksPath)."""
        out = self.git(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])
        return out.decode().strip()

    def install_hook(self, name: str, text: str, *, force: bool) -> str:
        """Write an executable hook; refuse to replace another one unless ``force``."""
        path = os.path.join(self.hooks_dir(), name)
        if os.path.exists(path) and not force:
            raise GitCryptError(f"a {name} hook already exists: {path!r}",
                                hint="add the command to it by hand, or use --force")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
        return path

    # ------------------------------------------------------------------------- gpg

    def gpg(self, args: Sequence[str], *, input: bytes | None = None) -> bytes:
        """Run gpg (``gpg.program`` or ``gpg``); GPG errors become one-line errors."""
        program = self.config_get("gpg.program") or "gpg"
        try:
            proc = subprocess.run([program, *args], env=self.environ, input=input,
                                  capture_output=True, cwd=self.top)
        except FileNotFoundError:
            raise GitCryptError(f"cannot run {program!r}", hint="install gnupg") from None
        if proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitCryptError("gpg failed" + (f": {detail[-1]}" if detail else ""))
        return proc.stdout

    def gpg_secret_fingerprints(self) -> list[str]:
        """Fingerprints (subkeys included) of every secret key in the keyring."""
        out = self.gpg(["--batch", "--with-colons", "--list-secret-keys", "--fingerprint"])
        return [line.split(":")[9] for line in out.decode().splitlines()
                if line.startswith("fpr:")]

    def gpg_public_keys(self, user_id: str) -> list[tuple[str, str]]:
        """(primary fingerprint, first user id) of each public key matching ``user_id``."""
        try:
            out = self.gpg(["--batch", "--with-colons", "--fingerprint", "--list-keys",
                            "--", user_id])
        except GitCryptError:
            return []
        keys: list[list[str]] = []
        want_fpr = False
        for line in out.decode("utf-8", "replace").splitlines():
            f = line.split(":")
            if f[0] == "pub":
                keys.append(["", ""])
                want_fpr = True
            elif f[0] == "fpr" and want_fpr:
                keys[-1][0] = f[9]
                want_fpr = False
            elif f[0] == "uid" and keys and not keys[-1][1]:
                keys[-1][1] = f[9]
            elif f[0] == "sub":
                want_fpr = False
        return [(k[0], k[1]) for k in keys]


def write_private(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically with mode 0600 (parents created)."""
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
