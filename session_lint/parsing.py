"""Parsing that neither crashes nor exhausts the machine on hostile input.

libcst's native parser overflows the C stack on deeply nested code (about 1,500 nested
brackets on a default 8 MiB main-thread stack) and takes the whole process down with a
segfault. We parse on one long-lived thread with a 512 MiB stack (reserved, committed only
as used), which is safe to about 10,000 levels of the costliest nesting.

Depth costs more than stack: libcst's time and memory grow with the square of the nesting
depth (2,000 nested brackets, a 4 KB file, take 20 s and 3.7 GB; 10,000 would take 90 GB).
So every file is first checked by CPython's own parser, which refuses such nesting
cheaply (about a tenth of a libcst parse): more than 200 nested brackets in any Python
version, and chains of a few thousand operators (its bound is a clean ``RecursionError``,
``MemoryError`` or ``SyntaxError``). Syntax newer than the running interpreter still goes
on to libcst, which accepts Python 3.0 to 3.14; for such a file a byte scan stands in for
CPython's bound on brackets and prefix-operator runs.

CPython's own bound differs between versions (3.11 refuses about 3,000 levels of most
nesting; 3.13 accepts 3,000 nested conditional expressions, which then took libcst 5.5 s
and 1.6 GB), and even 3.11's lets through nesting that libcst parses in quadratic time. So
a tree CPython accepts must also be at most ``MAX_DEPTH`` levels deep, in every version.
Measuring that costs little: a subtree whose source is too short to nest that deep is not
walked, so only compound statements and long expressions are visited.

Memory also grows with size: libcst holds about 1 KB per byte of dense code. A file larger
than ``MAX_SOURCE_BYTES`` that may hold a finding is refused rather than parsed; the
prefilter still skips larger files that cannot hold one, however large, in linear time.
"""

from __future__ import annotations

import ast
import io
import itertools
import os
import threading
import tokenize
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # libcst is imported where a file is parsed: not to say it cannot be
    import libcst as cst

_STACK_BYTES = 512 * 1024 * 1024
MAX_SOURCE_BYTES = 4 * 1024 * 1024
_MAX_BRACKETS = 200  # CPython's tokenizer refuses deeper bracket nesting, in every version
_MAX_PREFIX_RUN = 2_000  # CPython 3.11 refuses `- - ... 1` at about 3,000
# levels of the AST (an `elif` counts as none); real code stays far below: about 30
MAX_DEPTH = 1_000
_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


class TooDeep(Exception):
    """The code nests deeper than any Python parser accepts."""


class TooLarge(Exception):
    """The file is too large to parse in bounded memory; the message says so."""


def _forget_executor_in_child() -> None:
    # a forked child inherits the executor but not its thread: submitting would hang
    global _executor, _lock
    _executor = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_executor_in_child)


def _big_stack_executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            previous = threading.stack_size(_STACK_BYTES)
            try:
                _executor = ThreadPoolExecutor(1, thread_name_prefix="session-lint-parse")
                _executor.submit(int).result()  # start the thread while the size is set
            finally:
                threading.stack_size(previous)
        return _executor


