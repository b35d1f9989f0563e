"""Where ``sekret age`` reads and writes, with age's care for the terminal.

- Armored ciphertext typed (or pasted) at the terminal is read up to its END line
  before anything is asked, so the same terminal can then take the passphrase.
- Output to a terminal: binary ciphertext is refused unless forced with ``-o -``;
  plaintext is held back until all of it decrypted and refused if it is binary; and
  while the input is being typed at the terminal, output waits for the end of it.
- Output to a pipe or file starts only once the header is written and the payload
  under way, so an encryption that fails (a bad recipient, a plugin error) writes
  nothing at all. ``-o FILE`` is written atomically (see :meth:`Environment.output`);
  a new file gets age's mode (0666 less the umask) for ciphertext and 0600 less the
  umask for plaintext (never more than 0600; under agenix's ``umask u=r,g=,o=`` that
  is age's 0400, which agenix's relative modes such as ``g+r`` start from), an
  existing one keeps its mode.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO

from sekret.cli import _ui
from sekret.cli._env import Environment, _umask
from sekret.errors import AgeError, ArmorError, HeaderError, SekretError

if TYPE_CHECKING:  # pragma: no cover
    from sekret.age import Identity, Recipient

_FOOTER_LINE = b"-----END AGE ENCRYPTED FILE-----\n"
_AGE_STARTS = (b"age-encryption.org/", b"-----BEGIN AGE ENCRYPTED FILE-----")
#: Output held back before it starts to flow: more than any header (and nonce) needs.
_HOLD = 1 << 20


def _is_stdout(output: str | None) -> bool:
    return output is None or output in ("", "-")


def open_input(env: Environment, source: str | None, *, decrypting: bool) -> BinaryIO:
    """INPUT opened; armored text typed at the terminal is first read to its END line."""
    src = env.open_input(source)
    if src is env.stdin and decrypting and env.stdin_isatty:
        buf = bytearray()
        read1 = getattr(src, "read1", src.read)
        while _FOOTER_LINE not in buf:
            chunk = read1(65536)  # one line at a time from a terminal
            if not chunk:
                break
            buf += chunk
        return io.BytesIO(bytes(buf))
    return src


def close_input(env: Environment, src: BinaryIO) -> None:
    """Close INPUT unless it is standard input."""
    if src is not env.stdin:
        src.close()


def refuse_binary_output(env: Environment, output: str | None, *, armor: bool) -> None:
    """Binary ciphertext for the terminal is refused before anything is asked."""
    if not armor and output in (None, "") and env.stdout_isatty:
        _ui.refuse_binary_to_terminal(env)


class _Held:
    """Writes kept in memory up to ``limit`` bytes (``None``: all), then let through."""

    def __init__(self, dst: BinaryIO, limit: int | None) -> None:
        self._dst = dst
        self._limit = limit
        self._buf: bytearray | None = bytearray()

    def write(self, data: bytes | bytearray | memoryview) -> int:
        n = len(data)
        if self._buf is None:
            self._dst.write(data)
            return n
        self._buf += data  # a copy: the caller may reuse its buffer
        if self._limit is not None and len(self._buf) > self._limit:
            self.release()
        return n

    def flush(self) -> None:
        if self._buf is None:
            self._dst.flush()

    def held(self) -> bytes:
        return bytes(self._buf or b"")

    def release(self) -> None:
        if self._buf is not None:
            buf, self._buf = self._buf, None
            self._dst.write(buf)
        self._dst.flush()


def _is_binary(data: bytes) -> bool:
    """Whether text has control characters a terminal would act on (not tab, CR, LF)."""
    text = data.decode("utf-8", "replace")
    return any((c < " " and c not in "\t\r\n") or "\x7f" <= c <= "\x9f" for c in text)


@contextlib.contextmanager
def _output(env: Environment, output: str | None, source: str | None, *,
            decrypting: bool) -> Iterator[BinaryIO]:
    if not _is_stdout(output):
        mode = 0o600 & ~_umask() if decrypting else 0o666
        with env.output(output, mode=mode, keep_mode=True) as f:
            yield f
        return
    typing_input = env.stdin_isatty and source in (None, "-")
    check = decrypting and env.stdout_isatty and output != "-"
    whole = check or (typing_input and env.stdout_isatty)
    if decrypting and not whole:
        yield env.stdout  # plaintext flows as it authenticates, as age's does
        env.stdout.flush()
        return
    held = _Held(env.stdout, None if whole else _HOLD)
    yield held  # type: ignore[misc]
    if check and _is_binary(held.held()):
        _ui.refuse_binary_to_terminal(env, decrypting=True)
    held.release()


def encrypt(env: Environment, src: BinaryIO, source: str | None, output: str | None,
            recipients: Sequence[Recipient], *, armor: bool) -> None:
    """Encrypt ``src`` to OUTPUT for ``recipients``."""
    from sekret.age.core import check_recipients, encrypt_stream

    check_recipients(recipients)
    try:
        with _output(env, output, source, decrypting=False) as dst:
            encrypt_stream(src, dst, recipients, armor=armor)
    except OSError as exc:
        raise _io_error(exc, source, output) from None


class _Sniffer(io.RawIOBase):
    """``src`` as read, keeping its first bytes to tell what kind of file it was."""

    def __init__(self, src: BinaryIO) -> None:
        super().__init__()
        self._src = src
        self.head = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        n: int = self._src.readinto(b) or 0  # type: ignore[attr-defined]
        if len(self.head) < 64:
            self.head += bytes(memoryview(b)[: min(n, 64 - len(self.head))])
        return n


def decrypt(env: Environment, src: BinaryIO, source: str | None, output: str | None,
            identities: Sequence[Identity]) -> None:
    """Decrypt the age file ``src`` (binary or armored) to OUTPUT."""
    from sekret.age.core import decrypt_stream

    sniffer = _Sniffer(src)
    try:
        with _output(env, output, source, decrypting=True) as dst:
            decrypt_stream(sniffer, dst, identities)  # type: ignore[arg-type]
    except (HeaderError, ArmorError) as exc:
        raise _not_an_age_file(sniffer.head, source) or exc from None
    except OSError as exc:
        raise _io_error(exc, source, output) from None


def _not_an_age_file(head: bytes, source: str | None) -> SekretError | None:
    """A clear error for input that is no age file at all (``None``: it is one)."""
    start = head.lstrip(b" \t\r\n")
    if not start or start.startswith(_AGE_STARTS):
        if head.startswith(b"age-encryption.org/v1\r"):
            return AgeError("invalid age header: the file has Windows line endings",
                            hint="it was probably mangled by PowerShell redirection; "
                            "encrypt with -o FILE or -a instead of '>'")
        return None
    name = "standard input" if source in (None, "-") else repr(source)
    hints = {
        b"\xff\xfe": "it is UTF-16 text, probably mangled by PowerShell redirection; "
                     "encrypt with -o FILE or -a instead of '>'",
        b"AGE-SECRET-KEY-": "it looks like an identity file: give it with -i, and the "
                            "encrypted file as INPUT",
        b"age1": "it looks like a list of recipients: give them with -r or -R",
        b"-----BEGIN": "it is a PEM file (a key?); an SSH key goes after -i",
    }
    hint = next((h for prefix, h in hints.items() if start.startswith(prefix)), None)
    if hint is None and (b"sops" in head or b"ENC[AES256_GCM" in head):
        hint = "it looks like a SOPS file: decrypt it with 'sekret decrypt'"
    return AgeError(f"{name} is not an age file",
                    hint=hint or "give a file made by age, rage or sekret age")


def _io_error(exc: OSError, source: str | None, output: str | None) -> SekretError:
    """A read or write failed half-way (a partial OUTPUT file was already removed)."""
    if isinstance(exc, BrokenPipeError):
        raise exc
    reason = (exc.strerror or type(exc).__name__).lower()
    src = repr(source) if source not in (None, "-") else "standard input"
    dst = repr(output) if not _is_stdout(output) else "standard output"
    return SekretError(
        f"copying from {src} to {dst} failed: {reason}",
        hint="no partial output file was left behind" if dst != "standard output" else None,
    )
