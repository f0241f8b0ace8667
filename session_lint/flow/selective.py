"""Selective parsing: libcst builds a tree only for the code that can matter.

Only functions whose code names what the analysis knows (a sink, the ambient getter, the
resolver, a routing helper, the session key: the prefilter's needles, from
``Prefilter.function_needles``, as a name, an attribute, a parameter or a keyword; a key,
an environment variable or a header also as a word in a string, not in a docstring) can
dispatch or feed a dispatch, together with what they reach by name: the module's
functions and methods so named, the functions whose imports bind the name (the index's
import table is the module's), the classes so named (their bases, class-level statements
and dunder methods) and the module-level assignments so named (aliases, partials),
transitively. Every other function is blanked, decorators, header and body, and so is
every class that nothing reaches and that holds nothing kept (see ``flow.blanking``).
Lines and columns of everything kept stay where they were, so positions, messages and
``# noqa`` come out as a full parse gives them, and libcst's time and memory follow the
kept code.
Module-level code, imports and constants are kept, and so are the values of module-level
assignments, except those nothing reads (a table bound to a name no kept code mentions,
naming nothing the analysis knows, becomes ``...``).

The choice is made on CPython's ``ast`` tree, which the nesting guard builds anyway (and
flake8 hands the plugin for free). Whole-file parsing stays for: module-level code that
names a sink (the module's own statements are then evaluated), the opt-in SES008 (which
reports builders that dispatch nothing), text that does not decode, and a definition
whose blanking could change the code around it (a backslash after its last statement).
``SESSION_LINT_FULL_PARSE=1`` forces whole-file parsing: the differential tests compare
the two.
"""

from __future__ import annotations

import ast
import bisect
import codecs
import functools
import io
import itertools
import os
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field

from session_lint.flow.blanking import blank_definition, blank_value
from session_lint.noqa import physical_lines
from session_lint.prefilter import Prefilter

FULL_PARSE_VARIABLE = "SESSION_LINT_FULL_PARSE"
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def enabled() -> bool:
    """Whether selective parsing is on (``SESSION_LINT_FULL_PARSE`` unset or ``0``)."""
    return os.environ.get(FULL_PARSE_VARIABLE, "") in ("", "0")


@dataclass(frozen=True)
class Selection:
    """The text libcst parses instead of the file's, and what it kept (tests count it)."""

    text: str | bytes
    kept_functions: int
    blanked_functions: int
    kept_characters: int  # characters of the file that are not blanked


@dataclass(eq=False)
class _Unit:
    """A definition the reach follows: an outermost function or method, or a class. What
    it mentions is read only once it is kept."""

    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    parent: _Unit | None = None  # the class it is defined in
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
    assignments: list[ast.Assign | ast.AnnAssign] = field(default_factory=list)

    def add(self, unit: _Unit) -> None:
        self.units.append(unit)
        self.by_name.setdefault(unit.node.name, []).append(unit)


def select(source: str | bytes, tree: ast.Module, prefilter: Prefilter) -> Selection | None:
    """The blanked text of ``source`` (``bytes`` in, ``bytes`` out in the file's own
    encoding), or ``None`` when the whole file must be parsed or nothing can be blanked.
    ``tree`` is CPython's tree of the same text; ``prefilter`` has the needles."""
    decoded = _decode(source)
    if decoded is None:
        return None
    text, encoding = decoded
    lines = physical_lines(text)
    definitions = _Definitions()
    _collect(tree.body, definitions, None)
    functions = [
        (unit, unit.node) for unit in definitions.units if isinstance(unit.node, _FUNCTIONS)
    ]
    if not functions:
        return None
    # a needle imported or bound under another name (`from requests import post as send`)
    # is mentioned by that name too
    renamed = _renamings(text, definitions)
    needles = _with_aliases(prefilter.function_needles(), renamed)
    dispatch_needles = _with_aliases(prefilter.dispatch_needles(), renamed)
    headers = prefilter.headers  # compared case-insensitively, as the engine does
    words = [(needle, _word(needle)) for needle in needles if needle]
    string_words = [(needle, _word(needle)) for needle in prefilter.strings if needle]
    names = frozenset(needle for needle, _ in words)
    # where the needles are, by line: one scan of the text each, not one per function
    starts = [0, *itertools.accumulate(map(len, lines))]
    needle_lines = _lines_with(text, needles, starts)
    import_lines = _lines_with(text, ("import",), starts, whole_word=False)
    spans: list[tuple[int, int]] = []
    for unit, node in functions:
        first, last = _lines_of(node)
        spans.append((first, last))
        named = _any_between(needle_lines, first, last) or (
            bool(headers) and _has_header("".join(lines[first - 1 : last]), headers)
        )
        unit.kept = named and _mentions(node, names, string_words, headers)
        if _any_between(import_lines, first, last):
            # the index's import table is the whole module's, local imports included: a
            # name a function imports is defined by it for every function that names it
            for bound in _imported_names("".join(lines[first - 1 : last])):
                definitions.by_name.setdefault(bound, []).append(unit)
    spans.sort()
    outside = [
        line for line in _lines_with(text, dispatch_needles, starts) if not _within_any(spans, line)
    ]
    if outside and not _module_level_names(tree).isdisjoint(dispatch_needles):
        return None  # module-level code may dispatch: its statements are evaluated
    reached = _reach(definitions)
    out = list(lines)
    blank, blanked_characters = _blank_unreached(out, lines, definitions.units)
    blanked = sum(1 for unit, _ in functions if unit in blank)
    for statement in definitions.assignments:
        if statement.value is not None and _value_unread(statement, lines, reached, words):
            blanked_characters += blank_value(out, lines, statement.value) or 0
    if not blanked_characters:
        return None
    narrowed = "".join(out)
    try:
        result: str | bytes = narrowed if isinstance(source, str) else narrowed.encode(encoding)
    except (UnicodeError, LookupError):
        return None
    return Selection(result, len(functions) - blanked, blanked, len(text) - blanked_characters)


