"""One install, in the order of DESIGN.md decision 4.

validate → mount → keys → decrypt every secret (each file once) → write generation N
with final owner and mode → templates → compare with the previous generation →
restart/reload requests → atomic symlink switch → ``path`` links → prune. Anything that
fails before the switch leaves the live secrets untouched.

sops-nix entries are all or nothing, as ``sops-install-secrets`` is: every secret is
decrypted before anything is written, and one failure leaves the previous generation
live and complete. That is what sops-nix users rely on: a configuration's secrets
belong together (a service gets its new password and the matching new certificate, or
neither), ``restartUnits`` are queued only for a generation that was switched to, and a
failed activation can be retried or rolled back to a consistent set.

Keys: the manifest's (``ageKeyFile``, ``ageSshKeyPaths``) plus, as sops itself reads
them, ``SOPS_AGE_KEY``, ``SOPS_AGE_KEY_CMD``, ``SOPS_AGE_SSH_PRIVATE_KEY_FILE``,
``$HOME/.ssh/id_ed25519``/``id_rsa`` and ``$XDG_CONFIG_HOME/sops/age/keys.txt`` from
the environment sops-nix's ``sops.environment`` exports; ``SOPS_AGE_KEY_FILE`` too,
unless the manifest names age keys (``sops-install-secrets`` then points it at the
keys it imported, as sekret does in memory). PGP: ``sshKeyPaths`` (RSA ssh keys as
sops-nix's OpenPGP keys) or ``gnupgHome`` (the real gpg), see :mod:`.pgpkeys`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sekret.errors import InstallError
from sekret.install import agenix, apply, host, pgpkeys
from sekret.install import plan as planning
from sekret.install.errors import ApplyError, ManifestError
from sekret.install.manifest import Manifest, Owner, expand_runtime_dir, validate
from sekret.install.values import check_sources, decrypt_all

CHECK_MODES = ("off", "manifest", "sopsfile")
Log = Callable[[str], None]


@dataclass
class Options:
    """How to run (the command-line flags and environment of sops-install-secrets)."""

    check_mode: str = "off"
    ignore_passwd: bool = False
    dry: bool = False
    via_systemctl: bool = False
    mount: bool = True
    activation_dir: str = "/run/nixos"
    runtime_dir: str | None = None
    generate_key: bool = False
    #: the environment sops would see (SOPS_AGE_KEY, SOPS_AGE_KEY_CMD, HOME, …)
    environ: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Result:
    """What an install did."""

    generation: int | None = None
    plan: planning.Plan | None = None
    changes: planning.Changes | None = None
    log: list[str] = field(default_factory=list)
    #: agenix secrets left out because they could not be decrypted
    failed: list[str] = field(default_factory=list)


def prepare(m: Manifest, opts: Options) -> Manifest:
    """User-mode ``%r`` expansion, then the manifest checks."""
    if opts.check_mode not in CHECK_MODES:
        raise ManifestError("", f"invalid value provided for -check-mode flag: {opts.check_mode}")
    if m.user_mode:
        if opts.runtime_dir:
            m = expand_runtime_dir(m, opts.runtime_dir)
        elif opts.check_mode == "off":
            raise ManifestError("", "cannot figure out runtime directory: $XDG_RUNTIME_DIR is "
                                "not set", hint="run it in the user's session (systemd --user "
                                "sets XDG_RUNTIME_DIR), or set XDG_RUNTIME_DIR")
        else:
            # A build-time check (home-manager runs -check-mode in the build sandbox,
            # which has no XDG_RUNTIME_DIR): the Go binary expands %r to "" there and
            # goes on. Here %r stands for "/" while validating, so "%r/secrets.d" is
            # checked as the absolute path it will be at install time, where an
            # unset or relative XDG_RUNTIME_DIR is still an error.
            m = expand_runtime_dir(m, "/")
    validate(m)
    return m


def _template_texts(m: Manifest) -> dict[str, str]:
    texts = {}
    for t in m.templates:
        if t.content:
            texts[t.name] = t.content
            continue
        try:
            texts[t.name] = host.read_file(t.file).decode("utf-8", "surrogateescape")
        except OSError as exc:
            raise ApplyError(f"cannot render templates: cannot read '{t.file}': "
                             f"{exc.strerror}") from None
    return texts


class _OwnerIds:
    """Owners resolved to ids once each (None in user mode, root with no lookups).

    A dry run resolves owners as a real run does, so that an unchanged configuration
    reports nothing (the Go binary takes everyone for root in a dry run, and then
    reports every non-root secret as modified). An owner that does not exist yet (a
    user this configuration will create) is None in a dry run: its ownership is not
    compared.
    """

    def __init__(self, user_mode: bool, no_lookups: bool, dry: bool = False) -> None:
        self.user_mode, self.no_lookups, self.dry = user_mode, no_lookups, dry
        self.cache: dict[Owner, planning.Ids] = {}

    def __call__(self, who: Owner) -> planning.Ids:
        if self.user_mode:
            return None
        if self.no_lookups:
            return (0, 0)
        if who not in self.cache:
            try:
                self.cache[who] = host.lookup_owner(who)
            except ManifestError:
                if not self.dry:
                    raise
                self.cache[who] = None
        return self.cache[who]


def install(
    m: Manifest, opts: Options, *, warn: Log, out: Log, info: Log | None = None
) -> Result:
    """Install ``m``; ``warn``/``info`` get stderr lines, ``out`` the change log (stdout)."""
    info = info or warn
    m = prepare(m, opts)
    result = Result()
    if opts.check_mode != "off":
        if opts.check_mode == "sopsfile":
            check_sources(m, host.read_file)
            _template_texts(m)
        return result
    no_lookups = opts.ignore_passwd
    dir_ids: planning.Ids = None
    if not m.user_mode:
        dir_ids = (0, 0 if no_lookups else host.keys_gid())
    owner_ids = _OwnerIds(m.user_mode, no_lookups, opts.dry)
    failed: dict[str, InstallError] = {}  # agenix secrets that will not be installed
    for item in m.secrets:
        try:
            owner_ids(item.who)  # every lookup before anything is changed
        except ManifestError as exc:
            if not item.age_file:
                raise
            failed[item.name] = exc
    for tpl in m.templates:
        owner_ids(tpl.who)
    if not opts.dry:
        apply.prepare_mount_point(m.mount_point, mount=opts.mount and not m.user_mode,
                                  use_tmpfs=m.use_tmpfs, ids=dir_ids, warn=warn)
    note = info if m.logging.key_import else (lambda _line: None)
    if (opts.generate_key or m.generate_key) and m.age_key_file and not opts.dry:
        recipient = apply.generate_key(m.age_key_file)
        if recipient:
            info(f"generated a new age key in {m.age_key_file}: {recipient}")
    identities = host.load_identities(m, warn, note)
    pgp = pgpkeys.for_manifest(m.ssh_key_paths, m.gnupg_home, opts.environ, read=host.read_file,
                               warn=warn, note=note,
                               mount_point=m.mount_point if host.exists(m.mount_point) else None)
    try:
        values = decrypt_all(m, host.read_file, identities,
                             sops_keys=host.sops_identities(m, opts.environ), pgp=pgp,
                             failed=failed, environ=opts.environ)
    finally:
        pgp.close()
    total_age = sum(1 for s in m.secrets if s.age_file)
    for name, why in sorted(failed.items()):
        warn(f"cannot install agenix secret {name}: {why}")
    m, result.failed = agenix.without(m, failed), sorted(failed)
    texts = _template_texts(m)
    # A previous generation exists only behind a symlink that resolves: a directory
    # there (made in the initrd, or by hand) is replaced like a first boot, as
    # sops-install-secrets removes it before comparing (no change log, no restarts).
    had_link = host.readlink(m.symlink_path) is not None and host.resolves(m.symlink_path)
    generation = planning.next_generation(host.readlink(m.symlink_path), m.mount_point)
    old = host.snapshot(m.symlink_path) if had_link and not m.user_mode else None
    plan = planning.build(m, values, texts, owner_ids=owner_ids, dir_ids=dir_ids,
                          generation=generation, old=old)
    result.plan, result.changes = plan, plan.changes
    if not opts.dry:
        apply.write_generation(plan, dir_ids)
    if plan.changes is not None:
        if m.logging.secret_changes:
            for line in planning.change_log(plan.changes, dry=opts.dry):
                out(line)
        apply.request_units(plan.changes, dry=opts.dry, via_systemctl=opts.via_systemctl,
                            activation_dir=opts.activation_dir, warn=info)
    if opts.dry:
        if failed:
            raise agenix.not_installed(failed, total_age, generation=None)
        return result
    apply.switch(m.symlink_path, plan.gen_dir)
    result.generation = generation
    errors = apply.place_links(plan.links, user_mode=m.user_mode)
    apply.prune(m.mount_point, planning.to_prune(host.list_dir(m.mount_point), generation,
                                                 m.keep_generations))
    if errors:
        raise ApplyError(f"failed to prepare symlinks to secret store: {errors[0]}",
                         hint="\n".join(errors[1:]) or None)
    if failed:
        raise agenix.not_installed(failed, total_age, generation=generation)
    return result


def credentials(m: Manifest, unit: str) -> list[str]:
    """``LoadCredential=ID:PATH`` lines for the secrets and templates that name ``unit``."""
    lines = []
    for s in m.secrets:
        if unit in s.restart_units or unit in s.reload_units:
            path = os.path.join(m.symlink_path, s.name) if s.symlink else s.path
            lines.append(f"LoadCredential={s.name.replace('/', '_')}:{path}")
    for t in m.templates:
        if unit in t.restart_units or unit in t.reload_units:
            path = os.path.join(m.symlink_path, planning.RENDERED, t.name)
            lines.append(f"LoadCredential={t.name.replace('/', '_')}:{path}")
    return lines
