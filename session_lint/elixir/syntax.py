"""Reading tree-sitter-elixir nodes: calls, their arguments, literals and keys."""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

_SKIPPED = frozenset({"comment"})


def text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", errors="replace")


def flat_text(node: Node) -> str:
    return " ".join(text(node).split())


def children(node: Node) -> list[Node]:
    """Named children, comments left out."""
    return [child for child in node.named_children if child.type not in _SKIPPED]


def operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return op.type if op is not None else ""


def left(node: Node) -> Node | None:
    return node.child_by_field_name("left")


def right(node: Node) -> Node | None:
    return node.child_by_field_name("right")


@dataclass(frozen=True)
class CallParts:
    """``receiver.name(args) do ... end``; ``receiver`` is None for a local call."""

    receiver: Node | None
    name: str | None
    args: list[Node]
    do_block: Node | None


def call_parts(node: Node) -> CallParts:
    target = node.child_by_field_name("target")
    receiver: Node | None = None
    name: str | None = None
    if target is not None and target.type == "identifier":
        name = text(target)
    elif target is not None and target.type == "dot":
        receiver = left(target)
        member = right(target)
        name = text(member) if member is not None and member.type == "identifier" else None
    args: list[Node] = []
    do_block: Node | None = None
    for child in children(node):
        if child.type == "arguments":
            args = children(child)
        elif child.type == "do_block":
            do_block = child
    return CallParts(receiver, name, args, do_block)


def string_value(node: Node) -> str | None:
    """A plain string literal without interpolation or escapes, spelt verbatim (so a key
    we match is in the file's bytes and the byte prefilter stays sound)."""
    if node.type != "string":
        return None
    parts = children(node)
    if len(parts) == 1 and parts[0].type == "quoted_content":
        return text(parts[0])
    if not parts:
        return ""
    return None


def atom_value(node: Node) -> str | None:
    """``:session_id`` -> ``session_id``; a keyword key ``session_id:`` too."""
    if node.type == "atom":
        value = text(node)
        return value[1:] if value.startswith(":") and '"' not in value else None
    if node.type == "keyword":
        value = text(node).strip()
        return value[:-1] if value.endswith(":") and '"' not in value else None
    return None


def keyword_pairs(node: Node) -> list[tuple[Node, Node]]:
    """The (key, value) pairs of a ``keywords`` node."""
    pairs = []
    for pair in children(node):
        key = pair.child_by_field_name("key")
        value = pair.child_by_field_name("value")
        if pair.type == "pair" and key is not None and value is not None:
            pairs.append((key, value))
    return pairs


def stab_clauses(block: Node) -> list[Node]:
    return [child for child in children(block) if child.type == "stab_clause"]


def stab_parts(clause: Node) -> tuple[list[Node], list[Node]]:
    """The patterns and the body expressions of ``pattern -> body``."""
    head = clause.child_by_field_name("left")
    body = clause.child_by_field_name("right")
    patterns = children(head) if head is not None else []
    return patterns, children(body) if body is not None else []


def block_body(block: Node) -> tuple[list[Node], list[Node]]:
    """A ``do_block``'s own expressions and its ``else``/``rescue``/... blocks."""
    own: list[Node] = []
    extra: list[Node] = []
    for child in children(block):
        if child.type in {"else_block", "rescue_block", "catch_block", "after_block"}:
            extra.append(child)
        else:
            own.append(child)
    return own, extra


def identifiers(node: Node) -> list[str]:
    """Variable names bound by a pattern (pinned ``^x`` left out)."""
    names: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier":
            names.append(text(current))
        elif (
            current.type == "unary_operator" and operator(current) in {"^", "@"}
        ) or current.type == "call":
            continue
        else:
            stack.extend(children(current))
    return names
