"""A planned fix as text edits (range + replacement), for JSON and SARIF readers.

The planner's edits are keyed on nodes; their positions are already resolved for a file
with findings, so each edit is a lookup, not a re-plan. Imports are placed by libcst's
``AddImportsVisitor``: its change to the module is diffed once per set of imports."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping

import libcst as cst
from libcst.metadata import CodeRange

from session_lint.fix.edits import Edits, apply_imports
from session_lint.types import Edit


class TextEdits:
    """Renders the edits of one module's fixes; the import edits are cached per set."""

    def __init__(
        self,
        module: cst.Module,
        positions: Mapping[cst.CSTNode, CodeRange],
        text: str | None = None,
    ) -> None:
        self.module = module
        self.positions = positions
        self._text = text  # the module's code, when the caller has it
        self._imports: dict[frozenset[tuple[str, str, int]], tuple[Edit, ...]] = {}

    @functools.cached_property
    def lines(self) -> list[str]:
        """The module's lines; generating them costs a pass over it (unless the caller
        gave the text), so only an edit that reads them pays it."""
        text = self._text if self._text is not None else self.module.code
        return text.splitlines(keepends=True)

    def render(self, edits: Edits) -> tuple[Edit, ...]:
        rendered: list[Edit] = []
        for old, new in edits.replace.items():
            where = self.positions[old]
            rendered.append(
                Edit(
                    where.start.line,
                    where.start.column + 1,
                    where.end.line,
                    where.end.column + 1,
                    self.module.code_for_node(new),
                )
            )
        newline = self.module.default_newline
        for anchor, statements in edits.before.items():
            start = self.positions[anchor].start
            indent = self._line(start.line)[: start.column]
            text = "".join(self._statement(s) + newline + indent for s in statements)
            rendered.append(Edit(start.line, start.column + 1, start.line, start.column + 1, text))
        for anchor, statements in edits.after.items():
            where = self.positions[anchor]
            indent = self._line(where.start.line)[: where.start.column]
            end = len(self._line(where.end.line)) + 1
            text = "".join(newline + indent + self._statement(s) for s in statements)
            rendered.append(Edit(where.end.line, end, where.end.line, end, text))
        for statement in edits.remove:
            where = self.positions[statement]
            rendered.append(Edit(where.start.line, 1, where.end.line + 1, 1, ""))
        if edits.imports:
            rendered.extend(self._import_edits(frozenset(edits.imports)))
        return tuple(sorted(rendered, key=lambda e: (e.line, e.column, e.end_line, e.end_column)))

    def _line(self, number: int) -> str:
        """Line ``number`` (from 1) without its newline."""
        if 0 < number <= len(self.lines):
            return self.lines[number - 1].rstrip("\r\n")
        return ""

    def _statement(self, statement: cst.BaseStatement) -> str:
        return self.module.code_for_node(statement).rstrip("\r\n")

    def _import_edits(self, imports: frozenset[tuple[str, str, int]]) -> tuple[Edit, ...]:
        cached = self._imports.get(imports)
        if cached is None:
            after = apply_imports(self.module, imports).code.splitlines(keepends=True)
            matcher = difflib.SequenceMatcher(a=self.lines, b=after, autojunk=False)
            cached = tuple(
                Edit(first + 1, 1, last + 1, 1, "".join(after[new_first:new_last]))
                for tag, first, last, new_first, new_last in matcher.get_opcodes()
                if tag != "equal"
            )
            self._imports[imports] = cached
        return cached


def apply_text_edits(source: str, edits: tuple[Edit, ...]) -> str:
    """``source`` with non-overlapping ``edits`` applied (for tests and editors)."""
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        if line > len(lines):
            return len(source)
        return starts[line - 1] + column - 1

    result = source
    for edit in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        begin, end = offset(edit.line, edit.column), offset(edit.end_line, edit.end_column)
        result = result[:begin] + edit.text + result[end:]
    return result
