"""Key services over the keyring (pure: fake key types and fake services, no gRPC).

The one dispatcher is :mod:`sekret.sops.keysources`; :func:`sekret.sops.services.through`
only makes each key type ask the local keyring first, then every remote service, and
:class:`~sekret.sops.services.LocalService` serves whatever types the keyring has.
"""

from __future__ import annotations

import pytest

from sekret.sops import keysources
from sekret.sops.keysources import DataKeyError, Keyring
from sekret.sops.masterkeys import Entry, KeyUnavailable
from sekret.sops.metadata import AgeKey, KeyGroup, Metadata, OtherKey
from sekret.sops.services import KeyRef, LocalService, ServiceError, through

DATA_KEY = bytes(range(32))


class Boxed:
    """A fake master-key type: ``enc`` is the secret in hex, behind the key's name;
    it wraps and unwraps only for the names it holds (as gpg needs the key)."""

    def __init__(self, name: str, held: set[str]) -> None:
        self.name = name
        self.held = held

    def _id(self, entry: Entry) -> str:
        return entry.recipient if isinstance(entry, AgeKey) else str(entry.fields["fp"])

    def wrap(self, entry: Entry, secret: bytes) -> None:
        if self._id(entry) not in self.held:
            raise KeyUnavailable("key not in the keyring")
        enc = f"{self._id(entry)}:{secret.hex()}"
        if isinstance(entry, AgeKey):
            entry.enc = enc
        else:
            entry.fields["enc"] = enc

    def unwrap(self, entry: Entry) -> bytes:
        if self._id(entry) not in self.held:
            raise KeyUnavailable("no identity matched")
        enc = entry.enc if isinstance(entry, AgeKey) else str(entry.fields["enc"])
        return bytes.fromhex(enc.rpartition(":")[2])

    def advice(self, entries: list[Entry]) -> str:
        return f"{self.name}: get a key"


class Remote:
    """A fake remote key service holding some key names; it logs what it is asked."""

    def __init__(self, name: str, held: set[str], calls: list[str]) -> None:
        self.name = name
        self.held = held
        self.calls = calls

    def encrypt(self, key: KeyRef, plaintext: bytes) -> bytes:
        self.calls.append(f"{self.name} encrypt {key.describe()}")
        name = str(next(iter(key.fields.values())))
        if name not in self.held:
            raise ServiceError("key not found")
        return f"{name}:{plaintext.hex()}".encode()

    def decrypt(self, key: KeyRef, ciphertext: bytes) -> bytes:
        self.calls.append(f"{self.name} decrypt {key.describe()}")
        name = str(next(iter(key.fields.values())))
        if name not in self.held:
            raise ServiceError("key not found")
        return bytes.fromhex(ciphertext.decode().rpartition(":")[2])


def _local(*held: str) -> Keyring:
    return Keyring({"age": Boxed("age", set(held)), "pgp": Boxed("pgp", set(held))})


def _meta(*groups: KeyGroup) -> Metadata:
    return Metadata(list(groups))


def _group(*names: str) -> KeyGroup:
    return KeyGroup(
        age=[AgeKey(n) for n in names if n.startswith("age")],
        others=[OtherKey("pgp", {"fp": n}) for n in names if not n.startswith("age")],
    )


def test_local_first_then_each_service_in_order() -> None:
    calls: list[str] = []
    ring = through(_local(), [Remote("one", set(), calls), Remote("two", {"age1a"}, calls)])
    meta = _meta(_group("age1a"))
    keysources.wrap_data_key(DATA_KEY, meta, ring)
    assert calls == ["one encrypt age age1a", "two encrypt age age1a"]
    calls.clear()
    assert keysources.recover_data_key(meta, ring) == DATA_KEY
    assert calls == ["one decrypt age age1a", "two decrypt age age1a"]


def test_the_local_keyring_answers_without_asking_a_service() -> None:
    calls: list[str] = []
    ring = through(_local("age1a", "FP"), [Remote("r", set(), calls)])
    meta = _meta(_group("age1a", "FP"))
    keysources.wrap_data_key(DATA_KEY, meta, ring)
    assert keysources.recover_data_key(meta, ring) == DATA_KEY and calls == []


