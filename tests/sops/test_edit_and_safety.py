"""Cross-editing with sops, minimal diffs, tampering, editor safety and bad input."""

from __future__ import annotations

import difflib
import os
import stat
import sys
from pathlib import Path

import yaml

from tests.sops.conftest import Key, clean_env, sekret, sops


def _editor(tmp: Path, body: str) -> str:
    """A scripted editor: a Python program run on the temp file's path."""
    script = tmp / "editor.py"
    script.write_text("import sys, pathlib\np = pathlib.Path(sys.argv[1])\n" + body)
    return f"{sys.executable} {script}"


def _encrypted(tmp: Path, key: Key, name: str, text: str, tool=sekret) -> Path:  # type: ignore[no-untyped-def]
    (tmp / name).write_text(text)
    r = tool(["encrypt", "-i", "--age", key.recipient, name], tmp, clean_env(key))
    assert r.status == 0, r.err
    return tmp / name


def test_cross_set_and_edit(tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    ours = _encrypted(tmp_path, key, "ours.yaml", "a: 1\nb: two\n")
    theirs = _encrypted(tmp_path, key, "theirs.yaml", "a: 1\nb: two\n", tool=sops)
    env = clean_env(key)
    assert sops(["set", "ours.yaml", '["b"]', '"changed-by-sops"'], tmp_path, env).status == 0
    assert sekret(["set", "theirs.yaml", '["b"]', '"changed-by-sekret"'], tmp_path, env).status == 0
    assert yaml.safe_load(sekret(["decrypt", "ours.yaml"], tmp_path, env).out)["b"] == (
        "changed-by-sops"
    )
    assert yaml.safe_load(sops(["decrypt", "theirs.yaml"], tmp_path, env).out)["b"] == (
        "changed-by-sekret"
    )
    edit = _editor(tmp_path, "p.write_text(p.read_text().replace('1', '42'))\n")
    env_edit = clean_env(key, EDITOR=edit, SOPS_EDITOR=edit)
    assert sekret(["edit", "theirs.yaml"], tmp_path, env_edit).status == 0
    assert sops(["edit", "ours.yaml"], tmp_path, env_edit).status == 0
    for path, tool in ((ours, sekret), (theirs, sops)):
        data = yaml.safe_load(tool(["decrypt", path.name], tmp_path, env).out)
        assert data["a"] == 42


def test_updatekeys_and_rotate_read_by_sops(tmp_path: Path, keys: list[Key]) -> None:
    k0, k1, _ = keys
    (tmp_path / ".sops.yaml").write_text(f"creation_rules:\n  - age: {k0.recipient}\n")
    (tmp_path / "u.yaml").write_text("s: secret\n")
    env0 = clean_env(k0)
    assert sekret(["encrypt", "-i", "u.yaml"], tmp_path, env0).status == 0
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - age: {k0.recipient},{k1.recipient}\n"
    )
    r = sekret(["updatekeys", "-y", "u.yaml"], tmp_path, env0)
    assert r.status == 0, r.err
    assert sops(["decrypt", "u.yaml"], tmp_path, clean_env(k1)).out == b"s: secret\n"
    before = (tmp_path / "u.yaml").read_bytes()
    r = sekret(["rotate", "-i", "--rm-age", k0.recipient], tmp_path, env0)
    r = sekret(["rotate", "-i", "--rm-age", k0.recipient, "u.yaml"], tmp_path, env0)
    assert r.status == 0, r.err
    assert (tmp_path / "u.yaml").read_bytes() != before
    assert sops(["decrypt", "u.yaml"], tmp_path, clean_env(k1)).out == b"s: secret\n"
    assert sops(["decrypt", "u.yaml"], tmp_path, env0).status == 128
    # and sops's updatekeys/rotate are read by sekret
    assert (
        sops(["rotate", "-i", "--add-age", k0.recipient, "u.yaml"], tmp_path, clean_env(k1)).status
        == 0
    )
    assert yaml.safe_load(sekret(["decrypt", "u.yaml"], tmp_path, env0).out) == {"s": "secret"}


