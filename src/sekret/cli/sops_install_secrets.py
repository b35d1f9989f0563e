"""``sops-install-secrets``: sekret as a drop-in for sops-nix's installer binary.

sops-nix's modules run ``${cfg.package}/bin/sops-install-secrets [FLAGS] MANIFEST``
(activation script, systemd unit, home-manager service, and the build-time
``-check-mode`` of the manifest), so with this console script ``sops.package = sekret``
works unchanged. The command line is the Go binary's, parsed by Go's ``flag`` rules
(:mod:`sekret.cli._goflags`): ``-check-mode=manifest|sopsfile|off`` (also
``-check-mode VALUE``, ``--check-mode=…``), ``-ignore-passwd`` (``=true``/``=false``),
``-h``/``-help``, then exactly one manifest path. The work is ``sekret install``'s
(:mod:`sekret.cli.install`); only the front door differs.

Exit status as the Go binary's: 0 on success and for ``-h``, 1 for every error,
a flag error included. Where the Go binary exits 0 on a wrong number of arguments
(it prints its usage and returns "help"), this one exits 1: an activation script whose
manifest argument went missing must not pass for a successful install.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from sekret.cli import _ui
from sekret.cli._env import Environment
from sekret.cli._goflags import FlagSet
from sekret.errors import SekretError, UsageError

PROG = "sops-install-secrets"
USAGE = (
    f"Usage: {PROG} [OPTION] manifest.json\n"
    "  -check-mode string\n"
    "    \tValidate configuration without installing it "
    '(possible values: "manifest","sopsfile","off") (default "off")\n'
    "  -ignore-passwd\n"
    "    \tDon't look up anything in /etc/passwd. Causes everything to be owned by "
    "root:root or the user executing the tool in user mode\n"
)
CHECK_MODES = ("manifest", "sopsfile", "off")


def _flags() -> FlagSet:
    fs = FlagSet(USAGE)
    fs.string("check_mode", "check-mode")
    fs.bool("ignore_passwd", "ignore-passwd")
    return fs


def main(
    argv: Sequence[str],
    env: Environment,
    *,
    mount: bool = True,
    activation_dir: str = "/run/nixos",
) -> int:
    """Run with ``argv`` (the arguments after the program name); return the exit status.

    ``mount`` and ``activation_dir`` are not on the command line (the Go binary has no
    such flags); they let a caller run the installer below a test root.
    """
    from sekret.cli import install
    from sekret.install import manifest

    try:
        parsed = _flags().parse(argv)
        if parsed.help:
            env.stderr.write(USAGE.encode())
            return 0
        check_mode = parsed.check_mode if parsed.check_mode is not None else "off"
        if check_mode not in CHECK_MODES:
            raise UsageError(f"invalid value provided for -check-mode flag: {check_mode}",
                             hint='use one of "manifest", "sopsfile", "off"')
        if len(parsed.args) != 1:
            raise UsageError(f"expected exactly one manifest path, got {len(parsed.args)} "
                             "arguments", hint=f"usage: {PROG} [OPTION] manifest.json")
        m = manifest.parse(env.read_file(parsed.args[0], limit=256 << 20))
        opts = install.options(env.environ, check_mode=check_mode,
                               ignore_passwd=parsed.ignore_passwd, mount=mount,
                               activation_dir=activation_dir)
        install.execute(m, opts, env)
        return 0
    except SekretError as exc:
        _ui.print_error(env, exc)
        return 1
    except Exception as exc:
        _ui.say(env, "error", f"internal error: {type(exc).__name__}")
        _ui.say(env, "hint", "this is a bug in sekret; run 'sekret install --debug' to see "
                "the traceback")
        return 1
    finally:
        for stream in (env.stdout, env.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass


def run() -> int:
    """The console script: the real process's argv and environment."""
    from sekret.cli import _guard

    _guard.own_process()
    return main(sys.argv[1:], Environment.system())
