"""sekret.cli._args parses as argparse does: every real parser of the CLI, and one
declaring each feature the module supports, on generated command lines, compared
with argparse's ``parse_intermixed_args`` over the same declarations."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sekret.cli import _args, gitcrypt_users, install, sops, ssh_to_age
from sekret.errors import UsageError


def _everything() -> _args.Parser:
    p = _args.Parser("t", "t [options]", "every supported declaration")
    a = p.add_argument
    a("-d", "--decrypt", action="store_true")
    a("-e", action="store_true")
    a("-o", "--output", metavar="OUT")
    a("-r", "--recipient", action="append", default=[])
    a("-n", type=int)
    a("--mode", choices=["off", "on"], default="off")
    a("--service", nargs="?", const="yes")
    a("-private-key", "--private-key", dest="private_key", action="store_true")
    a("--pq", "-pq", action="store_true")
    a("-pid", type=int)
    a("--list", action="append")
    a("first")
    a("second", nargs="?")
    a("more", nargs="*")
    return p


def _optional_only() -> _args.Parser:
    p = _args.Parser("t", "t [FILE]", "one optional positional")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("-k", "--key-name")
    p.add_argument("file", nargs="?", metavar="FILE")
    return p


PARSERS: dict[str, Callable[[], _args.Parser]] = {
    **{f"sops {name}": (lambda n=name: sops.parser(n)) for name in sops.DESCRIPTIONS},
    "sops legacy": sops._legacy_parser,
    "ssh-to-age": ssh_to_age._ssh_parser,
    "install": install._parser,
    "git-crypt add-gpg-user": lambda: gitcrypt_users._share_parser("add-gpg-user", "USERID"),
    "everything": _everything,
    "optional positional": _optional_only,
}

PLAIN = ["a", "b", "file.yaml", "x y", "-", "-5", "-1.5", "-.5", "", "-zz", "--nope",
         "--nope=1", "yaml", "json", "1", "-1x", "on", "=", "-=", "--=x"]


def _vocabulary(p: _args.Parser) -> list[str]:
    words = list(PLAIN)
    shorts = []
    for s in p._options:
        words += [s, f"{s}=", f"{s}=x", f"{s}=1", f"{s}=yaml"]
        if len(s) == 2:
            shorts.append(s[1])
            words.append(s + "val")
        elif s[1] != "-":
            words += [s[: k + 1] for k in range(1, len(s) - 1)]  # '-p', '-pr', ...
    words += ["-" + x + y for x in shorts for y in shorts]
    words += ["-" + x + y + "v" for x in shorts[:4] for y in shorts[:4]]
    return sorted(set(words))


def _outcome(parse: Callable[[list[str]], object], argv: list[str]) -> object:
    try:
        return ("ok", dict(sorted(vars(parse(argv)).items())))
    except UsageError as exc:
        return ("error", str(exc))


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=250, deadline=None)
@given(data=st.data())
def test_parses_as_argparse_does(name: str, data: st.DataObject) -> None:
    p = PARSERS[name]()
    reference = p._argparse()
    argv = data.draw(st.lists(st.sampled_from(_vocabulary(p)), max_size=7))
    ours = _outcome(p.parse, argv)
    theirs = _outcome(reference.parse_intermixed_args, argv)
    assert ours == theirs, argv


def test_double_dash_ends_the_options() -> None:
    p = _everything()
    args = p.parse(["-d", "--", "-e", "--", "x"])
    assert (args.decrypt, args.e, args.first, args.second, args.more) == (
        True, False, "-e", "--", ["x"]
    )
    args = p.parse(["--", "-d"])
    assert (args.decrypt, args.first) == (False, "-d")
    with pytest.raises(UsageError, match="argument -o/--output: expected one argument"):
        p.parse(["a", "-o", "--", "b"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--nope", "a"], "unrecognized arguments: --nope"),
        (["a", "-n", "x"], "argument -n: invalid int value: 'x'"),
        (["a", "--mode", "up"], "argument --mode: invalid choice: 'up' (choose from 'off', 'on')"),
        (["a", "-dx"], "argument -d/--decrypt: ignored explicit argument 'x'"),
        (["a", "--decrypt=1"], "argument -d/--decrypt: ignored explicit argument '1'"),
        (["a", "-p"], "ambiguous option: -p could match -private-key, -pq, -pid"),
        ([], "the following arguments are required: first, more"),  # as argparse says
    ],
)
def test_errors_are_usage_errors_in_argparse_words(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError) as info:
        _everything().parse(argv)
    assert str(info.value) == message
    assert info.value.hint == "run 't --help' for usage"


def test_values_and_defaults() -> None:
    args = _everything().parse(["a", "-deo", "out", "-rA", "--recipient=B", "-n", "-5",
                                "--service", "b", "c", "-pq", "--list", "x"])
    assert vars(args) == {
        "help": False, "decrypt": True, "e": True, "output": "out", "recipient": ["A", "B"],
        "n": -5, "mode": "off", "service": "b", "private_key": False, "pq": True,
        "pid": None, "list": ["x"], "first": "a", "second": "c", "more": [],
    }
    # a default list is never shared between parses
    p = _everything()
    p.parse(["a", "-r", "x"])
    assert p.parse(["a"]).recipient == []


def test_unsupported_declarations_are_refused() -> None:
    p = _args.Parser("t", "t", "")
    for kw in ({"action": "count"}, {"nargs": "+"}, {"required": True}, {"bogus": 1}):
        with pytest.raises(TypeError):
            p.add_argument("--x", **kw)
    with pytest.raises(ValueError, match="conflicting"):
        p.add_argument("-h")


def test_help_is_argparses_from_the_same_declarations() -> None:
    p = sops.parser("decrypt")
    text = p.format_help()
    assert text.startswith("usage: sekret decrypt [options] [FILE]\n")
    assert "--extract EXTRACT" in text and "--ignore-mac" in text
    assert "--indent INDENT" in text  # decrypt uses it
    assert "--pgp PGP" not in text and "--age AGE" not in text  # decrypt refuses them


@given(st.text(alphabet="-.0123456789٣²\n a", max_size=6).map(lambda s: "-" + s))
def test_negative_numbers_as_argparses_pattern(text: str) -> None:
    import re

    pattern = re.compile(r"^-\d+$|^-\d*\.\d+$")  # argparse's _negative_number_matcher
    assert _args._is_negative_number(text) == bool(pattern.match(text))
