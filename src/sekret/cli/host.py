"""``sekret host add|rm NAME``: bootstrap a machine's secrets in one step, or undo it."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Sequence

from sekret import age
from sekret.cli import _ui, sops_keys, sops_ops
from sekret.cli import agenix_ops as agenix
from sekret.cli import host_ops as ops
from sekret.cli._args import Namespace
from sekret.cli._env import Environment
from sekret.errors import KeyFormatError, SekretError, UsageError
from sekret.files import config as cfg
from sekret.files.transaction import Transaction
from sekret.hosts import sops_yaml
from sekret.hosts.sshkey import HostKey

USAGE = """
  sekret host add NAME [--extra-files DIR | --ssh-key PUB] [--rule REGEX]...
                  [--sops-config FILE] [--rules FILE] [-i IDENTITY]... [-y]
  sekret host rm NAME [--sops-config FILE] [--rules FILE] [-i IDENTITY]... [-y]"""

DESCRIPTION = """\
add: make the host's SSH key (ed25519, as ssh-keygen writes it) in
DIR/etc/ssh/ssh_host_ed25519_key{,.pub} for nixos-anywhere --extra-files DIR, or take
its existing public key (--ssh-key FILE or the key itself); put its age recipient
(ssh-to-age) in .sops.yaml as '- &NAME age1…' in keys: and '*NAME' in the creation
rules, and its SSH key in the agenix rules (secrets.nix: a 'NAME = "ssh-ed25519 …";'
binding added to the publicKeys lists; secrets.toml/json: the key itself); then
re-encrypt every SOPS file of those rules (as updatekeys) and every .age file of those
secrets (as agenix -r), in one process.

rm: take the host out again (its keys: item, every *NAME, its binding and uses) and
re-encrypt every file it could read with a new data key (as rotate; .age files get a
new file key), so that what it had is no use for what changes next.

All or nothing: the configs are edited in place (comments, order, indentation and
quoting kept) and checked by reading them back (secrets.nix by nix-instantiate when
installed); every new file is checked by decrypting it; then everything is renamed into
place together. If a file cannot be decrypted with your keys, nothing is changed.

--rule REGEX (repeatable) chooses the creation rules whose path_regex is REGEX and the
agenix secrets whose name REGEX matches; without it, all of them. Decryption uses your
keys as sops finds them (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, ~/.config/sops/age/keys.txt,
~/.ssh/id_ed25519 …) and, for .age files, as agenix does (~/.ssh/id_ed25519, id_rsa),
after any -i IDENTITY."""

EPILOG = """\
examples:
  $ sekret host add web1 --extra-files ./web1-files
  $ nixos-anywhere --extra-files ./web1-files --flake .#web1 --target-host root@192.0.2.10
  $ sekret host add db1 --ssh-key "$(ssh-keyscan -t ed25519 db1 2>/dev/null)" -y
  $ sekret host add pi --ssh-key pi.pub --rule 'hosts/pi/.*' --rule '^wifi\\.age$'
  $ sekret host rm web1 -y
