"""testscript's built-in commands (all but ``exec``), as age's scripts use them.

Their meaning follows go-internal's ``testscript/cmd.go``: regexps are matched in
multi-line mode (``(?m)``) anywhere in the text; ``stdin``/``ttyin``/``cp``/``cmp``
read ``stdout``, ``stderr`` and ``ttyout`` as the last command's output; ``stdin`` and
``ttyin`` apply to the next command only.

**The stderr relaxation** (``Script.relax_stderr``): sekret need not word its messages
as age does, so a ``stderr PATTERN`` check whose pattern is about wording passes when
the pattern matches *or* anything at all was written to standard error (the latter is
recorded in ``Result.relaxed`` so wording differences stay visible), and fails only
when nothing was. A negated wording check, ``! stderr PATTERN``, cannot be compared
without the wording, so it is made stricter: nothing at all may be on standard error.
Presence checks (``stderr .``, ``! stderr .``) and the patterns in
:data:`DATA_PATTERNS`, which check data rather than wording, are never relaxed, nor
is any ``stdout``, ``ttyout``, ``grep`` or ``cmp`` check.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from tests.age.testscript.interp import Script

#: stderr patterns about data (the key printed), not wording: always matched as written.
DATA_PATTERNS = frozenset({"Public key: age1", "Public key: age1pq1"})


class Fail(Exception):
    """The current line failed."""


class Skip(Exception):
    """The script asked to be skipped."""


def _no_neg(neg: bool, name: str) -> None:
    if neg:
        raise Fail(f"unsupported: ! {name}")


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _excerpt(data: bytes, limit: int = 200) -> str:
    text = _text(data).strip()
    return repr(text if len(text) <= limit else text[:limit] + "…")


def cmd_stdin(ts: Script, neg: bool, args: list[str]) -> None:
    _no_neg(neg, "stdin")
    if len(args) != 1:
        raise Fail("usage: stdin filename")
    if ts.stdin_pty:
        raise Fail("conflicting use of 'stdin' and 'ttyin -stdin'")
    ts.stdin = ts.read(args[0])


def cmd_ttyin(ts: Script, neg: bool, args: list[str]) -> None:
    _no_neg(neg, "ttyin")
    if len(args) == 2 and args[0] == "-stdin":
        if ts.stdin is not None:
            raise Fail("conflicting use of 'stdin' and 'ttyin -stdin'")
        ts.stdin_pty = True
        args = args[1:]
    if len(args) != 1:
        raise Fail("usage: ttyin [-stdin] filename")
    ts.ttyin = ts.read(args[0])
    if not ts.ttyin:
        raise Fail("tty input file is empty")


def _match_args(args: list[str], name: str, want: int) -> tuple[int, list[str]]:
    count = 0
    if args and args[0].startswith("-count="):
        count = int(args[0][len("-count="):])
        if count < 1:
            raise Fail("bad -count=: must be at least 1")
        args = args[1:]
    if len(args) != want:
        raise Fail(f"usage: {name} [-count=N] 'pattern'" + (" file" if want == 2 else ""))
    return count, args


def match(neg: bool, count: int, pattern: str, data: bytes, name: str) -> None:
    """testscript's ``scriptMatch``: the pattern must (not) be found in ``data``."""
    if neg and count:
        raise Fail("cannot use -count= with negated match")
    try:
        regexp = re.compile("(?m)" + pattern)
    except re.error as exc:
        raise Fail(f"bad pattern {pattern!r}: {exc}") from None
    text = _text(data)
    found = regexp.search(text)
    if neg and found:
        raise Fail(f"unexpected match for {pattern!r} found in {name}: {found.group(0)!r}")
    if not neg and not found:
        raise Fail(f"no match for {pattern!r} found in {name}")
    if count and len(regexp.findall(text)) != count:
        raise Fail(f"have {len(regexp.findall(text))} matches for {pattern!r}, want {count}")


def cmd_stdout(ts: Script, neg: bool, args: list[str]) -> None:
    count, (pattern,) = _match_args(args, "stdout", 1)
    match(neg, count, pattern, ts.stdout, "stdout")


def cmd_ttyout(ts: Script, neg: bool, args: list[str]) -> None:
    count, (pattern,) = _match_args(args, "ttyout", 1)
    match(neg, count, pattern, ts.ttyout, "ttyout")


def cmd_grep(ts: Script, neg: bool, args: list[str]) -> None:
    count, (pattern, name) = _match_args(args, "grep", 2)
    match(neg, count, pattern, ts.read(name), name)


def cmd_stderr(ts: Script, neg: bool, args: list[str]) -> None:
    count, (pattern,) = _match_args(args, "stderr", 1)
    if not ts.relax_stderr or count or pattern == "." or pattern in DATA_PATTERNS:
        match(neg, count, pattern, ts.stderr, "stderr")
        return
    printed = bool(ts.stderr.strip())
    if neg:
        if printed:
            raise Fail(f"stderr must not say {pattern!r}; wording is not compared, so "
                       f"nothing may be printed (relaxed check), got {_excerpt(ts.stderr)}")
        return
    if re.search("(?m)" + pattern, _text(ts.stderr)):
        return
    if not printed:
        raise Fail(f"no match for {pattern!r} found in stderr, and nothing at all was "
                   "printed to stderr (the relaxed check needs some message)")
    ts.result.relaxed.append(f"line {ts.lineno}: stderr {pattern!r}: got {_excerpt(ts.stderr)}")


