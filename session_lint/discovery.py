"""Which files a run checks, as ruff finds them.

Folders are walked for ``.py``/``.pyi`` and ``.ex``/``.exs`` files, skipping what git
ignores (unless ``respect-gitignore = false``), what the folder's configuration excludes
(ruff's default excludes unless ``exclude`` replaces them, plus ``extend-exclude``),
virtualenvs and symlinked folders. A path named explicitly is checked whatever its suffix,
unless excluded. Nothing stops the walk: a missing path and a folder that cannot be listed
are recorded, and every other path is still checked."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from session_lint.config import Config
from session_lint.files import SOURCE_SUFFIXES
from session_lint.gitignore import GitIgnore
from session_lint.settings import Resolved, Settings, absolute_path


@dataclass
class Discovery:
    files: list[tuple[str, Config]] = field(default_factory=list)  # path, its configuration
    missing: list[str] = field(default_factory=list)  # paths named that do not exist
    problems: dict[str, str] = field(default_factory=dict)  # unlistable folder -> why


def discover(paths: Sequence[str], settings: Settings) -> Discovery:
    """The files to check, in a stable order, each with its configuration."""
    found = Discovery()
    gitignore = GitIgnore()
    seen: dict[str, Config] = {}
    for raw in paths:
        given = Path(raw)
        kind = _kind(given)
        if kind == "missing":
            found.missing.append(raw)
            continue
        absolute = absolute_path(given)
        if kind == "folder":
            absolute = _real(given)
            resolved = settings.for_folder(absolute.parent)
            if raw not in (".", "") and resolved.excluded(absolute, given=given):
                continue
            for path, config in _walk(given, settings, gitignore, found.problems):
                seen.setdefault(path, config)
        else:
            resolved = settings.for_folder(absolute.parent)
            if not resolved.excluded(absolute, given=given):
                seen.setdefault(raw, resolved.for_file(absolute))
    found.files = list(seen.items())
    return found


def _real(folder: Path) -> Path:
    try:
        return folder.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(folder))


def _walk(
    folder: Path, settings: Settings, gitignore: GitIgnore, problems: dict[str, str]
) -> Iterator[tuple[str, Config]]:
    def unlistable(error: OSError) -> None:
        problems[str(Path(error.filename or folder))] = f"cannot list folder: {_why(error)}"

    real = _real(folder)
    # followlinks=False: a symlinked folder (and so any symlink loop) is never entered
    for current, folders, files in os.walk(folder, followlinks=False, onerror=unlistable):
        base = Path(current)
        absolute = real / os.path.relpath(current, folder)
        absolute = Path(os.path.normpath(absolute))
        resolved = settings.for_folder(absolute)
        folders[:] = sorted(
            name
            for name in folders
            if not _skipped(absolute / name, resolved, gitignore, is_folder=True)
            and not _exists(base / name / "pyvenv.cfg")
        )
        for name in sorted(files):
            if name.endswith(SOURCE_SUFFIXES) and not _skipped(
                absolute / name, resolved, gitignore, is_folder=False
            ):
                yield str(base / name), resolved.for_file(absolute / name)


def _skipped(path: Path, resolved: Resolved, gitignore: GitIgnore, *, is_folder: bool) -> bool:
    if resolved.excluded(path):
        return True
    return resolved.config.respect_gitignore and gitignore.ignored(path, is_folder=is_folder)


def _exists(path: Path) -> bool:
    try:
        os.stat(path)
    except OSError:  # missing, or in a folder we may not search: either way not a venv
        return False
    return True


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


def _why(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__
