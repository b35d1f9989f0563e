"""git-crypt's key file (format version 2): parse, serialise, generate, rotate.

Layout (all integers 32-bit big-endian)::

    00 'GITCRYPTKEY' | version = 2 | header fields… 0 | entries: (fields… 0)*

A field is ``id | length | value``; id 0 ends a list and has no length. An **odd**
id is *critical*: a reader that does not know it must refuse the file as
incompatible (:class:`KeyFileIncompatible`). An **even** id may be skipped. Anything
truncated or of a wrong length is malformed (:class:`KeyFileMalformed`).

Header fields: 1 = key name (named keys only); 3 = ``skip_empty`` (the field proposed
in AGWA's PR #210: empty files stay empty, ending the "Bin 22 -> 0 bytes" phantom
change; git-crypt 0.7 refuses such keys loudly); ``SEKRET_MULTI_VERSION`` = the key was
rotated by sekret and blobs may be under any of its versions (git-crypt 0.7 would
decrypt with version 0 only, so it must refuse the file rather than misread it).
Entry fields: 1 = version (4 bytes), 3 = AES-256 key (32), 5 = HMAC-SHA1 key (64).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace

from sekret._sensitive import SecretBytes
from sekret.gitcrypt.errors import GitCryptError, KeyFileIncompatible, KeyFileMalformed

MAGIC = b"\0GITCRYPTKEY"
FORMAT_VERSION = 2
AES_KEY_LEN = 32
HMAC_KEY_LEN = 64
MAX_NAME_LEN = 128
#: Unknown non-critical fields larger than this make the file malformed (as git-crypt).
MAX_SKIPPED_FIELD = 1 << 20

H_END, H_KEY_NAME, H_SKIP_EMPTY = 0, 1, 3
#: sekret's own critical header field (odd, far from git-crypt's small ids).
H_SEKRET_MULTI_VERSION = 0x73656B01
E_END, E_VERSION, E_AES_KEY, E_HMAC_KEY = 0, 1, 3, 5

_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")
_MIGRATE_HINT = (
    "a key made before git-crypt 0.4 must be migrated first: "
    "'git-crypt migrate-key OLD NEW'"
)

Rng = Callable[[int], bytes]


def validate_key_name(name: str) -> None:
    """Raise :class:`GitCryptError` unless ``name`` can name a key (and a git filter)."""
    if not name:
        raise GitCryptError("key name may not be empty")
    if name == "default":
        raise GitCryptError("'default' is not a legal key name",
                            hint="leave out -k to use the default key")
    if len(name) > MAX_NAME_LEN:
        raise GitCryptError(f"key name is too long (at most {MAX_NAME_LEN} characters)")
    if not _NAME_RE.fullmatch(name):
        raise GitCryptError(f"invalid key name {name!r}",
                            hint="key names may contain only A-Z, a-z, 0-9, '-' and '_'")


@dataclass(frozen=True)
class KeyEntry:
    """One version of a key: an AES-256 key and an HMAC-SHA1 key."""

    version: int
    aes_key: SecretBytes
    hmac_key: SecretBytes


@dataclass(frozen=True)
class KeyFile:
    """A parsed key file: an optional name and its entries, newest version first."""

    name: str | None
    entries: tuple[KeyEntry, ...]
    skip_empty: bool = False
    multi_version: bool = False

    @property
    def latest(self) -> KeyEntry:
        """The entry clean encrypts with (the highest version)."""
        return self.entries[0]

    def entry(self, version: int) -> KeyEntry | None:
        """The entry of ``version``, if present."""
        return next((e for e in self.entries if e.version == version), None)

    @property
    def display_name(self) -> str:
        """``default`` or the key's name."""
        return self.name or "default"

    def only_latest(self) -> KeyFile:
        """This key with its latest entry only (what git-crypt wraps for GPG users)."""
        return replace(self, entries=self.entries[:1])

    def __repr__(self) -> str:
        versions = [e.version for e in self.entries]
        return f"KeyFile(name={self.name!r}, versions={versions}, <keys redacted>)"


def generate(name: str | None = None, *, skip_empty: bool = False,
             rng: Rng = secrets.token_bytes) -> KeyFile:
    """A fresh key (version 0) with random AES and HMAC keys."""
    if name is not None:
        validate_key_name(name)
    entry = KeyEntry(0, SecretBytes(rng(AES_KEY_LEN)), SecretBytes(rng(HMAC_KEY_LEN)))
    return KeyFile(name, (entry,), skip_empty=skip_empty)


def rotate(key: KeyFile, *, rng: Rng = secrets.token_bytes) -> KeyFile:
    """``key`` plus a new latest version; older versions stay so history stays readable."""
    new = KeyEntry(key.latest.version + 1, SecretBytes(rng(AES_KEY_LEN)),
                   SecretBytes(rng(HMAC_KEY_LEN)))
    return replace(key, entries=(new, *key.entries), multi_version=True)


def _field(fid: int, value: bytes) -> bytes:
    return struct.pack(">II", fid, len(value)) + value


def serialize(key: KeyFile) -> bytes:
    """The binary key file, byte-identical to git-crypt's for the same key."""
    out = [MAGIC, struct.pack(">I", FORMAT_VERSION)]
    if key.name is not None:
        out.append(_field(H_KEY_NAME, key.name.encode()))
    if key.skip_empty:
        out.append(_field(H_SKIP_EMPTY, b""))
    if key.multi_version:
        out.append(_field(H_SEKRET_MULTI_VERSION, b""))
    out.append(struct.pack(">I", H_END))
    for e in sorted(key.entries, key=lambda e: -e.version):
        out += [
            _field(E_VERSION, struct.pack(">I", e.version)),
            _field(E_AES_KEY, e.aes_key.expose()),
            _field(E_HMAC_KEY, e.hmac_key.expose()),
            struct.pack(">I", E_END),
        ]
    return b"".join(out)


