"""The text the project-wide analysis reads of other files: the disk's, or an editor's.

An editor's buffer holds what its user sees, saved or not; the language server lends it
here, so a module checked against a builder in another open buffer sees the builder as
typed, as type checkers do. The command line and flake8 never lend a buffer, and then
each function is a plain read of the disk (one dictionary test more).

Reads are also what a check depends on: ``recording_reads`` collects the files read
(their bytes or their hash) while it is active, so the server knows which open buffers
to check again when another buffer changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_BUFFERS: dict[str, bytes] = {}  # by real path: the index names files by their roots' paths
_RECORDERS: list[set[str]] = []


def real_path(path: Path | str) -> str:
    """How buffers are lent and reads recorded: by real path."""
    return os.path.realpath(path)


def lend_buffer(path: Path | str, text: bytes) -> None:
    """Read ``text`` for ``path`` from now on, whatever the disk holds."""
    _BUFFERS[real_path(path)] = text


def return_buffer(path: Path | str) -> None:
    """Read ``path`` from the disk again (the editor closed it)."""
    _BUFFERS.pop(real_path(path), None)


def as_file_bytes(text: str, *, python: bool) -> bytes:
    """An editor's text as its file would hold it: a Python module in the codec its
    coding cookie declares (PEP 263), as the parser will decode it; UTF-8 otherwise."""
    encoded = text.encode("utf-8", "surrogatepass")
    if not python or "coding" not in "".join(text.split("\n", 2)[:2]):
        return encoded
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(encoded).readline)
        return text.encode(encoding)
    except (SyntaxError, LookupError, UnicodeError):
        return encoded  # an unknown codec, or text it cannot hold: the parser will say


def lent_buffer(path: Path) -> bytes | None:
    """The text an editor lent for ``path``, if it did; the read is recorded."""
    if not _BUFFERS and not _RECORDERS:
        return None  # the command line and flake8: no path is resolved
    key = real_path(path)
    for reads in _RECORDERS:
        reads.add(key)
    return _BUFFERS.get(key)


def read_source(path: Path) -> bytes:
    """``path``'s text as the analysis sees it. Raises ``OSError`` as a read would."""
    lent = lent_buffer(path)
    return lent if lent is not None else path.read_bytes()


def is_source_file(path: Path) -> bool:
    """Is there a module at ``path``: a file, or a buffer not saved yet."""
    return path.is_file() or (bool(_BUFFERS) and real_path(path) in _BUFFERS)


_DIGESTS: dict[Path, tuple[tuple[int, int, int], str]] = {}


def file_digest(file: Path) -> str | None:
    """A hash of ``file``'s text as the analysis sees it (the disk's bytes re-read only
    when the file's size, mtime or inode change); ``None`` when it cannot be read."""
    import hashlib  # OpenSSL loads with it: only project mode pays

    lent = lent_buffer(file)
    if lent is not None:
        return hashlib.blake2b(lent, digest_size=16).hexdigest()
    try:
        stat = file.stat()
        signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        known = _DIGESTS.get(file)
        if known is not None and known[0] == signature:
            return known[1]
        digest = hashlib.blake2b(file.read_bytes(), digest_size=16).hexdigest()
    except OSError:
        return None
    _DIGESTS[file] = (signature, digest)
    return digest


@contextmanager
def recording_reads() -> Iterator[set[str]]:
    """Collect the real paths of the files read (or hashed) inside the block."""
    reads: set[str] = set()
    _RECORDERS.append(reads)
    try:
        yield reads
    finally:
        _RECORDERS.remove(reads)
