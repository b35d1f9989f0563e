"""``sekret install MANIFEST.json``: a drop-in for sops-nix's ``sops-install-secrets``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sekret.cli import _ui
from sekret.cli._env import Environment
from sekret.errors import UsageError

if TYPE_CHECKING:
    from sekret.install import run as run_
    from sekret.install.manifest import Manifest

USAGE = """
  sekret install [--check-mode=off|manifest|sopsfile] [--ignore-passwd] [--no-mount]
                 [--activation-dir DIR] [--generate-key] [--dry-run] MANIFEST.json
  sekret install --print-credentials UNIT MANIFEST.json"""

DESCRIPTION = """\
Install the secrets a sops-nix manifest describes, as sops-install-secrets does: check
the manifest, mount ramfs (tmpfs with useTmpfs) on secretsMountPoint when running as
root, import the age keys (ageKeyFile, ageSshKeyPaths through ssh-to-age, agenix
identityPaths), decrypt every secret, write generation N with each file's final owner
and mode, render the templates, queue restarts/reloads for what changed, switch
symlinkPath to the new generation in one rename, make the `path` links and prune old
generations (keepGenerations). Nothing visible changes when a sops secret cannot be
decrypted. A secret may name an age file (ageFile) instead of sopsFile: agenix's
secrets, installed the same way (symlinkPath /run/agenix, secretsMountPoint
/run/agenix.d) but with agenix's rules: each one that decrypts is installed and
the others are reported (exit status 1; never a half-written file), mode is
anything chmod takes ("0440", "u=r,g=r", "g+r"), owner and group may be numeric
("0"), an empty group is the owner's login group, and symlink: false puts the
file only at its path.

Environment: NIXOS_ACTION=dry-activate reports what would change and writes nothing;
SOPS_RESTART_UNITS_VIA_SYSTEMCTL=1 asks systemctl to restart/reload units instead of
appending to DIR/activation-restart-list and DIR/activation-reload-list;
XDG_RUNTIME_DIR replaces %r in user mode (a check mode needs none); sops's key
variables (SOPS_AGE_KEY, SOPS_AGE_KEY_CMD, SOPS_AGE_KEY_FILE when the manifest names no
age key, …) add keys, as sops-nix's sops.environment expects. The same installer is
the `sops-install-secrets` command, with the Go binary's flags, for sops.package.

Deliberate differences from sops-install-secrets:
  - modes are exact: files and directories get their mode with chmod, not reduced by
    the umask; files are created with mode 0, given owner and mode, then content
  - nested JSON keys work (a/b looks into {"a": {"b": ...}})
  - an unknown format is an error, not read as yaml
  - no manifest argument is a usage error (exit 2), not exit 0
  - owner, group and mode changes count as changes (units restart; sops-nix #220)
  - each encrypted file is decrypted once, however many secrets it feeds
  - a dry run writes no generation directory; keys stay in memory (no age-keys.txt)
  - a dry run resolves owners as a real run does (not everyone as root), so an
    unchanged configuration reports nothing
  - setuid, setgid and sticky bits in a mode are refused, not dropped silently
  - a missing activation directory is reported when units were due to restart
  - sshKeyPaths are read only when a file's age keys do not open it (an age-only
    host never warns about its RSA host key); gpg then decrypts with the derived keys
    in a throwaway GnuPG home in the secrets mount point, as sops-install-secrets"""

EPILOG = """\
examples:
  $ sekret install /nix/store/…-manifest.json
  $ sekret install --check-mode=sopsfile manifest.json
  $ NIXOS_ACTION=dry-activate sekret install manifest.json
  $ sekret install --print-credentials nginx.service manifest.json
  LoadCredential=nginx_key:/run/secrets/nginx/key
"""


def _parser() -> _ui.Parser:
    p = _ui.Parser("sekret install", USAGE, DESCRIPTION, EPILOG)
    p.add_argument("manifest", nargs="?", help="the manifest JSON file")
    p.add_argument("--check-mode", default="off", choices=["off", "manifest", "sopsfile"],
                   help="only check the manifest (and with sopsfile the encrypted files)")
    p.add_argument("--ignore-passwd", action="store_true",
                   help="no user or group lookups: everything root-owned")
    p.add_argument("--no-mount", action="store_true", help="never mount a filesystem")
    p.add_argument("--activation-dir", default="/run/nixos", metavar="DIR",
                   help="where the restart/reload lists go (default /run/nixos)")
    p.add_argument("--generate-key", action="store_true",
                   help="create ageKeyFile with a new age key when it does not exist")
    p.add_argument("--dry-run", action="store_true", help="as NIXOS_ACTION=dry-activate")
    p.add_argument("--print-credentials", metavar="UNIT",
                   help="print LoadCredential= lines for the secrets UNIT uses")
    return p


def _normalise(argv: Sequence[str]) -> list[str]:
    """Go's single-dash flags (``-check-mode=x``, ``-ignore-passwd``) work too."""
    out = []
    for arg in argv:
        if arg.startswith(("-check-mode", "-ignore-passwd")):
            arg = "-" + arg
        out.append(arg)
    return out


def run(argv: Sequence[str], env: Environment) -> int:
    """Entry point of ``sekret install``."""
    from sekret.install import manifest, run

    parser = _parser()
    args = parser.parse(_normalise(argv))
    if args.help:
        return parser.write_help(env)
    if not args.manifest:
        raise UsageError("no manifest given", hint="run 'sekret install --help' for usage")
    m = manifest.parse(env.read_file(args.manifest, limit=256 << 20))
    if args.print_credentials:
        for line in run.credentials(m, args.print_credentials):
            env.stdout.write(line.encode() + b"\n")
        return 0
    opts = options(
        env.environ,
        check_mode=args.check_mode,
        ignore_passwd=args.ignore_passwd,
        dry=args.dry_run,
        mount=not args.no_mount,
        activation_dir=args.activation_dir,
        generate_key=args.generate_key,
    )
    execute(m, opts, env)
    return 0


def options(environ: Mapping[str, str], **flags: Any) -> run_.Options:
    """The installer's options: the command-line ``flags`` plus what the environment
    says (``NIXOS_ACTION``, ``SOPS_RESTART_UNITS_VIA_SYSTEMCTL``, ``XDG_RUNTIME_DIR``,
    the sops key variables); shared with ``sops-install-secrets``."""
    from sekret.install import run as run_

    dry = bool(flags.pop("dry", False)) or environ.get("NIXOS_ACTION") == "dry-activate"
    return run_.Options(
        dry=dry,
        # Go's test is == "1"; any other non-empty value but "0" is read as yes too
        via_systemctl=environ.get("SOPS_RESTART_UNITS_VIA_SYSTEMCTL", "") not in ("", "0"),
        runtime_dir=environ.get("XDG_RUNTIME_DIR") or None,
        environ=dict(environ),
        **flags,
    )


def execute(m: Manifest, opts: run_.Options, env: Environment) -> None:
    """Install ``m``: warnings and notes to stderr, the change log to stdout."""
    from sekret.install import run as run_

    def out(line: str) -> None:
        env.stdout.write(line.encode() + b"\n")
        env.stdout.flush()

    run_.install(m, opts, warn=lambda line: _ui.warn(env, line), out=out,
                 info=lambda line: _ui.say(env, "info", line))
