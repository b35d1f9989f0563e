"""Every flag of sekret's sops commands, in one table, and the parsers built from it.

sops declares its global flags (``sops --help``) once for the top-level command and
again, in part, on each subcommand; what a subcommand does not read it ignores, whether
given before the subcommand (``sops --indent 2 decrypt``) or not at all. sekret parses
each command with the whole table, wherever the flags stand (before or after the
subcommand name, before or after the file), and then refuses every flag the command
does not use: nothing given on a command line is silently ignored.

Go's flag package takes ``-flag`` like ``--flag``; :func:`normalise` rewrites such
single-dash long flags (``-output-type``) so the parser sees the double-dash form.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sekret.cli import _ui
from sekret.cli._args import SUPPRESS, Namespace
from sekret.errors import SopsError

FORMATS = ("yaml", "json", "dotenv", "ini", "binary")
#: every sops command sekret runs, as the flag table names them
MODES = (
    "encrypt", "decrypt", "edit", "set", "unset", "updatekeys", "rotate", "exec-env",
    "exec-file", "filestatus", "groups add", "groups delete", "publish",
)
LEGACY = "legacy"  # only sops's top-level form (sekret -d FILE …)
_ALL = frozenset(MODES)
_DECRYPTING = frozenset(
    {"decrypt", "edit", "set", "unset", "rotate", "exec-env", "exec-file"}
)
_EMITTING = frozenset(
    {"encrypt", "decrypt", "edit", "set", "unset", "rotate", "exec-file", "updatekeys",
     "groups add", "groups delete"}
)
_NEW_FILE = frozenset({"encrypt", "edit"})
_GROUPS = frozenset({"groups add", "groups delete"})
_KEYS = _NEW_FILE | {"groups add"}
#: the key types sekret cannot wrap a data key for yet: flag suffix → what it is
UNSUPPORTED_KEYS = {
    "kms": "AWS KMS",
    "gcp-kms": "GCP KMS",
    "hckms": "HuaweiCloud KMS",
    "azure-kv": "Azure Key Vault",
}
CRYPT_RULE_FLAGS = (
    "unencrypted-suffix", "encrypted-suffix", "unencrypted-regex", "encrypted-regex",
    "unencrypted-comment-regex", "encrypted-comment-regex",
)


class Flag:
    """One option: its strings, argparse keywords, the commands that use it, its help."""

    __slots__ = ("help", "kw", "strings", "uses")

    def __init__(
        self, strings: tuple[str, ...], uses: Iterable[str], help: str, **kw: Any
    ) -> None:
        self.strings = strings
        self.uses = frozenset(uses)
        self.help = help
        self.kw = kw

    @property
    def dest(self) -> str:
        """The attribute the parsed value lands in."""
        return str(self.kw.get("dest") or self.strings[-1].lstrip("-").replace("-", "_"))

    @property
    def name(self) -> str:
        """How messages name it: its long form."""
        return self.strings[-1]

    @property
    def takes_value(self) -> bool:
        """Whether the next argument is its value."""
        return self.kw.get("action") != "store_true"

    def given(self, ns: Namespace) -> bool:
        """Whether the command line set it."""
        return getattr(ns, self.dest, None) not in (None, False, [])


def _f(strings: tuple[str, ...], uses: Iterable[str], help: str, **kw: Any) -> Flag:
    return Flag(strings, uses, help, **kw)


_T = {"action": "store_true"}
_A = {"action": "append", "default": []}

FLAGS: tuple[Flag, ...] = (
    # sops's top-level modes: only the legacy form (sekret -d FILE) reads them
    _f(("-d", "--decrypt"), (), "decrypt FILE to standard output", **_T),
    _f(("-e", "--encrypt"), (), "encrypt FILE to standard output", **_T),
    _f(("-r", "--rotate"), (), "re-encrypt FILE with a new data key", **_T),
    _f(("--set",), (), "set one value: '[\"a\"][\"b\"] \"json\"'", dest="set_value"),
    # keys
    _f(("-a", "--age"), _KEYS, "age recipients (comma-separated; repeatable)", **_A),
    _f(("-p", "--pgp"), _KEYS, "PGP fingerprints, keys of your gpg keyring (comma-separated; "
       "repeatable; or SOPS_PGP_FP)", **_A),
    *(
        _f((f"-{n[0]}", f"--{n}") if n == "kms" else (f"--{n}",), _KEYS, SUPPRESS, **_A)
        for n in UNSUPPORTED_KEYS
    ),
    _f(("--hc-vault-transit",), _KEYS, "Vault/OpenBao transit key URIs, e.g. "
       "https://vault.example.org:8200/v1/transit/keys/dev (comma-separated; repeatable; "
       "or SOPS_VAULT_URIS)", **_A),
    _f(("--add-age",), {"rotate"}, "age recipients to add to the first key group", **_A),
    _f(("--rm-age",), {"rotate"}, "age recipients to remove from every key group", **_A),
    _f(("--add-pgp",), {"rotate"}, "PGP fingerprints to add to the first key group", **_A),
    _f(("--rm-pgp",), {"rotate"}, "PGP fingerprints to remove from every key group", **_A),
    _f(("--add-hc-vault-transit",), {"rotate"},
       "Vault/OpenBao transit key URIs to add to the first key group", **_A),
    _f(("--rm-hc-vault-transit",), {"rotate"},
       "Vault/OpenBao transit key URIs to remove from every key group", **_A),
    *(_f((f"--{p}-{n}",), {"rotate"}, SUPPRESS, **_A) for n in UNSUPPORTED_KEYS
      for p in ("add", "rm")),
    _f(("--aws-profile",), _KEYS | {"rotate"}, SUPPRESS),
    _f(("--encryption-context",), _KEYS | {"rotate"}, SUPPRESS),
    _f(("--shamir-secret-sharing-threshold",), _NEW_FILE | _GROUPS | {"updatekeys", "set",
       "unset"}, "how many key groups are needed to decrypt", type=int),
    # what is encrypted (new files)
    *(_f((f"--{r}",), _NEW_FILE, f"the {r.replace('-', '_')} rule for a new file")
      for r in CRYPT_RULE_FLAGS),
    _f(("--mac-only-encrypted",), _NEW_FILE, "MAC only the encrypted values (new file)", **_T),
    # input and output
    _f(("--input-type",), _ALL, "the input format (default: from the extension)",
       choices=FORMATS),
    _f(("--output-type",), _EMITTING - _GROUPS - {"updatekeys"},
       "the output format (default: from the extension)", choices=FORMATS),
    _f(("--filename-override",), _ALL - _GROUPS - {"updatekeys", "publish"},
       "the file name used for the format and the .sops.yaml rules"),
    _f(("-i", "--in-place"), {"encrypt", "decrypt", "rotate", "edit", "set", "unset"} | _GROUPS,
       "write the result over FILE (edit, set and unset always do)", **_T),
    _f(("--output",), {"encrypt", "decrypt", "rotate"}, "write the result to this file"),
    _f(("--extract",), {"decrypt"}, "print one value, e.g. '[\"db\"][\"password\"]'"),
    _f(("--indent",), _EMITTING, "spaces of indentation for YAML and JSON output", type=int),
    _f(("-s", "--show-master-keys"), {"edit"}, "edit the sops metadata too", **_T),
    # decryption
    _f(("--ignore-mac",), _DECRYPTING, "do not check the MAC", **_T),
    _f(("--decryption-order",), _DECRYPTING | _GROUPS | {"updatekeys"},
       "key types to try first, comma-separated (or SOPS_DECRYPTION_ORDER)"),
    # everywhere
    _f(("--config",), _ALL, "the .sops.yaml to use (default: looked up from here)"),
    _f(("--verbose",), _ALL, "say what is done (config, keys tried, files written)", **_T),
    _f(("--disable-version-check",), _ALL, SUPPRESS, **_T),
    _f(("--check-for-updates",), _ALL, SUPPRESS, **_T),
    _f(("--enable-local-keyservice",), _ALL - {"filestatus"},
       "use the local keys too (the default; =false: only --keyservice)", **_T),
    # what normalise() makes of --enable-local-keyservice=false
    _f(("--no-local-keyservice",), _ALL - {"filestatus"}, SUPPRESS, **_T),
    _f(("--keyservice",), _ALL - {"filestatus"},
       "a key service to use after the local one: unix:///path or tcp://host:port "
       "(repeatable; or SOPS_KEYSERVICE)", **_A),
    # one command each
    _f(("--value-file",), {"set"}, "the third argument is a file holding the value", **_T),
    _f(("--value-stdin",), {"set"}, "read the value from standard input", **_T),
    _f(("--idempotent",), {"set", "unset"}, "do not write the file when nothing changes", **_T),
    _f(("-y", "--yes"), {"updatekeys", "publish"}, "do not ask for confirmation", **_T),
    _f(("--omit-extensions",), {"publish"}, "publish FILE.yaml as FILE", **_T),
    _f(("--recursive",), {"publish"}, "publish every file below a directory", **_T),
    _f(("--user",), {"exec-env", "exec-file"}, "run the command as this user (needs root)"),
    _f(("--background",), {"exec-env", "exec-file"},
       "do not wait for the command (deprecated in sops)", **_T),
    _f(("--pristine",), {"exec-env"}, "only the decrypted variables, no inherited ones", **_T),
    _f(("--same-process",), {"exec-env"}, "exec the command in place of sekret", **_T),
    _f(("--no-fifo",), {"exec-file"}, "a regular 0600 file instead of a FIFO", **_T),
    _f(("--filename",), {"exec-file"}, "the decrypted file's name (default tmp-file)"),
    _f(("-f", "--file"), _GROUPS, "the SOPS file whose key groups change"),
)
BY_STRING = {s: f for f in FLAGS for s in f.strings}
LEGACY_MODES = {"decrypt": "-d", "encrypt": "-e", "rotate": "-r", "set_value": "--set"}


class UnusedFlagError(SopsError):
    """A flag the command does not read (sops would ignore it; exit 1)."""


#: Go's strconv.ParseBool spellings (also SOPS_ENABLE_LOCAL_KEYSERVICE's, sops_services)
GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def normalise(argv: Sequence[str]) -> list[str]:
    """The command line as sekret's parser takes it: Go-style single-dash long flags
    (``-output-type json``) in the double-dash form, and sops's boolean
    ``--enable-local-keyservice=true`` as the bare flag (``=false`` as
    ``--no-local-keyservice``)."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            out.extend(argv[i:])
            break
        if arg.startswith("-") and not arg.startswith("--") and len(arg) > 2:
            if "-" + arg.split("=", 1)[0] in BY_STRING:
                arg = "-" + arg
        name, eq, value = arg.partition("=")
        if name == "--enable-local-keyservice" and eq:
            if value in GO_FALSE:
                arg = "--no-local-keyservice"
            elif value in GO_TRUE:
                arg = name
        out.append(arg)
    return out


