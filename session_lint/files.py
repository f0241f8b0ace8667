"""Which files a run checks, and reading them: folders walked for Python and Elixir files,
explicit files always; anything that cannot be listed or read is reported, never a crash."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

PYTHON_SUFFIXES = (".py", ".pyi")
ELIXIR_SUFFIXES = (".ex", ".exs")
SOURCE_SUFFIXES = PYTHON_SUFFIXES + ELIXIR_SUFFIXES
_SKIPPED_FOLDERS = frozenset({"__pycache__", ".git", ".hg", ".svn", ".tox", ".nox", "node_modules"})


class PathNotFound(Exception):
    """A path named on the command line does not exist."""


class Unreadable(Exception):
    """A file that cannot be read as source; the message is the reason."""


def _absolute(path: Path) -> Path:
    """``path`` made absolute through its real folder, keeping its own name: a symlinked
    file matches ``exclude`` as the link it is, and a symlink loop is no error."""
    try:
        return path.parent.resolve() / path.name
    except (OSError, RuntimeError):  # a loop or an unreadable folder above
        return Path(os.path.abspath(path))


def _excluded(path: Path, patterns: Sequence[str], root: Path) -> bool:
    if not patterns:
        return False
    try:
        relative = _absolute(path).relative_to(root).as_posix()
    except ValueError:
        relative = path.as_posix()
    candidates = (relative, path.name, path.as_posix(), *path.parts)
    return any(fnmatch.fnmatch(c, pattern) for pattern in patterns for c in candidates)


def _exists(path: Path) -> bool:
    try:
        os.stat(path)
    except OSError:  # missing, or in a folder we may not search: either way not a venv
        return False
    return True


def _walk(
    folder: Path, patterns: Sequence[str], root: Path, problems: dict[str, str]
) -> Iterable[Path]:
    def unlistable(error: OSError) -> None:
        problems[str(Path(error.filename or folder))] = f"cannot list folder: {_why(error)}"

    # followlinks=False: a symlinked folder (and so any symlink loop) is never entered
    for current, folders, files in os.walk(folder, followlinks=False, onerror=unlistable):
        base = Path(current)
        folders[:] = sorted(
            name
            for name in folders
            if not name.startswith(".")
            and name not in _SKIPPED_FOLDERS
            and not _exists(base / name / "pyvenv.cfg")
            and not _excluded(base / name, patterns, root)
        )
        for name in sorted(files):
            path = base / name
            if name.endswith(SOURCE_SUFFIXES) and not _excluded(path, patterns, root):
                yield path


def _kind(path: str | Path) -> str:
    """``"folder"``, ``"file"`` or ``"missing"``; a path we may not even examine counts as
    a file, so that reading it reports why."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        try:
            os.lstat(path)  # a broken symlink exists: reading it says it is broken
        except FileNotFoundError:
            return "missing"
        except OSError:
            pass
        return "file"
    except NotADirectoryError:
        return "missing"
    except OSError:
        return "file"
    return "folder" if stat.S_ISDIR(mode) else "file"


def discover(
    paths: Sequence[str],
    exclude: Sequence[str] = (),
    root: Path | None = None,
    problems: dict[str, str] | None = None,
) -> list[Path]:
    """The files to check, in a stable order. Folders are walked for ``.py``/``.pyi`` and
    ``.ex``/``.exs`` files,
    skipping hidden folders, virtualenvs and ``exclude`` globs (matched against the path
    relative to ``root``, its name and each of its parts, as flake8 does); a file named
    explicitly is checked whatever its suffix unless excluded. A folder that cannot be
    listed is recorded in ``problems`` (path -> reason). Raises ``PathNotFound``."""
    root = (root or Path.cwd()).resolve()
    problems = {} if problems is None else problems
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        kind = _kind(path)
        if kind == "missing":
            raise PathNotFound(raw)
        if kind == "folder":
            found.update(dict.fromkeys(_walk(path, exclude, root, problems)))
        elif not _excluded(path, exclude, root):
            found[path] = None
    return list(found)


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
