"""What git ignores, as git decides it: ``.gitignore`` in every folder of the repository
(deeper files win, and within a file the last matching pattern), ``.git/info/exclude``
and the global excludes file (``core.excludesFile``, else ``$XDG_CONFIG_HOME/git/ignore``).

Outside a git repository nothing is ignored, as for git. The pattern semantics are
``pathspec``'s ``GitIgnoreSpec``; files are read once per folder.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pathspec

_Layer = tuple[Path, pathspec.GitIgnoreSpec]


class GitIgnore:
    """Answers "is this path ignored?" for paths inside any git repository."""

    def __init__(self) -> None:
        self._repository: dict[Path, Path | None] = {}
        self._layers: dict[Path, tuple[_Layer, ...]] = {}

    def ignored(self, path: Path, *, is_folder: bool) -> bool:
        """``path`` must be absolute; its folder's ignore files decide."""
        verdict: bool | None = None
        for base, spec in self._layers_for(path.parent):
            try:
                relative = path.relative_to(base).as_posix()
            except ValueError:
                continue
            result = spec.check_file(relative + "/" if is_folder else relative).include
            if result is not None:
                verdict = result
        return bool(verdict)

    def _repository_of(self, folder: Path) -> Path | None:
        if folder not in self._repository:
            if _exists(folder / ".git"):
                self._repository[folder] = folder
            elif folder.parent == folder:
                self._repository[folder] = None
            else:
                self._repository[folder] = self._repository_of(folder.parent)
        return self._repository[folder]

    def _layers_for(self, folder: Path) -> tuple[_Layer, ...]:
        """The ignore specs that apply in ``folder``, weakest first."""
        if folder in self._layers:
            return self._layers[folder]
        repository = self._repository_of(folder)
        if repository is None:
            layers: tuple[_Layer, ...] = ()
        elif folder == repository:
            layers = tuple(
                (repository, spec)
                for spec in (
                    _spec(_global_excludes(repository)),
                    _spec(repository / ".git" / "info" / "exclude"),
                    _spec(folder / ".gitignore"),
                )
                if spec is not None
            )
        else:
            own = _spec(folder / ".gitignore")
            inherited = self._layers_for(folder.parent)
            layers = inherited if own is None else (*inherited, (folder, own))
        self._layers[folder] = layers
        return layers


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a folder we may list but not search
        return False


def _spec(path: Path | None) -> pathspec.GitIgnoreSpec | None:
    if path is None:
        return None
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:  # absent, or a folder (a worktree's `.git` file has no info/)
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


def _global_excludes(repository: Path) -> Path | None:
    """git's own answer for ``core.excludesFile`` (it reads every config file, includes
    and conditions), else git's default location."""
    try:
        configured = subprocess.run(
            ["git", "config", "--path", "--get", "core.excludesFile"],
            cwd=repository,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):  # no git: fall back on the default
        configured = ""
    if configured:
        return Path(os.path.expanduser(configured))
    home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(home) / "git" / "ignore"