def _lines_with(
    text: str, needles: tuple[str, ...], starts: list[int], *, whole_word: bool = True
) -> list[int]:
    """The lines (from 1, sorted) where a needle occurs, as a whole word (``_word``)."""
    found: set[int] = set()
    for needle in needles:
        if not needle:
            continue
        word = _word(needle)
        at = text.find(needle)
        while at != -1:
            if not whole_word or word.match(text, at):
                found.add(bisect.bisect_right(starts, at))
            at = text.find(needle, at + 1)
    return sorted(found)


def _any_between(lines: list[int], first: int, last: int) -> bool:
    """Is any of the sorted ``lines`` from ``first`` to ``last``?"""
    index = bisect.bisect_left(lines, first)
    return index < len(lines) and lines[index] <= last


def _within_any(spans: list[tuple[int, int]], line: int) -> bool:
    """Is ``line`` within one of the sorted, disjoint ``(first, last)`` spans?"""
    index = bisect.bisect_right(spans, (line, float("inf"))) - 1
    return index >= 0 and spans[index][0] <= line <= spans[index][1]


@functools.lru_cache(maxsize=64)
def _word(needle: str) -> re.Pattern[str]:
    """``needle`` as a whole word: the analysis matches names and keys exactly, so
    ``_execute_child`` is no mention of ``execute`` (an end that is not a word character
    is matched as it is)."""
    before = "(?<!\\w)" if re.match(r"\w", needle[0]) else ""
    after = "(?!\\w)" if re.match(r"\w", needle[-1]) else ""
    return re.compile(before + re.escape(needle) + after)


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


def _collect(body: list[ast.stmt], definitions: _Definitions, owner: _Unit | None) -> None:
    """The functions, methods and classes defined outside any function (each after the
    class it is in), and the module's top-level bindings (also inside top-level
    ``if``/``try``/``with``/loops). Iterative, in source order: a chain of thousands of
    ``elif`` nests that deep in CPython's tree."""
    pending: list[tuple[Iterator[ast.stmt], _Unit | None]] = [(iter(body), owner)]
    while pending:
        statements, owner = pending[-1]
        statement = next(statements, None)
        if statement is None:
            pending.pop()
        elif isinstance(statement, _FUNCTIONS):
            definitions.add(_Unit(statement, owner))
        elif isinstance(statement, ast.ClassDef):
            unit = _Unit(statement, owner)
            definitions.add(unit)
            pending.append((iter(statement.body), unit))
        else:
            if owner is None and isinstance(statement, ast.Assign | ast.AnnAssign):
                _bind(statement, definitions)
            blocks = list(_blocks(statement))
            pending.extend((iter(block), owner) for block in reversed(blocks))


def _bind(statement: ast.Assign | ast.AnnAssign, definitions: _Definitions) -> None:
    if statement.value is None:
        return
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    definitions.assignments.append(statement)
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


_IMPORT_TAIL = re.compile(r"\bimport\b[ \t]*(\([^)]*\)|(?:[^\r\n\\;#]|\\\r?\n)*)")
_IDENTIFIER = re.compile(r"\w+")


_AS = re.compile(r"as[ \t\\\r\n]+(\w+)")
_DOTTED_WORD = re.compile(r"[\w.]+")
_SPACE_OR_JOIN = " \t\f\v\r\n\\"


def _renamings(text: str, definitions: _Definitions) -> list[tuple[str, str]]:
    """``(name, local)`` for each ``... name as local`` in the text (imports anywhere:
    the index's table is the module's; a `with` or `except` too, which does no harm)
    and each module-level ``local = a.b.name``."""
    pairs = []
    for match in _AS.finditer(text):
        if not match.start() or not text[match.start() - 1].isspace():
            continue  # `as` ends a word (`alias`); the pattern starts at `as` to run fast
        # the name before `as`: the dotted word that ends the text before it, read
        # backwards (a search for it would try every position of every word)
        window = text[max(0, match.start() - 200) : match.start()].rstrip(_SPACE_OR_JOIN)
        before = _DOTTED_WORD.match(window[::-1])
        if before is not None:
            pairs.append((before.group()[::-1].rsplit(".", 1)[-1], match.group(1)))
    for local, values in definitions.bindings.items():
        for value in values:
            if isinstance(value, ast.Name):
                pairs.append((value.id, local))
            elif isinstance(value, ast.Attribute):
                pairs.append((value.attr, local))
    return pairs


