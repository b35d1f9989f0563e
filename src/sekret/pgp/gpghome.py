"""The user's real ``gpg`` for sops's ``pgp`` entries, as sops runs it.

sops decrypts a data key with ``gpg --homedir HOME -d`` (``SOPS_GPG_EXEC`` names the
binary) when its in-process attempt fails; the agent, smartcards and key formats are
gpg's. The installer also makes throwaway homes for the keys sops-nix derives from RSA
SSH host keys, as sops-install-secrets does. (The sops-side PGP support has its own
wrapper; these few calls are the installer's, kept small so they can be pointed at it.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping

from sekret._sensitive import SecretBytes
from sekret.errors import SekretError

TIMEOUT = 120  # seconds: a gpg waiting for a pinentry nobody sees must not hang a boot


class GPGError(SekretError):
    """gpg could not do what was asked (its own last words are the message)."""


def _run(gpg: str, home: str, args: list[str], stdin: bytes,
         environ: Mapping[str, str] | None) -> bytes:
    env = {**(environ or {}), "GNUPGHOME": home}
    try:
        proc = subprocess.run([gpg, "--homedir", home, "--batch", "--no-tty", *args],
                              input=stdin, capture_output=True, env=env, timeout=TIMEOUT,
                              check=False)  # fmt: skip
    except FileNotFoundError:
        raise GPGError(f"cannot run gpg: {gpg!r} not found",
                       hint="install GnuPG, or set SOPS_GPG_EXEC to its gpg") from None
    except subprocess.TimeoutExpired:
        raise GPGError(f"gpg did not finish within {TIMEOUT} seconds",
                       hint="a passphrase-protected key needs a pinentry; "
                       "keys for unattended decryption must have none") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GPGError(f"gpg {args[-1]} failed: "
                       + (lines[-1] if lines else f"exit status {proc.returncode}"))
    return proc.stdout


def decrypt(message: bytes, *, gnupg_home: str, gpg: str = "gpg",
            environ: Mapping[str, str] | None = None) -> SecretBytes:
    """The plaintext of ``message``, decrypted by ``gpg`` with the keys of ``gnupg_home``."""
    try:
        out = _run(gpg, gnupg_home, ["-d"], message, environ)
    except GPGError as exc:
        raise GPGError(str(exc).replace("gpg -d failed", "failed to decrypt sops data key "
                                        "with pgp"), hint=exc.hint) from None
    if not out:  # sops: an old gpg may drop packets it does not know and say nothing
        raise GPGError("failed to decrypt sops data key with pgp: zero bytes returned")
    return SecretBytes(out)


def import_keys(keys: SecretBytes, *, gnupg_home: str, gpg: str = "gpg",
                environ: Mapping[str, str] | None = None) -> None:
    """Import transferable (secret) keys into ``gnupg_home``."""
    _run(gpg, gnupg_home, ["--import"], keys.expose(), environ)


def make_home(parent: str | None) -> str:
    """A new empty GnuPG home (mode 0700) in ``parent`` (else the temporary directory)."""
    return tempfile.mkdtemp(prefix="gpg", dir=parent)


def remove_home(home: str, *, gpg: str = "gpg", environ: Mapping[str, str] | None = None) -> None:
    """Stop the agent gpg started for ``home``, then delete it with its keys."""
    gpgconf = os.path.join(os.path.dirname(gpg), "gpgconf") if os.sep in gpg else "gpgconf"
    try:
        subprocess.run([gpgconf, "--homedir", home, "--kill", "gpg-agent"],
                       capture_output=True, env={**(environ or {}), "GNUPGHOME": home},
                       timeout=TIMEOUT, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        pass  # no gpgconf: the agent, if any, goes when its home is gone
    shutil.rmtree(home, ignore_errors=True)