def _check_depth(source: str | bytes) -> ast.Module | None:
    """CPython's tree of ``source``, after the nesting checks; ``None`` when CPython cannot
    parse it (newer syntax, or an error libcst reports better)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes and the like are not our business
        try:
            tree = ast.parse(source)
        except (RecursionError, MemoryError) as error:
            raise TooDeep(str(error) or type(error).__name__) from None
        except SyntaxError as error:
            if "too many nested" in str(error):
                raise TooDeep(str(error)) from None
            _scan_depth(source)  # newer syntax, or an error libcst reports better
            return None
        except ValueError:  # e.g. NUL bytes: libcst reports it
            return None
    _bound_depth(tree, source)
    return tree


def _bound_depth(tree: ast.Module, source: str | bytes) -> None:
    """Raise ``TooDeep`` when ``tree`` is more than ``MAX_DEPTH`` levels deep. Each level of
    nesting costs at least a character of source, and a node adds at most three levels
    per character (wrappers such as ``Expr`` and ``ctx`` add none), so a subtree that spans
    ``n`` bytes is at most ``3 * n + 3`` deep: one that cannot reach the bound is skipped."""
    data = source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass")
    # byte offset of each line: bytes split on the newlines Python's tokenizer knows
    starts = [0, *itertools.accumulate(map(len, data.splitlines(keepends=True)))]
    stack: list[tuple[ast.AST, int, float]] = [(tree, 1, float("inf"))]
    while stack:
        node, depth, room = stack.pop()
        if depth > MAX_DEPTH:
            raise TooDeep(f"more than {MAX_DEPTH} levels of nesting")
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                _push(stack, value, depth + 1, room - 1, starts)
            elif isinstance(value, list):
                elif_chain = (
                    name == "orelse"
                    and isinstance(node, ast.If)
                    and len(value) == 1
                    and isinstance(value[0], ast.If)
                )
                step = 0 if elif_chain else 1
                for child in value:
                    if isinstance(child, ast.AST):
                        _push(stack, child, depth + step, room - step, starts)


def _push(
    stack: list[tuple[ast.AST, int, float]],
    node: ast.AST,
    depth: int,
    room: float,
    starts: list[int],
) -> None:
    """Walk ``node`` later unless its span says it cannot reach the bound."""
    span = _span(node, starts)
    if span is not None:
        room = min(room, 3 * span + 3)
    if depth + room > MAX_DEPTH or depth > MAX_DEPTH:
        stack.append((node, depth, room))


def _span(node: ast.AST, starts: list[int]) -> int | None:
    """An upper bound on the characters of ``node``'s source, or None if unknown: its
    UTF-8 bytes on one line, or the bytes of the whole lines it spans."""
    first: int | None = getattr(node, "lineno", None)
    last: int | None = getattr(node, "end_lineno", None)
    if first is None or last is None or last >= len(starts):
        return None
    if first == last:
        end: int = getattr(node, "end_col_offset", 0)
        start: int = getattr(node, "col_offset", 0)
        return end - start
    return starts[last] - starts[first - 1]


_OPENING = {ord("("), ord("["), ord("{")}
_BRACKETS = b"()[]{}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)
_SPACE = b" \t\f\r\n\\"


def _scan_depth(source: str | bytes) -> None:
    """CPython's nesting bounds from the bytes alone, for a file it could not parse: bracket
    depth, and runs of prefix operators. Linear, and conservative: brackets inside strings
    count too, which can only refuse absurd files."""
    data = source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass")
    depth = deepest = 0
    for byte in data.translate(None, _NOT_BRACKETS):
        depth = depth + 1 if byte in _OPENING else max(depth - 1, 0)
        deepest = max(deepest, depth)
    if deepest > _MAX_BRACKETS:
        raise TooDeep(f"more than {_MAX_BRACKETS} nested brackets")
    dense = data.translate(None, _SPACE)
    for operator in (b"-", b"+", b"~", b"not", b"await", b"lambda:"):
        if operator * _MAX_PREFIX_RUN in dense:
            raise TooDeep(f"more than {_MAX_PREFIX_RUN} nested prefix operators")


def parse_module(source: str | bytes) -> cst.Module:
    """``libcst.parse_module`` made safe; raises ``TooLarge`` for a file over the size
    bound, ``TooDeep`` for absurd nesting and whatever libcst raises for anything else it
    cannot parse."""
    checked_tree(source)
    return parse_checked(source)


def checked_tree(source: str | bytes, tree: ast.Module | None = None) -> ast.Module | None:
    """The size and nesting checks of ``parse_module``, returning CPython's tree of
    ``source`` (``tree`` when the caller has it already, as flake8 does), or ``None`` when
    CPython cannot parse it."""
    if len(source) > MAX_SOURCE_BYTES:
        size = len(source) if isinstance(source, bytes) else len(source.encode("utf-8", "replace"))
        raise TooLarge(
            f"too large to check ({size / 2**20:.1f} MiB; the limit is "
            f"{MAX_SOURCE_BYTES // 2**20} MiB): exclude it or split it"
        )
    if tree is None:
        return _check_depth(source)
    _bound_depth(tree, source)
    return tree


def parse_checked(source: str | bytes) -> cst.Module:
    """libcst's tree of text that passed ``checked_tree`` (or a narrowing of such text),
    built on the big-stack thread."""
    import libcst as cst

    return _big_stack_executor().submit(cst.parse_module, source).result()


def undecodable(source: bytes) -> str | None:
    """Why libcst would refuse to decode ``source`` (its own words: it decodes as the
    tokenizer says), or ``None`` when it can be decoded or when the checks before decoding
    (size, nesting) would speak first. Such a file is reported without importing libcst.
    Decoding is tried first: for the text that decodes (nearly all) it is all this costs."""
    if len(source) > MAX_SOURCE_BYTES or b"\0" in source:
        return None
    try:
        encoding = tokenize.detect_encoding(io.BytesIO(source).readline)[0]
        source.decode(encoding)
        return None
    except (UnicodeDecodeError, LookupError, SyntaxError, ValueError) as error:
        reason = str(error)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(source)
            return None  # CPython decodes it: the engine decides
        except (RecursionError, MemoryError, ValueError):
            return None
        except SyntaxError as error:
            if "too many nested" in str(error):
                return None
    try:
        _scan_depth(source)
    except TooDeep:
        return None
    return reason
