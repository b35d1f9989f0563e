"""Go's ``flag`` package rules, for the commands that stand in for Go programs.

``sekret age`` and ``sekret age-keygen`` replace age's ``age`` and ``age-keygen``,
which parse their command line with Go's ``flag`` package; scripts written for them
must work unchanged. So these two commands follow Go's rules rather than the GNU rules
of the rest of sekret (:mod:`sekret.cli._args`):

- one or two dashes are the same: ``-armor``, ``--armor``, ``-o F``, ``-output=F``;
- no bundling: ``-da`` is the unknown flag ``da``;
- a flag that takes a value takes the next argument, whatever it looks like
  (``-o -d`` writes to a file named ``-d``); a boolean flag takes a value only as
  ``-a=false`` (``1 0 t f T F true false TRUE FALSE True False``);
- the flags end at the first argument that is not a flag (``-`` is not one) or
  after ``--``: a flag after the input file is an input file too;
- ``-h``, ``-help`` (and ``--help``) ask for the usage, unless declared.

Errors are Go's, in sekret's voice, with exit status 2 (Go's); the caller prints the
usage after them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sekret.errors import UsageError

_TRUE = frozenset(("1", "t", "T", "TRUE", "true", "True"))
_FALSE = frozenset(("0", "f", "F", "FALSE", "false", "False"))


class FlagError(UsageError):
    """A command line Go's ``flag`` package rejects (exit status 2, usage follows)."""

    exit_code = 2

    def __init__(self, message: str, *, usage: str | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        #: Printed after the error and hint lines, as Go prints the usage.
        self.usage = usage


class RuleError(UsageError):
    """Flags that parse but do not go together (age exits 1 for these, not 2)."""

    exit_code = 1


class _Flag:
    __slots__ = ("dest", "kind", "tag")

    def __init__(self, dest: str, kind: str, tag: str | None = None) -> None:
        self.dest = dest
        self.kind = kind  # "bool", "string" or "list"
        self.tag = tag


class Parsed:
    """The result: flag values by destination, the arguments left, help asked."""

    def __init__(self, values: dict[str, Any], args: list[str], *, help: bool) -> None:
        self.values = values
        self.args = args
        self.help = help

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


class FlagSet:
    """Declared flags, parsed as Go's ``flag.FlagSet.Parse`` does."""

    def __init__(self, usage: str = "") -> None:
        self.usage = usage
        self._flags: dict[str, _Flag] = {}
        self._defaults: dict[str, Any] = {}

    def _add(self, names: Sequence[str], flag: _Flag, default: Any) -> None:
        for name in names:
            self._flags[name] = flag
        self._defaults.setdefault(flag.dest, default)

    def bool(self, dest: str, *names: str) -> None:
        """A boolean flag (``-name``, ``-name=false``)."""
        self._add(names, _Flag(dest, "bool"), False)

    def string(self, dest: str, *names: str) -> None:
        """A flag with a value; the last one given wins."""
        self._add(names, _Flag(dest, "string"), None)

    def repeated(self, dest: str, *names: str, tag: str | None = None) -> None:
        """A flag with a value, repeatable; values are kept in order.

        Flags sharing ``dest`` with different ``tag`` values are kept in one list of
        ``(tag, value)`` pairs (age's ``-i`` and ``-j``, whose relative order matters).
        """
        self._add(names, _Flag(dest, "list", tag), [])

    def _fail(self, message: str) -> FlagError:
        return FlagError(message, usage=self.usage)

    def parse(self, argv: Sequence[str]) -> Parsed:
        """Parse ``argv`` (the arguments after the command name)."""
        values = {dest: (list(v) if isinstance(v, list) else v)
                  for dest, v in self._defaults.items()}
        args = list(argv)
        while args:
            s = args[0]
            if len(s) < 2 or s[0] != "-":
                break
            dashes = 2 if s[1] == "-" else 1
            if s == "--":
                args.pop(0)
                break
            name = s[dashes:]
            if not name or name[0] in "-=":
                raise self._fail(f"bad flag syntax: {s}")
            args.pop(0)
            value: str | None = None
            if "=" in name[1:]:
                name, value = name.split("=", 1)
            flag = self._flags.get(name)
            if flag is None:
                if name in ("h", "help"):
                    return Parsed(values, args, help=True)
                raise self._fail(f"flag provided but not defined: -{name}")
            if flag.kind == "bool":
                if value is None or value in _TRUE:
                    values[flag.dest] = True
                elif value in _FALSE:
                    values[flag.dest] = False
                else:
                    raise self._fail(f"invalid boolean value {value!r} for -{name}: "
                                     "parse error")
                continue
            if value is None:
                if not args:
                    raise self._fail(f"flag needs an argument: -{name}")
                value = args.pop(0)
            if flag.kind == "string":
                values[flag.dest] = value
            elif flag.tag is None:
                values[flag.dest].append(value)
            else:
                values[flag.dest].append((flag.tag, value))
        return Parsed(values, args, help=False)
