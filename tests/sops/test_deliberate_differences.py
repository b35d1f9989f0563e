"""The README's "deliberate differences" from sops 3.11, one test each.

Every entry of the list in README.md (section "SOPS files (the main job)") is run here
through sekret *and* the real sops, and both behaviours are asserted: the test fails if
either tool changes. Each test is named ``test_<id>`` and its docstring is the entry's
id; :func:`test_readme_lists_exactly_these_differences` checks that the README and this
module name the same set.
"""

from __future__ import annotations

import os
import pwd
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import yaml

from tests.sops.conftest import Key, Result, clean_env, sekret, sops, sops_path

README = Path(__file__).resolve().parents[2] / "README.md"
LIST_START = "What sekret does differently, on purpose"
ENTRY = re.compile(r"^- \*\*[^*]+\*\* \(`([a-z0-9-]+)`\): \S")

# a YAML file as people write it: 2-space indent, comments, a blank line, a quoted value
# left in clear
PLAIN_YAML = """\
# database settings
db:
  user: admin   # who connects
  port: 5432

  note_unencrypted: 'kept as written'
list:
  - a
  - b
"""

# an editor that breaks the YAML on its first two runs and makes a valid change on the third
COUNTING_EDITOR = """\
count = pathlib.Path(os.environ["EDIT_COUNT"])
n = int(count.read_text()) + 1 if count.exists() else 1
count.write_text(str(n))
orig = pathlib.Path(os.environ["EDIT_COUNT"] + ".orig")
if n == 1:
    orig.write_text(p.read_text())
if n < 3:
    p.write_text(p.read_text() + "\\nbad: [\\n")
else:
    p.write_text(orig.read_text().replace("5432", "6000"))
"""


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _twin(tmp: Path, files: Mapping[str, str | bytes]) -> tuple[Path, Path]:
    """Two directories with the same files: one for sops, one for sekret."""
    dirs = []
    for name in ("sops", "sekret"):
        d = tmp / name
        d.mkdir(parents=True)
        for fname, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            (d / fname).write_bytes(data)
        dirs.append(d)
    return dirs[0], dirs[1]


def _editor(tmp: Path, body: str) -> str:
    """An EDITOR command: a Python script run on the file to edit (``p``)."""
    script = tmp / f"editor{len(list(tmp.glob('editor*.py')))}.py"
    script.write_text("import os, sys, pathlib\np = pathlib.Path(sys.argv[1])\n" + body)
    return f"{sys.executable} {script}"


