"""What the server remembers of the disk, and which files' changes make it forget.

The settings are read once per folder and the projects' layout (packages, roots, Mix
projects) once per process, as for a CLI run; a long-lived server forgets them when a
file that decides them changes, or a file comes or goes. Module summaries need no
forgetting: each entry holds the content hashes of the files it was computed from and is
recomputed when one differs.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from lsprotocol import types

# the files whose change can change any file's configuration or project
CONFIGURATION_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "mix.exs", "__init__.py")
_SOURCES = ("**/*.py", "**/*.pyi", "**/*.ex", "**/*.exs")


def is_configuration(uri: str) -> bool:
    return PurePosixPath(uri).name in CONFIGURATION_FILES


def watchers() -> list[types.FileSystemWatcher]:
    """What the server asks an editor that can watch files to report."""
    globs = [*(f"**/{name}" for name in CONFIGURATION_FILES), *_SOURCES]
    return [types.FileSystemWatcher(glob_pattern=glob) for glob in dict.fromkeys(globs)]


def forget_disk_state() -> None:
    """Forget the project layouts and summaries; entries in the summary cache on disk stay
    (they are keyed by content, so the next lookup reuses what still holds)."""
    from session_lint.elixir import project as elixir_project
    from session_lint.flow import project_summaries
    from session_lint.project.layout import forget_layout

    forget_layout()
    project_summaries.forget_projects()  # a server's runs never end: forget per reload
    elixir_project.forget_projects()
