"""One pass over an Elixir file: its modules, their function clauses, attributes and
aliases, and which clauses dispatch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from tree_sitter import Node

from session_lint.elixir.syntax import (
    block_body,
    call_parts,
    children,
    keyword_pairs,
    left,
    operator,
    text,
)

DEFINERS = frozenset({"def", "defp"})


@dataclass(frozen=True, eq=False)
class Clause:
    """One ``def``/``defp`` clause: its own function, with its guard left aside."""

    name: str
    node: Node
    params: tuple[Node, ...]
    body: tuple[Node, ...]
    dispatches: int  # sink calls in the clause


class _SinkNames(NamedTuple):
    methods: frozenset[str]  # called on a receiver
    bare: frozenset[str]  # called without one (an imported or local call target)


@dataclass
class ModuleInfo:
    name: str
    clauses: dict[str, list[Clause]] = field(default_factory=dict)
    attributes: dict[str, Node] = field(default_factory=dict)  # `@key "session_id"`
    aliases: dict[str, str] = field(default_factory=dict)  # `alias A.B` binds `B`
    imports: list[str] = field(default_factory=list)  # `import A.B`: its functions, unqualified

    @property
    def dispatch_count(self) -> int:
        return sum(clause.dispatches for group in self.clauses.values() for clause in group)


def walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def build_index(
    root: Node, sinks: frozenset[str], bare: frozenset[str] = frozenset()
) -> list[ModuleInfo]:
    """The modules of a file; a clause dispatches when it calls a name of ``sinks`` on a
    receiver, or a name of ``bare`` (a configured call target's) without one."""
    modules: list[ModuleInfo] = []
    _collect(root, "", _SinkNames(sinks, bare), modules)
    return modules


def _collect(container: Node, prefix: str, sinks: _SinkNames, out: list[ModuleInfo]) -> None:
    for node in children(container):
        if node.type != "call":
            continue
        parts = call_parts(node)
        if parts.name != "defmodule" or parts.receiver is not None or parts.do_block is None:
            continue
        short = text(parts.args[0]) if parts.args else ""
        module = ModuleInfo(f"{prefix}.{short}" if prefix else short)
        out.append(module)
        own, _ = block_body(parts.do_block)
        for item in own:
            _module_item(item, module, sinks)
        _collect(parts.do_block, module.name, sinks, out)


def _module_item(node: Node, module: ModuleInfo, sinks: _SinkNames) -> None:
    if node.type == "unary_operator" and operator(node) == "@":
        operand = node.child_by_field_name("operand")
        if operand is not None and operand.type == "call":
            parts = call_parts(operand)
            if parts.name and len(parts.args) == 1:
                module.attributes[parts.name] = parts.args[0]
        return
    if node.type != "call":
        return
    parts = call_parts(node)
    if parts.receiver is not None:
        return
    if parts.name == "alias" and parts.args:
        _alias(parts.args, module)
    elif parts.name == "import" and parts.args and parts.args[0].type == "alias":
        written = text(parts.args[0])
        head, _, rest = written.partition(".")
        module.imports.append(module.aliases.get(head, head) + (f".{rest}" if rest else ""))
    elif parts.name in DEFINERS and parts.args:
        clause = _clause(node, parts.args, parts.do_block, sinks)
        if clause is not None:
            module.clauses.setdefault(clause.name, []).append(clause)


def _alias(args: list[Node], module: ModuleInfo) -> None:
    full = text(args[0])
    short = full.rsplit(".", 1)[-1]
    if len(args) > 1 and args[1].type == "keywords":
        for key, value in keyword_pairs(args[1]):
            if text(key).strip() == "as:":
                short = text(value)
    module.aliases[short] = full


def _clause(
    node: Node, args: list[Node], do_block: Node | None, sinks: _SinkNames
) -> Clause | None:
    head = args[0]
    if head.type == "binary_operator" and operator(head) == "when":
        head = left(head) or head
    if head.type == "identifier":
        name, params = text(head), []
    elif head.type == "call":
        parts = call_parts(head)
        if parts.name is None or parts.receiver is not None:
            return None
        name, params = parts.name, parts.args
    else:
        return None
    body: list[Node] = []
    if do_block is not None:
        body = block_body(do_block)[0]
    elif len(args) > 1 and args[1].type == "keywords":
        body = [value for key, value in keyword_pairs(args[1]) if text(key).strip() == "do:"]
    dispatches = sum(_is_sink_call(inner, sinks) for part in body for inner in walk(part))
    return Clause(name, node, tuple(params), tuple(body), dispatches)


def _is_sink_call(node: Node, sinks: _SinkNames) -> bool:
    if node.type != "call":
        return False
    parts = call_parts(node)
    if parts.receiver is None:
        return parts.name in sinks.bare
    return parts.name in sinks.methods
