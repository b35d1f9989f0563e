"""Finding age identities for SOPS files, from the same places sops looks (spec §6).

All sources are combined: ``SOPS_AGE_SSH_PRIVATE_KEY_FILE``, ``~/.ssh/id_ed25519`` and
``~/.ssh/id_rsa``, ``SOPS_AGE_KEY``, ``SOPS_AGE_KEY_FILE``, ``SOPS_AGE_KEY_CMD`` (run
with ``SOPS_AGE_RECIPIENT`` set, once per recipient tried) and the default
``$XDG_CONFIG_HOME/sops/age/keys.txt``. A source that fails to parse is reported in
the diagnostics but does not stop the others.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from sekret import age
from sekret.errors import SekretError

PassphrasePrompt = Callable[[str], "str | None"]


class IdentityFinder:
    """Loads identities lazily and remembers what each source gave, for error messages."""

    def __init__(
        self, environ: Mapping[str, str], ask_passphrase: PassphrasePrompt | None = None
    ) -> None:
        self.environ = environ
        self.ask_passphrase = ask_passphrase
        self.notes: list[str] = []
        self._static: list[age.Identity] | None = None

    def __repr__(self) -> str:
        return f"IdentityFinder(<{len(self.environ)} environment variables>)"

    def _home(self) -> str:
        return self.environ.get("HOME") or os.path.expanduser("~")

    def default_keys_file(self) -> str:
        """``$XDG_CONFIG_HOME/sops/age/keys.txt``, else ``~/.config/sops/age/keys.txt``."""
        xdg = self.environ.get("XDG_CONFIG_HOME")
        base = xdg if xdg else os.path.join(self._home(), ".config")
        return os.path.join(base, "sops", "age", "keys.txt")

    def _add_file(self, out: list[age.Identity], path: str, label: str, ssh: bool) -> None:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            if label.startswith("SOPS_"):
                self.notes.append(f"{label}: file {str(path)!r} does not exist")
            return
        except OSError as exc:
            self.notes.append(f"{label}: cannot read {str(path)!r}: {exc.strerror}")
            return
        pub = None
        if ssh:
            try:
                with open(path + ".pub", encoding="utf-8") as f:
                    pub = f.read()
            except (OSError, UnicodeDecodeError):
                pub = None
        try:
            found = age.parse_identity_file(
                data, name=str(path), ask_passphrase=self.ask_passphrase, public_text=pub
            )
        except SekretError as exc:
            self.notes.append(f"{label}: {exc}")
            return
        out.extend(found)
        self.notes.append(f"{label}: {len(found)} identit{'y' if len(found) == 1 else 'ies'}")

    def static_identities(self) -> list[age.Identity]:
        """Every identity that does not depend on the recipient (loaded once)."""
        if self._static is not None:
            return self._static
        out: list[age.Identity] = []
        env = self.environ
        if env.get("SOPS_AGE_SSH_PRIVATE_KEY_FILE"):
            self._add_file(
                out,
                env["SOPS_AGE_SSH_PRIVATE_KEY_FILE"],
                "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
                True,
            )
        for name in ("id_ed25519", "id_rsa"):
            self._add_file(out, os.path.join(self._home(), ".ssh", name), f"~/.ssh/{name}", True)
        if env.get("SOPS_AGE_KEY"):
            try:
                found = age.parse_identity_file(env["SOPS_AGE_KEY"].encode(), name="SOPS_AGE_KEY")
                out.extend(found)
            except SekretError as exc:
                self.notes.append(f"SOPS_AGE_KEY: {exc}")
        if env.get("SOPS_AGE_KEY_FILE"):
            self._add_file(out, env["SOPS_AGE_KEY_FILE"], "SOPS_AGE_KEY_FILE", False)
        self._add_file(out, self.default_keys_file(), self.default_keys_file(), False)
        self._static = out
        return out

    def _from_command(self, recipient: str) -> list[age.Identity]:
        cmd = self.environ.get("SOPS_AGE_KEY_CMD")
        if not cmd:
            return []
        import shlex
        import subprocess

        child_env = dict(self.environ)
        child_env["SOPS_AGE_RECIPIENT"] = recipient
        try:
            proc = subprocess.run(
                shlex.split(cmd),
                env=child_env,
                capture_output=True,
                stdin=subprocess.DEVNULL,
                check=False,
                timeout=120,
            )
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            self.notes.append(f"SOPS_AGE_KEY_CMD: could not run: {type(exc).__name__}")
            return []
        if proc.returncode != 0:
            self.notes.append(f"SOPS_AGE_KEY_CMD: exited with status {proc.returncode}")
            return []
        try:
            return age.parse_identity_file(proc.stdout, name="SOPS_AGE_KEY_CMD output")
        except SekretError as exc:
            self.notes.append(f"SOPS_AGE_KEY_CMD: {exc}")
            return []

    def __call__(self, recipient: str) -> list[age.Identity]:
        """The identities to try for one recipient."""
        return [*self.static_identities(), *self._from_command(recipient)]

    def describe(self) -> str:
        """What was looked at, for the "no key" hint."""
        if self.notes:
            return "; ".join(dict.fromkeys(self.notes))
        return (
            "no identities found in SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh/id_ed25519, "
            "~/.ssh/id_rsa, SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD or "
            f"{self.default_keys_file()}"
        )
