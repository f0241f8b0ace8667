"""Blanking code in place: a definition or a value becomes blank text over the same lines,
so that every character kept stays at its line and column.

A stretch of several lines becomes one string literal spanning them (libcst then builds
one node for it, where blank lines would each be one); a stretch on one line becomes
``...`` (or ``0``) padded with spaces. The text before the stretch on its first line and
after it on its last (a comment, a closing bracket) is kept as it is.
"""

from __future__ import annotations

import ast
import re

_AFTER_STATEMENT = re.compile(r"[ \t\f;]*")


def _column(line: str, byte_offset: int) -> int:
    """``ast`` counts UTF-8 bytes; libcst and our output count characters."""
    if line.isascii():
        return byte_offset
    return len(line.encode("utf-8", "surrogatepass")[:byte_offset].decode("utf-8", "replace"))


def blank_definition(
    out: list[str], lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
) -> int | None:
    """Blank ``node`` (decorators, header and body) in ``out``; the characters blanked,
    or ``None`` (and nothing changed) when it cannot be done without touching the code
    around it. Nothing reads an unreached definition's header: the analysis looks up
    only the functions and classes that kept code names, and those are kept."""
    span = _span(lines, node, node.body[-1])
    if span is None:
        return None
    (start_line, start), (end_line, end) = span
    if node.decorator_list:  # a decorated definition starts at its first `@`
        start_line = min(d.lineno for d in node.decorator_list) - 1
        text = lines[start_line]
        start = len(text) - len(text.lstrip(" \t\f"))
    trailing = _AFTER_STATEMENT.match(lines[end_line], end)
    end += len(trailing.group()) if trailing else 0
    if lines[end_line][end:].startswith("\\"):
        return None  # a continuation would join the blanked line to the next one
    return _blank(out, lines, (start_line, start), (end_line, end), '"""')


def blank_value(out: list[str], lines: list[str], value: ast.expr) -> int | None:
    """Blank the expression ``value`` in ``out`` (a multi-line one as a bytes literal,
    which no reader takes for a key constant); the characters blanked, or ``None``."""
    span = _span(lines, value, value)
    return _blank(out, lines, *span, 'b"""') if span is not None else None


def _span(
    lines: list[str], first: ast.stmt | ast.expr, last: ast.stmt | ast.expr
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Where ``first`` starts and ``last`` ends: 0-based lines, character columns."""
    if last.end_lineno is None or last.end_col_offset is None or last.end_lineno > len(lines):
        return None
    start_line, end_line = first.lineno - 1, last.end_lineno - 1
    start = _column(lines[start_line], first.col_offset)
    return (start_line, start), (end_line, _column(lines[end_line], last.end_col_offset))


def _blank(
    out: list[str],
    lines: list[str],
    begin: tuple[int, int],
    finish: tuple[int, int],
    opener: str,
) -> int:
    """Blank from ``begin`` to ``finish`` (0-based line, character column): several lines
    as one string literal ``opener ... \"\"\"`` over them, one line as ``...`` or ``0``
    padded with spaces (also where the string would not fit)."""
    (start_line, start), (end_line, end) = begin, finish
    first_room = len(lines[start_line].rstrip("\r\n")) - start
    as_string = start_line < end_line and first_room >= len(opener) and end >= 3
    if as_string:  # the common case, a definition: its middle lines keep their newline alone
        middle = lines[start_line + 1 : end_line]
        joined = "".join(middle)
        endings = joined.count("\n") + joined.count("\r")  # CRLF counts twice, as it is
        if "\r" in joined:
            out[start_line + 1 : end_line] = [line[len(line.rstrip("\r\n")) :] for line in middle]
        else:
            out[start_line + 1 : end_line] = ["\n"] * len(middle)
        first, last = lines[start_line], lines[end_line]
        out[start_line] = first[:start] + opener + first[start + first_room :]
        out[end_line] = " " * (end - 3) + '"""' + last[end:]
        return first_room + len(joined) - endings + end
    count = 0
    for number in range(start_line, end_line + 1):
        line = lines[number]
        low = start if number == start_line else 0
        high = end if number == end_line else len(line.rstrip("\r\n"))
        count += high - low
        out[number] = line[:low] + " " * (high - low) + line[high:]
    room = end - start if start_line == end_line else first_room
    placeholder = "..." if room >= 3 else "0"
    line = out[start_line]
    out[start_line] = line[:start] + placeholder + line[start + len(placeholder) :]
    return count