def to_base64(key: KeyFile) -> bytes:
    """The key file in base64 on one line, as ``git-crypt export-key - | base64 -w0``."""
    return base64.b64encode(serialize(key)) + b"\n"


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def u32(self) -> int:
        if self.pos + 4 > len(self.data):
            raise KeyFileMalformed("key file is truncated")
        (value,) = struct.unpack_from(">I", self.data, self.pos)
        self.pos += 4
        return int(value)

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise KeyFileMalformed("key file is truncated")
        value = self.data[self.pos:self.pos + n]
        self.pos += n
        return value

    def skip_unknown(self, fid: int, where: str) -> None:
        if fid & 1:
            raise KeyFileIncompatible(
                f"key file has an unknown critical {where} field ({fid})",
                hint="it was made by a newer tool; upgrade sekret",
            )
        length = self.u32()
        if length > MAX_SKIPPED_FIELD:
            raise KeyFileMalformed(f"key file has an oversized {where} field")
        self.take(length)


def parse(data: bytes) -> KeyFile:
    """Parse a binary key file (format 2) strictly.

    Raises :class:`KeyFileMalformed` for anything that is not a well-formed key file
    and :class:`KeyFileIncompatible` for another format version or an unknown critical
    field. Every entry must have a version, an AES key and an HMAC key.
    """
    if not data.startswith(MAGIC):
        raise KeyFileMalformed("not a git-crypt key file", hint=_MIGRATE_HINT)
    r = _Reader(data)
    r.pos = len(MAGIC)
    version = r.u32()
    if version != FORMAT_VERSION:
        raise KeyFileIncompatible(f"key file is in format version {version}, not 2",
                                  hint="it was made by a newer tool; upgrade sekret")
    name: str | None = None
    skip_empty = multi = False
    while (fid := r.u32()) != H_END:
        if fid == H_KEY_NAME:
            raw = r.take(_checked_len(r, 0, MAX_NAME_LEN, "key name"))
            try:
                name = raw.decode("ascii")
                validate_key_name(name)
            except (UnicodeDecodeError, GitCryptError):
                raise KeyFileMalformed("key file has an invalid key name") from None
        elif fid == H_SKIP_EMPTY:
            _checked_len(r, 0, 0, "skip_empty")
            skip_empty = True
        elif fid == H_SEKRET_MULTI_VERSION:
            _checked_len(r, 0, 0, "multi-version")
            multi = True
        else:
            r.skip_unknown(fid, "header")
    entries: dict[int, KeyEntry] = {}
    while r.pos < len(data):
        entry = _parse_entry(r)
        if entry.version in entries:
            raise KeyFileMalformed(f"key file has version {entry.version} twice")
        entries[entry.version] = entry
    if not entries:
        raise KeyFileMalformed("key file has no keys")
    ordered = tuple(sorted(entries.values(), key=lambda e: -e.version))
    return KeyFile(name, ordered, skip_empty=skip_empty, multi_version=multi)


def _checked_len(r: _Reader, low: int, high: int, what: str) -> int:
    length = r.u32()
    if not low <= length <= high:
        raise KeyFileMalformed(f"key file has a {what} field of a wrong length")
    return length


def _parse_entry(r: _Reader) -> KeyEntry:
    version: int | None = None
    aes = hmac_key = None
    while (fid := r.u32()) != E_END:
        if fid == E_VERSION:
            _checked_len(r, 4, 4, "version")
            version = r.u32()
        elif fid == E_AES_KEY:
            aes = r.take(_checked_len(r, AES_KEY_LEN, AES_KEY_LEN, "aes key"))
        elif fid == E_HMAC_KEY:
            hmac_key = r.take(_checked_len(r, HMAC_KEY_LEN, HMAC_KEY_LEN, "hmac key"))
        else:
            r.skip_unknown(fid, "key entry")
    if version is None or aes is None or hmac_key is None:
        raise KeyFileMalformed("key file has an incomplete key entry")
    return KeyEntry(version, SecretBytes(aes), SecretBytes(hmac_key))


_B64_RE = re.compile(rb"[A-Za-z0-9+/=\s]+")


def parse_any(data: bytes) -> KeyFile:
    """Parse a key file given in binary or in base64 (whitespace and newlines allowed).

    A password-manager paste is usually base64 of the binary file; both work.
    """
    if data.startswith(MAGIC):
        return parse(data)
    if data.strip() and _B64_RE.fullmatch(data):
        try:
            raw = base64.b64decode(b"".join(data.split()), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if raw.startswith(MAGIC):
            return parse(raw)
    raise KeyFileMalformed("not a git-crypt key file (neither binary nor base64)",
                           hint=_MIGRATE_HINT)


def parse_legacy(data: bytes) -> KeyFile:
    """A pre-0.4 key (exactly 96 bytes: AES key then HMAC key) as version 0."""
    if len(data) != AES_KEY_LEN + HMAC_KEY_LEN:
        raise KeyFileMalformed("a legacy git-crypt key is exactly 96 bytes")
    entry = KeyEntry(0, SecretBytes(data[:AES_KEY_LEN]), SecretBytes(data[AES_KEY_LEN:]))
    return KeyFile(None, (entry,))
