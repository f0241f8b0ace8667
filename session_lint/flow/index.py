"""One pass over a module: its imports, its functions, and which of them dispatch."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from session_lint.flow.names import NameTable, dotted_name, string_value
from session_lint.flow.walk import code_children


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
    def label(self) -> str:
        return self.name

    @property
    def is_method(self) -> bool:
        return self.owner_class is not None

    @property
    def positional(self) -> tuple[str, ...]:
        params = self.node.params
        return tuple(p.name.value for p in (*params.posonly_params, *params.params))

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
    # module-level `NAME = "text"` bound once: keys spelt through a constant
    constants: dict[str, str] = field(default_factory=dict)
    module_dispatches: bool = False
    dispatch_count: int = 0  # sinks seen (called, aliased, partial), for the summary

    @property
    def any_dispatch(self) -> bool:
        return self.module_dispatches or any(f.dispatches for f in self.functions)


_LEAVES = frozenset(
    {
        cst.Name,
        cst.SimpleString,
        cst.ConcatenatedString,
        cst.FormattedString,
        cst.Integer,
        cst.Float,
        cst.Imaginary,
        cst.Pass,
        cst.Ellipsis,
        cst.Comment,
        cst.EmptyLine,
    }
)


def _walk(module: cst.Module, sinks: frozenset[str], name_sinks: frozenset[str]) -> ModuleIndex:
    """Pre-order walk with an explicit stack: libcst's recursive visitor costs as much as
    parsing and overflows the recursion limit on long implicit string concatenations."""
    index = ModuleIndex(NameTable())
    # each entry: node, the enclosing function, the innermost scope (function or class)
    stack: list[tuple[cst.CSTNode, FunctionInfo | None, FunctionInfo | cst.ClassDef | None]]
    stack = [(module, None, None)]
    rebound: set[str] = set()
    while stack:
        node, function, scope = stack.pop()
        if type(node) in _LEAVES:
            continue  # no calls or definitions inside
        if (
            name_sinks
            and type(node) is cst.Call
            and type(node.func) is cst.Name
            and _last(index.table.aliases.get(node.func.value, node.func.value)) in name_sinks
        ):  # a configured call target imported by name (`post(...)` for `requests.post`)
            _note_dispatch(index, function)
        if type(node) is cst.Attribute:
            # a sink called, aliased or bound by `functools.partial(client.execute, ...)`
            if node.attr.value in sinks:
                _note_dispatch(index, function)
        elif type(node) is cst.SimpleStatementLine and scope is None:
            for small in node.body:
                if type(small) is cst.Assign:
                    _module_binding(index, small, rebound)
        elif type(node) is cst.FunctionDef:
            owner = scope if isinstance(scope, cst.ClassDef) else None
            info = FunctionInfo(node, function, owner)
            index.functions.append(info)
            index.by_node[node] = info
            if owner is not None:
                index.methods[owner][info.name] = info
            elif function is not None:
                function.nested[info.name] = info
            else:
                index.module_functions[info.name] = info
            function = scope = info
        elif type(node) is cst.ClassDef:
            index.methods[node] = {}
            if scope is None:
                index.classes[node.name.value] = node
            scope = node
        elif type(node) is cst.Import:
            index.table.add_import(node)
        elif type(node) is cst.ImportFrom:
            index.table.add_import_from(node)
        children = list(code_children(node))
        stack.extend((child, function, scope) for child in reversed(children))
    for name in rebound:
        index.constants.pop(name, None)
        index.table.aliases.pop(name, None)
    return index


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _note_dispatch(index: ModuleIndex, function: FunctionInfo | None) -> None:
    index.dispatch_count += 1
    if function is not None:
        function.dispatches = True
    else:
        index.module_dispatches = True


def _module_binding(index: ModuleIndex, node: cst.Assign, rebound: set[str]) -> None:
    """A module-level constant (`SESSION = "session_id"`) or function alias (`get_sid =
    sessions.current_session_id`); a name bound twice is neither."""
    for target in node.targets:
        if not isinstance(target.target, cst.Name):
            continue
        name = target.target.value
        if name in index.constants or name in index.table.aliases:
            rebound.add(name)
        value = node.value
        if isinstance(value, cst.SimpleString):
            text = string_value(value)
            if text is not None:
                index.constants[name] = text
        elif isinstance(value, cst.Name | cst.Attribute):
            qualified = index.table.qualify(value)
            if qualified is not None and qualified != name:
                index.table.aliases[name] = qualified


def build_index(
    module: cst.Module, sinks: frozenset[str], name_sinks: frozenset[str] = frozenset()
) -> ModuleIndex:
    """``sinks``: attribute names that may dispatch; ``name_sinks``: bare names that may."""
    index = _walk(module, sinks, name_sinks)
    for info in index.functions:
        if info.dispatches:
            current: FunctionInfo | None = info
            while current is not None and not current.contains_dispatch:
                current.contains_dispatch = True
                current = current.parent
    return index