def test_tampering_is_detected(tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    path = _encrypted(tmp_path, key, "t.yaml", "a: secret\nb_unencrypted: clear\n")
    env = clean_env(key)
    original = path.read_text()
    # an authenticated clear value
    path.write_text(original.replace("b_unencrypted: clear", "b_unencrypted: changed"))
    for tool in (sekret, sops):
        r = tool(["decrypt", "t.yaml"], tmp_path, env)
        assert r.status == 51, (tool.__name__, r.err)
        assert tool(["decrypt", "--ignore-mac", "t.yaml"], tmp_path, env).status == 0
    r = sekret(["decrypt", "t.yaml"], tmp_path, env)
    assert "MAC" in r.err and "Traceback" not in r.err and r.err.startswith("sekret: error:")
    # a ciphertext
    data = original.split("data:", 1)
    flipped = data[1][0].translate(str.maketrans("ABCDEFGH", "BCDEFGHA")) or "A"
    path.write_text(data[0] + "data:" + ("Z" if data[1][0] != "Z" else "Y") + data[1][1:])
    del flipped
    for tool in (sekret, sops):
        assert tool(["decrypt", "t.yaml"], tmp_path, env).status == 25, tool.__name__
    # the MAC itself
    meta = yaml.safe_load(original)["sops"]
    path.write_text(original.replace(meta["lastmodified"], "2000-01-01T00:00:00Z"))
    for tool in (sekret, sops):
        assert tool(["decrypt", "t.yaml"], tmp_path, env).status == 51, tool.__name__


def _big_yaml() -> str:
    lines = ["# settings for the service", ""]
    for i in range(40):
        lines += [
            f"# section {i}",
            f"section{i}:",
            f"    name: value {i}",
            f"    port: {8000 + i}",
            f"    note_unencrypted: 'kept as written {i}'",
            f"    enabled: {'true' if i % 2 else 'false'}",
            "",
        ]
    return "\n".join(lines) + "\n"


def test_one_value_edit_is_a_minimal_diff(tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    text = _big_yaml()
    assert len(text.splitlines()) >= 200
    path = _encrypted(tmp_path, key, "big.yaml", text)
    before = path.read_text()
    edit = _editor(tmp_path, "p.write_text(p.read_text().replace('port: 8017', 'port: 9017'))\n")
    r = sekret(["edit", "big.yaml"], tmp_path, clean_env(key, EDITOR=edit))
    assert r.status == 0, r.err
    after = path.read_text()
    changed = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm="")
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
    ]
    # the value, the MAC and (unless the edit fell in the same second) lastmodified
    assert all(("port:" in c or "lastmodified" in c or "mac:" in c) for c in changed), changed
    assert sum("port:" in c for c in changed) == 2 and sum("mac:" in c for c in changed) == 2
    assert len(changed) in (4, 6)
    plain = sekret(["decrypt", "big.yaml"], tmp_path, clean_env(key)).out.decode()
    assert plain == text.replace("port: 8017", "port: 9017")  # comments, blanks, quotes kept


def _plaintext_leftovers(*bases: Path) -> list[str]:
    found = []
    for base in bases:
        for root, _dirs, files in os.walk(base):
            for f in files:
                p = Path(root) / f
                try:
                    if b"top-secret-value" in p.read_bytes():
                        found.append(str(p))
                except OSError:
                    continue
    return found