def _call(
    argv: list[str],
    cwd: Path,
    env: Mapping[str, str],
    preexec: Callable[[], None] | None = None,
    **kw: object,
) -> Result:
    """Run a command with extra subprocess options (``preexec_fn``, ``extra_groups``)."""
    proc = subprocess.run(
        argv, cwd=cwd, env=dict(env), capture_output=True, timeout=60, check=False,
        preexec_fn=preexec, **kw,  # type: ignore[call-overload]
    )  # fmt: skip
    return Result(proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"))


SEKRET = [sys.executable, "-m", "sekret"]


def _sops_argv() -> list[str]:
    return [sops_path()]


def _encrypted_by_sops(d: Path, key: Key, name: str, text: str) -> Path:
    (d / name).write_text(text)
    r = sops(["encrypt", "-i", "--age", key.recipient, name], d, clean_env(key))
    assert r.status == 0, r.err
    return d / name


def _decrypted(d: Path, name: str, key: Key) -> object:
    r = sops(["decrypt", name], d, clean_env(key))
    assert r.status == 0, r.err
    return yaml.safe_load(r.out)


def _wait_for(path: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never came"
        time.sleep(0.05)


def _fs_type(path: str) -> str:
    """The file system type of the mount that holds ``path``."""
    best, kind = "", ""
    for line in Path("/proc/mounts").read_text().splitlines():
        mount, fstype = line.split()[1], line.split()[2]
        inside = path == mount or path.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, kind = mount, fstype
    return kind


# --------------------------------------------------------------------------------------
# the README list and this module
# --------------------------------------------------------------------------------------


def readme_ids() -> list[str]:
    """The ids of the README's list, in order (an entry may run over several lines)."""
    lines = README.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(LIST_START))
    entries: list[str] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            if entries:
                break
        elif line.startswith("- "):
            entries.append(line)
        else:
            assert entries and line.startswith("  "), f"not part of the list: {line!r}"
            entries[-1] += " " + line.strip()
    ids = []
    for entry in entries:
        m = ENTRY.match(entry)
        assert m, f"a README entry without a bold name and an id: {entry!r}"
        ids.append(m.group(1))
    return ids


def test_readme_lists_exactly_these_differences() -> None:
    ids = readme_ids()
    assert len(ids) == len(set(ids)), "an id is listed twice"
    module = sys.modules[__name__]
    tests = {
        name: getattr(module, name)
        for name in dir(module)
        if name.startswith("test_") and name != "test_readme_lists_exactly_these_differences"
    }
    for name, func in tests.items():
        doc = (func.__doc__ or "").strip()
        assert name == "test_" + doc.replace("-", "_"), f"{name}: docstring {doc!r}"
    documented = {(f.__doc__ or "").strip() for f in tests.values()}
    assert set(ids) - documented == set(), "listed in the README without a test"
    assert documented - set(ids) == set(), "tested here but not in the README"


# --------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------


def test_in_place_yaml(tmp_path: Path, keys: list[Key]) -> None:
    """in-place-yaml"""
    key = keys[0]
    env = clean_env(key)
    (tmp_path / "f.yaml").write_text(PLAIN_YAML)
    r = sekret(["encrypt", "-i", "--age", key.recipient, "f.yaml"], tmp_path, env)
    assert r.status == 0, r.err
    before = (tmp_path / "f.yaml").read_text()
    assert "\n  port: ENC[" in before and "\n\n  note_unencrypted: 'kept as written'\n" in before
    edit = _editor(tmp_path, "p.write_text(p.read_text().replace('5432', '6000'))\n")
    for how, args, extra, value in (
        ("set", ["set", "f.yaml", '["db"]["port"]', "5433"], {}, 5433),
        ("edit", ["edit", "f.yaml"], {"EDITOR": edit}, 6000),
    ):
        d_sops, d_ours = _twin(tmp_path / how, {"f.yaml": before})
        r = sops(args, d_sops, clean_env(key, **extra))
        assert r.status == 0, r.err
        r = sekret(args, d_ours, clean_env(key, **extra))
        assert r.status == 0, r.err
        for d in (d_sops, d_ours):
            assert _decrypted(d, "f.yaml", key) == {
                "db": {"user": "admin", "port": value, "note_unencrypted": "kept as written"},
                "list": ["a", "b"],
            }
        # sekret: the value's line, lastmodified and mac; nothing else
        old, new = before.splitlines(), (d_ours / "f.yaml").read_text().splitlines()
        assert len(old) == len(new)
        changed = {old[i].split(":")[0].strip() for i in range(len(old)) if old[i] != new[i]}
        assert {"port", "mac"} <= changed <= {"port", "lastmodified", "mac"}, (how, changed)
        # sops: the whole document again, indent 4, the line comment above its key, the
        # blank line gone, the clear value unquoted
        theirs = (d_sops / "f.yaml").read_text()
        assert re.search(r"\ndb:\n    #ENC\[[^\n]*type:comment\]\n    user: ENC\[", theirs), how
        assert "\n    note_unencrypted: kept as written\n" in theirs
        assert "\n\n" not in theirs and "\n    - ENC[" in theirs


def test_verify_before_replace(tmp_path: Path, keys: list[Key]) -> None:
    """verify-before-replace"""
    key = keys[0]
    dup = '{"a": "1", "b": "x", "a": "2"}\n'
    d_sops, d_ours = _twin(tmp_path, {"dup.json": dup})
    args = ["encrypt", "--age", key.recipient, "--output-type", "yaml", "--output", "o.yaml",
            "dup.json"]  # fmt: skip
    # sops writes a YAML file with the key twice, which it cannot decrypt
    assert sops(args, d_sops, clean_env(key)).status == 0
    back = sops(["decrypt", "o.yaml"], d_sops, clean_env(key))
    assert back.status == 1 and 'mapping key "a" already defined' in back.err
    # sekret refuses what YAML cannot hold (found before anything is written)
    r = sekret(args, d_ours, clean_env(key))
    assert r.status == 1 and "appears twice" in r.err, r.err
    assert not (d_ours / "o.yaml").exists()


def test_atomic_writes(tmp_path: Path, keys: list[Key]) -> None:
    """atomic-writes"""
    key = keys[0]
    base = _encrypted_by_sops(tmp_path, key, "base.yaml", "a: 1\n").read_bytes()
    d_sops, d_ours = _twin(tmp_path, {"f.yaml": base})
    inodes = {}
    for tool, d in ((sops, d_sops), (sekret, d_ours)):
        (d / "f.yaml").chmod(0o640)
        before = (d / "f.yaml").stat().st_ino
        r = tool(["set", "f.yaml", '["a"]', "2"], d, clean_env(key))
        assert r.status == 0, r.err
        after = d / "f.yaml"
        assert after.stat().st_mode & 0o777 == 0o640
        assert sorted(p.name for p in d.iterdir()) == ["f.yaml"]  # no temp file left
        inodes[tool.__name__] = before == after.stat().st_ino
    # sops rewrites the file where it is; sekret renames a complete new file over it
    assert inodes == {"sops": True, "sekret": False}


def test_decrypted_0600(tmp_path: Path, keys: list[Key]) -> None:
    """decrypted-0600"""
    key = keys[0]
    base = _encrypted_by_sops(tmp_path, key, "base.yaml", "a: 1\n").read_bytes()
    d_sops, d_ours = _twin(tmp_path, {"f.yaml": base, "g.yaml": base})

    def umask() -> None:
        os.umask(0o022)

    modes = {}
    for argv, d in ((_sops_argv(), d_sops), (SEKRET, d_ours)):
        (d / "g.yaml").chmod(0o644)
        r = _call([*argv, "decrypt", "--output", "out.yaml", "f.yaml"], d, clean_env(key), umask)
        assert r.status == 0, r.err
        r = _call([*argv, "decrypt", "-i", "g.yaml"], d, clean_env(key), umask)
        assert r.status == 0, r.err
        assert (d / "out.yaml").read_text() == (d / "g.yaml").read_text() == "a: 1\n"
        modes[d.name] = [(d / n).stat().st_mode & 0o777 for n in ("out.yaml", "g.yaml")]
    assert modes == {"sops": [0o644, 0o644], "sekret": [0o600, 0o600]}


def test_edit_tmpfs(tmp_path: Path, keys: list[Key]) -> None:
    """edit-tmpfs"""
    key = keys[0]
    base = _encrypted_by_sops(tmp_path, key, "base.yaml", "a: 1\n").read_bytes()
    d_sops, d_ours = _twin(tmp_path, {"f.yaml": base})
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    seen = tmp_path / "seen"
    edit = _editor(tmp_path, f"pathlib.Path({str(seen)!r}).write_text(str(p))\n")
    where = {}
    for tool, d in ((sops, d_sops), (sekret, d_ours)):
        r = tool(["edit", "f.yaml"], d, clean_env(key, EDITOR=edit, TMPDIR=str(tmpdir)))
        assert r.status == 200, r.err  # nothing changed
        where[tool.__name__] = os.path.realpath(seen.read_text())
    assert where["sops"].startswith(str(tmpdir) + "/")
    assert not where["sekret"].startswith(str(tmpdir) + "/")
    assert _fs_type(where["sekret"]) == "tmpfs"
    assert not Path(where["sekret"]).parent.exists()  # removed afterwards


def test_rescue(tmp_path: Path, keys: list[Key]) -> None:
    """rescue"""
    key = keys[0]
    base = _encrypted_by_sops(tmp_path, key, "base.yaml", "a: 1\nport: 5432\n").read_bytes()
    # 1. the editor changes the text, then fails
    failing = _editor(tmp_path, "p.write_text(p.read_text().replace('5432', '7777'))\n"
                                "sys.exit(3)\n")  # fmt: skip
    d_sops, d_ours = _twin(tmp_path / "fails", {"f.yaml": base})
    r = sops(["edit", "f.yaml"], d_sops, clean_env(key, EDITOR=failing))
    assert r.status == 201 and "exit status 3" in r.err
    assert sorted(p.name for p in d_sops.iterdir()) == ["f.yaml"]  # the edit is gone
    r = sekret(["edit", "f.yaml"], d_ours, clean_env(key, EDITOR=failing))
    assert r.status == 201 and "the editor exited with status 3" in r.err
    rescued = [p for p in d_ours.iterdir() if p.name.startswith("f.yaml.sekret-rescue-")]
    assert len(rescued) == 1 and rescued[0].stat().st_mode & 0o777 == 0o600
    assert b"7777" not in rescued[0].read_bytes()  # encrypted
    back = sekret(["decrypt", "--input-type", "binary", "--output-type", "binary",
                   rescued[0].name], d_ours, clean_env(key))  # fmt: skip
    assert back.status == 0 and b"port: 7777" in back.out
    for d in (d_sops, d_ours):
        assert (d / "f.yaml").read_bytes() == base
    # 2. the text does not parse and there is no terminal: sops re-opens the editor (here
    #    until the third run fixes the text), sekret keeps the text and stops
    counting = _editor(tmp_path, COUNTING_EDITOR)
    d_sops, d_ours = _twin(tmp_path / "parse", {"f.yaml": base})
    counts = {}
    for tool, d in ((sops, d_sops), (sekret, d_ours)):
        env = clean_env(key, EDITOR=counting, EDIT_COUNT=str(d / "count"))
        counts[tool.__name__] = (tool(["edit", "f.yaml"], d, env).status,
                                 int((d / "count").read_text()))  # fmt: skip
        (d / "count").unlink()
        (d / "count.orig").unlink()
    assert counts == {"sops": (0, 3), "sekret": (2, 1)}
    assert _decrypted(d_sops, "f.yaml", key) == {"a": 1, "port": 6000}
    assert (d_ours / "f.yaml").read_bytes() == base
    assert len([p for p in d_ours.iterdir() if ".sekret-rescue-" in p.name]) == 1


# --------------------------------------------------------------------------------------
# what a file may hold
# --------------------------------------------------------------------------------------


def test_strict_yaml(tmp_path: Path, keys: list[Key]) -> None:
    """strict-yaml"""
    key = keys[0]
    for text, data, message in (
        ('key: "value"# x\n', {"key": "value"}, "a comment needs a space before '#'"),
        ("key: [a,\nb]\n", {"key": ["a", "b"]}, "a continuation line must be indented"),
    ):
        d = tmp_path / str(len(list(tmp_path.iterdir())))
        d.mkdir()
        (d / "p.yaml").write_text(text)
        enc = sops(["encrypt", "--age", key.recipient, "--output", "e.yaml", "p.yaml"], d,
                   clean_env(key))  # fmt: skip
        assert enc.status == 0, enc.err
        assert _decrypted(d, "e.yaml", key) == data
        r = sekret(["encrypt", "--age", key.recipient, "p.yaml"], d, clean_env(key))
        assert r.status == 2 and r.out == b"", r.err
        assert r.err.startswith("sekret: error: invalid YAML: ") and message in r.err


def test_int64(tmp_path: Path, keys: list[Key]) -> None:
    """int64"""
    key = keys[0]
    (tmp_path / "p.yaml").write_text("big: 12345678901234567890123\n")
    enc = sops(["encrypt", "--age", key.recipient, "--output", "e.yaml", "p.yaml"], tmp_path,
               clean_env(key))  # fmt: skip
    assert enc.status == 0, enc.err
    back = sops(["decrypt", "e.yaml"], tmp_path, clean_env(key))
    assert back.out == b"big: 1.2345678901234568e+22\n"  # a float, digits lost
    r = sekret(["encrypt", "--age", key.recipient, "p.yaml"], tmp_path, clean_env(key))
    assert r.status == 23 and r.out == b""
    assert "cannot encrypt an integer outside the 64-bit range" in r.err
    assert "quote it" in r.err


def test_yaml_directive(tmp_path: Path, keys: list[Key]) -> None:
    """yaml-directive"""
    key = keys[0]
    (tmp_path / "p.yaml").write_text("%YAML 1.2\n---\na: 1\n")
    theirs = sops(["encrypt", "--age", key.recipient, "p.yaml"], tmp_path, clean_env(key))
    assert theirs.status == 2 and "found incompatible YAML document" in theirs.err
    ours = sekret(["encrypt", "--age", key.recipient, "--output", "e.yaml", "p.yaml"],
                  tmp_path, clean_env(key))  # fmt: skip
    assert ours.status == 0, ours.err
    assert not (tmp_path / "e.yaml").read_text().startswith("%")
    assert _decrypted(tmp_path, "e.yaml", key) == {"a": 1}  # sops reads what sekret wrote


# --------------------------------------------------------------------------------------
# exec-env and exec-file
# --------------------------------------------------------------------------------------


def test_exec_env_nulls(tmp_path: Path, keys: list[Key]) -> None:
    """exec-env-nulls"""
    key = keys[0]
    _encrypted_by_sops(tmp_path, key, "f.yaml", "A: a\nN: null\n")
    args = ["exec-env", "--pristine", "f.yaml", "env"]
    theirs = sops(args, tmp_path, clean_env(key))
    ours = sekret(args, tmp_path, clean_env(key))
    assert theirs.status == ours.status == 0
    assert b"A=a\n" in theirs.out and b"N=<nil>\n" in theirs.out
    assert b"A=a\n" in ours.out and b"N=" not in ours.out
    assert "sekret: warning: 'N' is null: left out of the environment" in ours.err


def _other_user() -> pwd.struct_passwd:
    """A system user whose group id is not its user id (Debian's games, 5:60)."""
    users = [u for u in pwd.getpwall() if u.pw_uid not in (0, u.pw_gid) and u.pw_gid != 0]
    assert users, "no user whose group id differs from its user id"
    return next((u for u in users if u.pw_name == "games"), users[0])


def test_exec_user_groups(tmp_path: Path, keys: list[Key]) -> None:
    """exec-user-groups"""
    assert os.geteuid() == 0, "--user needs root: run the tests as root (as in CI)"
    key = keys[0]
    user = _other_user()
    own_groups = set(os.getgrouplist(user.pw_name, user.pw_gid))
    assert 0 not in own_groups
    _encrypted_by_sops(tmp_path, key, "f.env", "S=str\n")
    ids = {}
    for name, argv in (("sops", _sops_argv()), ("sekret", SEKRET)):
        for command in ("exec-env", "exec-file"):
            no_fifo = ["--no-fifo"] if command == "exec-file" else []
            # run as root with the supplementary group 0
            r = _call([*argv, command, *no_fifo, "--user", user.pw_name, "f.env",
                       "id -u; id -g; id -G"], tmp_path, clean_env(key),
                      extra_groups=[0])  # fmt: skip
            assert r.status == 0, r.err
            uid, gid, groups = r.out.decode().splitlines()
            ids[name, command] = (int(uid), int(gid), set(map(int, groups.split())))
    for command in ("exec-env", "exec-file"):
        # sops: the group id is set to the *user* id, root's supplementary groups kept
        uid, gid, groups = ids["sops", command]
        assert uid == gid == user.pw_uid and 0 in groups
        assert ids["sekret", command] == (user.pw_uid, user.pw_gid, own_groups)


def test_exec_file_name(tmp_path: Path, keys: list[Key]) -> None:
    """exec-file-name"""
    key = keys[0]
    _encrypted_by_sops(tmp_path, key, "f.env", "S=str\n")
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    env = clean_env(key, TMPDIR=str(tmpdir))
    args = ["exec-file", "--no-fifo", "--filename", "../escape.txt", "f.env", "cat {}"]
    theirs = sops(args, tmp_path, env)
    assert theirs.status == 0 and theirs.out == b"S=str\n"
    # sops wrote the plaintext outside its private directory, and left it there
    assert (tmpdir / "escape.txt").read_text() == "S=str\n"
    (tmpdir / "escape.txt").unlink()
    ours = sekret(args, tmp_path, env)
    assert ours.status == 1 and "--filename '../escape.txt': give a plain file name" in ours.err
    assert ours.out == b"" and not (tmpdir / "escape.txt").exists()
    assert not (tmp_path / "escape.txt").exists()


def test_exec_file_background(tmp_path: Path, keys: list[Key]) -> None:
    """exec-file-background"""
    key = keys[0]
    _encrypted_by_sops(tmp_path, key, "f.env", "S=str\n")
    command = "sleep 0.3; echo {} > {tool}.where; cat {} > {tool}.copy; echo > {tool}.done"
    for tool in (sops, sekret):
        r = tool(["exec-file", "--background", "--no-fifo", "f.env",
                  command.replace("{tool}", tool.__name__)], tmp_path, clean_env(key))  # fmt: skip
        assert r.status == 0 and r.out == b"", r.err
    for name in ("sops", "sekret"):
        _wait_for(tmp_path / f"{name}.done")
    # sops removed the file before the command could read it; sekret kept it till the
    # command was done, then removed it
    assert (tmp_path / "sops.copy").read_text() == ""
    assert (tmp_path / "sekret.copy").read_text() == "S=str\n"
    where = Path((tmp_path / "sekret.where").read_text().strip())
    deadline = time.monotonic() + 10
    while where.exists():
        assert time.monotonic() < deadline, "the decrypted file was left behind"
        time.sleep(0.05)


def test_no_core_dumps(tmp_path: Path, keys: list[Key]) -> None:
    """no-core-dumps"""
    key = keys[0]
    _encrypted_by_sops(tmp_path, key, "f.env", "S=str\n")

    def allow_cores() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (1 << 20, 1 << 20))

    script = tmp_path / "limits.py"
    script.write_text("import resource\nprint(*resource.getrlimit(resource.RLIMIT_CORE))\n")
    show = f"{sys.executable} {script}"
    for command in (["exec-env", "f.env", show], ["exec-file", "--no-fifo", "f.env", show]):
        theirs = _call([*_sops_argv(), *command], tmp_path, clean_env(key), allow_cores)
        ours = _call([*SEKRET, *command], tmp_path, clean_env(key), allow_cores)
        assert theirs.status == ours.status == 0, (theirs.err, ours.err)
        assert theirs.out == b"1048576 1048576\n"
        assert ours.out == b"0 0\n"


