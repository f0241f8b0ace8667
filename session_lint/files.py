"""Which files a run checks: folders walked for Python files, explicit files always."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

PYTHON_SUFFIXES = (".py", ".pyi")
_SKIPPED_FOLDERS = frozenset({"__pycache__", ".git", ".hg", ".svn", ".tox", ".nox", "node_modules"})


class PathNotFound(Exception):
    """A path named on the command line does not exist."""


def _excluded(path: Path, patterns: Sequence[str], root: Path) -> bool:
    if not patterns:
        return False
    try:
        relative = path.resolve().relative_to(root).as_posix()
    except ValueError:
        relative = path.as_posix()
    candidates = (relative, path.name, path.as_posix(), *path.parts)
    return any(fnmatch.fnmatch(c, pattern) for pattern in patterns for c in candidates)


def _walk(folder: Path, patterns: Sequence[str], root: Path) -> Iterable[Path]:
    # followlinks=False: a symlinked folder (and so any symlink loop) is never entered
    for current, folders, files in os.walk(folder, followlinks=False, onerror=None):
        base = Path(current)
        folders[:] = sorted(
            name
            for name in folders
            if not name.startswith(".")
            and name not in _SKIPPED_FOLDERS
            and not (base / name / "pyvenv.cfg").exists()
            and not _excluded(base / name, patterns, root)
        )
        for name in sorted(files):
            path = base / name
            if name.endswith(PYTHON_SUFFIXES) and not _excluded(path, patterns, root):
                yield path


def discover(
    paths: Sequence[str], exclude: Sequence[str] = (), root: Path | None = None
) -> list[Path]:
    """The files to check, in a stable order. Folders are walked for ``.py``/``.pyi`` files,
    skipping hidden folders, virtualenvs and ``exclude`` globs (matched against the path
    relative to ``root``, its name and each of its parts, as flake8 does); a file named
    explicitly is checked whatever its suffix unless excluded. Raises ``PathNotFound``."""
    root = (root or Path.cwd()).resolve()
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            raise PathNotFound(raw)
        if path.is_dir():
            found.update(dict.fromkeys(_walk(path, exclude, root)))
        elif not _excluded(path, exclude, root):
            found[path] = None
    return list(found)
