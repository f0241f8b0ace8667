"""Positions between the engine and the editor, converted at this edge only.

The engine counts lines and columns from 1, columns in code points (as libcst and every
output do); LSP counts from 0, columns in the negotiated unit (UTF-16 unless the client
offers better). Lines break at ``\\r\\n``, ``\\r`` and ``\\n`` on both sides, never at the
form feeds and separators ``str.splitlines`` also breaks at.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence

from lsprotocol import types

from session_lint.types import Edit

_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# how many client units a string takes (pygls's PositionCodec.client_num_units)
Units = Callable[[str], int]


class Lines:
    """One buffer's lines, for converting positions both ways."""

    def __init__(self, text: str, units: Units) -> None:
        self.text = text
        self.units = units
        self.starts = [0]  # offset of each line's first character
        for match in _LINE_BREAK.finditer(text):
            self.starts.append(match.end())
        self.ends = [match.start() for match in _LINE_BREAK.finditer(text)] + [len(text)]

    def line(self, index: int) -> str:
        """Line ``index`` (from 0) without its line break."""
        return self.text[self.starts[index] : self.ends[index]]

    def end(self) -> types.Position:
        last = len(self.starts) - 1
        return types.Position(line=last, character=self.units(self.line(last)))

    def position(self, line: int, column: int) -> types.Position:
        """The LSP position of the engine's (line, column), both from 1, column in code
        points; a place past the end is the end of the document."""
        index = line - 1
        if index < 0:
            return types.Position(line=0, character=0)
        if index >= len(self.starts):
            return self.end()
        text = self.line(index)
        return types.Position(line=index, character=self.units(text[: max(column - 1, 0)]))

    def range(self, line: int, column: int, end_line: int, end_column: int) -> types.Range:
        return types.Range(
            start=self.position(line, column), end=self.position(end_line, end_column)
        )

    def text_edit(self, edit: Edit) -> types.TextEdit:
        where = self.range(edit.line, edit.column, edit.end_line, edit.end_column)
        return types.TextEdit(range=where, new_text=edit.text)

    def offset(self, position: types.Position) -> int:
        """The code-point offset of an LSP position (clamped to the document)."""
        if position.line >= len(self.starts):
            return len(self.text)
        start, text = self.starts[position.line], self.line(position.line)
        counted = 0
        for index, char in enumerate(text):
            if counted >= position.character:
                return start + index
            counted += self.units(char)
        return start + len(text)


def edits_between(before: str, after: str, units: Units) -> list[types.TextEdit]:
    """The edits, whole lines each, that turn ``before`` into ``after`` (a fixed text):
    unchanged lines are not rewritten, so the editor keeps the cursor and the folds."""
    old, new = _with_breaks(before), _with_breaks(after)
    lines = Lines(before, units)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    edits = []
    for tag, first, last, new_first, new_last in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = types.Position(line=first, character=0)
        # past the last line break: the end of the document, whether it ends one or not
        end = types.Position(line=last, character=0) if last < len(old) else lines.end()
        edits.append(
            types.TextEdit(
                range=types.Range(start=start, end=end), new_text="".join(new[new_first:new_last])
            )
        )
    return edits


def _with_breaks(text: str) -> Sequence[str]:
    """The lines of ``text``, each with its own line break (the last may have none)."""
    pieces: list[str] = []
    start = 0
    for match in _LINE_BREAK.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces
