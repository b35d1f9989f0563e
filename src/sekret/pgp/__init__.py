"""OpenPGP through the user's own ``gpg``, as sops uses it for ``pgp`` master keys.

:mod:`sekret.pgp.gpg` is the one module that runs ``gpg``; nothing here is imported on
the age-only path, so a user without PGP keys pays nothing for it.
"""
