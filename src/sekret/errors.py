"""The whole exception tree of sekret, rooted at :class:`SekretError`.

``str(e)`` is a short, lower-case, one-line message fit for logs; ``e.hint`` is an
optional suggestion for people; :meth:`SekretError.diagnostics` joins both.
Messages never contain key material or plaintext: authentication failures say
*that* they failed, never why.
"""

from __future__ import annotations

TYPE_CHECKING = False  # (not typing's: see sekret/__init__.py)
if TYPE_CHECKING:
    from collections.abc import Sequence


class SekretError(Exception):
    """Root of every error sekret raises on purpose."""

    #: Exit status the CLI uses for this error (sops's codes are set on SopsError subclasses).
    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def diagnostics(self) -> str:
        """The long form: the message, then the hint when there is one."""
        if self.hint:
            return f"{self.message}\n{self.hint}"
        return self.message


class UsageError(SekretError):
    """The command line was wrong (raised only by :mod:`sekret.cli`)."""

    exit_code = 2


class AgeError(SekretError):
    """Anything that goes wrong in age encryption or decryption."""


class HeaderError(AgeError):
    """The age header or one of its recognised stanzas is malformed (CCTV "header failure")."""


class HeaderMACError(AgeError):
    """A file key was unwrapped but the header MAC does not match (CCTV "HMAC failure")."""


class PayloadError(AgeError):
    """A STREAM chunk failed to authenticate, or the payload is truncated or has trailing data."""


class ArmorError(AgeError):
    """The ASCII armor around an age file is malformed (CCTV "armor failure")."""


class ExcessiveWorkError(HeaderError):
    """A passphrase-encrypted file asks for more scrypt work than the identity allows.

    The header is well-formed, but the spec has identities refuse a work factor above
    their limit, and age and the CCTV vectors treat that as a failure of the header
    (``scrypt_work_factor_23``), not as an unknown format. ``work_factor`` and
    ``limit`` are base-2 logarithms of scrypt's N.
    """

    def __init__(self, work_factor: int, limit: int) -> None:
        memory = 1 << (work_factor + 10)  # 128 * r * N bytes, with r = 8
        amount = f"{memory >> 30} GiB" if memory >= 1 << 30 else f"{memory >> 20} MiB"
        super().__init__(
            f"the passphrase-encrypted file asks for too much work (2^{work_factor}; "
            f"the limit is 2^{limit})",
            hint=f"decrypting it would take {amount} of memory and a long time; "
            "the file may be damaged or made to exhaust this machine",
        )
        self.work_factor = work_factor
        self.limit = limit


class UnsupportedError(AgeError):
    """Something this version of sekret does not handle, such as an unsupported key type.

    (A work factor above the limit is an :class:`ExcessiveWorkError`, a header failure.)
    """


class KeyFormatError(AgeError):
    """A recipient, identity or key file could not be parsed."""


class PluginError(AgeError):
    """An age plugin could not be run or reported an error."""


class NoIdentityMatchError(AgeError):
    """No identity could unwrap any stanza of the header (CCTV "no match").

    ``stanza_types`` lists the stanza types found in the header, ``errors`` the
    per-identity reasons (short, secret-free strings) for the diagnostics.
    """

    def __init__(
        self,
        message: str = "no identity matched any of the recipients",
        *,
        stanza_types: Sequence[str] = (),
        errors: Sequence[str] = (),
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.stanza_types = tuple(stanza_types)
        self.errors = tuple(errors)

    def diagnostics(self) -> str:
        lines = [self.message]
        if self.stanza_types:
            lines.append("the file is encrypted to: " + ", ".join(self.stanza_types))
        lines.extend(f"  {e}" for e in self.errors)
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class IncorrectIdentity(AgeError):
    """Internal "not for me" signal from ``Identity.unwrap``: try the next identity."""

    def __init__(self, message: str = "incorrect identity") -> None:
        super().__init__(message)


class SopsError(SekretError):
    """Anything that goes wrong with a SOPS file."""


class GitCryptError(SekretError):
    """Anything that goes wrong with git-crypt repositories, keys or blobs."""


class InstallError(SekretError):
    """Anything that goes wrong while installing secrets at runtime."""
