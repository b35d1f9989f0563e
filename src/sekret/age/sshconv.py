"""SSH → age key conversion, giving exactly what Mic92's ``ssh-to-age`` gives.

* Public: an ssh-ed25519 key's Edwards point mapped to Montgomery form,
  u = (1 + y) / (1 - y), Bech32-encoded as ``age1…``.
* Private: the first 32 bytes of SHA-512(Ed25519 seed), *not* clamped (X25519 clamps
  on use), Bech32-encoded as ``AGE-SECRET-KEY-1…``.

The converted pair is a plain X25519 key: files encrypted to it are not readable with
the SSH key itself (age's ssh-ed25519 stanza uses a tweak), and the other way round.
"""

from __future__ import annotations

import base64
import binascii

from sekret.age import keys, ssh
from sekret.age.x25519 import IDENTITY_HRP, RECIPIENT_HRP
from sekret.crypto import bech32, kdf
from sekret.crypto import ssh as sshcrypto
from sekret.errors import KeyFormatError, UnsupportedError


class PassphraseRequiredError(KeyFormatError):
    """The private key is encrypted and no passphrase was given."""


def _key_fields(line: str) -> tuple[str, str]:
    """(key type, base64 blob) of an authorized_keys or known_hosts/ssh-keyscan line."""
    fields = line.split()
    for i, f in enumerate(fields[:-1]):
        if f.startswith(("ssh-", "ecdsa-", "sk-")):
            return f, fields[i + 1]
    raise KeyFormatError("not an SSH public key line")


def public_to_recipient(line: str) -> str:
    """Convert one ssh-ed25519 public key line (any of the usual forms) to ``age1…``."""
    kind, blob = _key_fields(line.strip())
    if kind != ssh.ED25519:
        raise UnsupportedError(
            f"got {kind} key type, but only ed25519 keys are supported"
        )
    try:
        wire = base64.b64decode(blob, validate=True)
    except (ValueError, binascii.Error):
        raise KeyFormatError("malformed ssh-ed25519 key: invalid base64") from None
    wire_kind, fields = ssh.parse_public_wire(wire)
    if wire_kind != ssh.ED25519 or len(fields) != 1 or len(fields[0]) != 32:
        raise KeyFormatError("malformed ssh-ed25519 public key")
    try:
        u = sshcrypto.ed25519_to_montgomery(fields[0])
    except sshcrypto.SSHKeyError as exc:
        raise KeyFormatError(str(exc)) from None
    return bech32.encode(RECIPIENT_HRP, u)


def convert_public_text(text: str) -> tuple[list[str], list[str]]:
    """Convert every key line of ``text``; return (recipients, warnings for skipped keys).

    Blank lines and ``#`` comments are skipped; keys of other types are skipped with a
    warning; anything else malformed raises :class:`KeyFormatError`.
    """
    recipients: list[str] = []
    warnings: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            recipients.append(public_to_recipient(line))
        except UnsupportedError as exc:
            warnings.append(f"skipped key: {exc}")
    return recipients, warnings


def private_to_identity(text: bytes, passphrase: str | None = None) -> str:
    """Convert an OpenSSH ed25519 private key to ``AGE-SECRET-KEY-1…`` (unclamped)."""
    try:
        key = sshcrypto.load_private_key(text, passphrase.encode() if passphrase else None)
    except sshcrypto.PassphraseNeededError:
        raise PassphraseRequiredError(
            "the SSH private key is passphrase-protected",
            hint="set SSH_TO_AGE_PASSPHRASE or run from a terminal to be asked",
        ) from None
    except sshcrypto.WrongPassphraseError:
        raise KeyFormatError("wrong passphrase for the SSH private key") from None
    except sshcrypto.SSHKeyError as exc:
        raise KeyFormatError(str(exc)) from None
    if key.kind != ssh.ED25519 or key.ed25519_seed is None:
        raise UnsupportedError("only ed25519 keys are supported")
    scalar = kdf.sha512(key.ed25519_seed)[:32]
    return bech32.encode(IDENTITY_HRP, scalar)


def private_is_encrypted(text: bytes) -> bool:
    """Whether an OpenSSH/PEM private key needs a passphrase (without asking one)."""
    if b"OPENSSH PRIVATE KEY" in text:
        return keys.openssh_public_wire(text)[1]
    return b"ENCRYPTED" in text
