"""``sekret edit`` (and ``sekret FILE``): edit a SOPS file in the user's editor.

The plaintext lives only in a private tmpfs directory (:mod:`sekret.files.editor`);
re-encryption keeps unchanged values' IVs, so a one-value edit is a one-line diff. A
rejected edit is kept encrypted beside the file, never in clear.
"""

from __future__ import annotations

import os

from sekret import files
from sekret.cli import _ui
from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.cli.sops_ops import _file, _formats, _open, _options
from sekret.errors import SekretError, UsageError
from sekret.files import document
from sekret.sops import tree as t
from sekret.stores.base import get_store

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
                blob = document.encrypt(text, binary, opts)
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


def edit(args: Namespace, env: Environment) -> int:
    from sekret.files import editor

    path = _file(args)
    assert path is not None
    full = env.path(path)
    fmt_in, _ = _formats(args, path)
    ask = None
    if env.stdin_isatty:

        def ask(message: str) -> bool:
            _ui.say(env, "error", message)
            _ui.say(env, "hint", "press Enter to return to the editor, or Ctrl-C to give up")
            return env.stdin.readline() != b""

    if not os.path.exists(full):
        if "." not in os.path.basename(path) and "/" not in path and not args.input_type:
            raise UsageError(
                f"unknown command {path!r}",
                hint="run 'sekret --help' for the commands; to create a new SOPS file, "
                "give it an extension (.yaml, .json, .env, .ini)",
            )
        opts = _options(args, env, path)
        text = editor.edit(
            TEMPLATES[fmt_in],
            path,
            env.environ,
            parse=lambda b: (get_store(fmt_in), b),
            rescue=_rescue(env, path, None, opts),  # type: ignore[arg-type]
            ask_retry=ask,
        )
        store, raw = text
        files.atomic_write(full, document.encrypt(raw, store, opts), mode=0o600)
        return 0
    opened = _open(args, env, path)
    plain = document.emit_plain(opened.docs, opened.store)

    def parse(raw: bytes) -> tuple[document.Opened, list[t.Mapping]]:
        store = get_store(fmt_in)
        docs = store.load_plain(raw)
        opened.store = store
        return opened, docs

    _, docs = editor.edit(
        plain,
        path,
        env.environ,
        parse=parse,
        rescue=_rescue(env, path, opened, None),  # type: ignore[arg-type]
        ask_retry=ask,
    )
    files.atomic_write(full, document.reseal(opened, docs))
    return 0