# --------------------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------------------


def test_global_flags(tmp_path: Path, keys: list[Key]) -> None:
    """global-flags"""
    key = keys[0]
    env = clean_env(key)
    f = _encrypted_by_sops(tmp_path, key, "t.yaml", "A: 1\nB_unencrypted: two\n")
    f.write_text(f.read_text().replace("B_unencrypted: two", "B_unencrypted: 3"))
    assert sops(["--ignore-mac", "decrypt", "t.yaml"], tmp_path, env).status == 51
    r = sekret(["--ignore-mac", "decrypt", "t.yaml"], tmp_path, env)
    assert r.status == 0 and yaml.safe_load(r.out) == {"A": 1, "B_unencrypted": 3}
    _encrypted_by_sops(tmp_path, key, "n.yaml", "a:\n  b: [1, 2]\n")
    ignored = sops(["--indent", "2", "decrypt", "n.yaml"], tmp_path, env)
    legacy = sops(["--indent", "2", "-d", "n.yaml"], tmp_path, env)  # sops applies it here
    ours = sekret(["--indent", "2", "decrypt", "n.yaml"], tmp_path, env)
    assert ignored.out == b"a:\n    b:\n        - 1\n        - 2\n"
    assert ours.out == legacy.out == b"a:\n  b:\n    - 1\n    - 2\n"


