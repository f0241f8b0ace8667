"""Calls into other modules of the same Mix project (``Payload.base_payload(...)``,
``SessionResolver.current_session_id()``): the callee's module is found by its
``defmodule`` line among the project's ``.ex`` files, parsed (never compiled or run) and
indexed once per file per process, and re-read when the file changes. The project is the
folder of the nearest ``mix.exs``; what lies outside it (``deps/``, Hex packages) stays
opaque, as for Python."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from session_lint.elixir.index import ModuleInfo, build_index
from session_lint.elixir.parsing import Source, Unparsable, parse_elixir
from session_lint.project.sources import file_digest, read_source

MIX_FILE = "mix.exs"
# never part of the project's own code: dependencies, build output, tooling
_SKIPPED = frozenset({"deps", "_build", "node_modules", "cover", "priv"})
_DEFMODULE = re.compile(rb"^[ \t]*defmodule[ \t]+([A-Z][A-Za-z0-9_.]*)", re.MULTILINE)


def mix_root(file: str) -> Path | None:
    """The folder of the nearest ``mix.exs`` above ``file``, if any."""
    folder = Path(os.path.abspath(file)).parent
    for candidate in (folder, *folder.parents):
        if (candidate / MIX_FILE).is_file():
            return candidate
    return None


@dataclass
class _Parsed:
    signature: str  # the text's hash: re-read when the file (or its buffer) changes
    source: Source | None  # kept: the modules' nodes belong to its tree
    modules: dict[str, ModuleInfo]


@dataclass
class ElixirProject:
    """One Mix project's modules by name, for the files checked in it."""

    root: Path
    sinks: frozenset[str]
    files_by_module: dict[str, Path] = field(default_factory=dict)
    parsed: dict[Path, _Parsed] = field(default_factory=dict)
    scanned: bool = False
    files_parsed: int = 0  # work done, for tests

    def module(self, name: str) -> ModuleInfo | None:
        """The module named ``name`` (``SnakeBridge.Runtime.Payload``), or ``None`` when
        no project file defines it or it cannot be parsed."""
        if not self.scanned:
            self._scan()
        path = self.files_by_module.get(name)
        if path is None:  # a nested module, written `defmodule Inner` inside `Outer`
            path = next(
                (p for written, p in self.files_by_module.items() if name.endswith(f".{written}")),
                None,
            )
        if path is None:
            return None
        return self._modules_of(path).get(name)

    def _scan(self) -> None:
        self.scanned = True
        for current, folders, files in os.walk(self.root, followlinks=False):
            folders[:] = sorted(f for f in folders if not f.startswith(".") and f not in _SKIPPED)
            for name in sorted(files):
                if name.endswith(".ex"):
                    path = Path(current, name)
                    for module in _defined_modules(path):
                        self.files_by_module.setdefault(module, path)

    def _modules_of(self, path: Path) -> dict[str, ModuleInfo]:
        signature = file_digest(path)  # an editor's buffer while it lends one
        if signature is None:
            return {}
        known = self.parsed.get(path)
        if known is not None and known.signature == signature:
            return known.modules
        self.files_parsed += 1
        try:
            source = parse_elixir(read_source(path))
        except (OSError, Unparsable):
            self.parsed[path] = _Parsed(signature, None, {})
            return {}
        modules = {m.name: m for m in build_index(source.tree.root_node, self.sinks)}
        self.parsed[path] = _Parsed(signature, source, modules)
        return modules


def _defined_modules(path: Path) -> list[str]:
    """The modules a file defines, from its bytes (top-level and nested ``defmodule``
    lines by their written names; nested ones are also found under their full names
    once the file is parsed)."""
    try:
        data = read_source(path)
    except OSError:
        return []
    return [match.decode("ascii") for match in _DEFMODULE.findall(data)]


_PROJECTS: dict[tuple[Path, frozenset[str]], ElixirProject] = {}


def project_for(file: str, sinks: frozenset[str]) -> ElixirProject | None:
    """The project of the checked ``file``, shared by every file of it in this process."""
    root = mix_root(file)
    if root is None:
        return None
    key = (root, sinks)
    if key not in _PROJECTS:
        _PROJECTS[key] = ElixirProject(root, sinks)
    return _PROJECTS[key]


def forget_projects() -> None:
    """Drop this process's Mix projects (an editor's server, after files came or went)."""
    _PROJECTS.clear()
