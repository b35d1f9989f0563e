"""OpenSSH key handling for age's ssh-ed25519 / ssh-rsa types and ssh-to-age.

Public keys arrive in SSH wire format (the base64 field of a ``.pub`` line); private
keys as OpenSSH or PEM text, loaded by pyca (which needs ``bcrypt`` for encrypted keys).
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from sekret._record import record

P = 2**255 - 19
_D = (-121665 * pow(121666, P - 2, P)) % P


class SSHKeyError(ValueError):
    """An SSH key is malformed or of an unsupported type."""


class WrongPassphraseError(ValueError):
    """The passphrase of an encrypted SSH private key is wrong."""


class PassphraseNeededError(ValueError):
    """The SSH private key is encrypted and no passphrase was given."""


def ed25519_to_montgomery(ed_public: bytes) -> bytes:
    """Map a 32-byte Ed25519 public key to its X25519 u-coordinate: u = (1+y)/(1-y).

    The encoding is checked as Go's edwards25519 ``SetBytes`` does: y canonical (< p)
    and on the curve. Raises :class:`SSHKeyError` otherwise.
    """
    if len(ed_public) != 32:
        raise SSHKeyError("invalid ed25519 public key length")
    y = int.from_bytes(ed_public, "little") & ((1 << 255) - 1)
    if y >= P:
        raise SSHKeyError("invalid ed25519 public key")
    y2 = y * y % P
    x2 = (y2 - 1) * pow(_D * y2 + 1, P - 2, P) % P
    if x2 != 0 and pow(x2, (P - 1) // 2, P) != 1:
        raise SSHKeyError("invalid ed25519 public key: not a point on the curve")
    if x2 == 0 and ed_public[31] & 0x80:
        raise SSHKeyError("invalid ed25519 public key")
    u = (1 + y) * pow((1 - y) % P, P - 2, P) % P
    return u.to_bytes(32, "little")


def rsa_public_from_numbers(e: int, n: int) -> rsa.RSAPublicKey:
    """Build an RSA public key from its exponent and modulus."""
    try:
        return rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError as exc:
        raise SSHKeyError("invalid ssh-rsa public key") from exc


def _oaep(label: bytes) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label)


def rsa_oaep_encrypt(key: rsa.RSAPublicKey, data: bytes, label: bytes) -> bytes:
    """RSA-OAEP with SHA-256 and MGF1-SHA-256."""
    return key.encrypt(data, _oaep(label))


def rsa_oaep_decrypt(key: rsa.RSAPrivateKey, data: bytes, label: bytes) -> bytes:
    """RSA-OAEP decryption; raises ``ValueError`` on failure."""
    return key.decrypt(data, _oaep(label))


@record(frozen=True)
class SSHPrivateKey:
    """A loaded SSH private key: ``kind`` is ``ssh-ed25519`` or ``ssh-rsa``."""

    kind: str
    public_wire: bytes
    ed25519_seed: bytes | None = None
    rsa_key: rsa.RSAPrivateKey | None = None

    def __repr__(self) -> str:
        return f"SSHPrivateKey({self.kind}, <redacted>)"


def public_wire_of(key: PrivateKeyTypes) -> bytes:
    """SSH wire encoding of the public half of a pyca private key."""
    line = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    import base64

    return base64.b64decode(line.split(b" ")[1])


def load_private_key(data: bytes, passphrase: bytes | None) -> SSHPrivateKey:
    """Load an OpenSSH (``openssh-key-v1``) or PEM private key of type ed25519 or rsa."""
    # ``object``: the loaders' return unions differ between cryptography releases (51 added
    # ML-DSA types to one but not the other); the isinstance checks below decide.
    key: object
    try:
        if b"-----BEGIN OPENSSH PRIVATE KEY-----" in data:
            key = serialization.load_ssh_private_key(data, passphrase)
        else:
            key = serialization.load_pem_private_key(data, passphrase)
    except TypeError as exc:
        msg = str(exc).lower()
        if "not encrypted" in msg:
            # A passphrase for a clear key: load it without one.
            return load_private_key(data, None)
        raise PassphraseNeededError("the SSH key is encrypted") from None
    except ValueError as exc:
        msg = str(exc).lower()
        if "bad decrypt" in msg or "incorrect password" in msg or "corrupt" in msg:
            raise WrongPassphraseError("wrong passphrase for the SSH key") from None
        if "unsupported" in msg or "cipher" in msg:
            raise SSHKeyError(f"unsupported SSH key: {exc}") from None
        raise SSHKeyError("malformed SSH private key") from None
    except Exception:  # pyca raises UnsupportedAlgorithm for odd key types
        raise SSHKeyError("unsupported SSH private key") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        seed = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return SSHPrivateKey("ssh-ed25519", public_wire_of(key), ed25519_seed=seed)
    if isinstance(key, rsa.RSAPrivateKey):
        return SSHPrivateKey("ssh-rsa", public_wire_of(key), rsa_key=key)
    raise SSHKeyError("unsupported SSH identity type: only ed25519 and rsa keys are supported")


def new_ed25519() -> tuple[bytes, bytes]:
    """A fresh Ed25519 key pair from the OS's randomness: (32-byte seed, 32-byte public)."""
    key = ed25519.Ed25519PrivateKey.generate()
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return seed, ed25519_public_of(seed)


def ed25519_public_of(seed: bytes) -> bytes:
    """The 32-byte Ed25519 public key of a 32-byte seed."""
    key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
