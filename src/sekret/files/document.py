"""The document pipeline: plaintext ↔ SOPS file bytes, through a store and the engine.

Pure orchestration (bytes in, bytes out): the store parses and emits, the engine
encrypts and decrypts values, keysources wraps and recovers the data key. Paths,
environment and editors live in the other modules of this package.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from sekret._dates import UTC, datetime
from sekret._depth import with_room
from sekret._record import field, record
from sekret.errors import SopsError
from sekret.files import verify
from sekret.sops import engine, keysources
from sekret.sops import tree as t
from sekret.sops.metadata import (
    DEFAULT_UNENCRYPTED_SUFFIX,
    VERSION,
    KeyGroup,
    Metadata,
    OtherKey,
    format_lastmodified,
    from_dict,
    to_dict,
)
from sekret.sops.rules import CryptRules
from sekret.sops.values import Cipher, ValueDecryptError
from sekret.stores.base import Store


class AlreadyEncryptedError(SopsError):
    """The input already carries sops metadata (sops exit 203)."""

    exit_code = 203


@record
class EncryptOptions:
    """Who can read a new file and which values are encrypted."""

    key_groups: list[KeyGroup]
    shamir_threshold: int = 0
    crypt_rule: tuple[str, str] | None = None
    mac_only_encrypted: bool = False


@record
class Opened:
    """A decrypted SOPS file: plaintext documents plus what re-encryption needs."""

    store: Store
    docs: list[t.Mapping]
    meta: Metadata
    data_key: bytes = field(repr=False)
    stash: engine.Stash = field(repr=False, default_factory=dict)
    mac_ok: bool = True
    #: the keys the file was opened with: what re-wrapping the data key uses
    keys: keysources.Keyring | None = field(repr=False, default=None)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def seal(
    docs: list[t.Mapping],
    store: Store,
    meta: Metadata,
    data_key: bytes,
    *,
    now: datetime | None = None,
    stash: engine.Stash | None = None,
    in_place: bool = False,
) -> bytes:
    """Encrypt ``docs`` under ``data_key``, set lastmodified and MAC, emit the file
    (``in_place``: ``docs`` are the caller's to let go, see the engine)."""
    cipher = Cipher(data_key)
    enc_docs, mac = engine.encrypt_documents(
        docs,
        cipher,
        CryptRules(meta.crypt_rule),
        mac_only_encrypted=meta.mac_only_encrypted,
        stash=stash,
        in_place=in_place,
    )
    meta.lastmodified = format_lastmodified(_now(now))
    meta.mac = cipher.encrypt(mac, meta.lastmodified)
    raw = to_dict(meta)
    out = store.emit_encrypted(enc_docs, raw)
    problem = verify.encrypted(out, store.name, enc_docs, meta, data_key, mac)
    if problem is not None and store.forget_source():
        # The in-place edit of the loaded text did not come out right: write the
        # documents whole instead (the faithful re-emission), and check that too.
        out = store.emit_encrypted(enc_docs, raw)
        problem = verify.encrypted(out, store.name, enc_docs, meta, data_key, mac)
    if problem is not None:
        raise verify.VerifyError("encrypted file", problem)
    return out


@with_room
def encrypt(
    data: bytes,
    store: Store,
    options: EncryptOptions,
    *,
    now: datetime | None = None,
    rng: Callable[[int], bytes] = os.urandom,
    output: Store | None = None,
    keys: keysources.Keyring | None = None,
) -> bytes:
    """Encrypt a plaintext file for ``options.key_groups`` (emitted by ``output``);
    ``keys``: the master-key types to wrap the data key with (default: age only)."""
    if store.has_metadata(data):
        raise AlreadyEncryptedError(
            "the file is already encrypted", hint="decrypt it first, or use edit/set/rotate"
        )
    import copy  # encrypt and rewrap only; decryption's start-up does without it

    docs = store.load_plain(data)
    rule = options.crypt_rule
    if rule is None and store.name != "binary":
        rule = ("unencrypted_suffix", DEFAULT_UNENCRYPTED_SUFFIX)
    meta = Metadata(
        key_groups=copy.deepcopy(options.key_groups),
        shamir_threshold=options.shamir_threshold,
        crypt_rule=rule,
        mac_only_encrypted=options.mac_only_encrypted,
        version=VERSION,
    )
    CryptRules(meta.crypt_rule)  # a bad regex fails before any key is made
    data_key = keysources.new_data_key(rng=rng)
    keysources.wrap_data_key(data_key, meta, keys)
    if output is not None and output is not store:
        docs = [t.strip_spans(d) for d in docs]
        _check_convertible(docs, output)
        return seal(docs, output, meta, data_key, now=now, in_place=True)
    return seal(docs, store, meta, data_key, now=now, in_place=True)  # just parsed: ours


def _check_convertible(docs: list[t.Mapping], output: Store) -> None:
    """What another format cannot hold, refused before anything is encrypted."""
    if output.name == "yaml":
        key = t.duplicate_key(docs)
        if key is not None:
            raise SopsError(
                f"the key {key!r} appears twice in one object, which YAML cannot hold",
                hint="remove one of them, or keep the file in its own format",
            )


@with_room
def emit_plain(docs: list[t.Mapping], store: Store, *, check: bool = True) -> bytes:
    """Plaintext documents as ``store`` writes them, read back and checked first.

    ``check=False`` skips the read-back: for output that replaces nothing (standard
    output), where the check would cost as much as the decryption itself.
    """
    out = store.emit_plain(docs)
    if not check:
        return out
    problem = verify.plain(out, store.name, docs)
    if problem is not None and store.forget_source():
        out = store.emit_plain(docs)  # in place went wrong: the documents whole
        problem = verify.plain(out, store.name, docs)
    if problem is not None:
        _check_convertible(docs, store)  # the usual cause: a clearer error for it
        raise verify.VerifyError("plaintext", problem)
    return out


@with_room
def load_metadata(data: bytes, store: Store) -> tuple[list[t.Mapping], Metadata]:
    """The encrypted documents and parsed metadata of a SOPS file (no key needed)."""
    docs, raw = store.load_encrypted(data)
    return docs, from_dict(raw)


@with_room
def open_(
    data: bytes,
    store: Store,
    identities_for: keysources.Keyring | keysources.IdentitySource,
    *,
    ignore_mac: bool = False,
    stash: bool = True,
) -> Opened:
    """Decrypt a SOPS file; check its MAC unless ``ignore_mac``.

    Without ``stash`` the old IVs are not kept: for reading only (the result cannot be
    resealed with unchanged values keeping their ciphertext).
    """
    enc_docs, meta = load_metadata(data, store)
    keys = keysources.keyring_of(identities_for)
    data_key = keysources.recover_data_key(meta, keys)
    cipher = Cipher(data_key)
    docs, result = engine.decrypt_documents(
        enc_docs,
        cipher,
        CryptRules(meta.crypt_rule),
        mac_only_encrypted=meta.mac_only_encrypted,
        keep_stash=stash,
        in_place=True,  # enc_docs are ours, and are let go
    )
    del enc_docs
    opened = Opened(store, docs, meta, data_key, result.stash, keys=keys)
    check_mac(cipher, meta, result.mac, ignore=ignore_mac)
    return opened


def check_mac(cipher: Cipher, meta: Metadata, computed: str, *, ignore: bool) -> None:
    """Compare the stored MAC with the computed one (sops exit 51 on mismatch)."""
    if ignore:
        return
    if not meta.mac:
        raise engine.MacMismatchError(
            "the file has no MAC", hint="use --ignore-mac to read it anyway"
        )
    try:
        stored, _ = cipher.decrypt(meta.mac, meta.lastmodified)
    except ValueDecryptError:
        raise engine.MacMismatchError(
            "cannot decrypt the MAC: lastmodified or the MAC was modified",
            hint="the file was tampered with; use --ignore-mac to read it anyway",
        ) from None
    if stored != computed:
        raise engine.MacMismatchError(
            "MAC mismatch: the file was modified outside sops/sekret",
            hint="a value, its order or the metadata was tampered with; "
            "use --ignore-mac to read it anyway",
        )


@with_room
def reseal(
    opened: Opened,
    docs: list[t.Mapping],
    *,
    now: datetime | None = None,
    output: Store | None = None,
) -> bytes:
    """Re-encrypt edited documents with the same data key; unchanged values keep their IV.

    ``output``: write them in another format (``set --output-type``), as sops does.
    """
    meta = opened.meta
    if meta.crypt_rule is None:
        meta.crypt_rule = meta.rule()
    if _older(meta.version, VERSION):
        meta.version = VERSION
    store = opened.store
    if output is not None and output.name != store.name:
        store, docs = output, [t.strip_spans(d) for d in docs]
        _check_convertible(docs, store)
    return seal(docs, store, meta, opened.data_key, now=now, stash=opened.stash)


def _older(version: str, than: str) -> bool:
    def parts(v: str) -> tuple[int, ...]:
        out = []
        for p in v.split("."):
            digits = "".join(ch for ch in p if ch.isdigit())
            out.append(int(digits) if digits else 0)
        return tuple(out)

    return not version or version.startswith("1.") or parts(version) < parts(than)


@with_room
def extract(opened: Opened, path: str, output: Store) -> bytes:
    """``decrypt --extract PATH``: one value, emitted as sops prints it."""
    from sekret.sops import treepath  # paths only for --extract: not every start-up's cost

    if not opened.docs:
        raise treepath.KeyNotFoundError("the file has no documents")
    value = treepath.get(opened.docs[0], treepath.parse(path))
    return output.emit_value(value)


@with_room
def rotate(
    opened: Opened,
    *,
    add: list[str] | None = None,
    remove: list[str] | None = None,
    add_others: list[OtherKey] | None = None,
    remove_others: list[OtherKey] | None = None,
    now: datetime | None = None,
) -> bytes:
    """A new data key for every value; age recipients (``add``/``remove``) and other keys
    (PGP, Vault transit… entries) are added to the first group and removed from every
    group on the way, as sops does (other keys match by type and identifier)."""
    from sekret.sops.metadata import AgeKey

    meta = opened.meta
    removed = set(remove or [])
    gone = {(o.type, o.identifier()) for o in remove_others or []}
    for group in meta.key_groups:
        group.age = [k for k in group.age if k.recipient not in removed]
        group.others = [o for o in group.others if (o.type, o.identifier()) not in gone]
    for r in add or []:
        meta.key_groups[0].age.append(AgeKey(r.strip()))
    meta.key_groups[0].others.extend(add_others or [])
    if meta.crypt_rule is None:
        meta.crypt_rule = meta.rule()
    data_key = keysources.new_data_key()
    keysources.wrap_data_key(data_key, meta, opened.keys)
    # Same IVs as before (sops keeps them), new key: every ciphertext changes.
    return seal(opened.docs, opened.store, meta, data_key, now=now, stash=opened.stash)


@with_room
def update_keys(
    data: bytes,
    store: Store,
    identities_for: keysources.Keyring | keysources.IdentitySource,
    groups: list[KeyGroup],
    threshold: int,
) -> tuple[bytes, Metadata, Metadata]:
    """Re-wrap the existing data key for ``groups``; values, MAC and lastmodified stay."""
    import copy

    enc_docs, meta = load_metadata(data, store)
    old = copy.deepcopy(meta)
    keys = keysources.keyring_of(identities_for)
    data_key = keysources.recover_data_key(meta, keys)
    meta.key_groups = copy.deepcopy(groups)
    if len(groups) > 1:
        meta.shamir_threshold = min(threshold or meta.shamir_threshold or len(groups), len(groups))
    else:
        meta.shamir_threshold = threshold or meta.shamir_threshold
    keysources.wrap_data_key(data_key, meta, keys)
    # What the values decrypt to now, for the read-back check of the new bytes (the
    # walk makes new leaves: enc_docs stay as loaded, to be compared with).
    _, before = engine.decrypt_documents(
        enc_docs,
        Cipher(data_key),
        CryptRules(meta.crypt_rule),
        mac_only_encrypted=meta.mac_only_encrypted,
        keep_stash=False,
    )
    out = store.emit_encrypted(enc_docs, to_dict(meta))
    problem = verify.encrypted(
        out, store.name, enc_docs, meta, data_key, before.mac, check_stored_mac=False
    )
    if problem is not None:
        raise verify.VerifyError("encrypted file", problem)
    return out, old, meta
