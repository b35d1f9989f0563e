"""Failure safety and security of ``sekret install``: all or nothing, never world-readable,
never written through a planted link, never a secret value in a log line."""

from __future__ import annotations

import os
import random
import signal
import stat
import time
from pathlib import Path

import pytest

from sekret.age.x25519 import X25519Identity
from tests.install.conftest import Kit

VALUES = {f"k{i}": f"value-{i}-s3cr3t" for i in range(30)}
YAML = "".join(f"{k}: {v}\n" for k, v in VALUES.items()).encode()


def _good(kit: Kit) -> Path:
    y = kit.sops_file("s.yaml", YAML, "yaml")
    assert kit.install(kit.manifest([kit.secret("k0", y)])).status == 0
    assert kit.link().endswith("/1")
    return y


def _unchanged(kit: Kit) -> None:
    assert kit.link().endswith("/1")
    assert (kit.root / "secrets/k0").read_bytes() == b"value-0-s3cr3t"
    assert sorted(os.listdir(kit.root / "secrets.d")) == ["1"]


def test_wrong_key_changes_nothing(kit: Kit) -> None:
    y = _good(kit)
    other = kit.sops_file("o.yaml", YAML, "yaml",
                          recipient=str(X25519Identity.generate().recipient()))
    r = kit.install(kit.manifest([kit.secret("k0", y), kit.secret("k1", other)]))
    assert r.status != 0 and f"failed to decrypt '{other}'" in r.err
    _unchanged(kit)


def test_missing_file_and_missing_key_change_nothing(kit: Kit) -> None:
    y = _good(kit)
    r = kit.install(kit.manifest([kit.secret("k0", y),
                                  kit.secret("k1", kit.root / "nope.yaml")]))
    assert r.status != 0 and "cannot read" in r.err
    _unchanged(kit)
    r = kit.install(kit.manifest([kit.secret("k0", y), kit.secret("a/b", y)]))
    assert r.status != 0 and "the key 'a' cannot be found" in r.err
    _unchanged(kit)
    r = kit.install(kit.manifest([kit.secret("k0", y), kit.secret("k0/x", y)]))
    assert r.status != 0 and "key 'k0' does not refer to a dictionary" in r.err
    _unchanged(kit)


