"""One pass over a module: its imports, its functions, and which of them dispatch."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from session_lint.flow.names import NameTable, dotted_name


@dataclass(eq=False)
class FunctionInfo:
    node: cst.FunctionDef
    parent: FunctionInfo | None
    owner_class: cst.ClassDef | None
    dispatches: bool = False  # a sink call in its own body (not in a nested function)
    contains_dispatch: bool = False  # it or a function nested in it dispatches
    nested: dict[str, FunctionInfo] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node.name.value

    @property
    def is_property(self) -> bool:
        return any(
            isinstance(d.decorator, cst.Name | cst.Attribute)
            and (dotted := dotted_name(d.decorator)) is not None
            and dotted.rsplit(".", 1)[-1] in {"property", "cached_property"}
            for d in self.node.decorators
        )


@dataclass(eq=False)
class ModuleIndex:
    table: NameTable
    functions: list[FunctionInfo] = field(default_factory=list)
    by_node: dict[cst.FunctionDef, FunctionInfo] = field(default_factory=dict)
    module_functions: dict[str, FunctionInfo] = field(default_factory=dict)
    methods: dict[cst.ClassDef, dict[str, FunctionInfo]] = field(default_factory=dict)
    classes: dict[str, cst.ClassDef] = field(default_factory=dict)
    module_dispatches: bool = False

    @property
    def any_dispatch(self) -> bool:
        return self.module_dispatches or any(f.dispatches for f in self.functions)


class _Indexer(cst.CSTVisitor):
    def __init__(self, sinks: frozenset[str]) -> None:
        super().__init__()
        self.sinks = sinks
        self.index = ModuleIndex(NameTable())
        self.functions: list[FunctionInfo] = []
        self.classes: list[cst.ClassDef] = []
        # the innermost scope is a function or a class: a method's owner is the class only
        # when the class is the innermost scope
        self.scopes: list[FunctionInfo | cst.ClassDef] = []

    def visit_Import(self, node: cst.Import) -> None:
        self.index.table.add_import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.index.table.add_import_from(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.index.methods[node] = {}
        if not self.scopes:
            self.index.classes[node.name.value] = node
        self.scopes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        parent = self.functions[-1] if self.functions else None
        scope = self.scopes[-1] if self.scopes else None
        owner = scope if isinstance(scope, cst.ClassDef) else None
        info = FunctionInfo(node, parent, owner)
        self.index.functions.append(info)
        self.index.by_node[node] = info
        if owner is not None:
            self.index.methods[owner][info.name] = info
        elif parent is not None:
            parent.nested[info.name] = info
        else:
            self.index.module_functions[info.name] = info
        self.functions.append(info)
        self.scopes.append(info)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()
        self.scopes.pop()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.sinks:
            if self.functions:
                self.functions[-1].dispatches = True
            else:
                self.index.module_dispatches = True


def build_index(module: cst.Module, sinks: frozenset[str]) -> ModuleIndex:
    indexer = _Indexer(sinks)
    module.visit(indexer)
    index = indexer.index
    for info in index.functions:
        if info.dispatches:
            current: FunctionInfo | None = info
            while current is not None and not current.contains_dispatch:
                current.contains_dispatch = True
                current = current.parent
    return index
