"""The installer's errors: a bad manifest, or a failure while installing."""

from __future__ import annotations

from sekret.errors import InstallError


class ManifestError(InstallError):
    """The manifest is not valid; ``field`` names the offending field (``secrets[2].mode``)."""

    def __init__(self, field: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"manifest is not valid: {field}: {message}" if field else
                         f"manifest is not valid: {message}", hint=hint)
        self.field = field


class DecryptError(InstallError):
    """A secret could not be decrypted or found in its source file (nothing was changed)."""


class ApplyError(InstallError):
    """Writing the generation, switching the symlink or linking a ``path`` failed."""