def test_a_write_failure_leaves_no_partial_generation(
    kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    y = _good(kit)
    m = kit.manifest([kit.secret(k, y) for k in VALUES])
    (kit.root / "secrets.d/2").mkdir()  # leftover of an interrupted run
    calls = []
    real = os.fchown

    def failing(fd: int, uid: int, gid: int) -> None:
        calls.append(fd)
        if len(calls) == 7:
            raise OSError(28, "No space left on device")
        real(fd, uid, gid)

    monkeypatch.setattr(os, "fchown", failing)
    r = kit.install(m)
    monkeypatch.undo()
    assert r.status != 0 and "cannot write secrets" in r.err
    _unchanged(kit)


def test_sigkill_during_100_installs(kit: Kit) -> None:
    from sekret.cli import main
    from tests.cli.helpers import fake_env

    y = kit.sops_file("s.yaml", YAML, "yaml")
    m = kit.manifest([kit.secret(k, y, path=str(kit.root / "links" / k)) for k in VALUES],
                     keepGenerations=2)
    argv = ["install", "--no-mount", "--activation-dir", str(kit.root / "nixos"), str(m)]
    assert kit.install(m).status == 0  # warm up: every module imported before forking
    rng = random.Random(4)
    completed = 0
    for _ in range(100):
        pid = os.fork()
        if pid == 0:  # pragma: no cover (child)
            try:
                os._exit(main(argv, fake_env(kit.root)))
            finally:
                os._exit(3)
        # kill somewhere between start-up and the end of a ~30 ms install
        time.sleep(rng.uniform(0, 0.04))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        completed += os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        link = kit.root / "secrets"
        if os.path.lexists(link):
            gen = Path(os.readlink(link))
            for k, v in VALUES.items():
                assert (gen / k).read_bytes() == v.encode(), f"{gen} is incomplete"
    assert kit.install(m).status == 0
    for k, v in VALUES.items():
        assert (kit.root / "links" / k).read_bytes() == v.encode()
    assert 0 < completed < 100  # some runs finished, others were really interrupted


def test_files_get_owner_and_final_mode_before_content(
    kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    y = kit.sops_file("s.yaml", YAML, "yaml")
    m = kit.manifest([kit.secret("k0", y, mode="0440", owner="daemon"),
                      kit.secret("d/k1", y, key="k1", mode="0400")],
                     templates=[{"name": "t", "content": "<A>", "mode": "0400"}],
                     placeholderBySecretName={"k0": "<A>", "d/k1": "<B>"})
    seen: list[tuple[int, int]] = []
    created: list[int] = []
    real_write, real_open = os.write, os.open

    def write(fd: int, data: bytes) -> int:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode):
            seen.append((stat.S_IMODE(st.st_mode), st.st_uid))
        return real_write(fd, data)

    def open_(path: str, flags: int, mode: int = 0o777, **kw: object) -> int:
        if flags & os.O_CREAT and "secrets.d" in str(path):
            created.append(mode)
        return real_open(path, flags, mode, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "open", open_)
    assert kit.install(m).status == 0
    monkeypatch.undo()
    daemon_uid = (kit.root / "secrets/k0").stat().st_uid
    assert created and set(created) == {0}
    assert sorted(seen) == sorted([(0o440, daemon_uid), (0o400, 0), (0o400, 0)])
    for dirpath, dirs, files in os.walk(kit.root / "secrets.d"):
        for name in dirs + files:
            assert not os.lstat(os.path.join(dirpath, name)).st_mode & stat.S_IROTH


def test_planted_symlink_and_directory_at_path(kit: Kit) -> None:
    y = kit.sops_file("s.yaml", YAML, "yaml")
    victim = kit.root / "victim"
    victim.write_text("do not touch")
    planted = kit.root / "planted"
    planted.symlink_to(victim)
    full_dir = kit.root / "full-dir"
    (full_dir / "x").mkdir(parents=True)
    empty_dir = kit.root / "empty-dir"
    empty_dir.mkdir()
    copy_target = kit.root / "agenix-copy"
    copy_target.symlink_to(victim)
    m = kit.manifest([kit.secret("k0", y, path=str(planted)),
                      kit.secret("k1", y, path=str(full_dir)),
                      kit.secret("k2", y, path=str(empty_dir)),
                      kit.secret("k3", y, path=str(copy_target), symlink=False)])
    r = kit.install(m)
    assert r.status != 0 and f"cannot override {full_dir}" in r.err
    assert victim.read_text() == "do not touch"
    assert os.readlink(planted) == str(kit.root / "secrets/k0")
    assert planted.read_bytes() == b"value-0-s3cr3t"
    assert (full_dir / "x").is_dir() and not full_dir.is_symlink()
    assert os.readlink(empty_dir) == str(kit.root / "secrets/k2")
    assert not copy_target.is_symlink() and copy_target.read_bytes() == b"value-3-s3cr3t"
    assert stat.S_IMODE(copy_target.stat().st_mode) == 0o400
    assert kit.link().endswith("/1")  # the generation itself was installed


def test_no_secret_value_in_any_log_line(kit: Kit) -> None:
    y = kit.sops_file("s.yaml", YAML + b"n: 5\nl: [a]\n", "yaml")
    ph = {k: f"<{k}>" for k in VALUES}
    tpl = [{"name": "t", "content": "<k1> <k2>", "restartUnits": ["x.service"]}]
    secrets = [kit.secret(k, y, restartUnits=["x.service"]) for k in VALUES]
    outputs = []
    for extra, environ in (([], {}), ([], {"NIXOS_ACTION": "dry-activate"}),
                           (["--debug"], {"SOPS_RESTART_UNITS_VIA_SYSTEMCTL": "1",
                                          "NIXOS_ACTION": "dry-activate"})):
        r = kit.install(kit.manifest(secrets, templates=tpl, placeholderBySecretName=ph),
                        *extra, environ=environ)
        outputs.append(r.out + r.err)
        secrets = [kit.secret(k, y, key="k0" if k == "k5" else k) for k in VALUES]
    for bad in ("n", "l", "k1/x", "nope"):
        r = kit.install(kit.manifest([kit.secret("bad", y, key=bad)]), "--debug")
        assert r.status != 0
        outputs.append(r.out + r.err)
    text = "\n".join(outputs)
    assert "would modify secret: k5" in text
    for v in VALUES.values():
        assert v not in text
    assert "AGE-SECRET-KEY" not in text
