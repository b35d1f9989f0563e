"""agenix's ``secrets.nix`` edited in its own syntax: a host's SSH key in, or out.

The file is scanned into tokens with their offsets (strings with ``${…}``, ``''…''``
strings and comments are skipped whole), then its shape is read: an optional
``let … in`` of bindings, then the attribute set of secrets, each either
``"f.age".publicKeys = EXPR;`` or ``"f.age" = { publicKeys = EXPR; … };``. Adding host
``web1`` binds ``web1 = "ssh-ed25519 …";`` after the last ``let`` binding (or in a new
``let``) and puts ``web1`` at the end of each chosen secret's ``publicKeys``: inside its
list literal, else as ``EXPR ++ [ web1 ]``. Removing takes the binding and every use of
``web1`` in a list out. Nothing is evaluated here: the caller compares the evaluated
rules (``nix-instantiate --eval --strict --json``, or sekret's reader) before and after.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sekret._record import field, record
from sekret.errors import SekretError
from sekret.hosts.yamltext import Edits, column, line_after, line_start

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_'-]*")
_KEYWORDS = frozenset({"if", "then", "else", "let", "in", "with", "assert", "or", "rec"})
_SIMPLE = frozenset({"id", "str", "++", ".", "[", "]"})  # exprs `++ [ x ]` may follow bare


class NixEditError(SekretError):
    """The rules file has a shape sekret does not edit."""


@record
class Tok:
    """One token: kind (``id``, ``str``, ``num`` or the operator itself) and its span."""

    kind: str
    start: int
    end: int
    text: str


def _skip_string(text: str, pos: int) -> int:
    """The end of the ``"…"`` string starting at ``pos`` (``${…}`` nested)."""
    i = pos + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            return i + 1
        if text.startswith("${", i):
            i = _skip_braces(text, i + 1)
            continue
        i += 1
    raise NixEditError("an unterminated string in the rules file")


def _skip_indented(text: str, pos: int) -> int:
    i = pos + 2
    while i < len(text):
        if text.startswith("'''", i) or text.startswith("''$", i) or text.startswith("''\\", i):
            i += 3
        elif text.startswith("''", i):
            return i + 2
        elif text.startswith("${", i):
            i = _skip_braces(text, i + 1)
        else:
            i += 1
    raise NixEditError("an unterminated ''string'' in the rules file")


def _skip_braces(text: str, pos: int) -> int:
    depth = 0
    for tok in _scan(text, pos):
        depth += {"{": 1, "}": -1}.get(tok.kind, 0)
        if depth == 0:
            return tok.end
    raise NixEditError("an unterminated ${…} in the rules file")


def _scan(text: str, pos: int = 0) -> _Gen:
    return _Gen(text, pos)


class _Gen:
    """Tokens from ``pos`` on, lazily (``${…}`` skipping needs only a few)."""

    def __init__(self, text: str, pos: int) -> None:
        self.text, self.pos = text, pos

    def __iter__(self) -> _Gen:
        return self

    def __next__(self) -> Tok:
        text, i = self.text, self.pos
        while i < len(text):
            if text[i].isspace():
                i += 1
            elif text[i] == "#":
                i = line_after(text, i)
            elif text.startswith("/*", i):
                end = text.find("*/", i + 2)
                if end < 0:
                    raise NixEditError("an unterminated comment in the rules file")
                i = end + 2
            else:
                break
        if i >= len(text):
            raise StopIteration
        ch = text[i]
        if ch == '"':
            end, kind = _skip_string(text, i), "str"
        elif text.startswith("''", i):
            end, kind = _skip_indented(text, i), "str"
        elif m := _IDENT.match(text, i):
            end, kind = m.end(), "id"
        elif text.startswith(("++", "//", "==", "!=", "&&", "||", "->", "<=", ">="), i):
            end = i + 2
            kind = text[i:end]
        elif ch.isdigit():
            end = i + 1
            while end < len(text) and (text[end].isalnum() or text[end] in "._"):
                end += 1
            kind = "num"
        elif ch in "./~" and (m2 := re.compile(r"[A-Za-z0-9._~+-]*/[A-Za-z0-9._/+-]+").match(
                text, i)):
            end, kind = m2.end(), "path"
        else:
            end, kind = i + 1, ch
        self.pos = end
        return Tok(kind, i, end, text[i:end])


def tokens(text: str) -> list[Tok]:
    """Every token of ``text``."""
    return list(_Gen(text, 0))


@record
class Binding:
    """``path = value;``: the attribute path, the value's tokens, where it all is."""

    path: list[str]
    start: int  # the first token of the path
    end: int  # just past the ';'
    value: list[Tok] = field(default_factory=list)