def test_flags_after_subcommand(tmp_path: Path, keys: list[Key]) -> None:
    """flags-after-subcommand"""
    k0, k1 = keys[0], keys[1]
    env = clean_env(k0)
    _encrypted_by_sops(tmp_path, k0, "n.yaml", "a:\n  b: [1, 2]\n")
    (tmp_path / "p.yaml").write_text("a: 1\n")
    (tmp_path / "rules.yaml").write_text(f"creation_rules:\n  - age: {k1.recipient}\n")
    for args in (["decrypt", "--indent", "2", "n.yaml"], ["decrypt", "--verbose", "n.yaml"],
                 ["encrypt", "--config", "rules.yaml", "p.yaml"]):  # fmt: skip
        theirs = sops(args, tmp_path, env)
        assert theirs.status == 1 and "flag provided but not defined" in theirs.err, args
    ours = sekret(["decrypt", "--indent", "2", "n.yaml"], tmp_path, env)
    assert ours.status == 0 and ours.out == b"a:\n  b:\n    - 1\n    - 2\n"
    ours = sekret(["decrypt", "--verbose", "n.yaml"], tmp_path, env)
    assert ours.status == 0 and "sekret: info: data key recovered" in ours.err
    ours = sekret(["encrypt", "--config", "rules.yaml", "p.yaml"], tmp_path, env)
    assert ours.status == 0
    assert [k["recipient"] for k in yaml.safe_load(ours.out)["sops"]["age"]] == [k1.recipient]


