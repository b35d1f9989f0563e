"""Command-line options: argparse's parsing rules for the subset sekret declares.

A small ``sekret decrypt`` spent 13M of its 129M CPU instructions (10%) on argparse:
importing it (with :mod:`gettext`, and :mod:`locale` for its first message) and building
a parser of ~40 options, each add_argument making a help formatter. This module parses
the same declarations the way ``ArgumentParser.parse_intermixed_args`` does with
``allow_abbrev=False`` — option classification, ``--opt=value``, ``-ovalue``, combined
short flags, single-dash long options, negative numbers and strings with spaces as
positionals, argparse's error messages — and ``tests/cli/test_args.py`` compares the two
on generated command lines. Help text is argparse's own: ``-h`` replays the declarations
into a real :class:`argparse.ArgumentParser`, so help and parsing cannot drift apart.

Deliberate difference: the first ``--`` ends the options, everything after it is
positional and later ``--`` are kept as values. (Python 3.11's intermixed parsing may
instead drop a leading ``--`` and read what follows as options again.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NoReturn

from sekret.errors import UsageError

if TYPE_CHECKING:
    import argparse

    from sekret.cli._env import Environment

SUPPRESS = "==SUPPRESS=="  # argparse.SUPPRESS: an option left out of the help
_ACTIONS = ("store", "store_true", "append")
_KEYWORDS = frozenset(
    ("action", "nargs", "const", "default", "type", "choices", "help", "metavar", "dest",
     "required")
)


class Namespace(SimpleNamespace):
    """The parsed command line: one attribute per option and positional."""


class ArgumentError(Exception):
    """A message in argparse's words, raised as a :class:`UsageError` by the parser."""


class _Arg:
    __slots__ = (
        "action", "choices", "const", "default", "dest", "metavar", "nargs", "required",
        "strings", "type",
    )

    def __init__(self, strings: tuple[str, ...], kw: dict[str, Any]) -> None:
        self.strings = strings
        self.action: str = kw.get("action") or "store"
        self.nargs: str | None = kw.get("nargs")
        self.const: Any = kw.get("const")
        self.type: Callable[[str], Any] | None = kw.get("type")
        self.choices: Sequence[Any] | None = kw.get("choices")
        self.default: Any = kw.get("default", False if self.action == "store_true" else None)
        self.dest: str = kw.get("dest") or _dest(strings)
        self.metavar: str | None = kw.get("metavar")
        # argparse counts a positional '*' without a default as required: it is
        # reported missing when an earlier positional left it unmatched
        self.required = self.nargs is None or (self.nargs == "*" and "default" not in kw)

    @property
    def name(self) -> str:
        """How argparse's messages name it: ``-o/--output``, or a positional's metavar."""
        if self.strings[0].startswith("-"):
            return "/".join(self.strings)
        return self.metavar or self.dest

    def takes(self) -> tuple[int, int]:
        """(fewest, most) values."""
        if self.action == "store_true":
            return 0, 0
        return {None: (1, 1), "?": (0, 1), "*": (0, 1 << 30)}[self.nargs]


def _dest(strings: tuple[str, ...]) -> str:
    if not strings[0].startswith("-"):
        return strings[0]
    chosen = next((s for s in strings if s.startswith("--")), strings[0])
    return chosen.lstrip("-").replace("-", "_")


def _is_negative_number(text: str) -> bool:
    """argparse's ``^-\\d+$|^-\\d*\\.\\d+$`` without importing re for it (``\\d`` is
    :meth:`str.isdecimal`; ``$`` also matches before a final newline)."""
    body = text[1:-1] if text.endswith("\n") else text[1:]
    whole, dot, frac = body.partition(".")
    if dot:
        return frac.isdecimal() and (whole == "" or whole.isdecimal())
    return body.isdecimal()


_Found = tuple["_Arg | None", str, "str | None"]  # (option, the string matched, explicit value)


