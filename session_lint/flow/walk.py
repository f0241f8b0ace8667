"""Fast child iteration over libcst nodes.

``CSTNode.children`` runs a visitor per call and ``CSTVisitor`` dispatch costs about as much
as parsing, so the hot walks read each node type's dataclass fields directly, skipping the
whitespace and punctuation fields that never hold code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import libcst as cst

from session_lint.flow.work import WORK

_NOT_CODE = (
    "whitespace",
    "lpar",
    "rpar",
    "lbrace",
    "rbrace",
    "lbracket",
    "rbracket",
    "comma",
    "semicolon",
    "colon",
    "leading_lines",
    "lines_after_decorators",
    "header",
    "footer",
    "equal",
    "dot",
    "newline",
    "operator",
    "asynchronous",
    "first_line",
    "empty_lines",
    "trailing_whitespace",
)
_NOT_CODE_EXACT = frozenset({"star"})  # Arg.star is a str; Parameters.star_arg is code
_FIELDS: dict[type, tuple[str, ...]] = {}
_IS_NODE: dict[type, bool] = {}


def _fields(kind: type) -> tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = tuple(
            field.name
            for field in dataclasses.fields(kind)
            if not field.name.startswith(_NOT_CODE) and field.name not in _NOT_CODE_EXACT
        )
        _FIELDS[kind] = names
    return names


def _is_node(kind: type) -> bool:
    known = _IS_NODE.get(kind)
    if known is None:
        known = _IS_NODE[kind] = issubclass(kind, cst.CSTNode)
    return known


def code_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The children of ``node`` that hold code, in source order (counted as analysis work)."""
    WORK.nodes += 1
    return children_of(node)


def children_of(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``code_children`` for walks that are not the analysis (locating a node)."""
    for name in _fields(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind is tuple or kind is list:
            for item in value:
                if _is_node(type(item)):
                    yield item
        elif _is_node(kind):
            yield value
