"""chmod(1)'s MODE argument, applied as GNU coreutils applies it; pure.

agenix documents a secret's ``mode`` as "a format understood by chmod" and runs
``chmod MODE FILE`` on the file age has just written, so "0440", "440", "u=r,g=r",
"g+r" and "a-w,u+w" are all valid, and a relative one starts from the file's mode at
that moment. :func:`apply` computes the resulting mode for a regular file: octal
numbers (up to 07777, any number of digits) and symbolic clauses
``[ugoa]*[-+=]([rwxXst]*|[ugo]|octal)…`` separated by commas, with chmod's rules for
what the umask hides when no ``ugoa`` is given, for ``X`` (execute only when some
execute bit is already set) and for copying another class's bits (``g=u``). The real
``chmod`` is the oracle in the tests (hypothesis-generated modes, applied to files).
"""

from __future__ import annotations

from sekret.install.errors import ManifestError

__all__ = ["ACTIVATION_UMASK", "AGENIX_BASE", "InvalidMode", "apply", "manifest_mode"]

#: the mode of the file agenix's ``chmod`` works on: age writes it under
#: ``umask u=r,g=,o=``, so 0666 (or 0600) less 0377
AGENIX_BASE = 0o400
#: the umask of NixOS's activation script (and systemd's default UMask=0022)
ACTIVATION_UMASK = 0o022

_ALL = 0o7777
_R, _W, _X = 0o444, 0o222, 0o111
_WHO = {"u": 0o4700, "g": 0o2070, "o": 0o1007, "a": _ALL}
_PERM = {"r": _R, "w": _W, "x": _X, "s": 0o6000, "t": 0o1000}
_CLASS = {"u": 0o700, "g": 0o070, "o": 0o007}
_OCTAL = "01234567"


class InvalidMode(ValueError):
    """Text chmod would refuse with "invalid mode"."""


def _octal(text: str, i: int) -> tuple[int, int]:
    """The octal number starting at ``text[i]`` and where it ends; over 07777 is invalid."""
    value = 0
    while i < len(text) and text[i] in _OCTAL:
        value = value * 8 + int(text[i])
        if value > _ALL:
            raise InvalidMode(text)
        i += 1
    return value, i


def _adjust(mode: int, op: str, who: int, value: int, *, copy: bool, x_if_any: bool,
            umask: int) -> int:
    if copy:
        value &= mode  # the copied class's bits, spread over all three classes
        value |= ((_R if value & _R else 0) | (_W if value & _W else 0)
                  | (_X if value & _X else 0))
    if x_if_any and mode & _X:  # X on a regular file: only when some x is already set
        value |= _X
    value &= who if who else ~umask & _ALL
    if op == "=":
        return (mode & ~who & _ALL if who else 0) | value
    return mode | value if op == "+" else mode & ~value


def apply(text: str, base: int, *, umask: int = ACTIVATION_UMASK) -> int:
    """The mode ``chmod TEXT`` gives a regular file whose mode is ``base``.

    Raises :class:`InvalidMode` for text chmod refuses ("invalid mode").
    """
    if text[:1] in tuple(_OCTAL):
        value, end = _octal(text, 0)
        if end != len(text):
            raise InvalidMode(text)
        return value
    mode = base & _ALL
    i = 0
    while True:  # one clause: [ugoa]* then one or more actions
        who = 0
        while i < len(text) and text[i] in _WHO:
            who |= _WHO[text[i]]
            i += 1
        if i >= len(text) or text[i] not in "+-=":
            raise InvalidMode(text)
        while i < len(text) and text[i] in "+-=":
            op = text[i]
            i += 1
            copy = x_if_any = False
            affected = who
            if i < len(text) and text[i] in _OCTAL:
                value, i = _octal(text, i)
                if who or (i < len(text) and text[i] != ","):
                    raise InvalidMode(text)
                affected = _ALL  # a number after the operator: no umask
            elif i < len(text) and text[i] in _CLASS:
                value, copy = _CLASS[text[i]], True
                i += 1
            else:
                value = 0
                while i < len(text) and (text[i] in _PERM or text[i] == "X"):
                    if text[i] == "X":
                        x_if_any = True
                    else:
                        value |= _PERM[text[i]]
                    i += 1
            mode = _adjust(mode, op, affected, value, copy=copy, x_if_any=x_if_any,
                           umask=umask)
        if i == len(text):
            return mode
        if text[i] != ",":
            raise InvalidMode(text)
        i += 1


def manifest_mode(text: str, where: str) -> int:
    """An agenix secret's ``mode`` as its ``chmod`` leaves age's file (ManifestError if
    chmod would refuse it)."""
    try:
        return apply(text, AGENIX_BASE)
    except InvalidMode:
        raise ManifestError(where, f"invalid mode: {text!r}", hint=(
            "an agenix mode is anything chmod takes: \"0400\", \"440\", \"u=r,g=r\", "
            "\"g+r\"")) from None
