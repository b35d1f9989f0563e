"""An RSA SSH private key as the OpenPGP key sops-nix makes of it (``gnupg.sshKeyPaths``).

sops-install-secrets (``pkgs/sops-install-secrets/sshkeys/convert.go``) and its
companion ``ssh-to-pgp`` turn an RSA SSH host key into an OpenPGP v4 key so that sops
files can be encrypted to a host's key (``ssh-to-pgp -i /etc/ssh/ssh_host_rsa_key``
prints the fingerprint to put in ``.sops.yaml``). The key is made reproducible:

* the primary key is the RSA key itself (algorithm 1, RSA encrypt-or-sign), created at
  the Unix epoch (0), so its v4 fingerprint depends on ``n`` and ``e`` only;
* one user ID, ``root (Imported from SSH) <root@localhost>``, primary;
* a positive certification (0x13) self-signature, SHA-256, made at the epoch, with the
  hashed subpackets Go's OpenPGP library writes: creation time (critical), issuer key
  ID, primary user ID, key flags certify+sign+encrypt (0x0F, critical), issuer
  fingerprint. Go's library adds a random "salt" notation to randomise the signature;
  sekret leaves it out (RSA PKCS #1 v1.5 is deterministic, so the key is the same bytes
  every time). Neither changes the key, its fingerprint or what it decrypts.

The secret key is not passphrase-protected (string-to-key usage 0), as sops-nix's is
not; it is held as a :class:`~sekret._sensitive.SecretBytes`, and the installer writes
it only into a throwaway GnuPG home that it removes (:mod:`sekret.install.pgpkeys`).
"""

from __future__ import annotations

import hashlib

from sekret._record import record
from sekret._sensitive import SecretBytes
from sekret.crypto import rsa as rsacrypto
from sekret.crypto import ssh as sshcrypto
from sekret.errors import SekretError
from sekret.pgp import packets as p

USER_ID = "root (Imported from SSH) <root@localhost>"
CREATED = 0  # the Unix epoch: "let's make keys reproducible"
KEY_FLAGS = 0x0F  # certify, sign, encrypt communications, encrypt storage


class SSHKeyConversionError(SekretError):
    """The SSH key cannot be used as an OpenPGP key (unreadable, or not RSA)."""


@record(frozen=True)
class DerivedKey:
    """The OpenPGP key of an RSA SSH key: fingerprint, and both transferable forms."""

    #: upper-case hex, as sops writes ``fp`` in the metadata
    fingerprint: str
    #: the transferable secret key (binary packets: secret key, user ID, self-signature)
    secret_key: SecretBytes
    #: the transferable public key (what ``ssh-to-pgp`` prints without ``-private-key``)
    public_key: bytes

    def __repr__(self) -> str:
        return f"DerivedKey({self.fingerprint}, <secret key redacted>)"


def derive(ssh_private_key: bytes) -> DerivedKey:
    """The OpenPGP key sops-nix derives from an RSA SSH private key (OpenSSH or PEM)."""
    try:
        key = sshcrypto.load_private_key(ssh_private_key, None)
    except sshcrypto.PassphraseNeededError:
        raise SSHKeyConversionError(
            "failed to parse private ssh key: the key is protected by a passphrase",
            hint="sops-nix reads host keys without a passphrase") from None
    except (sshcrypto.SSHKeyError, sshcrypto.WrongPassphraseError) as exc:
        raise SSHKeyConversionError(f"failed to parse private ssh key: {exc}") from None
    if key.rsa_key is None:
        raise SSHKeyConversionError(
            f"only RSA keys are supported right now, got: {key.kind}",
            hint="an ed25519 host key is used through sops.age.sshKeyPaths (ssh-to-age)")
    nums = rsacrypto.private_numbers(key.rsa_key)
    public_body = p.rsa_public_body(CREATED, nums.n, nums.e)
    fpr = p.fingerprint(public_body)
    uid = USER_ID.encode()
    hashed = b"".join((
        p.subpacket(p.SIG_CREATED, CREATED.to_bytes(4, "big"), critical=True),
        p.subpacket(p.ISSUER, fpr[-8:]),
        p.subpacket(p.PRIMARY_USER_ID, b"\x01"),
        p.subpacket(p.KEY_FLAGS, bytes([KEY_FLAGS]), critical=True),
        p.subpacket(p.ISSUER_FINGERPRINT, b"\x04" + fpr),
    ))
    # RFC 4880 §5.2.3-§5.2.4: version, type, algorithms, hashed area; the signed data is
    # the key, the user ID, that head and a trailer with the head's length
    head = (bytes([4, p.POSITIVE_CERTIFICATION, p.RSA, p.SHA256])
            + len(hashed).to_bytes(2, "big") + hashed)
    signed = (p.key_hash_prefix(public_body) + p.user_id_hash_prefix(uid) + head
              + b"\x04\xff" + len(head).to_bytes(4, "big"))
    signature = rsacrypto.sign_pkcs1v15_sha256(key.rsa_key, signed)
    sig_body = (head + b"\x00\x00"  # no unhashed subpackets
                + hashlib.sha256(signed).digest()[:2]
                + p.mpi(int.from_bytes(signature, "big")))
    # OpenPGP stores d, p, q and u = p⁻¹ mod q (§5.5.3): with pyca's q as OpenPGP's p and
    # pyca's p as its q, u is pyca's iqmp (q⁻¹ mod p), the order Go's library writes
    secret_body = public_body + p.secret_part(nums.d, nums.q, nums.p, nums.iqmp)
    tail = p.packet(p.USER_ID, uid) + p.packet(p.SIGNATURE, sig_body)
    return DerivedKey(
        fingerprint=fpr.hex().upper(),
        secret_key=SecretBytes(p.packet(p.SECRET_KEY, secret_body) + tail),
        public_key=p.packet(p.PUBLIC_KEY, public_body) + tail,
    )
