"""agenix's per-secret semantics for the age-file secrets of a manifest; pure.

The two tools the installer stands in for fail differently, and each entry keeps its
own tool's rule:

- **sops-nix entries are all or nothing.** sops-install-secrets decrypts every secret
  before it writes anything; one failure leaves the live generation untouched. A sops
  file holds many related values (a database URL and its password, a template's
  inputs), and half of them new beside the other half old, or missing, is a state no
  service was configured for; the previous generation is consistent.
- **agenix entries are installed one by one.** agenix's activation decrypts each
  ``.age`` file on its own and carries on past a failure: the host gets every secret
  it can read and the activation reports the rest. Each file is independent, and at
  first boot (or after a rekey that forgot this host for one file) the others,
  password hashes among them, are needed for the host to come up at all.

So an agenix secret that cannot be decrypted, or whose owner or group does not exist,
is left out of the new generation (as agenix leaves it
out: its ``path`` link dangles, a ``symlink = false`` copy keeps its old file) and the
install exits non-zero naming it. Unlike agenix, nothing is ever half-written: each
file is decrypted completely in memory before anything is written (agenix moves
age's partial output into place when a payload fails midway).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from sekret.errors import InstallError
from sekret.install.errors import DecryptError
from sekret.install.manifest import Manifest


def without(m: Manifest, failed: Mapping[str, InstallError]) -> Manifest:
    """``m`` without the agenix secrets that could not be decrypted."""
    if not failed:
        return m
    return replace(m, secrets=tuple(s for s in m.secrets if s.name not in failed))


def not_installed(failed: Mapping[str, InstallError], total: int, *,
                  generation: int | None) -> DecryptError:
    """The error an install with failed agenix secrets ends with (after installing the rest)."""
    names = ", ".join(sorted(failed))
    rest = total - len(failed)
    if generation is None:
        done = "a dry run: nothing was installed"
    elif rest:
        done = f"the other {rest} {'is' if rest == 1 else 'are'} installed in generation " \
               f"{generation}"
    else:
        done = f"generation {generation} has none of them"
    return DecryptError(
        f"{len(failed)} of {total} agenix secret{'' if total == 1 else 's'} could not be "
        f"installed: {names}; {done}",
        hint="each failure is shown above; encrypt those files to this host's key "
             "(sekret agenix -r) or fix identityPaths, then activate again")
