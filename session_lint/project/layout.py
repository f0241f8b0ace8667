"""Where a file's project is and which folders its imports resolve from.

A project is the folder of the nearest ``pyproject.toml``, ``setup.cfg`` or ``setup.py``
above a file (else the top of the file's package chain). Its source roots are, in order:
the folder above the file's top package (so a ``src/`` layout needs no setting), the
configured ``src`` folders relative to the project (ruff's ``src``, default ``.`` and
``src``), and the file's own folder (Python puts a script's folder on ``sys.path``).
Nothing here imports or runs the code: it only looks at paths.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# mix.exs: an Elixir project (its Python files, e.g. under priv/, belong to it too)
PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "mix.exs")
DEFAULT_SRC = (".", "src")


@dataclass(frozen=True)
class Project:
    root: Path
    source_roots: tuple[Path, ...]
    marked: bool = False  # a pyproject.toml/setup.cfg/setup.py says where the root is


def names_a_file(path: str) -> bool:
    """Is ``path`` a source file's path (project mode applies), not ``<string>`` or stdin?"""
    return bool(path) and not path.startswith("<") and path not in {"-", "stdin"}


def in_marked_project(path: str) -> bool:
    """Does project mode apply to the file at ``path``: a real file under a folder with a
    ``pyproject.toml``, ``setup.cfg`` or ``setup.py``? A loose folder (the standard
    library, a scratch folder) is checked file by file, so its imports of each other are
    not summarised; one lookup per folder."""
    if not names_a_file(path):
        return False
    return _marked_ancestor(Path(os.path.abspath(path)).parent) is not None


def find_project(file: Path, src: tuple[str, ...] = DEFAULT_SRC) -> Project:
    """The project ``file`` belongs to, with the folders its imports resolve from."""
    file = file.resolve()
    import_root = _above_packages(file.parent)
    marked = _marked_ancestor(file.parent)
    root = marked or import_root
    roots = [import_root, *(root / entry for entry in src), file.parent]
    unique = tuple(dict.fromkeys(path.resolve() for path in roots if path.is_dir()))
    return Project(root, unique, marked is not None)


def module_name(file: Path) -> str:
    """The dotted module name of ``file`` by its chain of ``__init__.py`` packages
    (``pkg/sub/mod.py`` → ``pkg.sub.mod``; ``pkg/__init__.py`` → ``pkg``)."""
    file = file.resolve()
    parts = [] if file.stem == "__init__" else [file.stem]
    folder = file.parent
    while (folder / "__init__.py").is_file():
        parts.append(folder.name)
        folder = folder.parent
    return ".".join(reversed(parts))


def package_of(file: Path) -> str:
    """The package a relative import in ``file`` starts from."""
    name = module_name(file)
    if file.name == "__init__.py":
        return name
    return name.rpartition(".")[0]


def absolute_module(file: Path, module: str, level: int) -> str | None:
    """``from ..x import y`` in ``file`` → the absolute name of ``..x``; ``None`` when the
    relative import climbs out of the top package."""
    if level == 0:
        return module
    parts = package_of(file).split(".") if package_of(file) else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    if not base and not module:
        return None
    return ".".join([*base, module] if module else base)


@lru_cache(maxsize=4096)
def _above_packages(folder: Path) -> Path:
    """The first folder at or above ``folder`` that is not a package: where the file's
    top package is imported from."""
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


@lru_cache(maxsize=4096)
def _marked_ancestor(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).is_file() for marker in PROJECT_MARKERS):
            return candidate
    return None


def forget_layout() -> None:
    """Forget which folders are packages and project roots (an editor's server, after a
    ``pyproject.toml`` or ``__init__.py`` appeared or went)."""
    _above_packages.cache_clear()
    _marked_ancestor.cache_clear()
