"""agenix rules (``secrets.nix``): file name → recipients and armor; pure text parsing.

``secrets.json`` and ``secrets.toml`` hold the same shape as data. For ``secrets.nix``
the CLI asks ``nix-instantiate`` when nix is installed and hands its JSON to
:func:`from_data`; without nix, :func:`parse_nix` reads the simple shape agenix's
example uses: string literals, lists, attribute sets (``"f.age".publicKeys = …``),
``true``/``false``, ``let … in``, variables, ``var.attr`` and ``++``. Anything else
(functions, ``import``, ``with``, interpolation, paths) is refused with a hint to
install nix: it is never guessed at. Nothing here reads a file or runs a program.
"""

from __future__ import annotations

import json
import posixpath
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass

from sekret.errors import SekretError

NIX_HINT = ("install nix (Debian: nix-bin) so that nix-instantiate evaluates this rules "
            "file, or write the same rules as secrets.toml or secrets.json")


SHAPE_HINT = ('the rules are an attribute set of file names, each with publicKeys = [ … ]; '
              'and optionally armor = true;')


class RulesError(SekretError):
    """The rules file cannot be parsed or does not have the agenix shape."""

    def __init__(self, message: str, *, hint: str | None = SHAPE_HINT) -> None:
        super().__init__(message, hint=hint)


@dataclass(frozen=True)
class Rule:
    """Who can read one file, and whether it is written armored."""

    public_keys: tuple[str, ...]
    armor: bool = False


def from_data(data: object, where: str) -> dict[str, Rule]:
    """Rules from evaluated data (nix's JSON, a TOML or JSON file), checked like ragenix.

    Each attribute must be a set with a non-empty ``publicKeys`` list of strings
    (duplicates are dropped) and an optional boolean ``armor``; other keys are ignored.
    """
    if not isinstance(data, dict):
        raise RulesError(f"secrets rules are invalid: {where!r}: expected an attribute set "
                         "of file names")
    rules = {}
    for name, value in data.items():
        if not isinstance(value, dict):
            raise RulesError(f"secrets rules are invalid: {where!r}: {name!r}: expected an "
                             "attribute set with publicKeys")
        keys = value.get("publicKeys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise RulesError(f"secrets rules are invalid: {where!r}: {name!r}.publicKeys: "
                             "expected a non-empty list of strings")
        armor = value.get("armor", False)
        if not isinstance(armor, bool):
            raise RulesError(f"secrets rules are invalid: {where!r}: {name!r}.armor: "
                             "expected true or false")
        rules[str(name)] = Rule(tuple(dict.fromkeys(k.strip() for k in keys)), armor)
    return rules


def parse_json(text: str, where: str) -> dict[str, Rule]:
    """Rules from ``secrets.json`` (``{"f.age": {"publicKeys": [...]}}``)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise RulesError(f"cannot parse {where!r}: {exc}") from None
    return from_data(data, where)


def parse_toml(text: str, where: str) -> dict[str, Rule]:
    """Rules from ``secrets.toml`` (``["f.age"]`` tables with ``publicKeys``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"cannot parse {where!r}: {exc}") from None
    return from_data(data, where)


def find(rules: Mapping[str, Rule], target: str, rules_dir: str) -> str | None:
    """The rule name for the file at absolute path ``target``, or None.

    A name matches when it names the same file relative to the rules file's directory
    (ragenix), so ``sekret agenix -e secrets/x.age --rules secrets/secrets.nix`` works
    from anywhere; ``target`` and ``rules_dir`` must be absolute and normalised.
    """
    for name in rules:
        if posixpath.normpath(posixpath.join(rules_dir, name)) == target:
            return name
    return None


# --------------------------------------------------------------------------- nix subset

_TOKEN = re.compile(r"""
    (?P<ws>\s+|\#[^\n]*|/\*.*?\*/)
  | (?P<str>"(?:[^"\\$]|\\.|\$(?!\{))*")
  | (?P<op>\+\+|[\[\]{}=;.()])
  | (?P<id>[A-Za-z_][A-Za-z0-9_'-]*)
""", re.VERBOSE | re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_KEYWORDS = {"rec", "with", "inherit", "import", "if", "then", "else", "assert", "or"}
_END = ("end", "")


def _tokens(text: str, where: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            line = text.count("\n", 0, pos) + 1
            raise RulesError(f"{where}: line {line}: nix syntax sekret cannot read without "
                             f"nix (near {text[pos:pos + 12]!r})", hint=NIX_HINT)
        if m.lastgroup != "ws":
            out.append((m.lastgroup or "", m.group()))
        pos = m.end()
    return out


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), token[1:-1],
                  flags=re.DOTALL)


