"""sekret's own "hazmat": the only package that imports ``cryptography.hazmat``.

Every function here is a thin, typed wrapper around a primitive of pyca/cryptography
with the fixed sizes and checks that the formats above it need. Nothing here is
hand-rolled except bech32 (an encoding) and the Edwards→Montgomery map (arithmetic on
public values).
"""