def test_unused_flags(tmp_path: Path, keys: list[Key]) -> None:
    """unused-flags"""
    key = keys[0]
    env = clean_env(key)
    _encrypted_by_sops(tmp_path, key, "f.yaml", "a: 1\n")
    for args, where in (
        (["-s", "decrypt", "f.yaml"], "'sekret decrypt'"),
        (["--unencrypted-suffix", "_x", "decrypt", "f.yaml"], "'sekret decrypt'"),
        (["-d", "--add-age", keys[1].recipient, "f.yaml"], "the decrypt mode (-d)"),
    ):
        theirs = sops(args, tmp_path, env)
        assert theirs.status == 0 and theirs.out == b"a: 1\n", args
        ours = sekret(args, tmp_path, env)
        assert ours.status == 1 and ours.out == b"", args
        assert ours.err.splitlines()[0].endswith(f"has no effect on {where}"), ours.err


def test_one_legacy_mode(tmp_path: Path, keys: list[Key]) -> None:
    """one-legacy-mode"""
    key = keys[0]
    env = clean_env(key)
    base = _encrypted_by_sops(tmp_path, key, "base.yaml", "a: 1\n").read_bytes()
    d_sops, d_ours = _twin(tmp_path, {"f.yaml": base})
    for args in (["-d", "-r", "f.yaml"], ["-d", "--set", '["a"] 5', "f.yaml"]):
        theirs = sops(args, d_sops, env)
        assert theirs.status == 0 and "More than one command" in theirs.err, args
        ours = sekret(args, d_ours, env)
        assert ours.status == 8 and "more than one of --encrypt, --decrypt" in ours.err
    assert _decrypted(d_sops, "f.yaml", key) == {"a": 5}  # sops's -d --set wrote the file
    assert (d_ours / "f.yaml").read_bytes() == base


