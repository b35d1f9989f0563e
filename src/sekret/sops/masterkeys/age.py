"""age master keys: ``enc`` is an armored age file of the secret for ``recipient``."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from sekret import age
from sekret.errors import AgeError, NoIdentityMatchError, SopsError
from sekret.sops.masterkeys import Entry, KeyUnavailable
from sekret.sops.metadata import AgeKey

#: Identities to try for one age recipient (lets SOPS_AGE_KEY_CMD see the recipient).
IdentitySource = Callable[[str], Sequence[age.Identity]]


def _no_identities(recipient: str) -> Sequence[age.Identity]:
    return ()


def wrap_for_age(secret: bytes, recipient: str) -> str:
    """The armored age file of ``secret`` for ``recipient``, as sops stores in ``enc``."""
    try:
        return age.encrypt(secret, [recipient], armor=True).decode()
    except AgeError as exc:
        raise SopsError(f"invalid age recipient {recipient[:40]!r}: {exc}", hint=exc.hint) from None


class AgeKeys:
    """The age master-key type, with the identities of this run."""

    name = "age"

    def __init__(self, identities_for: IdentitySource = _no_identities) -> None:
        self.identities_for = identities_for

    def wrap(self, entry: Entry, secret: bytes) -> None:
        """Encrypt ``secret`` to the entry's recipient."""
        assert isinstance(entry, AgeKey)
        entry.enc = wrap_for_age(secret, entry.recipient)

    def unwrap(self, entry: Entry) -> bytes:
        """Decrypt the entry's age file with the identities found for its recipient."""
        assert isinstance(entry, AgeKey)
        ids = self.identities_for(entry.recipient)
        if not ids:
            raise KeyUnavailable("no identity matched")
        out = io.BytesIO()
        try:
            age.decrypt_stream(io.BytesIO(entry.enc.encode()), out, list(ids))
        except NoIdentityMatchError:
            raise KeyUnavailable("no identity matched") from None
        return out.getvalue()

    def advice(self, entries: list[Entry]) -> str:
        """Where sekret looks for age identities."""
        return (
            "age: set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY, SOPS_AGE_KEY_CMD) to an identity "
            "of one of the recipients"
        )