"""


def _parser() -> _ui.Parser:
    p = _ui.Parser("sekret host", USAGE, DESCRIPTION, EPILOG)
    p.add_argument("action", nargs="?", help="add or rm")
    p.add_argument("name", nargs="?", help="the host's name (a YAML anchor, a nix name)")
    p.add_argument("--extra-files", metavar="DIR",
                   help="make the host key under DIR/etc/ssh (for nixos-anywhere)")
    p.add_argument("--ssh-key", metavar="PUB", help="the host's ssh-ed25519 public key: a "
                   ".pub file, ssh-keyscan output, or the key itself")
    p.add_argument("--rule", action="append", default=[], metavar="REGEX",
                   help="only these creation rules (path_regex) and agenix secrets")
    p.add_argument("--sops-config", metavar="FILE", help="the .sops.yaml (default: found "
                   "upwards from the working directory)")
    p.add_argument("--rules", metavar="FILE", help="the agenix rules (default $RULES, "
                   "else ./secrets.nix, ./secrets.toml, ./secrets.json)")
    p.add_argument("-i", "--identity", action="append", default=[], metavar="IDENTITY",
                   help="a key to decrypt with, tried first (repeatable)")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    return p


def run(argv: Sequence[str], env: Environment) -> int:
    """Entry point of ``sekret host``."""
    parser = _parser()
    args = parser.parse(argv)
    if args.help:
        return parser.write_help(env)
    if args.action not in ("add", "rm") or not args.name:
        raise UsageError("give add NAME or rm NAME", hint="run 'sekret host --help' for usage")
    from sekret.cli._guard import no_core_dumps

    no_core_dumps()  # plaintext and data keys are in memory
    repo = ops.locate(env, args.sops_config, args.rules)
    return add(args, env, repo) if args.action == "add" else remove(args, env, repo)


# --------------------------------------------------------------------------- keys


def _public_key(env: Environment, given: str) -> str:
    """The ``ssh-ed25519 BASE64`` of ``--ssh-key`` (a file, or the key text)."""
    text = given
    if "ssh-ed25519" not in given:
        text = env.read_file(given, what="read").decode("utf-8", "replace")
    for line in text.splitlines():
        fields = line.split()
        for i, f in enumerate(fields[:-1]):
            if f == "ssh-ed25519":
                return f"ssh-ed25519 {fields[i + 1]}"
    raise KeyFormatError("no ssh-ed25519 public key in --ssh-key",
                         hint="give the host's /etc/ssh/ssh_host_ed25519_key.pub (or "
                         "ssh-keyscan -t ed25519 HOST output)")


def _identity_sources(env: Environment, paths: list[str]
                      ) -> tuple[agenix.Context, Callable[[str], list[age.Identity]]]:
    """(agenix context for .age files, identities for a SOPS recipient): ``-i`` first,
    then sops's lookup; .age files also try agenix's ~/.ssh keys."""
    finder = sops_ops.finder(env)
    ctx = agenix.Context(env, {}, "", "", paths)
    explicit: list[age.Identity] = []
    loaded = False

    def identities_for(recipient: str) -> list[age.Identity]:
        nonlocal explicit, loaded
        if paths and not loaded:
            explicit, loaded = list(ctx.identities("the SOPS files")), True
        return [*explicit, *finder(recipient)]

    def for_age(name: str) -> list[age.Identity]:
        if ctx._ids is None:
            ctx._ids = [*agenix._load_identities(ctx), *finder.static_identities()]
        return ctx._ids

    ctx.identities = for_age  # type: ignore[method-assign,assignment]
    return ctx, identities_for


def _confirm(env: Environment, args: Namespace, lines: list[str]) -> bool:
    env.stdout.write(("\n".join(lines) + "\n").encode())
    if getattr(args, "yes", False):
        return True
    return sops_keys._confirm(env)


# --------------------------------------------------------------------------- add


def add(args: Namespace, env: Environment, repo: ops.Repo) -> int:
    """``sekret host add NAME``."""
    a = args
    name: str = a.name
    extra_files: str | None = a.extra_files
    if a.ssh_key and extra_files:
        raise UsageError("give --extra-files DIR (a new key) or --ssh-key PUB (an existing "
                         "one), not both")
    host_key = None
    key_dir = ""
    if a.ssh_key:
        public = _public_key(env, a.ssh_key)
    elif extra_files:
        from sekret.hosts import sshkey

        key_dir = posixpath.join(posixpath.abspath(env.path(extra_files)), "etc", "ssh")
        for n in ("ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"):
            if os.path.lexists(posixpath.join(key_dir, n)):
                raise ops.HostError(
                    f"{posixpath.join(extra_files, 'etc/ssh', n)!r} exists; a host key is "
                    "never overwritten",
                    hint=f"reuse it with --ssh-key {posixpath.join(extra_files, 'etc/ssh', n)}"
                    ".pub, or remove it first")
        host_key = sshkey.generate(f"root@{name}")
        public = " ".join(host_key.public_line.split()[:2])
    else:
        raise UsageError("give --extra-files DIR to make the host's key, or --ssh-key PUB",
                         hint="run 'sekret host --help' for usage")
    from sekret.age import sshconv

    recipient = sshconv.public_to_recipient(public)
    by_regex, by_name = ops.rule_selector(a.rule)
    if repo.sops_path:
        result = sops_yaml.add_host(repo.sops_text, name, recipient, by_regex)
        repo.new_sops, repo.sops_rules = result.text, result.rules
    if repo.rules_path:
        # TOML and JSON have no names: the key's comment names the host (for rm)
        data_form = repo.rules_path.endswith((".toml", ".json"))
        ops.rules_add(repo, env, name, f"{public} root@{name}" if data_form else public,
                      by_name)
    for r in a.rule:
        if r not in repo.sops_rules.values() and not any(
                by_name_one(r, s) for s in repo.secrets) and not _rule_known(repo, r):
            raise ops.HostError(f"--rule {r!r} chooses no creation rule and no agenix secret",
                                hint="give a creation rule's path_regex exactly, or a regex "
                                "matching a secret's file name")
    return _finish(args, env, repo, name, recipient, host_key=host_key, key_dir=key_dir,
                   rotate=False)


def by_name_one(regex: str, name: str) -> bool:
    """Whether ``regex`` matches the secret ``name``."""
    import re

    return re.search(regex, name) is not None


def _rule_known(repo: ops.Repo, regex: str) -> bool:
    """A --rule naming a rule that already lists the host is not a mistake."""
    if not repo.sops_path:
        return False
    return any(r.path_regex == regex for r in cfg.parse(repo.sops_text, None).rules)


# --------------------------------------------------------------------------- rm


def remove(args: Namespace, env: Environment, repo: ops.Repo) -> int:
    """``sekret host rm NAME``."""
    name: str = args.name
    recipient = ""
    if repo.sops_path:
        try:
            result = sops_yaml.remove_host(repo.sops_text, name)
        except SekretError:
            if not repo.rules_path:
                raise
            repo.sops_path = None  # the host is in the agenix rules only
        else:
            repo.new_sops, repo.sops_rules = result.text, result.rules
            recipient = result.recipient
    if repo.rules_path:
        try:
            ops.rules_remove(repo, env, name)
        except SekretError:
            if not repo.sops_path:
                raise
            repo.rules_path = None  # the host is in .sops.yaml only
    return _finish(args, env, repo, name, recipient, host_key=None, key_dir="", rotate=True)


# --------------------------------------------------------------------------- common


def _finish(args: Namespace, env: Environment, repo: ops.Repo, name: str, recipient: str, *,
            host_key: HostKey | None, key_dir: str, rotate: bool) -> int:
    ctx, identities_for = _identity_sources(env, list(args.identity))
    sops_todo: list[tuple[str, bytes, cfg.CreationRule | None]] = []
    if repo.sops_path and repo.new_sops is not None:
        conf = cfg.parse(repo.new_sops, sops_ops.config_path(repo.sops_path))
        for path, index in ops.candidates(posixpath.dirname(repo.sops_path), conf):
            if index not in repo.sops_rules and not rotate:
                continue
            with open(path, "rb") as f:
                data = f.read()
            if not ops.is_sops(path, data):
                continue
            if rotate and index not in repo.sops_rules and recipient.encode() not in data:
                continue
            sops_todo.append((path, data, conf.rules[index] if index >= 0 else None))
    age_todo: list[tuple[str, str]] = []
    if repo.rules_path:
        rules_dir = posixpath.dirname(repo.rules_path)
        for secret in repo.secrets:
            path = posixpath.normpath(posixpath.join(rules_dir, secret))
            if os.path.isfile(path):
                age_todo.append((secret, path))
            else:
                _ui.warn(env, f"{secret} does not exist, skipped")
    lines = [f"host {name}: {recipient}" if recipient else f"host {name}"]
    if repo.sops_path:
        lines.append(f"{_rel(env, repo.sops_path)}: creation rules " + (", ".join(
            repr(r) for r in repo.sops_rules.values()) or "(none)"))
    if repo.rules_path:
        lines.append(f"{_rel(env, repo.rules_path)}: " + (", ".join(repo.secrets) or "(none)"))
    verb = "rotate" if rotate else "update keys of"
    lines.append(f"{verb} {len(sops_todo)} SOPS file(s) and re-encrypt {len(age_todo)} "
                 ".age file(s)")
    if not _confirm(env, args, lines):
        _ui.say(env, "info", "nothing changed")
        return 0
    progress = ops.Progress(env, len(sops_todo) + len(age_todo))
    new_files: list[tuple[str, bytes]] = []
    for path, data, rule in sops_todo:
        new_files.append((path, ops.rekey_sops(env, path, data, rule, identities_for,
                                               rotate=rotate, drop=recipient)))
        progress.step()
    if age_todo:
        rules = ops.eval_rules(env, repo.rules_path or "", repo.new_rules or "")
        ctx.rules, ctx.rules_name = rules, _rel(env, repo.rules_path or "")
        for secret, path in age_todo:
            plain = agenix.decrypt(ctx, secret, path)
            recips = agenix.recipients(ctx, secret, rules[secret])
            new_files.append((path, ops.rekey_age(plain.expose(), recips, rules[secret].armor)))
            progress.step()
    try:
        with Transaction() as tx:
            if repo.sops_path and repo.new_sops is not None:
                tx.stage(repo.sops_path, repo.new_sops.encode())
            if repo.rules_path and repo.new_rules is not None:
                tx.stage(repo.rules_path, repo.new_rules.encode())
            for path, data in new_files:
                tx.stage(path, data)
            if host_key is not None:
                tx.makedirs(key_dir)
                priv = posixpath.join(key_dir, "ssh_host_ed25519_key")
                tx.stage(priv, host_key.private_file.expose(), mode=0o600, new=True)
                tx.stage(priv + ".pub", (host_key.public_line + "\n").encode(),
                         mode=0o644, new=True)
            tx.commit()
    except OSError as exc:
        raise ops.HostError(f"cannot write {exc.filename or 'a file'!r}: "
                            f"{(exc.strerror or 'error').lower()}",
                            hint="nothing was changed") from None
    n = len(new_files)
    _ui.say(env, "info", f"{'removed' if rotate else 'added'} host {name}; "
                         f"re-encrypted {n} file{'' if n == 1 else 's'}")
    if host_key is not None:
        top = args.extra_files  # as the user wrote it
        env.stdout.write(
            f"host key: {posixpath.join(top, 'etc/ssh')}/ssh_host_ed25519_key (0600) and "
            f".pub\ninstall with:\n  nixos-anywhere --extra-files {top} --flake "
            f".#{name} --target-host root@HOST\n".encode())
    return 0


def _rel(env: Environment, path: str) -> str:
    rel = os.path.relpath(path, env.cwd)
    return path if rel.startswith("..") else rel
