"""Parse Elixir source with tree-sitter, or say why it cannot be checked (SES000)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import tree_sitter
import tree_sitter_elixir

MAX_BYTES = 4 * 1024 * 1024  # the bound the Python front end keeps too
# the evaluator recurses along the tree; deeper nesting than this is not real code
MAX_DEPTH = 400


class Unparsable(Exception):
    """The file cannot be checked; ``line``/``column`` (1-based line, 0-based column) say
    where, when a place is known."""

    def __init__(self, reason: str, line: int = 1, column: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Source:
    """A parsed file: its bytes, its lines (for noqa and columns) and the tree."""

    data: bytes
    tree: tree_sitter.Tree

    @functools.cached_property
    def lines(self) -> list[str]:
        return self.data.decode("utf-8").split("\n")  # rows as tree-sitter counts them

    @functools.cached_property
    def _byte_lines(self) -> list[bytes]:
        return self.data.split(b"\n")

    def column(self, row: int, byte_column: int) -> int:
        """The 1-based character column of a tree-sitter (row, byte) point."""
        line = self._byte_lines[row] if row < len(self._byte_lines) else b""
        return len(line[:byte_column].decode("utf-8", errors="replace")) + 1


@functools.lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_elixir.language()))


def parse_elixir(source: str | bytes) -> Source:
    """The parsed file; raises ``Unparsable`` for binary, undecodable, too large, too
    deeply nested or syntactically broken input."""
    data = source.encode("utf-8", errors="surrogatepass") if isinstance(source, str) else source
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if len(data) > MAX_BYTES:
        raise Unparsable(f"file too large to check ({len(data)} bytes)")
    if b"\0" in data:
        raise Unparsable("cannot decode: binary file (NUL byte)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Unparsable(f"cannot decode: not UTF-8 ({error.reason})") from None
    tree = _parser().parse(data)
    _check_tree(tree)
    return Source(data, tree)


def _check_tree(tree: tree_sitter.Tree) -> None:
    """Syntax errors (tree-sitter's ERROR and MISSING nodes) and excessive nesting, found
    in one iterative walk with a cursor."""
    root = tree.root_node
    cursor = root.walk()
    depth = 0
    while True:
        node = cursor.node
        if node is not None and root.has_error and (node.is_error or node.is_missing):
            row, column = node.start_point
            what = f"missing `{node.type}`" if node.is_missing else "unexpected syntax"
            raise Unparsable(f"syntax error: {what}", row + 1, column)
        if depth > MAX_DEPTH:
            raise Unparsable(f"nested too deeply: more than {MAX_DEPTH} levels")
        if cursor.goto_first_child():
            depth += 1
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return
            depth -= 1
