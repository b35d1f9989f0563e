"""SOPS-compatible structured encryption (getsops/sops 3.x file format).

Pure: trees in, trees out. Reading and writing files is done by :mod:`sekret.files`,
format conversion by :mod:`sekret.stores`.
"""
