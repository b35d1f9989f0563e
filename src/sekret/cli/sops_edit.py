"""``sekret edit`` (and ``sekret FILE``): edit a SOPS file in the user's editor.

The plaintext lives only in a private tmpfs directory (:mod:`sekret.files.editor`);
re-encryption keeps unchanged values' IVs, so a one-value edit is a one-line diff. A
rejected edit is kept encrypted beside the file, never in clear.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from sekret import files
from sekret.cli import _ui, sops_ops
from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.errors import SekretError, SopsError, UsageError
from sekret.files import document
from sekret.sops import tree as t
from sekret.stores.base import get_store

if TYPE_CHECKING:
    from sekret.sops.keysources import Keyring

TEMPLATES = {
    "yaml": b"hello: Welcome to SOPS! Edit this file as you please!\n"
    b"example_key: example_value\n# Example comment\nexample_array:\n"
    b"    - example_value1\n    - example_value2\nexample_number: 1234.56789\n"
    b"example_booleans:\n    - true\n    - false\n",
    "json": b'{\n\t"hello": "Welcome to SOPS! Edit this file as you please!",\n'
    b'\t"example_key": "example_value",\n\t"example_array": [\n\t\t"example_value1",\n'
    b'\t\t"example_value2"\n\t],\n\t"example_number": 1234.56789,\n'
    b'\t"example_booleans": [\n\t\ttrue,\n\t\tfalse\n\t]\n}\n',
    "dotenv": b"# This is an example file.\nhello=Welcome to SOPS! Edit this file as you please!\n"
    b"example_key=example_value\nexample_multiline=foo\\nbar\\nbaz\n",
    "ini": b"[Welcome!]\nhello = Welcome to SOPS! Edit this file as you please!\n"
    b"example_key = example_value\n",
    "binary": b"Welcome to SOPS! Edit this file as you please!",
}


def _rescue(
    env: Environment,
    path: str,
    opened: document.Opened | None,
    opts: document.EncryptOptions | None,
    keys: Keyring | None = None,
) -> object:
    """Keep a rejected edit, encrypted for the same keys, beside the file."""
    import copy
    import time

    def rescue(text: bytes) -> str:
        binary = get_store("binary")
        target = f"{path}.sekret-rescue-{time.strftime('%Y%m%dT%H%M%S')}"
        try:
            if opened is not None:
                meta = copy.deepcopy(opened.meta)
                meta.crypt_rule = None
                blob = document.seal([t.Mapping([("data", text)])], binary, meta, opened.data_key)
            elif opts is not None:
                blob = document.encrypt(text, binary, opts, keys=keys)
            else:
                return ""
            files.atomic_write(env.path(target), blob, mode=0o600)
        except SekretError:
            return ""
        return (
            f"your edit is kept, encrypted for the same keys, in {target!r}; "
            f"see it with: sekret decrypt --input-type binary --output-type binary {target}"
        )

    return rescue


def _asker(env: Environment) -> Callable[[str], bool] | None:
    if not env.stdin_isatty:
        return None

    def ask(message: str) -> bool:
        _ui.say(env, "error", message)
        _ui.say(env, "hint", "press Enter to return to the editor, or Ctrl-C to give up")
        return env.stdin.readline() != b""

    return ask


def _warn_new_file_flags(args: Namespace, env: Environment, path: str) -> None:
    """Keys and rules are for a new file: say so when FILE exists (sops ignores them)."""
    from sekret.cli import sops_flags as flags

    names = ("--age", "--shamir-secret-sharing-threshold", "--mac-only-encrypted",
             *(f"--{r}" for r in flags.CRYPT_RULE_FLAGS))  # fmt: skip
    given = [n for n in names if flags.BY_STRING[n].given(args)]
    if given:
        _ui.warn(env, f"{', '.join(given)}: no effect, {path!r} exists (keys and rules are "
                      "for a new file; see rotate, updatekeys and edit -s)")  # fmt: skip


def edit(args: Namespace, env: Environment) -> int:
    """``sekret edit FILE`` (``-s``: the sops metadata too); a new FILE starts from
    sops's example document."""
    from sekret.files import editor

    path = sops_ops.first_file(args, env, "edit")
    assert path is not None
    full = env.path(path)
    fmt_in, fmt_out = sops_ops.formats(args, path)
    ask = _asker(env)
    if not os.path.exists(full):
        if "." not in os.path.basename(path) and "/" not in path and not args.input_type:
            raise UsageError(
                f"unknown command {path!r}",
                hint="run 'sekret --help' for the commands; to create a new SOPS file, "
                "give it an extension (.yaml, .json, .env, .ini)",
            )
        if args.show_master_keys:
            raise SopsError(
                "--show-master-keys needs an existing file: a new file has no metadata yet",
                hint="create the file first (sekret edit FILE), then edit it with -s",
            )
        opts = sops_ops.options(args, env, args.filename_override or path)
        keys = sops_ops.keyring(env, args)  # pgp and --keyservice, not age only

        def check(raw: bytes) -> bytes:
            get_store(fmt_in).load_plain(raw)  # an error returns to the editor
            return raw

        raw = editor.edit(
            TEMPLATES[fmt_in], path, env.environ, parse=check,
            rescue=_rescue(env, path, None, opts, keys),  # type: ignore[arg-type]
            ask_retry=ask,
        )
        out = sops_ops.store(fmt_out, args, env) if fmt_out != fmt_in else None
        data = document.encrypt(
            raw, sops_ops.store(fmt_in, args, env), opts, output=out, keys=keys
        )
        files.atomic_write(full, data, mode=0o600)
        sops_ops.verbose(env, args, f"file {path!r} written")
        return 0
    _warn_new_file_flags(args, env, path)
    opened = sops_ops.open_file(args, env, path)
    if args.show_master_keys:
        from sekret.cli import sops_edit_keys

        return sops_edit_keys.edit_with_keys(opened, args, env, path, ask)
    output = sops_ops.store(fmt_out, args, env) if fmt_out != fmt_in else opened.store
    docs = opened.docs if output is opened.store else [t.strip_spans(d) for d in opened.docs]
    plain = document.emit_plain(docs, output)

    def parse(raw: bytes) -> list[t.Mapping]:
        store = sops_ops.store(fmt_in, args, env)
        new_docs = store.load_plain(raw)
        opened.store = store  # its text is edited in place: unchanged lines stay
        if fmt_out != fmt_in:
            opened.store = sops_ops.store(fmt_out, args, env)
            new_docs = [t.strip_spans(d) for d in new_docs]
        return new_docs

    new_docs = editor.edit(
        plain, path, env.environ, parse=parse,
        rescue=_rescue(env, path, opened, None),  # type: ignore[arg-type]
        ask_retry=ask,
    )
    sops_ops.write_in_place(env, args, path, document.reseal(opened, new_docs))
    return 0
