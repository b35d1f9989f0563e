"""How testscript splits a script line into words, and expands ``$VAR`` in them.

Words are separated by spaces or tabs; ``#`` outside quotes ends the line (so an
unquoted ``stderr /awesome#plugins`` matches ``/awesome``). Single quotes keep spaces
and disable expansion, and a doubled quote inside them is a literal quote. Expansion
follows Go's ``os.Expand``: ``$NAME``, ``${NAME}``, one-character special names, and
testscript's ``${NAME@R}``, which quotes the value as a regular expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Getenv = Callable[[str], str]

_SPECIAL = set("*#$@!?-0123456789")


class ParseError(ValueError):
    """A line that cannot be split (an unterminated quote)."""


def _is_alnum(c: str) -> bool:
    return c == "_" or ("0" <= c <= "9") or ("a" <= c <= "z") or ("A" <= c <= "Z")


def _shell_name(s: str) -> tuple[str, int]:
    """The variable name at the start of ``s`` (after ``$``) and how many chars it used."""
    if s[0] == "{":
        if len(s) > 2 and s[1] in _SPECIAL and s[2] == "}":
            return s[1:2], 3
        for i in range(1, len(s)):
            if s[i] == "}":
                if i == 1:
                    return "", 2  # bad syntax: eat "${}"
                return s[1:i], i + 1
        return "", 1  # bad syntax: eat "${"
    if s[0] in _SPECIAL:
        return s[0], 1
    i = 0
    while i < len(s) and _is_alnum(s[i]):
        i += 1
    return s[:i], i


def expand(s: str, getenv: Getenv) -> str:
    """Go's ``os.Expand`` with testscript's mapping (``@R`` quotes a regexp)."""
    out: list[str] = []
    i = 0
    while i < len(s):
        if s[i] == "$" and i + 1 < len(s):
            name, width = _shell_name(s[i + 1 :])
            if name:
                if name.endswith("@R"):
                    out.append(re.escape(getenv(name[:-2])))
                else:
                    out.append(getenv(name))
            elif width == 0:
                out.append("$")  # not followed by a name: keep the dollar
            i += 1 + width
            continue
        out.append(s[i])
        i += 1
    return "".join(out)


def split(line: str, getenv: Getenv) -> list[str]:
    """The words of one script line, expanded."""
    args: list[str] = []
    arg = ""
    start = -1
    quoted = False
    i = 0
    while True:
        at_end = i >= len(line)
        if not quoted and (at_end or line[i] in " \t\r#"):
            if start >= 0:
                arg += expand(line[start:i], getenv)
                args.append(arg)
                start, arg = -1, ""
            if at_end or line[i] == "#":
                return args
            i += 1
            continue
        if at_end:
            raise ParseError("unterminated quoted argument")
        if line[i] == "'":
            if not quoted:
                if start >= 0:
                    arg += expand(line[start:i], getenv)
                start, quoted = i + 1, True
            elif i + 1 < len(line) and line[i + 1] == "'":
                arg += line[start:i]  # '' inside quotes: a literal quote
                start = i + 1
                i += 1
            else:
                arg += line[start:i]
                start, quoted = i + 1, False
            i += 1
            continue
        if start < 0:
            start = i
        i += 1
