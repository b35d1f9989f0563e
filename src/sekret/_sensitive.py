"""Wrappers for secret values that cannot be printed by accident (as rage's ``SecretBox``)."""

from __future__ import annotations


class SecretBytes:
    """Bytes that redact themselves in ``repr``/``str``; read them with :meth:`expose`."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        self._value = bytes(value)

    def expose(self) -> bytes:
        """Return the secret bytes. Call this only where the value is used."""
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return f"SecretBytes(<{len(self._value)} bytes redacted>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretBytes):
            return NotImplemented
        import hmac  # constant time; imported here, as comparing secrets is rare

        return hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        raise TypeError("SecretBytes is not hashable")

    def __reduce__(self) -> str:
        raise TypeError("SecretBytes cannot be pickled")


class SecretStr:
    """A string that redacts itself in ``repr``/``str``; read it with :meth:`expose`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = str(value)

    def expose(self) -> str:
        """Return the secret string. Call this only where the value is used."""
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return "SecretStr(<redacted>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretStr):
            return NotImplemented
        import hmac

        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        raise TypeError("SecretStr is not hashable")

    def __reduce__(self) -> str:
        raise TypeError("SecretStr cannot be pickled")
