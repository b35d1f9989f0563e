"""The work behind ``sekret agenix``: rules, identities, and the -d / -e / -r actions.

Plaintext never touches the disk except inside the editor's private tmpfs directory
(:mod:`sekret.files.editor`); stdin edits and rekeys stay in memory. Every write of an
``.age`` file is atomic, so a failed edit or rekey leaves the old file whole.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

from sekret import age
from sekret._sensitive import SecretBytes
from sekret.cli import _ui
from sekret.cli._env import Environment, _umask
from sekret.errors import AgeError, KeyFormatError, NoIdentityMatchError, SekretError
from sekret.files import atomic_write
from sekret.install import agenix_rules as ar

DEFAULT_RULES = ("secrets.nix", "secrets.toml", "secrets.json")
DEFAULT_KEYS = ("id_ed25519", "id_rsa")
_NIX_TIMEOUT = 120


@dataclass
class Context:
    """One run: the rules, where they came from, and the identities (loaded lazily)."""

    env: Environment
    rules: dict[str, ar.Rule]
    rules_name: str
    rules_dir: str
    identity_paths: list[str]
    verbose: bool = False
    _ids: list[age.Identity] | None = field(default=None, repr=False)

    def info(self, message: str) -> None:
        _ui.say(self.env, "info", message)

    def target(self, name: str) -> str:
        """``name`` (as typed) as an absolute, normalised path."""
        return posixpath.normpath(os.path.abspath(self.env.path(name)))

    def rule_for(self, name: str) -> tuple[str, ar.Rule, str]:
        """The rule for the file the user named, and that file's absolute path.

        The name matches when it resolves to the same file relative to the rules file's
        directory (ragenix), or when it is the attribute name as typed (agenix). Either
        way the file is the one the rule names, relative to the rules file's directory,
        the file ``-r`` rekeys: so ``-d secret1.age --rules /elsewhere/secrets.nix``
        reads /elsewhere/secret1.age from any directory (agenix would look in the
        current directory, find nothing and print nothing). From the rules file's own
        directory, as agenix is run, both are the same file.
        """
        key = ar.find(self.rules, self.target(name), self.rules_dir)
        if key is None and name in self.rules:
            key = name
        if key is None:
            raise SekretError(
                f"there is no rule for {name!r} in {self.rules_name!r}",
                hint=f"add \"{name}\".publicKeys = [ … ]; to {self.rules_name} (names are "
                "relative to its directory), or point --rules / RULES at the right file")
        return key, self.rules[key], posixpath.normpath(posixpath.join(self.rules_dir, key))

    def identities(self, for_file: str) -> list[age.Identity]:
        """``-i`` identities first, then ``~/.ssh/id_ed25519`` and ``~/.ssh/id_rsa``."""
        if self._ids is None:
            self._ids = _load_identities(self)
        if not self._ids:
            raise SekretError(
                f"no identity found to decrypt {for_file!r}",
                hint="add an SSH key at ~/.ssh/id_ed25519 or ~/.ssh/id_rsa, or give an "
                "identity file with -i/--identity")
        return self._ids


# --------------------------------------------------------------------------- rules


def load_rules(
    env: Environment, given: str | None, *, verbose: bool
) -> tuple[str, str, dict[str, ar.Rule]]:
    """(shown name, directory, rules) from ``--rules``, ``$RULES`` or ./secrets.{nix,toml,json}."""
    name = given or env.environ.get("RULES") or next(
        (n for n in DEFAULT_RULES if os.path.exists(env.path(n))), "./secrets.nix")
    full = posixpath.normpath(os.path.abspath(env.path(name)))
    try:
        with open(full, "rb") as f:
            raw = f.read(16 << 20)
    except OSError as exc:
        raise SekretError(
            f"cannot read rules file {name!r}: {(exc.strerror or 'error').lower()}",
            hint="run from the directory holding secrets.nix, or give --rules FILE (or set "
            "RULES)") from None
    text = raw.decode("utf-8", "replace")
    if full.endswith(".json"):
        rules = ar.parse_json(text, name)
    elif full.endswith(".toml"):
        rules = ar.parse_toml(text, name)
    else:
        nix = shutil.which("nix-instantiate", path=env.environ.get("PATH"))
        if verbose:
            _ui.say(env, "info", f"reading {name!r} with " +
                    (nix or "sekret's reader of simple nix (nix-instantiate not found)"))
        rules = _eval_nix(env, nix, full, name) if nix else ar.parse_nix(text, name)
    return name, posixpath.dirname(full), rules


def _eval_nix(env: Environment, nix: str, full: str, name: str) -> dict[str, ar.Rule]:
    """``nix-instantiate --eval --strict --json`` of the rules file (no store writes)."""
    argv = [nix, "--eval", "--strict", "--json", "--readonly-mode", full]
    try:
        proc = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL,
                              env=dict(env.environ), cwd=posixpath.dirname(full),
                              timeout=_NIX_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ar.RulesError(f"cannot run nix-instantiate: {type(exc).__name__}",
                            hint="check the nix installation (nix-instantiate --version)") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").splitlines()
        why = next((ln.strip()[len("error:"):].strip() for ln in lines
                    if ln.strip().startswith("error:")), f"exit status {proc.returncode}")
        raise ar.RulesError(f"cannot evaluate {name!r} with nix-instantiate: {why}",
                            hint=f"check it with: nix-instantiate --eval --strict --json {name}")
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        raise ar.RulesError(f"nix-instantiate gave no JSON for {name!r}") from None
    return ar.from_data(data, name)


# --------------------------------------------------------------------------- keys


def _load_identities(ctx: Context) -> list[age.Identity]:
    from sekret.age.keys import parse_identity_file
    from sekret.cli.age_keys import passphrase_asker, sibling_public_key, with_plugin_ui

    env = ctx.env
    found: list[tuple[str, bytes, bool]] = [
        (p, env.read_file(p), True) for p in ctx.identity_paths]
    home = env.environ.get("HOME")
    for base in DEFAULT_KEYS if home else ():
        path = posixpath.join(str(home), ".ssh", base)
        try:
            with open(path, "rb") as f:
                found.append((path, f.read(1 << 20), False))
        except OSError:
            continue
    out: list[Any] = []
    for path, data, explicit in found:
        if not data.strip():
            continue  # an empty key file is skipped, as agenix's activation does
        try:
            ids = parse_identity_file(
                data, name=path, public_text=sibling_public_key(env, path, data),
                ask_passphrase=passphrase_asker(env, f"Enter passphrase for {path!r}:"))
        except SekretError as exc:
            if explicit:
                raise
            _ui.warn(env, f"skipping {path}: {exc}")
            continue
        if ctx.verbose:
            _ui.say(env, "info", f"using identity {path}")
        out.extend(ids)
    # Plain keys first, so a passphrase-protected key is asked for only when needed.
    out.sort(key=lambda i: type(i).__name__ not in ("X25519Identity", "HybridIdentity",
                                                    "SSHIdentity"))
    return with_plugin_ui(out, env)


def recipients(ctx: Context, name: str, rule: ar.Rule) -> list[age.Recipient]:
    """The rule's public keys as recipients (an invalid one names the rule)."""
    from sekret.cli.age_keys import with_plugin_ui

    try:
        out = [age.parse_recipient(k) for k in rule.public_keys]
    except KeyFormatError as exc:
        raise ar.RulesError(f"{ctx.rules_name}: {name!r}: {exc}", hint=exc.hint or (
            "publicKeys are recipients: age1…, ssh-ed25519 AAAA…, ssh-rsa AAAA…")) from None
    return with_plugin_ui(list(out), ctx.env)


