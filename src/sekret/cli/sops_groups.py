"""``sekret groups add`` and ``sekret groups delete``: change a file's key groups.

As sops: the data key is recovered with the keys the file has now and wrapped again for
the new groups (split by Shamir's scheme when there are two or more), values and MAC
stay as they are, the result goes to standard output unless ``-i``. age, PGP and Vault
transit keys can be added; the other key types are refused. Unlike sops, a group with
no key, an invalid recipient or an index past the last group is an error, never
skipped: sops adds an empty group (a file nobody can decrypt with a threshold that
needs it), drops the recipient with a log line, or stops with a Go panic.
"""

from __future__ import annotations

from sekret import files
from sekret.cli import sops_ops
from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.errors import SopsError
from sekret.files import document
from sekret.sops.keysources import DataKeyError
from sekret.sops.metadata import AgeKey, KeyGroup
from sekret.stores.base import format_for_path


def _index(args: Namespace) -> int:
    if len(args.args) != 1:
        raise SopsError(
            "exactly one positional argument (index) required",
            hint="sekret groups delete --file FILE INDEX (the first group is 0)",
        )
    text = str(args.args[0])
    if not text.isdecimal() or not text.isascii() or int(text) >= 1 << 32:
        raise SopsError(f"failed to parse [index] argument {text!r}", hint="a number from 0")
    return int(text)


def run(name: str, args: Namespace, env: Environment) -> int:
    """``groups add`` / ``groups delete``."""
    if name == "groups add":
        if args.args:
            raise SopsError("no positional arguments allowed", hint="name the file with --file")
        recipients = [r.strip() for a in args.age for r in a.split(",") if r.strip()]
        others = files.key_entries(pgp=args.pgp, hc_vault=args.hc_vault_transit)
        if not recipients and not others:
            raise SopsError(
                "no keys given for the new key group",
                hint="give its age recipients with --age, PGP fingerprints with --pgp or "
                "Vault transit key URIs with --hc-vault-transit (repeatable); sops would add "
                "an empty group",
            )
        index = -1
    else:
        index = _index(args)
        recipients, others = [], []
    from sekret.cli._guard import no_core_dumps

    no_core_dumps()  # the data key is in memory
    path = args.file
    if not path:
        raise sops_ops.ReadError("no file given", hint="name the SOPS file with --file FILE")
    fmt = args.input_type or format_for_path(path)
    data = sops_ops.read(env, path, missing=sops_ops.ReadError)
    _, meta = sops_ops.load_metadata(data, fmt)
    groups = list(meta.key_groups)
    if name == "groups add":
        groups.append(KeyGroup(age=[AgeKey(r) for r in recipients], others=others))
    else:
        if index >= len(groups):
            raise SopsError(
                f"there is no key group {index}: the file has {len(groups)}, counted from 0"
            )
        del groups[index]
    threshold = args.shamir_secret_sharing_threshold or meta.shamir_threshold
    if len(groups) < threshold:
        raise SopsError(
            "removing this key group will make the Shamir threshold impossible to satisfy: "
            f"Shamir threshold is {threshold}, but we only have {len(groups)} key groups",
            hint="lower it with --shamir-secret-sharing-threshold",
        )
    if not groups:
        raise SopsError("cannot delete the last key group: nobody could decrypt the file")
    keys = sops_ops.keyring(env, args)
    if len(groups) > 1 and any(o.type not in keys.types for g in groups for o in g.others):
        kind = next(o.type for g in groups for o in g.others if o.type not in keys.types)
        raise SopsError(
            f"cannot share the data key anew: the file also has {kind} keys, which sekret "
            "cannot wrap",
            hint="change these key groups with sops",
        )
    try:
        out, _, _ = document.update_keys(
            data, sops_ops.store(fmt, args, env), keys, groups, threshold
        )
    except DataKeyError as exc:
        exc.exit_code = 1  # sops: "Error getting data key", a plain error here
        raise
    if args.in_place:
        sops_ops.write_in_place(env, args, path, out)
    else:
        env.stdout.write(out)
    return 0
