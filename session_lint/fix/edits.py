"""Edits collected by the planner, and the one transformer that applies them.

Like Fixit, edits are keyed on the identity of the original nodes and applied in one pass;
statements are inserted and removed where their block is rebuilt, so a statement's
leading comments stay with the code they describe. Imports are applied afterwards with
libcst's ``AddImportsVisitor``, which merges into an existing ``from x import ...``.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst


@dataclass
class Edits:
    replace: dict[cst.CSTNode, cst.CSTNode] = field(default_factory=dict)
    before: dict[cst.BaseStatement, list[cst.BaseStatement]] = field(default_factory=dict)
    after: dict[cst.BaseStatement, list[cst.BaseStatement]] = field(default_factory=dict)
    remove: set[cst.BaseStatement] = field(default_factory=set)
    imports: set[tuple[str, str, int]] = field(default_factory=set)  # module, name, dots

    def __bool__(self) -> bool:
        return bool(self.replace or self.before or self.after or self.remove or self.imports)

    def layer(self) -> Edits:
        """Edits planned on top of these: new replacements go to the layer, while lookups
        still see these ones (a site's fix checks what another site already replaced)."""
        layered = Edits()
        layered.replace = ChainMap({}, self.replace)  # type: ignore[assignment]
        return layered

    def absorb(self, layer: Edits) -> Edits:
        """Merge a ``layer``'s edits into these; return them as plain edits of their own."""
        replace = layer.replace
        if isinstance(replace, ChainMap):
            layer.replace = dict(replace.maps[0])
        self.merge(layer)
        return layer

    def merge(self, other: Edits) -> None:
        self.replace.update(other.replace)
        for anchor, statements in other.before.items():
            self.before.setdefault(anchor, []).extend(statements)
        for anchor, statements in other.after.items():
            self.after.setdefault(anchor, []).extend(statements)
        self.remove |= other.remove
        self.imports |= other.imports

    def insert_before(self, anchor: cst.BaseStatement, statement: cst.BaseStatement) -> None:
        self.before.setdefault(anchor, []).append(statement)

    def insert_after(self, anchor: cst.BaseStatement, statement: cst.BaseStatement) -> None:
        self.after.setdefault(anchor, []).append(statement)


class _Applier(cst.CSTTransformer):
    def __init__(self, edits: Edits) -> None:
        super().__init__()
        self.edits = edits

    def on_visit(self, node: cst.CSTNode) -> bool:
        return node not in self.edits.replace  # a replaced subtree needs no visit

    def on_leave(  # type: ignore[override]  # replacements may change the node's type
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode:
        replacement = self.edits.replace.get(original_node)
        if replacement is not None:
            return replacement
        if isinstance(original_node, cst.IndentedBlock) and isinstance(
            updated_node, cst.IndentedBlock
        ):
            body = self._rebuild(original_node.body, updated_node.body)
            return updated_node.with_changes(body=body or [cst.SimpleStatementLine([cst.Pass()])])
        if isinstance(original_node, cst.Module) and isinstance(updated_node, cst.Module):
            return updated_node.with_changes(
                body=self._rebuild(original_node.body, updated_node.body)
            )
        return updated_node

    def _rebuild(
        self, original: Sequence[cst.BaseStatement], updated: Sequence[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        body: list[cst.BaseStatement] = []
        carried: Sequence[cst.EmptyLine] = ()  # comments above a removed statement
        for old, new in zip(original, updated, strict=True):
            inserted = list(self.edits.before.get(old, ()))
            if old in self.edits.remove:
                carried = [*carried, *_leading_lines(new)]
                continue
            if inserted:
                # the comments above the statement now sit above the code inserted before it
                inserted[0] = _with_leading(inserted[0], [*carried, *_leading_lines(new)])
                new = _with_leading(new, ())
            elif carried:
                new = _with_leading(new, [*carried, *_leading_lines(new)])
            carried = ()
            body.extend(inserted)
            body.append(new)
            body.extend(self.edits.after.get(old, ()))
        return body


def _leading_lines(statement: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    return getattr(statement, "leading_lines", ())


def _with_leading(
    statement: cst.BaseStatement, lines: Sequence[cst.EmptyLine]
) -> cst.BaseStatement:
    if hasattr(statement, "leading_lines"):
        return statement.with_changes(leading_lines=list(lines))
    return statement


def apply_edits(module: cst.Module, edits: Edits) -> cst.Module:
    fixed = module.visit(_Applier(edits))
    return apply_imports(fixed, edits.imports) if edits.imports else fixed


def apply_imports(module: cst.Module, imports: Iterable[tuple[str, str, int]]) -> cst.Module:
    # libcst's codemods and matchers take a sixth of a second to import: only a fix pays it
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor, ImportItem

    items = [ImportItem(name, obj, relative=dots) for name, obj, dots in sorted(imports)]
    return AddImportsVisitor(CodemodContext(), items).transform_module(module)
