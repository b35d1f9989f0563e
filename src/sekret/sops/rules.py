"""Which values are encrypted: the six crypt rules of sops (``shouldBeEncrypted``).

A value's *path* is the mapping keys from the root (list indices excluded); its
*comment stack* holds, for each enclosing level, the run of comments seen just before
the current item. Exactly one rule is in force (``unencrypted_suffix: _unencrypted`` by
default). Regexes are compiled once and searched (not anchored), as Go's
``regexp.Match`` does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sekret.errors import SopsError
from sekret.sops.metadata import CRYPT_RULES, DEFAULT_UNENCRYPTED_SUFFIX


class RuleError(SopsError):
    """A crypt rule is invalid (two rules at once, or a bad regex)."""


class CryptRules:
    """The crypt rule of a file, ready to evaluate."""

    def __init__(self, rule: tuple[str, str] | None) -> None:
        self.name, self.value = rule or ("unencrypted_suffix", DEFAULT_UNENCRYPTED_SUFFIX)
        if self.name not in CRYPT_RULES:
            raise RuleError(f"unknown crypt rule {self.name!r}")
        self._re: re.Pattern[str] | None = None
        if self.name.endswith("regex"):
            try:
                self._re = re.compile(self.value)
            except re.error as exc:
                raise RuleError(f"can not compile regexp {self.value!r}: {exc}") from None

    @property
    def by_comments(self) -> bool:
        """Whether the rule looks at comments (else only at the keys of the path)."""
        return self.name.endswith("comment_regex")

    def key_matches(self, key: str) -> bool:
        """For key rules: whether ``key`` matches the suffix or regex."""
        if self.name.endswith("suffix"):
            return key.endswith(self.value)
        assert self._re is not None
        return self._re.search(key) is not None

    def decide(self, hit: bool, stack: Sequence[Sequence[str]], is_comment: bool) -> bool:
        """Whether a value is encrypted, given whether a key of its path matched (``hit``,
        for key rules) and its comment stack (for comment rules)."""
        name = self.name
        if name == "unencrypted_suffix" or name == "unencrypted_regex":
            return not hit
        if name == "encrypted_suffix" or name == "encrypted_regex":
            return hit
        return self.should_encrypt((), stack, is_comment)

    def should_encrypt(
        self, path: Sequence[str], stack: Sequence[Sequence[str]], is_comment: bool
    ) -> bool:
        """Whether the value (or comment) at ``path`` with ``stack`` is encrypted."""
        name, value, rx = self.name, self.value, self._re
        if name == "unencrypted_suffix":
            return not any(k.endswith(value) for k in path)
        if name == "encrypted_suffix":
            return any(k.endswith(value) for k in path)
        assert rx is not None
        if name == "unencrypted_regex":
            return not any(rx.search(k) for k in path)
        if name == "encrypted_regex":
            return any(rx.search(k) for k in path)
        if name == "unencrypted_comment_regex":
            return not any(rx.search(c) for run in stack for c in run)
        # encrypted_comment_regex: a matching comment line itself stays clear
        last = len(stack) - 1
        for i, run in enumerate(stack):
            for j, c in enumerate(run):
                if is_comment and i == last and j == len(run) - 1:
                    continue
                if rx.search(c):
                    return True
        return False

    def check_encrypted_comment(self, text: str) -> None:
        """An encrypted comment must not match ``unencrypted_comment_regex``."""
        if self.name == "unencrypted_comment_regex" and self._re and self._re.search(text):
            raise RuleError(
                "an encrypted comment matches unencrypted_comment_regex",
                hint="make sure unencrypted_comment_regex cannot match ENC[…] text",
            )
