"""``sekret age``: encrypt and decrypt files, a drop-in for age 1.3's ``age``.

The command line follows Go's flag rules, as age's does (:mod:`sekret.cli._goflags`),
and age's rules about which flags go together, with age's exit statuses: 0 for the
usage asked with ``-h``, 2 for a command line that does not parse, 1 for anything
else. Before anything is read or asked for, the output file is checked not to be an
input (INPUT, an ``-i`` or an ``-R`` file). Keys: :mod:`sekret.cli.age_keys`;
reading and writing: :mod:`sekret.cli.age_io`. The age library is imported only
once the command line is known to be valid, so usage errors stay fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sekret.cli import _paths, _ui
from sekret.cli._env import Environment
from sekret.cli._goflags import FlagSet, Parsed, RuleError

SYNOPSIS = """\
Usage:
    sekret age [-e] (-r RECIPIENT | -R PATH | -i PATH | -j PLUGIN)... [-a] [-o OUTPUT] [INPUT]
    sekret age [-e] -p [-a] [-o OUTPUT] [INPUT]
    sekret age -d [-i PATH | -j PLUGIN]... [-o OUTPUT] [INPUT]
"""

HELP = SYNOPSIS + """
Options:
    -e, --encrypt               Encrypt INPUT (the default).
    -d, --decrypt               Decrypt INPUT.
    -o, --output OUTPUT         Write to the file OUTPUT ("-": standard output).
    -a, --armor                 Write PEM-armored text instead of binary.
    -p, --passphrase            Encrypt with a passphrase, asked on the terminal.
    -r, --recipient RECIPIENT   Encrypt to RECIPIENT. Repeatable.
    -R, --recipients-file PATH  Encrypt to the recipients listed in PATH. Repeatable.
    -i, --identity PATH         Decrypt with the identity file PATH. Repeatable.
    -j PLUGIN                   Use age-plugin-PLUGIN's identity without data. Repeatable.
    --version                   Print the version.

