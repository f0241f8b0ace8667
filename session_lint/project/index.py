"""Resolve imported names to the project source file that defines them.

``ProjectIndex.locate("pkg", "base_payload")`` follows ``pkg/__init__.py``'s re-exports
(``from .payloads import base_payload``, star imports, ``__all__``) to the module whose
top level defines the name. A module outside the project's source roots (site-packages,
a missing module) is not followed: its names stay opaque to the analysis. Import cycles
terminate. Each module's exports are read once per index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from session_lint.project.exports import DEFINED, Exports, Imported, read_exports
from session_lint.project.layout import Project
from session_lint.project.sources import file_digest, is_source_file, read_source


@dataclass(frozen=True)
class Definition:
    """``name`` is defined at the top level of ``module`` (source ``file``). ``name`` is
    ``None`` when the imported thing is the module itself (``from pkg import mod``)."""

    module: str
    file: Path
    name: str | None


class ProjectIndex:
    def __init__(self, project: Project) -> None:
        self.project = project
        self._files: dict[str, Path | None] = {}
        self._exports: dict[Path, tuple[str | None, Exports]] = {}
        # told of every module whose exports a lookup reads: what a summary depends on
        self.observer: Callable[[Path, str | None], None] | None = None

    def module_file(self, module: str) -> Path | None:
        """The source file of ``module`` inside the project, or ``None``."""
        if module not in self._files:
            self._files[module] = self._find_file(module)
        return self._files[module]

    def _find_file(self, module: str) -> Path | None:
        if not module or any(not part.isidentifier() for part in module.split(".")):
            return None
        relative = Path(*module.split("."))
        for root in self.project.source_roots:
            for candidate in (
                root / relative / "__init__.py",
                root.joinpath(relative).with_suffix(".py"),
            ):
                if is_source_file(candidate):
                    return candidate
        return None

    def exports(self, file: Path) -> Exports:
        """``file``'s top-level bindings, read again when the file changed (an editor or a
        test process outlives an edit)."""
        digest = file_digest(file)
        if self.observer is not None:
            self.observer(file, digest)
        known = self._exports.get(file)
        if known is None or known[0] != digest:
            try:
                source = read_source(file)
            except OSError:
                source = b""
            known = self._exports[file] = (digest, read_exports(file, source))
        return known[1]

    def locate(self, module: str, name: str) -> Definition | None:
        """Where ``from module import name`` finds its value, followed through re-exports."""
        return self._locate(module, name, set())

    def locate_dotted(self, dotted: str) -> Definition | None:
        """``pkg.payloads.base_payload`` → the definition of ``base_payload``: the longest
        prefix that is a project module is the module, the rest an attribute chain of which
        only one step is followed (``module.name``)."""
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if self.module_file(module) is None:
                continue
            found = self.locate(module, parts[cut])
            for attribute in parts[cut + 1 :]:
                if found is None or found.name is not None:
                    return None  # an attribute of a function or class: not followed
                found = self.locate(found.module, attribute)
            return found
        return None

    def _locate(self, module: str, name: str, seen: set[tuple[str, str]]) -> Definition | None:
        if (module, name) in seen:
            return None  # an import cycle: nothing defines it
        seen.add((module, name))
        file = self.module_file(module)
        if file is None:
            return None
        exports = self.exports(file)
        binding = exports.bindings.get(name)
        if binding == DEFINED:
            return Definition(module, file, name)
        if isinstance(binding, Imported):
            return self._follow(binding, seen)
        for star in exports.star_imports:
            star_file = self.module_file(star)
            if star_file is not None and name in self.exports(star_file).public_names():
                found = self._locate(star, name, seen)
                if found is not None:
                    return found
        return self._submodule(f"{module}.{name}")

    def _follow(self, binding: Imported, seen: set[tuple[str, str]]) -> Definition | None:
        if binding.attribute is None:
            return self._submodule(binding.module)
        found = self._locate(binding.module, binding.attribute, seen)
        return found or self._submodule(f"{binding.module}.{binding.attribute}")

    def _submodule(self, module: str) -> Definition | None:
        file = self.module_file(module)
        return Definition(module, file, None) if file is not None else None
