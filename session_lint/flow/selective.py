"""Selective parsing: libcst builds a tree only for the code that can matter.

Only functions that mention a name the analysis knows (a sink, the ambient getter, the
resolver, a routing helper, the session key: the prefilter's needles, from
``Prefilter.function_needles``) can dispatch or feed a dispatch, together with what they
reach by name: the module's functions and methods so named, the classes so named (their
bases, class-level statements and dunder methods) and the module-level assignments so
named (aliases, partials), transitively. Every other function keeps its header and gets
its body blanked: each character becomes a space, and one ``...`` (or ``0``, where the
body is shorter) stands where the body began. Lines and columns of everything kept stay
where they were, so positions, messages and ``# noqa`` come out as a full parse gives
them, and libcst's time and memory follow the kept code.

The choice is made on CPython's ``ast`` tree, which the nesting guard builds anyway (and
flake8 hands the plugin for free). Whole-file parsing stays for: module-level code that
mentions a sink (the module's own statements are then evaluated), the opt-in SES008
(which reports builders that dispatch nothing), text that does not decode, and a body
whose blanking could change the code around it (a backslash after its last statement).
``SESSION_LINT_FULL_PARSE=1`` forces whole-file parsing: the differential tests compare
the two.
"""

from __future__ import annotations

import ast
import codecs
import io
import os
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field

FULL_PARSE_VARIABLE = "SESSION_LINT_FULL_PARSE"
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_AFTER_BODY = re.compile(r"[ \t\f;]*")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def enabled() -> bool:
    """Whether selective parsing is on (``SESSION_LINT_FULL_PARSE`` unset or ``0``)."""
    return os.environ.get(FULL_PARSE_VARIABLE, "") in ("", "0")


@dataclass(frozen=True)
class Selection:
    """The text libcst parses instead of the file's, and what it kept (tests count it)."""

    text: str | bytes
    kept_bodies: int
    blanked_bodies: int
    kept_characters: int  # characters of the file that are not blanked


@dataclass(eq=False)
class _Unit:
    """A definition the reach follows: an outermost function or method, or a class. What
    it mentions is read only once it is kept."""

    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    kept: bool = False

    def mentions(self) -> set[str]:
        node = self.node
        if not isinstance(node, ast.ClassDef):
            return _names_in([node])
        header: list[ast.AST] = [*node.bases, *node.keywords, *node.decorator_list]
        header.extend(s for s in node.body if not isinstance(s, _DEFINITIONS))
        names = _names_in(header)
        # what Python calls on its own: construction, context management, calls
        names.update(s.name for s in node.body if isinstance(s, _FUNCTIONS) and _dunder(s.name))
        return names


@dataclass
class _Definitions:
    units: list[_Unit] = field(default_factory=list)
    by_name: dict[str, list[_Unit]] = field(default_factory=dict)
    # module-level `NAME = value`: the values bound to each name (aliases, partials)
    bindings: dict[str, list[ast.expr]] = field(default_factory=dict)

    def add(self, unit: _Unit) -> None:
        self.units.append(unit)
        self.by_name.setdefault(unit.node.name, []).append(unit)


def select(
    source: str | bytes,
    tree: ast.Module,
    needles: tuple[str, ...],
    dispatch_needles: tuple[str, ...],
) -> Selection | None:
    """The blanked text of ``source`` (``bytes`` in, ``bytes`` out in the file's own
    encoding), or ``None`` when the whole file must be parsed or nothing can be blanked.
    ``tree`` is CPython's tree of the same text."""
    decoded = _decode(source)
    if decoded is None:
        return None
    text, encoding = decoded
    lines = _LINES.findall(text)
    definitions = _Definitions()
    _collect(tree.body, definitions, in_class=False)
    functions = [unit for unit in definitions.units if isinstance(unit.node, _FUNCTIONS)]
    if not functions:
        return None
    spans = [_whole_lines(lines, unit.node) for unit in functions]
    if any(needle in _outside(lines, spans) for needle in dispatch_needles):
        return None  # module-level code may dispatch: the module's statements are evaluated
    for unit, (_, _, span_text) in zip(functions, spans, strict=True):
        unit.kept = any(needle in span_text for needle in needles)
    _reach(definitions)
    out = list(lines)
    blanked = blanked_characters = 0
    for unit in functions:
        if not unit.kept and isinstance(unit.node, _FUNCTIONS):
            count = _blank_body(out, lines, unit.node)
            if count is not None:
                blanked += 1
                blanked_characters += count
    if not blanked:
        return None
    narrowed = "".join(out)
    try:
        result: str | bytes = narrowed if isinstance(source, str) else narrowed.encode(encoding)
    except (UnicodeError, LookupError):
        return None
    return Selection(result, len(functions) - blanked, blanked, len(text) - blanked_characters)