@record
class Shape:
    """The parts of a rules file that the edits touch."""

    lets: list[Binding]
    body_start: int  # the '{' of the secrets' set
    secrets: dict[str, list[Tok]]  # file name → the tokens of its publicKeys expression
    has_let: bool = False
    let_start: int = 0  # the 'let' keyword
    in_tok: int = 0  # the 'in' keyword


def _name(tok: Tok) -> str:
    if tok.kind == "str":
        if "${" in tok.text or tok.text.startswith("''"):
            raise NixEditError(f"an interpolated attribute name {tok.text!r}")
        return re.sub(r"\\(.)", r"\1", tok.text[1:-1])
    if tok.kind == "id":
        return tok.text
    raise NixEditError(f"expected an attribute name, found {tok.text!r}")


def _bindings(toks: list[Tok], i: int, close: str) -> tuple[list[Binding], int]:
    """The bindings from ``toks[i]`` up to ``close`` (``in`` or ``}``); and its index."""
    out: list[Binding] = []
    while True:
        if i >= len(toks):
            raise NixEditError(f"expected {close!r} before the end of the rules file")
        if toks[i].text == close:
            return out, i
        if toks[i].text == "inherit":
            while toks[i].kind != ";":
                i += 1
            i += 1
            continue
        start = toks[i].start
        path = [_name(toks[i])]
        i += 1
        while toks[i].kind == ".":
            path.append(_name(toks[i + 1]))
            i += 2
        if toks[i].kind != "=":
            raise NixEditError(f"expected '=' after {'.'.join(path)!r}")
        i += 1
        depth, j = 0, i
        while depth or toks[j].kind != ";":
            depth += {"[": 1, "{": 1, "(": 1, "]": -1, "}": -1, ")": -1}.get(toks[j].kind, 0)
            if toks[j].text in ("let",) and depth == 0:
                raise NixEditError("a let … in inside a binding at the top level")
            j += 1
        out.append(Binding(path, start, toks[j].end, toks[i:j]))
        i = j + 1


def shape(text: str) -> Shape:
    """Read the shape of a rules file (raises :class:`NixEditError` for another shape)."""
    toks = tokens(text)
    i = 0
    lets: list[Binding] = []
    has_let = bool(toks) and toks[0].text == "let"
    in_tok = 0
    if has_let:
        lets, i = _bindings(toks, 1, "in")
        in_tok = i
        i += 1
    if i < len(toks) and toks[i].text == "rec":
        i += 1
    if i >= len(toks) or toks[i].kind != "{":
        raise NixEditError("the rules are not an attribute set ({ \"f.age\".publicKeys = …; })",
                           hint="write secrets.nix as agenix's README does, or edit it by hand")
    body_start = toks[i].start
    attrs, end = _bindings(toks, i + 1, "}")
    if end != len(toks) - 1:
        raise NixEditError("text after the attribute set of secrets")
    secrets: dict[str, list[Tok]] = {}
    for b in attrs:
        if b.path[1:] == ["publicKeys"] and len(b.path) == 2:
            secrets[b.path[0]] = b.value
        elif len(b.path) == 1 and b.value and b.value[0].kind == "{":
            inner, _ = _bindings(b.value, 1, "}")
            for ib in inner:
                if ib.path == ["publicKeys"]:
                    secrets[b.path[0]] = ib.value
    return Shape(lets, body_start, secrets, has_let, toks[0].start if has_let else 0,
                 toks[in_tok].start if has_let else 0)


def _matching(toks: list[Tok], i: int) -> int:
    depth = 0
    for j in range(i, len(toks)):
        depth += {"[": 1, "{": 1, "(": 1, "]": -1, "}": -1, ")": -1}.get(toks[j].kind, 0)
        if depth == 0:
            return j
    return -1