def decrypt(ctx: Context, name: str, path: str) -> SecretBytes:
    """The plaintext of the ``.age`` file at ``path`` (binary or armored)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise SekretError(f"cannot read {name!r}: {(exc.strerror or 'error').lower()}") from None
    try:
        return SecretBytes(age.decrypt(data, ctx.identities(name)))
    except NoIdentityMatchError as exc:
        raise NoIdentityMatchError(
            f"cannot decrypt {name!r}: {exc}", stanza_types=exc.stanza_types,
            errors=exc.errors, hint="give the key it is encrypted to with -i/--identity"
        ) from None
    except AgeError as exc:
        raise AgeError(f"cannot decrypt {name!r}: {exc}", hint=exc.hint) from None


def write(path: str, data: bytes) -> None:
    """Replace (or create, with its directories) the ``.age`` file at ``path`` atomically."""
    try:
        os.makedirs(posixpath.dirname(path), exist_ok=True)
        mode = None if os.path.exists(path) else 0o666 & ~_umask()
        atomic_write(path, data, mode=mode)
    except OSError as exc:
        raise SekretError(f"cannot write {path!r}: {(exc.strerror or 'error').lower()}",
                          hint="the old file, if any, is unchanged") from None


def rescuer(path: str, recips: list[age.Recipient], armor: bool) -> Any:
    """Keep a failed edit encrypted for the rule's recipients beside the file."""

    def rescue(text: bytes) -> str:
        target = f"{path}.sekret-rescue-{time.strftime('%Y%m%dT%H%M%S')}"
        try:
            atomic_write(target, age.encrypt(text, recips, armor=armor), mode=0o600)
        except (OSError, SekretError):
            return ""
        return (f"your edit is kept, encrypted for the same recipients, in {target!r}; "
                f"see it with: sekret age -d -i KEY {target}")

    return rescue