class Parser:
    """Options and positionals declared with argparse's ``add_argument`` vocabulary.

    ``-h/--help`` is an ordinary flag (``args.help``): the command writes the help to
    its own standard output. Bad command lines raise :class:`UsageError`, never exit.
    """

    def __init__(self, prog: str, usage: str, description: str, epilog: str = "") -> None:
        self.prog = prog
        self._texts = (usage, description, epilog)
        self._calls: list[tuple[tuple[str, ...], dict[str, Any]]] = []
        self._options: dict[str, _Arg] = {}
        self._args: list[_Arg] = []  # every declared argument, options then positionals
        self._positionals: list[_Arg] = []
        self.add_argument("-h", "--help", action="store_true", help="show this help")

    def add_argument(self, *strings: str, **kw: Any) -> None:
        """Declare an option (``-x``, ``--name``) or a positional, as argparse does."""
        if not strings or set(kw) - _KEYWORDS or kw.get("action", "store") not in _ACTIONS:
            raise TypeError(f"unsupported argument declaration {strings} {sorted(kw)}")
        if kw.get("required") or kw.get("nargs") not in (None, "?", "*"):
            raise TypeError(f"unsupported argument declaration {strings}")
        arg = _Arg(strings, kw)
        if strings[0].startswith("-"):
            if arg.nargs == "*" or (arg.nargs == "?" and arg.action != "store"):
                raise TypeError(f"unsupported nargs for option {strings}")
            for s in strings:
                if s in self._options:
                    raise ValueError(f"conflicting option string: {s}")
                self._options[s] = arg
        else:
            self._positionals.append(arg)
        self._args.append(arg)
        self._calls.append((strings, kw))

    # ------------------------------------------------------------------ parsing

    def parse(self, argv: Sequence[str]) -> Namespace:
        """Parse options and positionals in any order (``parse_intermixed_args``)."""
        try:
            return self._parse(list(argv))
        except ArgumentError as exc:
            self.error(str(exc))

    def error(self, message: str) -> NoReturn:
        """A usage error with a pointer to --help."""
        raise UsageError(message, hint=f"run '{self.prog} --help' for usage")

    def _parse(self, argv: list[str]) -> Namespace:
        defaults: dict[str, Any] = {}
        for a in self._args:
            defaults.setdefault(a.dest, a.default)
        ns = Namespace(**defaults)
        end = argv.index("--") if "--" in argv else len(argv)
        # per string before '--': an option, or None for a positional
        found = [self._classify(text) for text in argv[:end]]
        # Options first, left to right; what is left (positional strings, unknown
        # options) goes to the positionals pass in its order.
        rest: list[tuple[str, bool]] = []  # (string, is an unknown option)
        i = 0
        while i < end:
            hit = found[i]
            if hit is None or hit[0] is None:
                rest.append((argv[i], hit is not None))
                i += 1
            else:
                i = self._consume(ns, hit, argv, found, i, end)
        # the first '--' is dropped; everything after it is positional
        rest.extend((text, False) for text in argv[end + 1 :])
        extras = self._assign(ns, rest)
        if extras:
            raise ArgumentError("unrecognized arguments: " + " ".join(extras))
        return ns

    def _classify(self, text: str) -> _Found | None:
        """argparse's ``_parse_optional``: None means a positional string."""
        if not text or text[0] != "-":
            return None
        if text in self._options:
            return self._options[text], text, None
        if len(text) == 1:
            return None
        if "=" in text:
            string, _, value = text.partition("=")
            if string in self._options:
                return self._options[string], string, value
        if text[1] != "-":  # single dash: '-ovalue', or the start of a single-dash name
            hits: list[_Found] = []
            for string, arg in self._options.items():
                if string == text[:2]:
                    hits.append((arg, string, text[2:]))
                elif string.startswith(text):
                    hits.append((arg, string, None))
            if len(hits) > 1:
                matches = ", ".join(string for _, string, _ in hits)
                raise ArgumentError(f"ambiguous option: {text} could match {matches}")
            if hits:
                return hits[0]
        if _is_negative_number(text) or " " in text:
            return None
        return None, text, None

    def _consume(
        self, ns: Namespace, hit: _Found, argv: list[str], found: list[_Found | None],
        i: int, end: int,
    ) -> int:
        """Apply the option at ``argv[i]`` (and what follows in its string); next index."""
        arg, string, explicit = hit
        assert arg is not None
        while True:
            least, most = arg.takes()
            if explicit is None:  # values from the following strings
                n = 0
                while n < most and i + 1 + n < end and found[i + 1 + n] is None:
                    n += 1
                if n < least:
                    raise ArgumentError(f"argument {arg.name}: expected one argument")
                self._act(ns, arg, argv[i + 1 : i + 1 + n])
                return i + 1 + n
            if most == 1:
                self._act(ns, arg, [explicit])
                return i + 1
            if string[1] == "-" or explicit == "":
                raise ArgumentError(f"argument {arg.name}: ignored explicit argument {explicit!r}")
            # combined short flags: '-de' is '-d -e'
            self._act(ns, arg, [])
            string = "-" + explicit[0]
            if string not in self._options:
                raise ArgumentError(f"argument {arg.name}: ignored explicit argument {explicit!r}")
            arg, explicit = self._options[string], explicit[1:] or None

    def _act(self, ns: Namespace, arg: _Arg, values: list[str]) -> None:
        if arg.action == "store_true":
            setattr(ns, arg.dest, True)
            return
        value = self._value(arg, values[0]) if values else self._value(arg, arg.const)
        if arg.action == "append":
            setattr(ns, arg.dest, [*(getattr(ns, arg.dest) or []), value])
        else:
            setattr(ns, arg.dest, value)

    @staticmethod
    def _value(arg: _Arg, text: Any) -> Any:
        value = text
        if arg.type is not None and isinstance(text, str):
            try:
                value = arg.type(text)
            except (TypeError, ValueError):
                kind = getattr(arg.type, "__name__", repr(arg.type))
                message = f"argument {arg.name}: invalid {kind} value: {text!r}"
                raise ArgumentError(message) from None
        if arg.choices is not None and value not in arg.choices:
            choices = ", ".join(map(repr, arg.choices))
            raise ArgumentError(
                f"argument {arg.name}: invalid choice: {value!r} (choose from {choices})"
            )
        return value

    def _assign(self, ns: Namespace, rest: list[tuple[str, bool]]) -> list[str]:
        """Give positional strings to the positionals, run by run (argparse's second
        pass, where an unknown option ends a run); return what nobody took, in order."""
        pending = list(self._positionals)
        extras: list[str] = []
        run: list[str] = []
        for text, unknown in rest:
            if not unknown:
                run.append(text)
                continue
            if run:
                extras.extend(self._match(ns, pending, run))
                run = []
            extras.append(text)
        extras.extend(self._match(ns, pending, run))  # the last run, even an empty one
        missing = [a.name for a in pending if a.required]
        if missing:
            raise ArgumentError("the following arguments are required: " + ", ".join(missing))
        return extras

    def _match(self, ns: Namespace, pending: list[_Arg], run: list[str]) -> list[str]:
        """The longest prefix of ``pending`` that fits the start of ``run``, greedily."""
        for k in range(len(pending), 0, -1):
            bounds = [a.takes() for a in pending[:k]]
            if sum(least for least, _ in bounds) > len(run):
                continue
            at = 0
            for j, (least, most) in enumerate(bounds):
                later = sum(b[0] for b in bounds[j + 1 :])
                n = max(least, min(most, len(run) - at - later))
                arg = pending[j]
                values = run[at : at + n]
                at += n
                if arg.nargs == "*":
                    if values or arg.default is None:
                        setattr(ns, arg.dest, [self._value(arg, v) for v in values])
                elif values:
                    setattr(ns, arg.dest, self._value(arg, values[0]))
            del pending[:k]
            return run[at:]
        return run

    # ------------------------------------------------------------------ help

    def format_help(self) -> str:
        """argparse's help for these declarations."""
        return self._argparse().format_help()

    def write_help(self, env: Environment) -> int:
        """Write the help to standard output; return the exit status 0."""
        env.stdout.write(self.format_help().encode())
        env.stdout.flush()
        return 0

    def _argparse(self) -> argparse.ArgumentParser:
        """The same declarations in a real argparse parser (help, and the tests)."""
        import argparse

        from sekret.cli._help import HelpParser

        usage, description, epilog = self._texts
        p = HelpParser(self.prog, usage, description, epilog)
        for strings, kw in self._calls:
            if kw.get("help") == SUPPRESS:  # argparse tests it by identity
                kw = {**kw, "help": argparse.SUPPRESS}
            p.add_argument(*strings, **kw)
        return p