def add_host(text: str, name: str, public_key: str, select: Callable[[str], bool]
             ) -> tuple[str, list[str]]:
    """Bind ``name`` to ``public_key`` and add it to the secrets ``select`` picks.

    Returns the new text and the names of the secrets that got the key.
    """
    if not _IDENT.fullmatch(name) or name in ("let", "in", "rec", "with", "inherit"):
        raise NixEditError(f"{name!r} is not a nix identifier",
                           hint="use letters, digits, '_', '-' and \"'\" (not first)")
    sh = shape(text)
    ed = Edits(text)
    literal = '"' + public_key.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'
    bound = [b for b in sh.lets if b.path == [name]]
    if bound:
        if [t.text for t in bound[0].value] != [literal]:
            raise NixEditError(f"{name!r} is already bound to something else in the rules",
                               hint=f"remove the host first (sekret host rm {name})")
    elif sh.has_let and sh.lets:
        last = sh.lets[-1]
        indent = " " * column(text, last.start)
        ed.insert_line_after(last.end - 1, f"{indent}{name} = {literal};")
    elif sh.has_let:
        ed.insert(sh.in_tok, f"  {name} = {literal};\n")
    else:
        ed.insert(line_start(text, sh.body_start), f"let\n  {name} = {literal};\nin\n")
    changed = []
    for secret, expr in sh.secrets.items():
        if not select(secret) or not expr:
            continue
        if any(t.kind == "id" and t.text == name for t in expr):
            continue
        changed.append(secret)
        if expr[0].kind == "[" and _matching(expr, 0) == len(expr) - 1:
            close, items = expr[-1], expr[1:-1]
            if not items:
                ed.replace(expr[0].start, close.end, f"[ {name} ]")
            elif "\n" in text[items[-1].end:close.start]:
                indent = " " * column(text, items[-1].start)
                ed.insert(items[-1].end, f"\n{indent}{name}")
            else:
                ed.insert(items[-1].end, f" {name}")
        elif all(t.kind in _SIMPLE and t.text not in _KEYWORDS for t in expr):
            ed.insert(expr[-1].end, f" ++ [ {name} ]")
        else:
            ed.insert(expr[0].start, "(")
            ed.insert(expr[-1].end, f") ++ [ {name} ]")
    return ed.apply(), changed


def bound_key(text: str, name: str) -> str:
    """The public key the ``let`` binding ``name`` holds (a string literal)."""
    bound = [b for b in shape(text).lets if b.path == [name]]
    if not bound or len(bound[0].value) != 1 or bound[0].value[0].kind != "str" or \
            "${" in bound[0].value[0].text:
        raise NixEditError(f"the rules have no binding {name} = \"ssh-ed25519 …\";",
                           hint="the host's key is a let binding named after it")
    return _name(bound[0].value[0])


def remove_host(text: str, name: str) -> tuple[str, list[str]]:
    """Remove the binding ``name`` and every use of it in a list; the secrets changed."""
    sh = shape(text)
    bound = [b for b in sh.lets if b.path == [name]]
    if not bound:
        raise NixEditError(f"the rules have no binding {name!r}")
    ed = Edits(text)
    b = bound[0]
    if len(sh.lets) == 1:  # the let … in goes too (as an add without one made it)
        end = sh.in_tok + 2
        rest = text[end:line_after(text, end)]
        ed.replace(sh.let_start, line_after(text, end) if not rest.strip() else end, "")
    else:
        ed.replace(line_start(text, b.start), line_after(text, b.end - 1), "")
    changed = [s for s, expr in sh.secrets.items()
               if any(t.kind == "id" and t.text == name for t in expr)]
    toks = tokens(text)
    for i, tok in enumerate(toks):
        if tok.kind != "id" or tok.text != name or b.start <= tok.start < b.end:
            continue
        prev, nxt = toks[i - 1], toks[i + 1] if i + 1 < len(toks) else None
        if prev.kind == "[" and nxt is not None and nxt.kind == "]" and i >= 2 and \
                toks[i - 2].kind == "++":
            ed.replace(toks[i - 3].end, nxt.end, "")  # the `++ [ name ]` an add made
        elif prev.kind in ("[", "id", "str", "]", ")") and nxt is not None and \
                nxt.kind not in (".", "="):
            own_line = text[line_start(text, tok.start):tok.start].strip() == "" and \
                text[tok.end:line_after(text, tok.end)].strip() == ""
            if own_line:
                ed.replace(line_start(text, tok.start), line_after(text, tok.end), "")
            else:
                ed.replace(prev.end, tok.end, "")
        else:
            raise NixEditError(f"{name!r} is used in an expression sekret does not edit "
                               f"(line {text.count(chr(10), 0, tok.start) + 1})",
                               hint="remove it there by hand and run it again")
    return ed.apply(), changed