class _Nix:
    """A recursive-descent reader of the nix subset above, evaluating as it goes."""

    def __init__(self, text: str, where: str) -> None:
        self.toks = _tokens(text, where)
        self.pos = 0
        self.where = where
        self.scopes: list[dict[str, object]] = []

    def fail(self, what: str) -> RulesError:
        near = self.peek()[1] or "the end of the file"
        return RulesError(f"{self.where}: {what} (near {near!r})", hint=NIX_HINT)

    def peek(self) -> tuple[str, str]:
        return self.toks[self.pos] if self.pos < len(self.toks) else _END

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok == _END or (value is not None and tok[1] != value):
            raise self.fail(f"expected {value!r}" if value else "unexpected end")
        self.pos += 1
        return tok

    def expr(self) -> object:
        if self.peek() == ("id", "let"):
            self.take()
            scope: dict[str, object] = {}
            self.scopes.append(scope)
            while self.peek() != ("id", "in"):
                self.binding(scope)
            self.take("in")
            value = self.expr()
            self.scopes.pop()
            return value
        value = self.select()
        while self.peek() == ("op", "++"):
            self.take()
            right = self.select()
            if not isinstance(value, list) or not isinstance(right, list):
                raise self.fail("'++' needs a list on each side")
            value = value + right
        return value

    def attr_name(self) -> str:
        kind, text = self.peek()
        if kind == "str":
            self.take()
            return _unquote(text)
        if kind == "id" and text not in _KEYWORDS:
            self.take()
            return text
        raise self.fail("expected an attribute name")

    def binding(self, target: dict[str, object]) -> None:
        path = [self.attr_name()]
        while self.peek() == ("op", "."):
            self.take()
            path.append(self.attr_name())
        self.take("=")
        value = self.expr()
        self.take(";")
        for part in path[:-1]:
            inner = target.get(part, {})
            if not isinstance(inner, dict):
                raise self.fail(f"attribute {part!r} is not an attribute set")
            target[part] = inner = dict(inner)  # never change a set a variable holds
            target = inner
        if path[-1] in target:
            raise self.fail(f"attribute {'.'.join(path)!r} defined twice")
        target[path[-1]] = value

    def select(self) -> object:
        value = self.primary()
        while self.peek() == ("op", "."):
            self.take()
            name = self.attr_name()
            if not isinstance(value, dict) or name not in value:
                raise self.fail(f"no attribute {name!r} to select")
            value = value[name]
        return value

    def primary(self) -> object:
        kind, text = self.peek()
        if kind == "str":
            self.take()
            return _unquote(text)
        if text == "[":
            self.take()
            items = []
            while self.peek() != ("op", "]"):
                items.append(self.select())
            self.take("]")
            return items
        if text == "{":
            self.take()
            attrs: dict[str, object] = {}
            while self.peek() != ("op", "}"):
                self.binding(attrs)
            self.take("}")
            return attrs
        if text == "(":
            self.take()
            value = self.expr()
            self.take(")")
            return value
        if kind == "id" and text in ("true", "false"):
            self.take()
            return text == "true"
        if kind == "id" and text in _KEYWORDS:
            raise self.fail(f"{text!r} needs nix")
        if kind == "id":
            for scope in reversed(self.scopes):
                if text in scope:
                    self.take()
                    return scope[text]
            raise self.fail(f"unknown variable {text!r} (only earlier let bindings are known "
                            "without nix)")
        raise self.fail("an expression sekret cannot read without nix")


def parse_nix(text: str, where: str) -> dict[str, Rule]:
    """Rules from the simple ``secrets.nix`` shape, without nix (see the module doc)."""
    p = _Nix(text, where)
    value = p.expr()
    if p.peek() != _END:
        raise p.fail("unexpected text after the rules")
    return from_data(value, where)