def test_decryption_order(tmp_path: Path, keys: list[Key]) -> None:
    """decryption-order"""
    key = keys[0]
    _encrypted_by_sops(tmp_path, key, "f.yaml", "a: 1\n")
    args = ["decrypt", "--decryption-order", "AGE", "f.yaml"]
    theirs = sops(args, tmp_path, clean_env(key))
    assert theirs.status == 0 and theirs.out == b"a: 1\n"
    ours = sekret(args, tmp_path, clean_env(key))
    assert ours.status == 1 and "unknown decryption key type 'AGE'" in ours.err


def test_age_only(tmp_path: Path, keys: list[Key]) -> None:
    """age-only"""
    key = keys[0]
    env = clean_env(key)
    _encrypted_by_sops(tmp_path, key, "e.yaml", "a: 1\n")
    # a cloud KMS key in the file (sops would try it after the age key)
    doc = (tmp_path / "e.yaml").read_text()
    kms = ("    kms:\n        - arn: arn:aws:kms:us-east-1:000000000000:key/x\n"
           "          created_at: \"2024-01-01T00:00:00Z\"\n          enc: AAAA\n"
           "          aws_profile: \"\"\n")  # fmt: skip
    (tmp_path / "e.yaml").write_text(doc.replace("sops:\n", "sops:\n" + kms, 1))
    # a new file for a KMS key: sops would call AWS, sekret refuses before it reads
    args = ["encrypt", "--kms", "arn:aws:kms:us-east-1:000000000000:key/x", "e.yaml"]
    ours = sekret(args, tmp_path, env)
    assert ours.status == 1 and "--kms: AWS KMS keys are not supported by sekret" in ours.err
    ours = sekret(["encrypt", "--age", key.recipient, "e.yaml"], tmp_path,
                  {**env, "SOPS_KMS_ARN": "arn:aws:kms:us-east-1:000000000000:key/x"})  # fmt: skip
    assert ours.status == 1 and "SOPS_KMS_ARN is set" in ours.err
    # the entry is kept as it is by an edit, and both tools still read the file
    entry = yaml.safe_load((tmp_path / "e.yaml").read_text())["sops"]["kms"]
    assert sekret(["set", "e.yaml", '["a"]', "2"], tmp_path, env).status == 0
    assert yaml.safe_load((tmp_path / "e.yaml").read_text())["sops"]["kms"] == entry
    assert sops(["decrypt", "e.yaml"], tmp_path, env).out == b"a: 2\n"
    # a new data key needs every key: sekret refuses to rotate (sops would call AWS)
    before = (tmp_path / "e.yaml").read_bytes()
    ours = sekret(["rotate", "-i", "e.yaml"], tmp_path, env)
    assert ours.status == 1 and "cannot encrypt to kms keys" in ours.err
    assert (tmp_path / "e.yaml").read_bytes() == before
    ours = sekret(["encrypt", "--hckms", "tr-west-1:0000", "e.yaml"], tmp_path, env)
    assert ours.status == 1 and "HuaweiCloud KMS keys are not supported" in ours.err
    # PGP keys (tests/sops/test_pgp_interop.py) and Vault transit keys (tests/sops/vault)
    # are used: a Vault key, given or from SOPS_VAULT_URIS, is tried, not refused
    (tmp_path / "p.yaml").write_text("a: 1\n")
    vault = "http://127.0.0.1:9/v1/transit/keys/k"
    for ours in (
        sekret(["encrypt", "--hc-vault-transit", vault, "p.yaml"], tmp_path, env),
        sekret(["encrypt", "--age", key.recipient, "p.yaml"], tmp_path,
               {**env, "SOPS_VAULT_URIS": vault}),
    ):  # fmt: skip
        assert ours.status == 1 and "cannot reach the Vault server" in ours.err, ours.err
        assert "not supported" not in ours.err