def test_editor_failures_keep_everything(tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    path = _encrypted(tmp_path, key, "e.yaml", "a: top-secret-value\n")
    original = path.read_bytes()
    cases = {
        "nonzero": "p.write_text('a: edited\\n'); sys.exit(3)\n",
        "invalid": "p.write_text('a: [unclosed\\n')\n",
        "killed": (
            "import os, signal; p.write_text('a: edited2\\n'); "
            "os.kill(os.getpid(), signal.SIGKILL)\n"
        ),
    }
    for name, body in cases.items():
        r = sekret(["edit", "e.yaml"], tmp_path, clean_env(key, EDITOR=_editor(tmp_path, body)))
        assert r.status != 0, name
        assert "Traceback" not in r.err, name
        assert path.read_bytes() == original, name
        rescued = sorted(tmp_path.glob("e.yaml.sekret-rescue-*"))
        assert rescued, f"{name}: the edit must be kept"
        rec = sekret(
            ["decrypt", "--input-type", "binary", "--output-type", "binary", rescued[-1].name],
            tmp_path,
            clean_env(key),
        )
        assert (rec.status == 0 and b"edited" in rec.out) or b"unclosed" in rec.out, name
        for f in rescued:
            f.unlink()
    assert not _plaintext_leftovers(Path("/dev/shm"), tmp_path)


def test_unchanged_edit_does_not_write(tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    path = _encrypted(tmp_path, key, "n.yaml", "a: b\n")
    before = path.stat().st_mtime_ns, path.read_bytes()
    r = sekret(["edit", "n.yaml"], tmp_path, clean_env(key, EDITOR=_editor(tmp_path, "pass\n")))
    assert r.status == 200
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before


def test_bad_input_exit_codes(tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    env = clean_env(key)
    (tmp_path / "plain.yaml").write_text("a: b\n")
    (tmp_path / "dir.yaml").mkdir()
    enc = _encrypted(tmp_path, key, "x.yaml", "a: b\n")
    cases = [
        (["decrypt", "missing.yaml"], 100),
        (["decrypt", "plain.yaml"], 1),  # not a sops file
        (["encrypt", "x.yaml"], None),  # no key given and no config
        (["encrypt", "--age", key.recipient, "x.yaml"], 203),  # already encrypted
        (["decrypt", "--extract", "[bad", "x.yaml"], 91),
    ]
    for args, code in cases:
        r = sekret(args, tmp_path, env)
        assert r.status != 0 and (code is None or r.status == code), (args, r.status, r.err)
        assert r.err.startswith("sekret: error:") and "Traceback" not in r.err, (args, r.err)
    wrong = sekret(["decrypt", "x.yaml"], tmp_path, clean_env(keys[1]))
    assert wrong.status == 128 and "Traceback" not in wrong.err
    assert key.recipient in wrong.err  # the recipients tried are listed
    (tmp_path / ".sops.yaml").write_text("creation_rules:\n  - path_regex: ^nomatch$\n    age: x\n")
    r = sekret(["encrypt", "plain.yaml"], tmp_path, env)
    assert r.status == 1 and "no matching creation rules" in r.err
    assert enc.exists()


def test_decrypted_output_file_is_private(tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    _encrypted(tmp_path, key, "o.yaml", "a: b\n")
    r = sekret(["decrypt", "--output", "plain.yaml", "o.yaml"], tmp_path, clean_env(key))
    assert r.status == 0, r.err
    assert stat.S_IMODE((tmp_path / "plain.yaml").stat().st_mode) == 0o600


def test_extract_and_exec_env(tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    _encrypted(tmp_path, key, "x.yaml", "db:\n    password: pw1\n    port: 5432\n")
    env = clean_env(key)
    assert (
        sekret(["decrypt", "--extract", '["db"]["password"]', "x.yaml"], tmp_path, env).out
        == b"pw1"
    )
    assert (
        sekret(["decrypt", "--extract", '["db"]["port"]', "x.yaml"], tmp_path, env).out == b"5432\n"
    )
    _encrypted(tmp_path, key, "e.env", "DB_PASSWORD=pw2\n")
    r = sekret(["exec-env", "e.env", "echo got:$DB_PASSWORD"], tmp_path, env)
    assert r.status == 0 and r.out == b"got:pw2\n"
    r = sekret(["exec-env", "e.env", "exit 7"], tmp_path, env)
    assert r.status == 7
    r = sekret(["exec-file", "e.env", "cat {}"], tmp_path, env)
    assert r.status == 0 and r.out == b"DB_PASSWORD=pw2\n"


def test_legacy_forms(tmp_path: Path, keys: list[Key]) -> None:
    key = keys[0]
    (tmp_path / "l.yaml").write_text("a: b\n")
    env = clean_env(key)
    r = sekret(["-e", "--age", key.recipient, "-i", "l.yaml"], tmp_path, env)
    assert r.status == 0, r.err
    assert sekret(["-d", "l.yaml"], tmp_path, env).out == b"a: b\n"
    assert sops(["-d", "l.yaml"], tmp_path, env).out == b"a: b\n"