Flags are parsed as age parses them (Go's rules): one or two dashes alike
(-armor, --armor), a value as the next argument or after "=" (-o F, -o=F), and
every flag before INPUT.

INPUT defaults to standard input and OUTPUT to standard output. OUTPUT is written
to a temporary file and renamed into place only after success, so a failed run
leaves no partial OUTPUT (and an existing OUTPUT keeps its permissions); it may not
be INPUT or one of the key files. Binary output is never written to a terminal
unless forced with "-o -".

RECIPIENT is an age public key (age1..., age1pq1..., the tagged age1tag1... and
age1tagpq1... of hardware keys, age1PLUGIN1...) or an SSH public key (ssh-ed25519
AAAA..., ssh-rsa AAAA...). Recipients files hold one per line. Identity files
hold secret keys (AGE-SECRET-KEY-1...), one SSH private key, or are themselves
passphrase-encrypted age files. Empty lines and lines starting with "#" are
ignored. "-" reads a key file from standard input. With an explicit -e, -i
encrypts to the identities' own recipients. Armored and passphrase-encrypted
files are detected when decrypting. Passphrases are read from the terminal only;
an empty one makes a random passphrase of ten words, shown on the terminal.

examples:
    $ sekret age-keygen -o key.txt
    Public key: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
    $ tar cz ~/data | sekret age -R recipients.txt > data.tar.gz.age
    $ sekret age -R ~/.ssh/id_ed25519.pub -a -o token.age token.txt
    $ sekret age -p -o secret.age secret.txt    # asks for a passphrase
    $ sekret age -d -i key.txt -o data.tar.gz data.tar.gz.age
    $ sekret age -d secret.age                  # asks for the passphrase
"""

_SHORT_USAGE = SYNOPSIS + "Run 'sekret age -h' for the options.\n"
#: Arguments that a shell shows as they are (for the "did you mean" command line).
_SHELL_UNSAFE = re.compile(r"[^\w@%+=:,./-]", re.ASCII)


def _flags() -> FlagSet:
    f = FlagSet(_SHORT_USAGE)
    f.bool("version", "version")
    f.bool("decrypt", "d", "decrypt")
    f.bool("encrypt", "e", "encrypt")
    f.bool("passphrase", "p", "passphrase")
    f.bool("armor", "a", "armor")
    f.string("output", "o", "output")
    f.repeated("recipients", "r", "recipient")
    f.repeated("recipients_files", "R", "recipients-file")
    f.repeated("keys", "i", "identity", tag="i")
    f.repeated("keys", "j", tag="j")
    return f


def run(argv: Sequence[str], env: Environment) -> int:
    """``sekret age …``."""
    if not argv:
        env.stderr.write(HELP.encode())
        return 1
    args = _flags().parse(argv)
    if args.help:
        env.stderr.write(HELP.encode())
        return 0
    if args.version:
        from sekret import __version__

        env.stdout.write(f"sekret age {__version__}\n".encode())
        return 0
    _check_inputs(argv, args.args)
    _check_flags(args)
    _warn_duplicates(env, args)
    source = args.args[0] if args.args else None
    output = args.output or None
    key_files = [v for flag, v in args.keys if flag == "i"]
    _paths.check_output(env, output, [*key_files, *args.recipients_files, source or "-"],
                        error=RuleError)
    _check_stdin(args, source)

    from sekret.cli import age_io, age_keys

    src = age_io.open_input(env, source, decrypting=args.decrypt)
    try:
        if args.decrypt:
            identities = age_keys.decrypt_identities(env, args.keys)
            age_io.decrypt(env, src, source, output, identities)
        else:
            age_io.refuse_binary_output(env, args.output, armor=args.armor)
            recipients = age_keys.encrypt_recipients(
                env, passphrase=args.passphrase, recipients=args.recipients,
                files=args.recipients_files, keys=args.keys)
            age_io.encrypt(env, src, source, output, recipients, armor=args.armor)
    finally:
        age_io.close_input(env, src)
    return 0


def _check_inputs(argv: Sequence[str], rest: Sequence[str]) -> None:
    """One INPUT at most; a flag after INPUT gets a corrected command line as hint."""
    if len(rest) <= 1:
        return
    hints = []
    if rest[1].startswith("-"):
        hints.append("the input file must come after all flags")
        if not any(_SHELL_UNSAFE.search(a) for a in argv):
            i = len(argv) - len(rest)
            fixed = [*argv[:i], *argv[i + 1 :], argv[i]]
            hints.append("did you mean: sekret age " + " ".join(fixed))
    else:
        hints.append("give a single input file at a time")
    raise RuleError("too many INPUT arguments: " + " ".join(repr(a) for a in rest),
                    hint="\n".join(hints))


def _check_flags(args: Parsed) -> None:
    """age's rules about which flags go together."""
    keys = bool(args.keys)
    if args.decrypt:
        if args.encrypt:
            raise RuleError("-e/--encrypt can't be used with -d/--decrypt")
        if args.armor:
            raise RuleError("-a/--armor can't be used with -d/--decrypt",
                            hint="armored files are detected automatically")
        if args.passphrase:
            raise RuleError("-p/--passphrase can't be used with -d/--decrypt",
                            hint="passphrase-protected files are detected automatically")
        if args.recipients or args.recipients_files:
            raise RuleError("-r/--recipient and -R/--recipients-file can't be used with "
                            "-d/--decrypt", hint="did you mean -i/--identity?")
        return
    if keys and not args.encrypt:
        raise RuleError(
            "-i/--identity and -j can't be used in encryption mode unless -e/--encrypt "
            "is given explicitly", hint="did you forget -d/--decrypt?")
    if args.passphrase and (args.recipients or args.recipients_files or keys):
        raise RuleError("-p/--passphrase can't be combined with -r, -R, -i or -j")
    if not (args.passphrase or args.recipients or args.recipients_files or keys):
        raise RuleError("missing recipients", hint="give -r/--recipient, "
                        "-R/--recipients-file or -p/--passphrase")


def _warn_duplicates(env: Environment, args: Parsed) -> None:
    """A value given twice is a typo or a copy-paste slip: say so once per value."""
    def warn(values: Iterable[str], what: str) -> None:
        seen: set[str] = set()
        warned: set[str] = set()
        for value in values:
            if value in seen and value not in warned:
                _ui.warn(env, f"duplicate {what} {value!r}")
                warned.add(value)
            seen.add(value)

    warn(args.recipients, "recipient")
    warn(args.recipients_files, "recipients file")
    warn((v for flag, v in args.keys if flag == "i"), "identity file")


def _check_stdin(args: Parsed, source: str | None) -> None:
    """Standard input can be read for one thing only."""
    from_stdin = [f"-i {p}" for flag, p in args.keys if flag == "i" and p == "-"]
    from_stdin += [f"-R {p}" for p in args.recipients_files if p == "-"]
    if source in (None, "-"):
        from_stdin.append("INPUT")
    if len(from_stdin) > 1:
        raise RuleError("standard input can't be used for both " + " and ".join(from_stdin),
                        hint="read the input from a file, or the keys from a file")