def _decode(source: str | bytes) -> tuple[str, str] | None:
    """The text and its encoding; ``None`` for text that does not decode, or whose encoding
    is not a superset of ASCII (blanks and ``...`` would not be one byte each)."""
    if isinstance(source, str):
        return source, "utf-8"
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        if " ...0".encode(encoding).lstrip(codecs.BOM_UTF8) != b" ...0":
            return None
        return source.decode(encoding), encoding
    except (SyntaxError, UnicodeError, LookupError):
        return None


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _collect(body: list[ast.stmt], definitions: _Definitions, *, in_class: bool) -> None:
    """The functions, methods and classes defined outside any function, and the module's
    top-level bindings (also inside top-level ``if``/``try``/``with``/loops)."""
    for statement in body:
        if isinstance(statement, _FUNCTIONS):
            definitions.add(_Unit(statement))
        elif isinstance(statement, ast.ClassDef):
            definitions.add(_Unit(statement))
            _collect(statement.body, definitions, in_class=True)
        else:
            if not in_class and isinstance(statement, ast.Assign | ast.AnnAssign):
                _bind(statement, definitions)
            for block in _blocks(statement):
                _collect(block, definitions, in_class=in_class)


def _bind(statement: ast.Assign | ast.AnnAssign, definitions: _Definitions) -> None:
    if statement.value is None:
        return
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                definitions.bindings.setdefault(node.id, []).append(statement.value)


def _blocks(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        block = getattr(statement, name, None)
        if isinstance(block, list):
            yield block
    for item in (*getattr(statement, "handlers", ()), *getattr(statement, "cases", ())):
        yield item.body


def _names_in(nodes: list[ast.AST]) -> set[str]:
    """Every name and attribute ``nodes`` mention: what a call in them may resolve to."""
    names: set[str] = set()
    for node in nodes:
        for child in ast.walk(node):
            if isinstance(child, ast.Name):
                names.add(child.id)
            elif isinstance(child, ast.Attribute):
                names.add(child.attr)
    return names


def _reach(definitions: _Definitions) -> None:
    """Keep whatever a kept unit names, transitively: same-named functions, methods and
    classes, and through module-level bindings."""
    pending = [unit for unit in definitions.units if unit.kept]
    seen: set[str] = set()
    while pending:
        names = pending.pop().mentions()
        while names:
            name = names.pop()
            if name in seen:
                continue
            seen.add(name)
            names.update(_names_in(list(definitions.bindings.get(name, ()))))
            for other in definitions.by_name.get(name, ()):
                if not other.kept:
                    other.kept = True
                    pending.append(other)


def _whole_lines(
    lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
) -> tuple[int, int, str]:
    """The first and last line of ``node`` (decorators included) and their text."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    last = node.end_lineno or node.lineno
    return first, last, "".join(lines[first - 1 : last])


def _outside(lines: list[str], spans: list[tuple[int, int, str]]) -> str:
    """The text of the lines that no function covers."""
    covered = [False] * (len(lines) + 1)
    for first, last, _ in spans:
        covered[first - 1 : last] = [True] * (last - first + 1)
    return "".join(line for number, line in enumerate(lines) if not covered[number])


def _column(line: str, byte_offset: int) -> int:
    """``ast`` counts UTF-8 bytes; libcst and our output count characters."""
    if line.isascii():
        return byte_offset
    return len(line.encode("utf-8", "surrogatepass")[:byte_offset].decode("utf-8", "replace"))


def _blank_body(
    out: list[str], lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef
) -> int | None:
    """Blank ``node``'s body in ``out``; the characters blanked, or ``None`` (and nothing
    changed) when it cannot be done without touching the code around it."""
    first, last = node.body[0], node.body[-1]
    if last.end_lineno is None or last.end_col_offset is None:
        return None
    start_line, end_line = first.lineno - 1, last.end_lineno - 1
    if end_line >= len(lines):
        return None
    start = _column(lines[start_line], first.col_offset)
    decorators = getattr(first, "decorator_list", None)
    if decorators:  # a decorated definition starts at its first `@`, alone on its line
        start_line = min(d.lineno for d in decorators) - 1
        text = lines[start_line]
        start = len(text) - len(text.lstrip(" \t\f"))
    end = _column(lines[end_line], last.end_col_offset)
    trailing = _AFTER_BODY.match(lines[end_line], end)
    end += len(trailing.group()) if trailing else 0
    if lines[end_line][end:].startswith("\\"):
        return None  # a continuation would join the blanked line to the next one
    count = 0
    for number in range(start_line, end_line + 1):
        line = lines[number]
        content = len(line.rstrip("\r\n"))
        low = start if number == start_line else 0
        high = end if number == end_line else content
        out[number] = line[:low] + " " * (high - low) + line[high:]
        count += high - low
    room = (end if start_line == end_line else len(lines[start_line].rstrip("\r\n"))) - start
    placeholder = "..." if room >= 3 else "0"
    line = out[start_line]
    out[start_line] = line[:start] + placeholder + line[start + len(placeholder) :]
    return count