def _with_aliases(names: tuple[str, ...], renamed: list[tuple[str, str]]) -> tuple[str, ...]:
    """``names`` and every local name bound to one of them, transitively."""
    known = dict.fromkeys(names)
    grew = True
    while grew:
        grew = False
        for name, local in renamed:
            if name in known and local not in known:
                known[local] = None
                grew = True
    return tuple(known)


def _blank_unreached(
    out: list[str], lines: list[str], units: list[_Unit]
) -> tuple[set[_Unit], int]:
    """Blank every unit that is not kept, a class whole when nothing in it is kept (what
    the index knows of a class, only a kept function or class asks); the units blanked
    and the characters."""
    holding: set[_Unit] = set()  # classes with something kept inside
    for unit in units:
        owner = unit.parent if unit.kept else None
        while owner is not None and owner not in holding:
            holding.add(owner)
            owner = owner.parent
    blank: set[_Unit] = set()
    characters = 0
    for unit in units:  # a class comes before what it holds
        if unit.parent in blank:
            blank.add(unit)
        elif not unit.kept and unit not in holding:
            count = blank_definition(out, lines, unit.node)
            if count is not None:
                blank.add(unit)
                characters += count
    return blank, characters


def _value_unread(
    statement: ast.Assign | ast.AnnAssign,
    lines: list[str],
    reached: set[str],
    words: list[tuple[str, re.Pattern[str]]],
) -> bool:
    """Is the value of a module-level assignment read by nothing? The index reads only a
    string (a key constant) or a name (an alias), and the functions only the names they
    mention; so a table, a call or a comprehension bound to names no kept code mentions,
    and that names nothing the analysis knows, is not read (`X = 0` binds the same)."""
    value = statement.value
    if value is None or isinstance(value, ast.Constant | ast.Name | ast.Attribute):
        return False
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    if any(isinstance(n, ast.Name) and n.id in reached for t in targets for n in ast.walk(t)):
        return False
    text = "".join(lines[statement.lineno - 1 : statement.end_lineno or statement.lineno])
    return not _has_word(text, words)


def _mentions(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    names: frozenset[str],
    string_words: list[tuple[str, re.Pattern[str]]],
    headers: tuple[str, ...],
) -> bool:
    """Does the code of ``node`` name a needle (an identifier, an attribute, a parameter,
    a keyword), or hold a key, an environment variable or a header in a string? Its text
    may mention one only in a docstring, a comment or prose (``"... to execute"``), which
    the analysis never reads."""
    stack: list[ast.AST] = [node]
    while stack:
        child = stack.pop()
        if isinstance(child, ast.Constant):
            if _holds_needle(child.value, string_words, headers):
                return True
            continue
        for name in child._fields:
            value = getattr(child, name, None)
            if isinstance(value, ast.AST):
                stack.append(value)
            elif isinstance(value, str):
                if value in names or ("." in value and not names.isdisjoint(value.split("."))):
                    return True
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, str):
                        if item in names:
                            return True
                    elif not _inert(item):
                        stack.append(item)
    return False


def _inert(statement: ast.AST) -> bool:
    """A docstring or another bare string statement: nothing reads it."""
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _holds_needle(
    value: object, words: list[tuple[str, re.Pattern[str]]], headers: tuple[str, ...]
) -> bool:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return False
    return _has_word(value, words) or _has_header(value, headers)


def _has_word(text: str, words: list[tuple[str, re.Pattern[str]]]) -> bool:
    """Does ``text`` hold one of the needles as a whole word?"""
    return any(needle in text and word.search(text) for needle, word in words)


def _has_header(text: str, headers: tuple[str, ...]) -> bool:
    """Does ``text`` hold one of the (lower-case) header names, in any case?"""
    lowered = text.lower()
    return any(header in lowered for header in headers)


def _imported_names(text: str) -> set[str]:
    """At least the local names that the imports in ``text`` bind: every word after each
    ``import`` to the end of its statement (a few more do no harm: they keep more)."""
    names: set[str] = set()
    for tail in _IMPORT_TAIL.findall(text):
        names.update(_IDENTIFIER.findall(tail))
    return names


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


def _reach(definitions: _Definitions) -> set[str]:
    """Keep whatever a kept unit names, transitively: same-named functions, methods and
    classes, and through module-level bindings; the names reached."""
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
    return seen


def _lines_of(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int]:
    """The first and last line of ``node``, decorators included."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return first, node.end_lineno or node.lineno


def _module_level_names(tree: ast.Module) -> set[str]:
    """The names and attributes that code outside every function mentions (class bodies
    and module-level lambdas included, as the index counts a dispatch there)."""
    names: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        stack.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, _FUNCTIONS))
    return names
