"""The PGP keys of a sops-nix manifest: ``sshKeyPaths`` or ``gnupgHome``.

sops-install-secrets gives sops PGP keys in one of two ways (never both):

* ``sshKeyPaths``: each RSA SSH key becomes an OpenPGP key (sops-nix's ``convert.go``,
  here :mod:`sekret.pgp.sshrsa`) in a throwaway ``GNUPGHOME`` that holds only those
  keys, made in the secrets mount point (a ramfs: the keys never reach a disk) and
  removed afterwards. sekret does the same and lets the real gpg decrypt there.
* ``gnupgHome``: ``GNUPGHOME`` is set to it and sops runs the real gpg
  (``SOPS_GPG_EXEC``, which sops-nix sets to its gnupg package); so does sekret.

Why gpg for the derived keys too, not an OpenPGP library in memory: sops-nix's keys
carry no algorithm preferences, so the gpg that sops runs to encrypt for them picks
3DES (OpenPGP's fallback), and Sequoia's standard policy (pysequoia, which exposes no
other) refuses to decrypt 3DES: files encrypted to a host key the usual way would not
open. gpg, like sops-install-secrets' Go library, still decrypts them.

Keys are derived on first use, when a sops file's age keys did not open it: a host
whose files are all age pays nothing for its RSA host key.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from sekret.errors import SekretError
from sekret.sops.masterkeys import Entry, KeyUnavailable
from sekret.sops.metadata import OtherKey

if TYPE_CHECKING:
    from sekret.pgp.sshrsa import DerivedKey

Reader = Callable[[str], bytes]
Log = Callable[[str], None]


class PGPKeyError(KeyUnavailable):
    """A PGP entry of a sops file cannot be opened with the manifest's PGP keys."""


def _fp(value: object) -> str:
    return str(value or "").replace(" ", "").upper()


class PGPKeys:
    """The installer's ``pgp`` master-key type (see :mod:`sekret.sops.masterkeys`):
    opens ``pgp`` entries with the manifest's PGP keys; never wraps.

    Call :meth:`close` when done: it removes the throwaway GnuPG home, if one was made.
    """

    name = "pgp"

    def __init__(self, *, ssh_key_paths: Sequence[str] = (), gnupg_home: str | None = None,
                 read: Reader, warn: Log, note: Log,
                 environ: Mapping[str, str] | None = None, scratch: str | None = None) -> None:
        self.ssh_key_paths = list(ssh_key_paths)
        self.gnupg_home = gnupg_home
        self.environ = dict(environ or {})  # sops's: SOPS_GPG_EXEC names the gpg
        self.scratch = scratch  # where the throwaway home goes (None: the temporary dir)
        self._read, self._warn, self._note = read, warn, note
        self._derived: list[tuple[str, DerivedKey]] | None = None
        self._home: str | None = None
        self._stack = contextlib.ExitStack()

    def derived(self) -> list[tuple[str, DerivedKey]]:
        """(path, key) of every usable ssh key, made once; an unreadable or non-RSA key
        is a warning, as sops-install-secrets has it."""
        if self._derived is None:
            from sekret.pgp import sshrsa

            self._derived = []
            for path in self.ssh_key_paths:
                try:
                    data = self._read(path)
                except OSError as exc:
                    self._warn(f"cannot read ssh key '{path}': {exc.strerror}")
                    continue
                try:
                    key = sshrsa.derive(data)
                except SekretError as exc:
                    self._warn(f"cannot use ssh key '{path}' as a PGP key: {exc}")
                    continue
                self._derived.append((path, key))
                self._note(f"imported {path} as GPG key with fingerprint "
                           f"{key.fingerprint.lower()}")
        return self._derived

    def fingerprints(self) -> list[str]:
        """The fingerprints of the derived keys."""
        return [k.fingerprint for _, k in self.derived()]

    def wrap(self, entry: Entry, secret: bytes) -> None:
        """The installer only decrypts."""
        raise KeyUnavailable("sekret install does not encrypt")

    def unwrap(self, entry: Entry) -> bytes:
        """The data key (or Shamir share) in one ``pgp`` entry; raises SekretError."""
        from sekret.pgp import gpg

        assert isinstance(entry, OtherKey)
        enc = str(entry.fields.get("enc") or "").encode()
        if self.ssh_key_paths:
            fp = _fp(entry.fields.get("fp"))
            if not any(f.endswith(fp) for f in self.fingerprints()):
                have = ", ".join(self.fingerprints()) or "none could be used"
                raise PGPKeyError(f"not one of the sshKeyPaths keys ({have})")
            home = self._throwaway_home()
        elif self.gnupg_home:
            home = self.gnupg_home
        else:
            raise PGPKeyError("no PGP key: the manifest has neither sshKeyPaths nor gnupgHome")
        return gpg.decrypt(enc, gnupg_home=home, environ=self.environ)

    def _throwaway_home(self) -> str:
        """A GnuPG home with the derived keys only (made on first use)."""
        if self._home is None:
            from sekret.pgp import gpg

            self._home = self._stack.enter_context(
                gpg.temporary_home("gpg", parent=self.scratch, environ=self.environ))
            keys = b"".join(k.secret_key.expose() for _, k in self.derived())
            gpg.import_keys(keys, gnupg_home=self._home, environ=self.environ)
        return self._home

    def close(self) -> None:
        """Stop the throwaway home's agent and delete the home with its keys."""
        self._home = None
        self._stack.close()

    def advice(self, entries: list[Entry]) -> str:
        """The next step for a file none of whose ``pgp`` entries opened."""
        fps = sorted({_fp(e.fields.get("fp")) for e in entries if isinstance(e, OtherKey)})
        wanted = f"the file is encrypted to {', '.join(fps)}"
        if self.ssh_key_paths:
            have = ", ".join(self.fingerprints()) or "none could be used"
            return (f"pgp: {wanted}; the sshKeyPaths keys are {have}: add this host's key "
                    "to the file (ssh-to-pgp -i KEY prints its fingerprint; then sops "
                    "updatekeys)")
        if self.gnupg_home:
            return (f"pgp: {wanted}: import one of those secret keys into {self.gnupg_home} "
                    f"(gpg --homedir {self.gnupg_home} --import)")
        return (f"pgp: {wanted}: set sops.gnupg.home to a GnuPG home with one of those "
                "keys, or sops.gnupg.sshKeyPaths to an RSA ssh key whose ssh-to-pgp "
                "fingerprint is one of them")


#: room for gpg's sockets: a unix socket path has at most 107 bytes, and gpg puts
#: "S.gpg-agent.browser" in the home when there is no /run/user/UID
_SOCKET_ROOM = 107 - len("/gpgXXXXXXXX/S.gpg-agent.browser")  # mkdtemp adds 8


def for_manifest(ssh_key_paths: Sequence[str], gnupg_home: str | None,
                 environ: Mapping[str, str], *, read: Reader, warn: Log, note: Log,
                 mount_point: str | None) -> PGPKeys:
    """The manifest's PGP keys; gpg is ``SOPS_GPG_EXEC`` of sops's environment. The
    throwaway home goes in ``mount_point`` (None: not mounted, as in a dry run) when
    gpg's sockets fit there, else in the temporary directory."""
    scratch = mount_point if mount_point and len(mount_point) <= _SOCKET_ROOM else None
    return PGPKeys(ssh_key_paths=ssh_key_paths, gnupg_home=gnupg_home, read=read, warn=warn,
                   note=note, environ=environ, scratch=scratch)
