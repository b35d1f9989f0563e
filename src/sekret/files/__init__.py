"""Path-level API over SOPS files, shared by the CLI and by Python programs.

    import sekret
    config = sekret.load("secrets/prod.yaml")           # decrypted, as plain Python data
    raw = sekret.decrypt_file("secrets/token.bin")      # bytes, in the file's own format
    enc = sekret.encrypt_file("new.yaml", age=["age1…"])  # or from .sops.yaml rules

Identities are found as sops finds them (``SOPS_AGE_KEY_FILE``, ``SOPS_AGE_KEY``,
``SOPS_AGE_KEY_CMD``, ``~/.config/sops/age/keys.txt``, ``~/.ssh/id_ed25519``…).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sekret._depth import with_room
from sekret.errors import SopsError
from sekret.files import document
from sekret.files.atomic import atomic_write
from sekret.files.keys import IdentityFinder
from sekret.sops import tree
from sekret.sops.keysources import DataKeyError, Keyring
from sekret.sops.metadata import AgeKey, KeyGroup, OtherKey
from sekret.stores.base import Store, format_for_path, get_store

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "IdentityFinder",
    "atomic_write",
    "decrypt_bytes",
    "decrypt_file",
    "encrypt_file",
    "key_entries",
    "load",
    "read_input",
    "resolve_encrypt_options",
    "store_for",
]


class NoFileError(SopsError):
    """The input file does not exist (sops exit 100)."""

    exit_code = 100


class NoKeysError(SopsError):
    """No recipients: no matching creation rule and none given."""


def store_for(path: str, fmt: str | None = None) -> Store:
    """The store for ``fmt``, or for the file's extension."""
    return get_store(fmt or format_for_path(path))