def test_keyservice(tmp_path: Path, keys: list[Key]) -> None:
    """keyservice"""
    key = keys[0]
    _encrypted_by_sops(tmp_path, key, "f.yaml", "a: 1\n")
    args = ["decrypt", "--keyservice", "http://127.0.0.1:1", "f.yaml"]
    theirs = sops(args, tmp_path, clean_env(key))
    assert theirs.status == 0 and theirs.out == b"a: 1\n"  # its local key service did it
    ours = sekret(args, tmp_path, clean_env(key))
    assert ours.status == 1 and ours.out == b""
    assert "invalid key service URI 'http://127.0.0.1:1'" in ours.err
    # a well-formed URI of a service that is not there: both go on with the local keys
    args = ["decrypt", "--keyservice", "tcp://127.0.0.1:1", "f.yaml"]
    for tool in (sops, sekret):
        r = tool(args, tmp_path, clean_env(key))
        assert r.status == 0 and r.out == b"a: 1\n", (tool, r.err)


def test_edit_show_master_keys(tmp_path: Path, keys: list[Key]) -> None:
    """edit-show-master-keys"""
    key = keys[0]
    base = _encrypted_by_sops(tmp_path, key, "base.yaml", "d: hi\n").read_bytes()
    d_sops, d_ours = _twin(tmp_path, {"f.yaml": base})
    edit = _editor(tmp_path, "t = p.read_text()\nassert 'sops:' in t\n"
                             "p.write_text(t.replace('d: hi', 'd: changed'))\n")  # fmt: skip
    for tool, d in ((sops, d_sops), (sekret, d_ours)):
        r = tool(["edit", "-s", "f.yaml"], d, clean_env(key, EDITOR=edit))
        assert r.status == 0, r.err
    assert _decrypted(d_sops, "f.yaml", key) == {"d": "hi"}  # sops dropped the edit
    assert _decrypted(d_ours, "f.yaml", key) == {"d": "changed"}


