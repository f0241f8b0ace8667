"""Reading the files a run checks (``discovery`` finds them): anything that cannot be read
is reported, never a crash."""

from __future__ import annotations

import os
import stat
from pathlib import Path

PYTHON_SUFFIXES = (".py", ".pyi")
ELIXIR_SUFFIXES = (".ex", ".exs")
SOURCE_SUFFIXES = PYTHON_SUFFIXES + ELIXIR_SUFFIXES


class PathNotFound(Exception):
    """A path named on the command line does not exist."""


class Unreadable(Exception):
    """A file that cannot be read as source; the message is the reason."""


def _why(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def read_source(path: str | Path) -> bytes:
    """The bytes of a regular file. Raises ``Unreadable`` with the reason for anything else
    (a pipe or device is never opened for reading, so it can neither block nor stream
    forever) and for any error reading it."""
    try:
        try:
            kind = stat.S_IFMT(os.stat(path).st_mode)
        except FileNotFoundError:
            if os.path.islink(path):
                raise Unreadable("cannot read: a broken symbolic link") from None
            raise
        if kind != stat.S_IFREG:
            raise Unreadable(f"not a regular file: it is {_KINDS.get(kind, 'a special file')}")
        # O_NONBLOCK: should the path turn into a pipe meanwhile, opening it does not hang
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(path, flags)
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise Unreadable("not a regular file")
            return handle.read()
    except OSError as error:
        raise Unreadable(f"cannot read: {_why(error)}") from None