def read_input(path: str) -> bytes:
    """Read a file with errors sops users understand."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise NoFileError(f"file {path!r} does not exist") from None
    except IsADirectoryError:
        raise SopsError(f"{path!r} is a directory, not a file") from None
    except PermissionError:
        raise SopsError(f"cannot read {path!r}: permission denied") from None
    except OSError as exc:
        raise SopsError(f"cannot read {path!r}: {exc.strerror}") from None


def _finder(environ: Mapping[str, str] | None) -> IdentityFinder:
    return IdentityFinder(dict(os.environ if environ is None else environ))


def key_entries(*, pgp: Sequence[str] = (), hc_vault: Sequence[str] = ()) -> list[OtherKey]:
    """Metadata entries (nothing wrapped yet) for PGP fingerprints and Vault transit key
    URIs, each argument a list of comma-separated values as the flags take them."""
    fingerprints = [f.strip() for a in pgp for f in a.split(",") if f.strip()]
    uris = [u for a in hc_vault for u in a.split(",") if u]
    out: list[OtherKey] = []
    if fingerprints:
        from sekret.sops.masterkeys import pgp as pgp_keys

        out += [pgp_keys.new_entry(f) for f in fingerprints]
    if uris:  # the URI parser is imported only for Vault keys
        from sekret.sops.masterkeys import hc_vault as vault_keys

        out += [vault_keys.new_entry(u) for u in uris]
    return out


def _keyring(finder: IdentityFinder) -> Keyring:
    from sekret.files.keyring import keyring

    return keyring(finder, finder.environ)


@with_room
def decrypt_bytes(
    data: bytes,
    fmt: str,
    *,
    output_format: str | None = None,
    ignore_mac: bool = False,
    finder: IdentityFinder | None = None,
    extract: str | None = None,
) -> bytes:
    """Decrypt SOPS file bytes of format ``fmt``; emit in ``output_format`` (default same)."""
    finder = finder or _finder(None)
    try:
        opened = document.open_(
            data, get_store(fmt), _keyring(finder), ignore_mac=ignore_mac, stash=False
        )
    except DataKeyError as exc:
        if "age" in exc.key_types:
            exc.hint = f"{exc.hint}\nidentities looked for: {finder.describe()}"
        raise
    out_store = get_store(output_format) if output_format and output_format != fmt else None
    if extract is not None:
        return document.extract(opened, extract, out_store or opened.store)
    if out_store is not None:
        return document.emit_plain([tree.strip_spans(d) for d in opened.docs], out_store)
    return document.emit_plain(opened.docs, opened.store)


def decrypt_file(
    path: str,
    *,
    format: str | None = None,
    output_format: str | None = None,
    ignore_mac: bool = False,
    environ: Mapping[str, str] | None = None,
) -> bytes:
    """Decrypt the SOPS file at ``path``; return the plaintext in its format."""
    fmt = format or format_for_path(path)
    return decrypt_bytes(
        read_input(path),
        fmt,
        output_format=output_format or (format_for_path(path) if not format else fmt),
        ignore_mac=ignore_mac,
        finder=_finder(environ),
    )


@with_room
def load(
    path: str, *, format: str | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, object]:
    """Decrypt the SOPS file at ``path`` to plain Python data (its first document)."""
    fmt = format or format_for_path(path)
    found = _finder(environ)
    opened = document.open_(read_input(path), get_store(fmt), _keyring(found), stash=False)
    if not opened.docs:
        return {}
    data = tree.to_python(opened.docs[0])
    assert isinstance(data, dict)
    return data


def resolve_encrypt_options(
    file_path: str,
    *,
    age: Sequence[str] = (),
    pgp: Sequence[str] = (),
    hc_vault: Sequence[str] = (),
    config_path: str | None = None,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
    shamir_threshold: int | None = None,
    crypt_rule: tuple[str, str] | None = None,
    mac_only_encrypted: bool | None = None,
    warnings: list[str] | None = None,
) -> document.EncryptOptions:
    """Who can read a new file: CLI keys replace the rule's keys; the rule gives the rest."""
    from pathlib import Path

    from sekret.files import config as _config

    env = os.environ if environ is None else environ
    cfg = _config.load(config_path or env.get("SOPS_CONFIG"), cwd or Path.cwd(), warnings)
    rule = cfg.match(file_path)
    recipients = [r for a in age for r in a.split(",") if r.strip()]
    if not recipients and env.get("SOPS_AGE_RECIPIENTS"):
        recipients = [r for r in env["SOPS_AGE_RECIPIENTS"].split(",") if r.strip()]
    fingerprints = [f.strip() for a in pgp for f in a.split(",") if f.strip()]
    if not fingerprints and env.get("SOPS_PGP_FP", "").strip():
        fingerprints = [f.strip() for f in env["SOPS_PGP_FP"].split(",") if f.strip()]
    uris = [u for a in hc_vault for u in a.split(",") if u]
    if not uris and env.get("SOPS_VAULT_URIS"):
        uris = [u for u in env["SOPS_VAULT_URIS"].split(",") if u]
    if recipients or fingerprints or uris:
        others = key_entries(pgp=fingerprints, hc_vault=uris)
        groups = [KeyGroup(age=[AgeKey(r.strip()) for r in recipients], others=others)]
    elif rule is not None:
        groups = rule.key_groups  # a rule without keys fails as sops fails: no data key
    else:
        raise NoKeysError(
            "config file not found, or has no creation rules, and no keys provided "
            "through command line options",
            hint="pass --age age1… or add a creation rule to .sops.yaml",
        )
    return document.EncryptOptions(
        key_groups=groups,
        shamir_threshold=shamir_threshold
        if shamir_threshold is not None
        else (rule.shamir_threshold if rule else 0),
        crypt_rule=crypt_rule or (rule.crypt_rule if rule else None),
        mac_only_encrypted=mac_only_encrypted
        if mac_only_encrypted is not None
        else bool(rule and rule.mac_only_encrypted),
    )


@with_room
def encrypt_file(
    path: str,
    *,
    age: Sequence[str] = (),
    pgp: Sequence[str] = (),
    hc_vault: Sequence[str] = (),
    format: str | None = None,
    config: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> bytes:
    """Encrypt the plaintext file at ``path`` (recipients from ``age``, PGP fingerprints
    from ``pgp``, Vault transit key URIs from ``hc_vault``, or ``.sops.yaml``)."""
    options = resolve_encrypt_options(
        path, age=age, pgp=pgp, hc_vault=hc_vault, config_path=config, environ=environ
    )
    keys = _keyring(_finder(environ))
    return document.encrypt(read_input(path), store_for(path, format), options, keys=keys)
