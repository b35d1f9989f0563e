"""Runtime delivery of secrets, a drop-in for sops-nix's ``sops-install-secrets`` and agenix.

:mod:`manifest` parses and validates the JSON manifest, :mod:`values` decrypts every
source file once and picks each secret's bytes, :mod:`plan` turns that into an ordered
list of actions (pure, usable for a dry run), :mod:`apply` is the only module that
writes system paths, and :mod:`run` puts the steps in order.
"""

from __future__ import annotations

from sekret.install.errors import ApplyError, DecryptError, ManifestError

__all__ = ["ApplyError", "DecryptError", "ManifestError"]
