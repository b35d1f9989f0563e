"""The user's real ``gpg``: the one module of sekret that runs it.

sops 3.11 wraps and unwraps PGP data keys with the ``gpg`` binary once its built-in
OpenPGP code has failed (which it always does with a modern ``pubring.kbx`` keyring), so
this module calls ``gpg`` with the same arguments sops uses:

* encrypt: ``gpg --no-default-recipient --yes --encrypt -a -r FPR --trusted-key SHORT
  --no-encrypt-to`` with the data key on standard input;
* decrypt: ``gpg -d`` with the armored message on standard input;
* ``--homedir DIR`` first when a home is given (sops-nix's ``gnupgHome``), otherwise
  ``GNUPGHOME`` of the environment (and so the user's agent, pinentry and smartcards);
* the program is ``SOPS_GPG_EXEC`` when set, else ``gpg`` from ``PATH``.

Errors carry gpg's own message (its standard error, trimmed) and never the bytes given
on standard input or read from standard output.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence

from sekret.errors import SekretError

#: the variable sops reads for the gpg program
GPG_EXEC_VARIABLE = "SOPS_GPG_EXEC"
_TIMEOUT = 600.0  # a pinentry may wait for a person; a hung gpg must not hang us forever


class GpgError(SekretError):
    """``gpg`` failed or could not be run (its message, never the data)."""


def program(environ: Mapping[str, str] | None = None) -> str:
    """The gpg program sops would run: ``SOPS_GPG_EXEC``, else ``gpg``."""
    env = os.environ if environ is None else environ
    return env.get(GPG_EXEC_VARIABLE) or "gpg"


def short_fingerprint(fingerprint: str) -> str:
    """The last 16 hex digits (the long key id), keeping a final ``!`` (sops's rule)."""
    offset = len(fingerprint) - 16
    if fingerprint.endswith("!"):
        offset -= 1
    return fingerprint[offset:] if offset > 0 else fingerprint


def run(
    args: Sequence[str],
    stdin: bytes,
    *,
    gnupg_home: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> bytes:
    """Run gpg with ``args``; its standard output, or :class:`GpgError` with its message."""
    argv = [program(environ)]
    if gnupg_home:
        argv += ["--homedir", gnupg_home]
    argv += list(args)
    try:
        proc = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            env=None if environ is None else dict(environ),
            check=False,
            timeout=_TIMEOUT,
        )
    except FileNotFoundError:
        raise GpgError(
            f"cannot run {argv[0]!r}: no such program",
            hint="install GnuPG (gpg), or set SOPS_GPG_EXEC to its path",
        ) from None
    except OSError as exc:
        raise GpgError(f"cannot run {argv[0]!r}: {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise GpgError(f"{argv[0]!r} did not finish in {_TIMEOUT:.0f} seconds") from None
    if proc.returncode != 0:
        raise GpgError(_message(proc.stderr) or f"gpg exited with status {proc.returncode}")
    return proc.stdout


def _message(stderr: bytes) -> str:
    """gpg's complaint on one line (its diagnostics carry no secret data)."""
    lines = [ln.strip() for ln in stderr.decode(errors="replace").splitlines() if ln.strip()]
    return "; ".join(lines[-4:])


def encrypt(
    data: bytes,
    fingerprint: str,
    *,
    gnupg_home: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """``data`` encrypted to the key ``fingerprint`` of the keyring, ASCII-armored."""
    args = [
        "--no-default-recipient", "--yes", "--encrypt", "-a", "-r", fingerprint,
        "--trusted-key", short_fingerprint(fingerprint), "--no-encrypt-to",
    ]  # fmt: skip
    try:
        out = run(args, data, gnupg_home=gnupg_home, environ=environ)
    except GpgError as exc:
        raise GpgError(
            f"failed to encrypt the data key with pgp key {fingerprint}: {exc}",
            hint=exc.hint or "import the public key into gpg (gpg --import KEY.asc) and "
            "check the fingerprint with gpg --list-keys",
        ) from None
    return out.decode("ascii", errors="replace").strip()


def decrypt(
    message: bytes,
    *,
    gnupg_home: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> bytes:
    """Decrypt an armored (or binary) OpenPGP message with gpg's secret keys.

    ``gnupg_home`` overrides ``GNUPGHOME`` (as ``--homedir``); the agent of that home
    is used, with its pinentry and smartcards.
    """
    out = run(["-d"], message, gnupg_home=gnupg_home, environ=environ)
    if not out:
        raise GpgError("gpg returned zero bytes")
    return out


def import_keys(
    armored: bytes, *, gnupg_home: str, environ: Mapping[str, str] | None = None
) -> None:
    """``gpg --batch --import`` of public or secret key material into ``gnupg_home``."""
    try:
        run(["--batch", "--import"], armored, gnupg_home=gnupg_home, environ=environ)
    except GpgError as exc:
        raise GpgError(f"failed to import key data into the GnuPG keyring: {exc}") from None


@contextlib.contextmanager
def temporary_home(
    prefix: str = "sekret-gnupghome-",
    *,
    parent: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """A fresh 0700 GnuPG home, removed (with its agent stopped) on exit.

    It is made in ``parent`` (else the temporary directory): sekret install puts it in
    the secrets ramfs, as sops-install-secrets does. The agent is stopped with the
    ``gpgconf`` beside the gpg program (``SOPS_GPG_EXEC``), else the one on ``PATH``.
    """
    home = tempfile.mkdtemp(prefix=prefix, dir=parent)
    try:
        os.chmod(home, 0o700)
        yield home
    finally:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            conf = _gpgconf(environ)
            if conf:
                subprocess.run(
                    [conf, "--homedir", home, "--kill", "all"],
                    capture_output=True, check=False, timeout=30,
                )  # fmt: skip
        shutil.rmtree(home, ignore_errors=True)


def _gpgconf(environ: Mapping[str, str] | None) -> str | None:
    """The gpgconf of the gpg program in use (an activation script's PATH may be empty)."""
    gpg = program(environ)
    beside = os.path.join(os.path.dirname(gpg), "gpgconf")
    if os.sep in gpg and os.path.exists(beside):
        return beside
    return shutil.which("gpgconf")
