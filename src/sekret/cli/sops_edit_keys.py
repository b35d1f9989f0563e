"""``sekret edit -s`` (``--show-master-keys``): the decrypted file with its ``sops``
metadata block, both editable.

What the edited block may change, as sops intends it: the key groups (keys removed, age
keys added: the data key is then wrapped again for every age key, and split anew
between groups), the Shamir threshold, the crypt rule and ``mac_only_encrypted``.
``lastmodified`` and the MAC are computed afresh, as always; the ``enc`` of the keys
are sekret's to write (when the recipients did not change they stay as they were). A
block without any key, or that does not parse, goes back to the editor (or, without a
terminal, the edit is kept encrypted beside the file); a version that is not a version
number fails with sops's exit status 202.

sops 3.11 itself shows the block but then drops every edit made under ``-s`` (it
re-encrypts the file as it was); sekret writes what was edited.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING

from sekret.cli import sops_ops
from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.errors import SopsError
from sekret.files import document
from sekret.sops import tree as t
from sekret.sops.metadata import KeyGroup, Metadata, MetadataNotFoundError, from_dict, to_dict

if TYPE_CHECKING:
    from sekret.sops.keysources import Keyring


class VersionCompareError(SopsError):
    """The edited metadata's version is not a version number (sops exit 202)."""

    exit_code = 202


def _signature(groups: list[KeyGroup]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    return [
        (tuple(k.recipient for k in g.age), tuple(f"{o.type}:{o.identifier()}" for o in g.others))
        for g in groups
    ]


def _check_version(version: str) -> None:
    from sekret._lazy_re import lazy

    semver = lazy(r"v?\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")
    if not semver.fullmatch(version.strip()):
        raise VersionCompareError(
            f"failed to compare the document version {version!r} with sekret's",
            hint="the sops block's version must be a version number, e.g. 3.11.0",
        )


def merge(
    old: Metadata, new: Metadata, data_key: bytes, keys: Keyring | None = None
) -> Metadata:
    """The metadata to seal with: ``new`` as edited, its keys made valid for ``data_key``."""
    from sekret.sops import keysources

    if _signature(new.key_groups) == _signature(old.key_groups) and (
        new.shamir_threshold == old.shamir_threshold
    ):
        new.key_groups = copy.deepcopy(old.key_groups)  # the enc as they were
        return new
    usable = keysources.keyring_of(keys).types
    if len(new.key_groups) > 1 and any(
        o.type not in usable for g in new.key_groups for o in g.others
    ):
        kind = next(o.type for g in new.key_groups for o in g.others if o.type not in usable)
        raise SopsError(
            f"cannot share the data key anew: the file also has {kind} keys, which sekret "
            "cannot wrap",
            hint="change these key groups with sops",
        )
    keysources.wrap_data_key(data_key, new, keys)
    return new


def edit_with_keys(
    opened: document.Opened,
    args: Namespace,
    env: Environment,
    path: str,
    ask: Callable[[str], bool] | None,
) -> int:
    """Edit the decrypted documents and the metadata block together; write the file."""
    from sekret.cli.sops_edit import _rescue
    from sekret.files import editor

    fmt_in, fmt_out = sops_ops.formats(args, path)
    shown = opened.store
    docs = opened.docs
    if fmt_out != fmt_in:
        shown = sops_ops.store(fmt_out, args, env)
        docs = [t.strip_spans(d) for d in docs]
    text = shown.emit_encrypted(docs, to_dict(opened.meta))
    old = copy.deepcopy(opened.meta)

    def parse(raw: bytes) -> tuple[object, list[t.Mapping], Metadata]:
        store = sops_ops.store(fmt_in, args, env)
        try:
            new_docs, raw_meta = store.load_encrypted(raw)
        except MetadataNotFoundError:
            raise SopsError(
                "the sops metadata is missing",
                hint="keep the sops block: it names the keys that can decrypt the file",
            ) from None
        meta = from_dict(raw_meta)
        if not any(not g.is_empty() for g in meta.key_groups):
            raise SopsError("no master keys were provided, so sekret can't encrypt the file")
        _check_version(meta.version)
        return store, new_docs, merge(old, meta, opened.data_key, opened.keys)

    store, new_docs, meta = editor.edit(
        text, path, env.environ, parse=parse,
        rescue=_rescue(env, path, opened, None),  # type: ignore[arg-type]
        ask_retry=ask,
    )
    opened.meta = meta
    opened.store = store  # type: ignore[assignment]
    if fmt_out != fmt_in:
        opened.store = sops_ops.store(fmt_out, args, env)
        new_docs = [t.strip_spans(d) for d in new_docs]
    sops_ops.write_in_place(env, args, path, document.reseal(opened, new_docs))
    return 0