def parser(prog: str, usage: str, description: str, epilog: str, mode: str) -> _ui.Parser:
    """A parser that knows every flag of the table; the help shows those ``mode`` uses."""
    p = _ui.Parser(prog, usage, description, epilog)
    for flag in FLAGS:
        shown = flag.help if (mode in flag.uses or (mode == LEGACY and flag.help)) else SUPPRESS
        p.add_argument(*flag.strings, help=shown, **flag.kw)
    p.add_argument("args", nargs="*", help=SUPPRESS)
    return p


def check_used(mode: str, ns: Namespace, *, where: str) -> None:
    """Refuse the first flag given that ``mode`` does not use (legacy modes included)."""
    for flag in FLAGS:
        if not flag.given(ns) or mode in flag.uses:
            continue
        if where == LEGACY and flag.dest in LEGACY_MODES:
            continue
        raise UnusedFlagError(
            f"{flag.name} has no effect on {where_text(mode, where)}",
            hint="sops ignores flags a command does not read; sekret refuses them, so "
            "that nothing on the command line is silently dropped",
        )


def where_text(mode: str, where: str) -> str:
    """'sekret decrypt', or 'the decrypt mode (-d)' for the legacy form."""
    if where == LEGACY:
        flag = LEGACY_MODES.get("set_value" if mode == "set" else mode)
        return f"the {mode} mode" + (f" ({flag})" if flag else " (sekret FILE)")
    return f"'sekret {mode}'"


def option_strings(mode: str) -> list[str]:
    """The flags ``mode`` uses (for shell completion), short forms first."""
    return [s for f in FLAGS if mode in f.uses for s in f.strings]


def valued_option_strings() -> set[str]:
    """Every flag string that takes a value."""
    return {s for f in FLAGS if f.takes_value for s in f.strings}
