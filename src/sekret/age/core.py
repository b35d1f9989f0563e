"""Header-level encryption and decryption: file key, stanzas, MAC, payload nonce.

This is age.go: :func:`encrypt_stream` wraps a fresh file key to every recipient,
writes the header and MAC, then the STREAM payload; :func:`decrypt_stream` parses the
header, asks each identity in turn, checks the MAC, then streams the payload.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import BinaryIO, cast

from sekret.age import armor as _armor
from sekret.age import stream
from sekret.age.format import MAX_HEADER_SIZE, Header, Stanza, find_header_end, parse_prefix
from sekret.age.recipients import FILE_KEY_SIZE, Identity, Recipient, labels_of
from sekret.crypto import kdf
from sekret.errors import (
    AgeError,
    HeaderError,
    HeaderMACError,
    IncorrectIdentity,
    NoIdentityMatchError,
)


def _header_key(file_key: bytes) -> bytes:
    return kdf.hkdf_sha256(file_key, b"", b"header")


def _header_mac(file_key: bytes, header_bytes: bytes) -> bytes:
    return kdf.hmac_sha256(_header_key(file_key), header_bytes)


def _labels_from_wrap(recipient: Recipient) -> bool:
    """Whether a recipient learns its labels only by wrapping (age plugins do)."""
    return callable(getattr(recipient, "wrap_with_labels", None))


def _check_labels(labelled: Sequence[tuple[Recipient, frozenset[str]]]) -> None:
    """Every recipient of one file must report the same label set (age-plugin.md)."""
    if not labelled:
        return
    first_recipient, first = labelled[0]
    for r, other in labelled[1:]:
        if other != first:
            if "postquantum" in first ^ other:
                raise AgeError(
                    "post-quantum and classic recipients cannot be mixed",
                    hint="a file with a classic recipient is not post-quantum secure; "
                    "use only post-quantum recipients (age1pq1…, age1tagpq1…), "
                    "or only classic ones",
                )
            if _labels_from_wrap(r) or _labels_from_wrap(first_recipient):
                raise AgeError(
                    "incompatible recipients: an age plugin reported labels that differ "
                    "from the other recipients'",
                    hint="a passphrase (scrypt) must be the only recipient; some plugins "
                    "cannot be mixed with other recipient types",
                )
            raise AgeError(
                "incompatible recipients: a passphrase (scrypt) must be the only recipient"
            )


def check_recipients(recipients: Sequence[Recipient]) -> None:
    """Refuse an empty list, scrypt mixed with others, and mixed label sets.

    Recipients that learn their labels only by wrapping (``wrap_with_labels``, as age
    plugins) are left out here; :func:`write_header` checks them after wrapping.
    """
    if not recipients:
        raise AgeError("no recipients specified")
    _check_labels([(r, labels_of(r)) for r in recipients if not _labels_from_wrap(r)])


def write_header(
    recipients: Sequence[Recipient], dst: BinaryIO, *, file_key: bytes | None = None
) -> bytes:
    """Wrap a new file key to ``recipients``, write the header, return the file key."""
    check_recipients(recipients)
    file_key = file_key if file_key is not None else os.urandom(FILE_KEY_SIZE)
    stanzas: list[Stanza] = []
    labelled: list[tuple[Recipient, frozenset[str]]] = []
    for r in recipients:
        wrap_with_labels = getattr(r, "wrap_with_labels", None)
        if callable(wrap_with_labels):
            wrapped, labels = wrap_with_labels(file_key)
        else:
            wrapped, labels = r.wrap(file_key), labels_of(r)
        stanzas.extend(wrapped)
        labelled.append((r, frozenset(labels)))
    _check_labels(labelled)
    partial = Header(tuple(stanzas), bytes(32)).marshal_without_mac()
    header = Header(tuple(stanzas), _header_mac(file_key, partial))
    dst.write(header.marshal())
    return file_key


def encrypt_stream(
    src: BinaryIO,
    dst: BinaryIO,
    recipients: Sequence[Recipient],
    *,
    armor: bool = False,
    file_key: bytes | None = None,
    nonce: bytes | None = None,
) -> int:
    """Encrypt ``src`` to ``dst`` for ``recipients``; return the plaintext length.

    ``file_key`` and ``nonce`` fix the randomness for known-answer tests.
    """
    out: BinaryIO = dst
    writer = None
    if armor:
        writer = _armor.ArmorWriter(dst)
        out = writer  # type: ignore[assignment]
    try:
        key = write_header(recipients, out, file_key=file_key)
        nonce = nonce if nonce is not None else os.urandom(stream.NONCE_SIZE)
        out.write(nonce)
        n = stream.encrypt(stream.payload_key(key, nonce), src, out)
    except BaseException:
        if writer is not None:
            writer.abort()  # no END line after a failure
        raise
    if writer is not None:
        writer.close()
    return n


def read_header(src: BinaryIO) -> tuple[Header, bytes, bytes]:
    """Read one header from ``src``: (header, its MACed bytes, bytes read past it)."""
    buf = bytearray()
    searched = 0
    while True:
        end = find_header_end(buf, searched)
        if end >= 0:
            break
        searched = len(buf)
        more = src.read(4096 if len(buf) < 65536 else len(buf))
        if not more:
            if not buf:
                raise HeaderError("the file is empty")
            break
        buf += more
        if len(buf) > MAX_HEADER_SIZE:
            raise HeaderError("header too large, or not an age file")
    data = bytes(buf)
    header, end = parse_prefix(data)
    # The MAC covers the header through "---": the strict footer is "--- " + 43 chars + LF.
    return header, data[: end - 45], data[end:]


def unwrap_file_key(header: Header, identities: Sequence[Identity]) -> bytes:
    """Ask each identity for the file key; fatal errors stop, "not mine" goes on."""
    if not identities:
        raise AgeError("no identities specified")
    if any(s.type == "scrypt" for s in header.stanzas) and len(header.stanzas) != 1:
        raise HeaderError("an scrypt recipient must be the only one in the header")
    reasons: list[str] = []
    for identity in identities:
        try:
            key = identity.unwrap(header.stanzas)
        except IncorrectIdentity as exc:
            reasons.append(f"{_describe(identity)}: {exc}")
            continue
        if len(key) != FILE_KEY_SIZE:
            raise HeaderError("an identity returned a file key of the wrong size")
        return key
    types = list(dict.fromkeys(s.type for s in header.stanzas))
    hint = None
    if types == ["scrypt"]:
        hint = "the file is encrypted with a passphrase: use the passphrase, not a key"
    raise NoIdentityMatchError(
        stanza_types=types,
        errors=reasons,
        hint=hint or "did you use the right identity file? (-i)",
    )


def _describe(identity: Identity) -> str:
    return type(identity).__name__


class _Prefixed(io.RawIOBase):
    """``prefix`` followed by the rest of ``src``, as one readable stream."""

    def __init__(self, prefix: bytes, src: BinaryIO) -> None:
        super().__init__()
        self._prefix = memoryview(prefix)
        self._src = src

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(b), len(self._prefix))
            b[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        return self._src.readinto(b)  # type: ignore[attr-defined,no-any-return]


def open_source(src: BinaryIO) -> BinaryIO:
    """``src``, or an armor-decoding view of it when it starts with age armor."""
    head = b""
    limit = 1024 + len(_armor.BEGIN)
    while len(head) < limit:
        more = src.read(limit - len(head))
        if not more:
            break
        head += more
    base = cast(BinaryIO, _Prefixed(head, src))
    if _armor.starts_armored(head):
        return cast(BinaryIO, _armor.ArmorReader(base))
    return base


def decrypt_stream(src: BinaryIO, dst: BinaryIO, identities: Sequence[Identity]) -> int:
    """Decrypt the (armored or binary) age file in ``src`` to ``dst``.

    Plaintext is written chunk by chunk as it authenticates; a :class:`PayloadError`
    is raised after what was written. Returns the plaintext length.
    """
    source = open_source(src)
    header, maced, rest = read_header(source)
    file_key = unwrap_file_key(header, identities)
    if not kdf.hmac_sha256_verify(_header_key(file_key), maced, header.mac):
        raise HeaderMACError(
            "header MAC mismatch", hint="the file was modified, or is corrupt"
        )
    nonce = rest[: stream.NONCE_SIZE]
    rest = rest[stream.NONCE_SIZE :]
    while len(nonce) < stream.NONCE_SIZE:
        more = source.read(stream.NONCE_SIZE - len(nonce))
        if not more:
            raise HeaderError("the file is truncated: missing payload nonce")
        nonce += more
    payload = _Prefixed(rest, source) if rest else source
    return stream.decrypt(stream.payload_key(file_key, nonce), payload, dst)  # type: ignore[arg-type]
