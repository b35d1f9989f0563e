"""``bin/`` of the fake packages a rendered script calls: ``python -m tests.nixeval.fakebin
ROOT PROGRAM ARGS…`` runs sekret as that program (see :class:`tests.nixeval.Machine`).

``sops-install-secrets`` is sekret's console entry point with its real argv parsing;
only the two things a test root needs differ from a host: no filesystem is mounted and
the activation lists go to ``ROOT/run/nixos``. ``age``, ``age-keygen`` and ``sekret``
are ``sekret age``, ``sekret age-keygen`` and ``sekret``.
"""

from __future__ import annotations

import sys

from sekret.cli import Environment, main, sops_install_secrets


def run(argv: list[str]) -> int:
    """Dispatch ``ROOT PROGRAM ARGS…``."""
    root, program, args = argv[0], argv[1], argv[2:]
    env = Environment.system()
    if program == "sops-install-secrets":
        return sops_install_secrets.main(args, env, mount=False,
                                         activation_dir=f"{root}/run/nixos")
    if program in ("age", "age-keygen"):
        return main([program, *args], env)
    if program == "sekret":
        return main(args, env)
    sys.stderr.write(f"fakebin: no stand-in for {program}\n")
    return 127


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
