"""Decrypt every source file once and pick each secret's bytes (spec §2.4); pure.

File contents come in through a ``read`` callable, so nothing here touches the disk.
Per format: yaml/json with a ``key`` give the string at that ``/``-separated path
(nested JSON keys work, a deliberate fix); an empty key, and always binary, dotenv and
ini, give the whole decrypted file as sops emits it. Age files give their plaintext.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from sekret import age
from sekret._sensitive import SecretBytes
from sekret.errors import InstallError, SekretError
from sekret.files import document
from sekret.files.keyring import Vault
from sekret.install.errors import DecryptError
from sekret.install.manifest import Manifest, Secret
from sekret.sops import keysources
from sekret.sops import tree as t
from sekret.sops.masterkeys import MasterKeyType
from sekret.sops.masterkeys.age import AgeKeys
from sekret.stores import get_store

if TYPE_CHECKING:
    from sekret.install.pgpkeys import PGPKeys

Reader = Callable[[str], bytes]
#: more keys for a sops file, asked per recipient (sops's own environment lookup)
KeySource = Callable[[str], list[age.Identity]]
WHOLE_FILE_FORMATS = ("binary", "dotenv", "ini")


class _Index:
    """Key lookups in decrypted documents, with a dict per mapping built once."""

    def __init__(self, root: t.Mapping) -> None:
        self.root = root
        self._dicts: dict[int, dict[str, t.Node | t.Leaf]] = {}

    def _dict(self, node: t.Mapping) -> dict[str, t.Node | t.Leaf]:
        found = self._dicts.get(id(node))
        if found is None:
            found = {}
            for item in node.items:
                if not isinstance(item, t.Comment):
                    found.setdefault(item[0], item[1])  # the first of duplicates, as get()
            self._dicts[id(node)] = found
        return found

    def lookup(self, key: str) -> str:
        """The string at ``key`` (``a/b/c``); the error texts are sops-nix's."""
        parts = key.split("/")
        node: t.Node | t.Leaf = self.root
        for i, part in enumerate(parts):
            inner = t.unwrap(node)
            prefix = "/".join(parts[:i])
            if not isinstance(inner, t.Mapping):
                raise DecryptError(f"key '{prefix}' does not refer to a dictionary")
            mapping = self._dict(inner)
            if part not in mapping:
                raise DecryptError(f"the key '{'/'.join(parts[: i + 1])}' cannot be found")
            node = mapping[part]
        value = t.unwrap(node)
        if not isinstance(value, str):
            raise DecryptError(f"the value of key '{'/'.join(parts[:-1])}' is not a string")
        return value


def _read(read: Reader, path: str) -> bytes:
    try:
        return read(path)
    except OSError as exc:
        raise DecryptError(f"failed to decrypt '{path}': cannot read: {exc.strerror}") from None


def decrypt_sops_file(
    path: str, fmt: str, secrets: Sequence[Secret], read: Reader, identities: list[age.Identity],
    more: KeySource | None = None, pgp: PGPKeys | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, SecretBytes]:
    """Decrypt one sops file once and return the value of every secret it feeds
    (``pgp``: the manifest's PGP keys, for the file's ``pgp`` entries; ``environ``: the
    installer's environment, whose ``VAULT_ADDR``/``VAULT_TOKEN``… open ``hc_vault``
    entries, as sops-install-secrets does with sops-nix's ``sops.environment``)."""
    data = _read(read, path)
    store = get_store(fmt)

    def keys(recipient: str) -> list[age.Identity]:
        return identities if more is None else [*identities, *more(recipient)]

    types: dict[str, MasterKeyType] = {"age": AgeKeys(keys)}
    if pgp is not None:
        types["pgp"] = pgp
    if environ is not None:
        types["hc_vault"] = Vault(environ)  # (made on first use: age-only files pay nothing)
    ring = keysources.Keyring(types)
    try:
        opened = document.open_(data, store, ring, stash=False)
    except SekretError as exc:
        raise DecryptError(f"failed to decrypt '{path}': {exc}", hint=exc.hint) from None
    whole: bytes | None = None
    index = _Index(opened.docs[0]) if opened.docs else _Index(t.Mapping())
    out: dict[str, SecretBytes] = {}
    for s in secrets:
        if s.key == "" or fmt in WHOLE_FILE_FORMATS:
            if whole is None:
                whole = document.emit_plain(opened.docs, store)
            out[s.name] = SecretBytes(whole)
            continue
        try:
            value = index.lookup(s.key)
        except DecryptError as exc:
            raise DecryptError(f"secret {s.name} in {path} is not valid: {exc}") from None
        out[s.name] = SecretBytes(value.encode("utf-8", "surrogateescape"))
    return out


def decrypt_age_file(path: str, read: Reader, identities: list[age.Identity]) -> SecretBytes:
    """The plaintext of one age file (binary or armored)."""
    data = _read(read, path)
    try:
        return SecretBytes(age.decrypt(data, identities))
    except SekretError as exc:
        raise DecryptError(f"failed to decrypt '{path}': {exc}", hint=exc.hint) from None


def by_source(m: Manifest) -> dict[str, list[Secret]]:
    """Secrets grouped by their source file, in manifest order."""
    groups: dict[str, list[Secret]] = {}
    for s in m.secrets:
        groups.setdefault(s.source, []).append(s)
    return groups


def decrypt_all(
    m: Manifest, read: Reader, identities: list[age.Identity], *,
    sops_keys: KeySource | None = None, pgp: PGPKeys | None = None,
    failed: dict[str, InstallError] | None = None, environ: Mapping[str, str] | None = None,
) -> dict[str, SecretBytes]:
    """Every secret's value, each source file decrypted once; all or nothing.

    ``sops_keys`` adds keys for sops files only (agenix never reads sops's variables), as
    does ``pgp`` (the manifest's ``sshKeyPaths``/``gnupgHome``).
    With ``failed``, an age file that cannot be read or decrypted is recorded there for
    each secret it feeds instead of raised (agenix's per-secret semantics, see
    :mod:`sekret.install.agenix`); sops files stay all or nothing.
    """
    values: dict[str, SecretBytes] = {}
    for path, secrets in by_source(m).items():
        if secrets[0].age_file:
            try:
                value = decrypt_age_file(path, read, identities)
            except DecryptError as exc:
                if failed is None:
                    raise
                for s in secrets:
                    failed.setdefault(s.name, exc)
                continue
            values.update((s.name, value) for s in secrets)
        else:
            values.update(decrypt_sops_file(path, secrets[0].format, secrets, read, identities,
                                            sops_keys, pgp, environ))
    return values


def check_sources(m: Manifest, read: Reader) -> None:
    """``--check-mode=sopsfile``: parse each still-encrypted file and find every key in it."""
    for path, secrets in by_source(m).items():
        data = _read(read, path)
        if secrets[0].age_file:
            head = data[:64].lstrip()
            if not head.startswith((b"age-encryption.org/v1", b"-----BEGIN AGE ENCRYPTED")):
                raise DecryptError(f"'{path}' is not an age file")
            continue
        fmt = secrets[0].format
        try:
            docs, _meta = document.load_metadata(data, get_store(fmt))
        except SekretError as exc:
            raise DecryptError(f"cannot parse '{path}': {exc}", hint=exc.hint) from None
        if fmt in WHOLE_FILE_FORMATS:
            continue
        index = _Index(docs[0] if docs else t.Mapping())
        for s in secrets:
            if s.key:
                try:
                    index.lookup(s.key)
                except DecryptError as exc:
                    raise DecryptError(f"secret {s.name} in {path} is not valid: {exc}") from None