def cmd_cmp(ts: Script, neg: bool, args: list[str]) -> None:
    if len(args) != 2:
        raise Fail("usage: cmp file1 file2")
    if args[0] == args[1]:
        raise Fail("cmp: cannot compare a file against itself")
    got = ts.read(args[0])
    try:
        want = Path(ts.abs(args[1])).read_bytes()
    except OSError as exc:
        raise Fail(f"cannot read {args[1]}: {exc.strerror}") from None
    if neg:
        if got == want:
            raise Fail(f"{args[0]} and {args[1]} do not differ")
        return
    if got != want:
        diff = list(difflib.unified_diff(_text(want).splitlines(), _text(got).splitlines(),
                                         args[1], args[0], lineterm=""))
        if len(diff) > 16:
            diff = [*diff[:16], f"… ({len(diff) - 16} more diff lines)"]
        raise Fail(f"{args[0]} and {args[1]} differ:\n" + "\n".join(repr(d)[1:-1] for d in diff))


def cmd_cp(ts: Script, neg: bool, args: list[str]) -> None:
    _no_neg(neg, "cp")
    if len(args) < 2:
        raise Fail("usage: cp src... dst")
    dst = Path(ts.abs(args[-1]))
    if len(args) > 2 and not dst.is_dir():
        raise Fail(f"cp: destination {dst} is not a directory")
    for src in args[:-1]:
        if src in ("stdout", "stderr", "ttyout"):
            data, mode = ts.read(src), 0o666
        else:
            path = Path(ts.abs(src))
            try:
                data, mode = path.read_bytes(), stat.S_IMODE(path.stat().st_mode)
            except OSError as exc:
                raise Fail(f"cp: {src}: {exc.strerror}") from None
        target = dst / Path(src).name if dst.is_dir() else dst
        # os.WriteFile: the mode (less the umask) applies only to a new file
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)


def cmd_env(ts: Script, neg: bool, args: list[str]) -> None:
    _no_neg(neg, "env")
    if not args:
        ts.result.transcript += [f"{k}={v}" for k, v in ts.env.items()]
    for arg in args:
        key, sep, value = arg.partition("=")
        if sep:
            ts.env[key] = value
        else:
            ts.result.transcript.append(f"{key}={ts.getenv(key)}")


def cmd_exists(ts: Script, neg: bool, args: list[str]) -> None:
    readonly = bool(args) and args[0] == "-readonly"
    args = args[1:] if readonly else args
    if not args:
        raise Fail("usage: exists [-readonly] file...")
    for name in args:
        path = ts.abs(name)
        try:
            st = os.stat(path)
        except OSError:
            if not neg:
                raise Fail(f"{path} does not exist") from None
            continue
        if neg:
            kind = "directory" if stat.S_ISDIR(st.st_mode) else "file"
            raise Fail(f"{kind} {path} unexpectedly exists")
        if readonly and st.st_mode & 0o222:
            raise Fail(f"{path} exists but is writable")


def cmd_mkdir(ts: Script, neg: bool, args: list[str]) -> None:
    _no_neg(neg, "mkdir")
    if not args:
        raise Fail("usage: mkdir dir...")
    for name in args:
        os.makedirs(ts.abs(name), exist_ok=True)


def cmd_rm(ts: Script, neg: bool, args: list[str]) -> None:
    _no_neg(neg, "rm")
    if not args:
        raise Fail("usage: rm file...")
    for name in args:
        path = ts.abs(name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)


def cmd_chmod(ts: Script, neg: bool, args: list[str]) -> None:
    _no_neg(neg, "chmod")
    if len(args) < 2:
        raise Fail("usage: chmod perm paths...")
    try:
        perm = int(args[0], 8)
    except ValueError:
        perm = -1
    if not 0 <= perm <= 0o777:
        raise Fail(f"invalid mode: {args[0]}")
    for name in args[1:]:
        os.chmod(ts.abs(name), perm)


def cmd_skip(ts: Script, neg: bool, args: list[str]) -> None:
    _no_neg(neg, "skip")
    raise Skip(" ".join(args))


COMMANDS: dict[str, Callable[[Script, bool, list[str]], None]] = {
    "chmod": cmd_chmod, "cmp": cmd_cmp, "cp": cmd_cp, "env": cmd_env, "exists": cmd_exists,
    "grep": cmd_grep, "mkdir": cmd_mkdir, "rm": cmd_rm, "skip": cmd_skip, "stderr": cmd_stderr,
    "stdin": cmd_stdin, "stdout": cmd_stdout, "ttyin": cmd_ttyin, "ttyout": cmd_ttyout,
}