def test_groups(tmp_path: Path, keys: list[Key]) -> None:
    """groups"""
    k0, k1 = keys[0], keys[1]
    both = tmp_path / "both.txt"
    both.write_text(k0.path.read_text() + k1.path.read_text())
    base = _encrypted_by_sops(tmp_path, k0, "base.yaml", "a: 1\n").read_bytes()
    refused = (
        [],  # an empty group
        ["--age", "bogus"],  # sops skips the bad recipient: an empty group again
        ["--age", k1.recipient, "--shamir-secret-sharing-threshold", "1"],
    )
    for i, extra in enumerate(refused):
        d_sops, d_ours = _twin(tmp_path / str(i), {"f.yaml": base})
        args = ["groups", "add", "-i", "--file", "f.yaml", *extra]
        theirs = sops(args, d_sops, clean_env(k0))
        assert theirs.status == 0, (extra, theirs.err)
        # nobody can decrypt what sops wrote, not even with both keys
        dec = sops(["decrypt", "f.yaml"], d_sops, clean_env(k0, SOPS_AGE_KEY_FILE=str(both)))
        assert dec.status == 128, extra
        ours = sekret(args, d_ours, clean_env(k0))
        assert ours.status == 1 and ours.err.startswith("sekret: error: "), (extra, ours.err)
        assert (d_ours / "f.yaml").read_bytes() == base
    args = ["groups", "delete", "--file", "base.yaml", "5"]
    theirs = sops(args, tmp_path, clean_env(k0))
    assert theirs.status == 2 and theirs.err.startswith("panic: ")
    ours = sekret(args, tmp_path, clean_env(k0))
    assert ours.status == 1 and "there is no key group 5" in ours.err


def test_set_checks(tmp_path: Path, keys: list[Key]) -> None:
    """set-checks"""
    key = keys[0]
    base = _encrypted_by_sops(tmp_path, key, "base.yaml", "d: hi\nl: [x]\n").read_bytes()
    d_sops, d_ours = _twin(tmp_path, {"f.yaml": base})
    dup = ["set", "f.yaml", '["d"]', '{"a": 1, "a": 2}']
    assert sops(dup, d_sops, clean_env(key)).status == 0
    dec = sops(["decrypt", "f.yaml"], d_sops, clean_env(key))
    assert b"d:\n    a: 1\n    a: 2\n" in dec.out  # the key twice
    on_list = ["set", "f.yaml", '["l"]["k"]', "1"]
    theirs = sops(on_list, d_sops, clean_env(key))
    assert theirs.status == 2 and theirs.err.startswith("panic: ")
    ours = sekret(dup, d_ours, clean_env(key))
    assert ours.status == 7 and "an object has a key twice" in ours.err
    ours = sekret(on_list, d_ours, clean_env(key))
    assert ours.status == 1 and "cannot set 'k' in a list" in ours.err
    assert (d_ours / "f.yaml").read_bytes() == base


def test_broken_config(tmp_path: Path, keys: list[Key]) -> None:
    """broken-config"""
    key = keys[0]
    base = _encrypted_by_sops(tmp_path, key, "base.yaml", "a: 1\n").read_bytes()
    (tmp_path / ".sops.yaml").write_text("creation_rules: [\n")  # found from sub/
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "p.yaml").write_text("a: 1\n")
    for args in (["decrypt", "f.yaml"], ["set", "f.yaml", '["a"]', "2"],
                 ["exec-env", "f.yaml", "echo $a"], ["rotate", "-i", "f.yaml"]):  # fmt: skip
        for tool, ok in ((sops, False), (sekret, True)):
            (sub / "f.yaml").write_bytes(base)
            r = tool(args, sub, clean_env(key))
            assert (r.status == 0) is ok, (tool.__name__, args, r.err)
            if not ok:
                assert "error loading config" in r.err
    # where the rules are needed, both stop
    for tool in (sops, sekret):
        r = tool(["encrypt", "--age", key.recipient, "p.yaml"], sub, clean_env(key))
        assert r.status == 1 and "error loading config" in r.err, tool.__name__


def test_empty_list_comment(tmp_path: Path, keys: list[Key]) -> None:
    """empty-list-comment"""
    key = keys[0]
    text = "a:\n  #\n  - x\n"
    _encrypted_by_sops(tmp_path, key, "s.yaml", text)
    assert _decrypted(tmp_path, "s.yaml", key) == {"a": ["", "x"]}  # an item more
    (tmp_path / "p.yaml").write_text(text)
    r = sekret(["encrypt", "--age", key.recipient, "--output", "k.yaml", "p.yaml"], tmp_path,
               clean_env(key))  # fmt: skip
    assert r.status == 0, r.err
    back = sekret(["decrypt", "k.yaml"], tmp_path, clean_env(key))
    assert back.status == 0 and back.out == text.encode()  # a comment, as written
    # sops reading sekret's file makes the same item of the comment
    assert _decrypted(tmp_path, "k.yaml", key) == {"a": ["", "x"]}
