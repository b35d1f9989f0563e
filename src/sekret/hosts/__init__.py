"""Host bootstrap (``sekret host add|rm``): the pure core.

A new machine's SSH host key, its age recipient in ``.sops.yaml`` and its public key in
agenix's rules, as text edits that keep the user's files as they wrote them. Nothing
here reads or writes a file: the CLI (:mod:`sekret.cli.host`) does that, re-encrypts
the affected secrets and commits everything at once.
"""
