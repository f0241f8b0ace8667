"""What a module binds at its top level, read with CPython's ``ast`` (never imported).

Enough to follow a name through re-exports: ``from .payloads import base_payload`` in a
package's ``__init__.py``, ``import pkg.mod as m``, ``from .x import *`` with or without
``__all__``. The last binding of a name wins, as when the module runs; bindings inside a
top-level ``if``/``try`` count (``try: from x import y except ImportError: ...``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from session_lint.project.layout import absolute_module


@dataclass(frozen=True)
class Imported:
    """``name`` is bound to ``module``'s ``attribute``, or to the module itself when
    ``attribute`` is ``None`` (``import pkg.mod as m``)."""

    module: str
    attribute: str | None


DEFINED = "defined"  # a def, class or assignment of the module itself


@dataclass
class Exports:
    bindings: dict[str, Imported | str] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    all_names: tuple[str, ...] | None = None

    def public_names(self) -> set[str]:
        """What ``from module import *`` binds."""
        if self.all_names is not None:
            return set(self.all_names)
        return {name for name in self.bindings if not name.startswith("_")}


def read_exports(file: Path, source: str | bytes) -> Exports:
    """The module's top-level bindings; an unparsable module binds nothing."""
    exports = Exports()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return exports
    _bind_block(tree.body, file, exports)
    return exports


def _bind_block(body: list[ast.stmt], file: Path, exports: Exports) -> None:
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            exports.bindings[statement.name] = DEFINED
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    exports.bindings[alias.asname] = Imported(alias.name, None)
                else:
                    head = alias.name.split(".", 1)[0]
                    exports.bindings[head] = Imported(head, None)
        elif isinstance(statement, ast.ImportFrom):
            _bind_import_from(statement, file, exports)
        elif isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
            _bind_assignment(statement, exports)
        elif isinstance(statement, ast.If):
            _bind_block(statement.body, file, exports)
            _bind_block(statement.orelse, file, exports)
        elif isinstance(statement, ast.Try | ast.TryStar):
            _bind_block(statement.body, file, exports)
            for handler in statement.handlers:
                _bind_block(handler.body, file, exports)
            _bind_block(statement.orelse, file, exports)
            _bind_block(statement.finalbody, file, exports)


def _bind_import_from(statement: ast.ImportFrom, file: Path, exports: Exports) -> None:
    module = absolute_module(file, statement.module or "", statement.level)
    if module is None:
        return
    for alias in statement.names:
        if alias.name == "*":
            exports.star_imports.append(module)
        else:
            exports.bindings[alias.asname or alias.name] = Imported(module, alias.name)


def _bind_assignment(
    statement: ast.Assign | ast.AnnAssign | ast.AugAssign, exports: Exports
) -> None:
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                exports.bindings[node.id] = DEFINED
    if (
        len(targets) == 1
        and isinstance(targets[0], ast.Name)
        and targets[0].id == "__all__"
        and statement.value is not None
    ):
        extended = exports.all_names if isinstance(statement, ast.AugAssign) else ()
        exports.all_names = _string_sequence(statement.value, extended)


def _string_sequence(node: ast.expr, before: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """``__all__ = [...]`` and ``__all__ += [...]`` of string literals; anything else leaves
    ``__all__`` unknown (``None``: star imports then bind the public names)."""
    if before is None or not isinstance(node, ast.List | ast.Tuple):
        return None
    names = [item.value for item in node.elts if isinstance(item, ast.Constant)]
    if len(names) != len(node.elts) or not all(isinstance(name, str) for name in names):
        return None
    return (*before, *(str(name) for name in names))