def test_decryption_order_holds_across_services() -> None:
    calls: list[str] = []
    local = Keyring(_local().types, ("pgp", "age"))
    ring = through(local, [Remote("r", {"age1a", "FP"}, calls)], local=False)
    meta = _meta(_group("age1a", "FP"))
    keysources.wrap_data_key(DATA_KEY, meta, ring)
    calls.clear()
    assert keysources.recover_data_key(meta, ring) == DATA_KEY
    assert calls == ["r decrypt pgp FP"]  # pgp first, and it opened the group


def test_shamir_groups_spread_over_services() -> None:
    calls: list[str] = []
    ring = through(_local(), [Remote("one", {"age1a"}, calls), Remote("two", {"age1b"}, calls)])
    meta = _meta(_group("age1a"), _group("age1b"))
    keysources.wrap_data_key(DATA_KEY, meta, ring)
    assert meta.shamir_threshold == 2 and meta.key_groups[0].age[0].enc
    assert keysources.recover_data_key(meta, ring) == DATA_KEY
    only_one = through(_local(), [Remote("one", {"age1a"}, calls)], local=False)
    with pytest.raises(DataKeyError) as info:
        keysources.recover_data_key(meta, only_one)
    assert "group 2: age1b: one: key not found" in str(info.value.hint)


def test_errors_name_every_service_and_never_the_secret() -> None:
    ring = through(_local(), [Remote("tcp://127.0.0.1:5000", set(), [])])
    meta = _meta(_group("age1a"))
    _local("age1a").types["age"].wrap(meta.key_groups[0].age[0], DATA_KEY)
    with pytest.raises(DataKeyError) as info:
        keysources.recover_data_key(meta, ring)
    text = info.value.diagnostics()
    assert "local: no identity matched; tcp://127.0.0.1:5000: key not found" in text
    assert "services asked: local, tcp://127.0.0.1:5000" in text
    assert DATA_KEY.hex() not in text
    with pytest.raises(Exception, match="cannot wrap it for age age1a") as wrapped:
        keysources.wrap_data_key(DATA_KEY, meta, ring)
    assert "local: key not in the keyring; tcp://127.0.0.1:5000: key not found" in str(
        wrapped.value
    )


def test_no_service_at_all() -> None:
    ring = through(_local("age1a"), [], local=False)
    meta = _meta(_group("age1a"))
    with pytest.raises(Exception, match="no key services provided"):
        keysources.wrap_data_key(DATA_KEY, meta, ring)
    _local("age1a").types["age"].wrap(meta.key_groups[0].age[0], DATA_KEY)
    with pytest.raises(DataKeyError, match="failed to get the data key") as info:
        keysources.recover_data_key(meta, ring)
    assert "no key service to ask" in str(info.value.hint)


def test_remote_services_may_serve_types_sekret_lacks() -> None:
    calls: list[str] = []
    ring = through(_local(), [Remote("r", {"arn:x"}, calls)])
    entry = OtherKey("kms", {"arn": "arn:x"})
    meta = _meta(KeyGroup(others=[entry]))
    keysources.wrap_data_key(DATA_KEY, meta, ring)
    assert list(entry.fields) == ["arn", "created_at", "enc"]  # sops's kmskey order
    assert keysources.recover_data_key(meta, ring) == DATA_KEY
    assert calls == ["r encrypt kms arn:x", "r decrypt kms arn:x"]


def test_local_service_serves_every_type_of_its_keyring() -> None:
    served = LocalService(_local("age1a", "FP"))
    for key in (KeyRef("age", {"recipient": "age1a"}), KeyRef("pgp", {"fp": "FP"})):
        enc = served.encrypt(key, DATA_KEY)
        assert served.decrypt(key, enc) == DATA_KEY
    with pytest.raises(ServiceError, match="no identity matched"):
        served.decrypt(KeyRef("pgp", {"fp": "OTHER"}), b"OTHER:00")
    with pytest.raises(ServiceError, match="sekret cannot use kms keys itself"):
        served.encrypt(KeyRef("kms", {"arn": "arn:x"}), DATA_KEY)
