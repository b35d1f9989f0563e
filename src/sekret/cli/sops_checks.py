"""What a parsed sops command line may ask for, checked before any file is read.

Key types sekret cannot wrap a data key for (the KMSs) are refused, as flags and as
the variables sops reads for them; the decryption order is validated; the key services
(--keyservice) are set up; flags that have no effect in sops either are accepted (some
with a warning).
"""

from __future__ import annotations

import os

from sekret.cli import _ui
from sekret.cli import sops_flags as flags
from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.errors import SopsError

#: the key type identifiers sops knows (``--decryption-order``); age, pgp and hc_vault are
#: used here
KEY_TYPES = ("age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms")
#: the variables sops reads as the key flags of a new file
KEY_VARIABLES = {
    "kms": "SOPS_KMS_ARN",
    "gcp-kms": "SOPS_GCP_KMS_IDS",
    "hckms": "SOPS_HUAWEICLOUD_KMS_IDS",
    "azure-kv": "SOPS_AZURE_KEYVAULT_URLS",
}
_ORDER_FROM_ENV = frozenset({"decrypt", "edit", "rotate", "set", "unset", "exec-env",
                             "exec-file"})  # fmt: skip


class DuplicateKeyTypeError(SopsError):
    """A key type named twice in the decryption order (sops exit 112)."""

    exit_code = 112


class EncryptionContextError(SopsError):
    """A malformed ``--encryption-context`` (sops exit 6)."""

    exit_code = 6


def unsupported_key_type(flag: str, kind: str) -> SopsError:
    """The refusal of a key type sekret cannot use yet."""
    return SopsError(
        f"{flag}: {kind} keys are not supported by sekret yet",
        hint="sekret wraps data keys for age recipients only (--age); entries of other "
        "key types already in a file are kept untouched",
    )


def check(mode: str, args: Namespace, env: Environment) -> None:
    """Refuse what sekret cannot do for ``mode``; warn about flags without effect."""
    for suffix, kind in flags.UNSUPPORTED_KEYS.items():
        for prefix in ("", "add_", "rm_"):
            if getattr(args, prefix + suffix.replace("-", "_"), None):
                raise unsupported_key_type(f"--{prefix.replace('_', '-')}{suffix}", kind)
    environ = env.environ
    if mode in ("encrypt", "edit") and _makes_new_file(mode, args, env):
        for suffix, variable in KEY_VARIABLES.items():
            if environ.get(variable, "").strip():
                raise SopsError(
                    f"{variable} is set: sops would add its keys to the new file, and "
                    f"{flags.UNSUPPORTED_KEYS[suffix]} keys are not supported by sekret yet",
                    hint=f"unset {variable} to encrypt for the age recipients only",
                )
    _kms_options(args, env)
    if args.config and not os.path.isfile(env.path(args.config)):
        raise SopsError(
            f"could not read config file {args.config!r}: no such file",
            hint="--config names the .sops.yaml to use",
        )
    args.decryption_order = decryption_order(mode, args, env)
    if mode != "filestatus":
        from sekret.cli import sops_services

        args.key_services = sops_services.chain(args, env)
    if mode in ("set", "unset") and args.shamir_secret_sharing_threshold is not None:
        _ui.warn(env, f"--shamir-secret-sharing-threshold has no effect on 'sekret {mode}' "
                      "(nor in sops)")  # fmt: skip


def _makes_new_file(mode: str, args: Namespace, env: Environment) -> bool:
    if mode == "encrypt":
        return True
    return bool(args.args) and not os.path.exists(env.path(str(args.args[0])))


def _kms_options(args: Namespace, env: Environment) -> None:
    context = args.encryption_context
    if context is not None:
        pairs = [kv.split(":") for kv in context.split(",")] if context else []
        if any(len(kv) != 2 for kv in pairs):
            raise EncryptionContextError(
                "invalid KMS encryption context format",
                hint="write it as key:value,key2:value2",
            )
        if context:
            _ui.warn(env, "--encryption-context has no effect: it is for AWS KMS keys, "
                          "which sekret does not use")  # fmt: skip
    if args.aws_profile:
        _ui.warn(env, "--aws-profile has no effect: it is for AWS KMS keys, which sekret "
                      "does not use")  # fmt: skip


def decryption_order(mode: str, args: Namespace, env: Environment) -> list[str]:
    """``--decryption-order`` (or ``SOPS_DECRYPTION_ORDER``), validated.

    Duplicates fail as in sops (exit 112); an unknown type is refused (sops would
    ignore a typo such as ``AGE``). Within a key group the types named are tried first,
    in that order, then the others in file order (default: age, then pgp); an
    ``hc_vault`` named first asks the Vault server before any age or PGP key is tried.
    """
    text: str | list[str] | None = args.decryption_order
    if text is None and mode in _ORDER_FROM_ENV:
        text = env.environ.get("SOPS_DECRYPTION_ORDER") or None
    if text is None or isinstance(text, list):
        return list(text or [])
    parts = text.split(",")
    seen: set[str] = set()
    for part in parts:
        if part in seen:
            raise DuplicateKeyTypeError(
                f"duplicate decryption key type: {part}",
                hint="name each key type once, e.g. --decryption-order age,pgp",
            )
        seen.add(part)
    for part in parts:
        if part not in KEY_TYPES:
            raise SopsError(
                f"unknown decryption key type {part!r}",
                hint="the key types are: " + ", ".join(KEY_TYPES),
            )
    return parts
