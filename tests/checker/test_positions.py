"""Positions generated statement by statement are the whole module's, node for node: on
every fixture, the runtime, a sample of the standard library and generated modules. A
report generates only the statements holding a finding (counted, not timed), and falls
back to the whole module wherever CPython's tree and libcst's do not line up."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from libcst.metadata import MetadataWrapper, PositionProvider

from session_lint.flow.positions import Positions
from session_lint.flow.walk import children_of

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

ROOT = Path(__file__).resolve().parents[2]
STDLIB = Path(sysconfig.get_paths()["stdlib"])
SAMPLE = [
    *sorted((ROOT / "fixtures").rglob("*.py")),
    *sorted((ROOT / "runtime").rglob("*.py")),
    *sorted(STDLIB.glob("*.py"))[::6],
    *sorted((STDLIB / "email").glob("*.py")),
]


def _nodes(module: cst.Module) -> list[cst.CSTNode]:
    """Every node of the module's statements (libcst's ``Module`` has no position)."""
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = list(module.body)
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(children_of(node))
    return found


def _inner(nodes: list[cst.CSTNode]) -> list[cst.CSTNode]:
    """What reports mostly ask for, deep in blocks: calls and simple statement lines, whose
    compound statements around them are then not generated whole."""
    return [n for n in nodes if isinstance(n, cst.Call | cst.SimpleStatementLine)]


def assert_same_as_whole(source: str | bytes) -> Positions:
    module = cst.parse_module(source)
    text = source.decode(module.encoding) if isinstance(source, bytes) else source
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = _nodes(module)
    # the statements inside blocks first, each generated alone, then everything
    positions = Positions(module, ast.parse(source), text)
    inner = _inner(nodes)
    positions.cover(inner)
    assert [positions[n] for n in inner] == [whole[n] for n in inner]
    positions.cover(nodes)
    assert [positions[n] for n in nodes] == [whole[n] for n in nodes]
    return positions


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_statement_positions_are_the_whole_modules(path: Path) -> None:
    assert_same_as_whole(path.read_bytes())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hypothesmith.from_grammar())
def test_generated_modules_get_the_whole_modules_positions(source: str) -> None:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return  # what CPython cannot parse has no tree to pair with
    assert_same_as_whole(source)


MANY = "".join(f"def clean_{i}(x):\n    return x + {i}\n\n\n" for i in range(30))
FINDING = "def last(client, payload):\n    return client.execute('f', payload)\n"


def test_only_the_statements_asked_for_are_generated() -> None:
    source = MANY + FINDING
    module = cst.parse_module(source)
    positions = Positions(module, ast.parse(source), source)
    call = next(n for n in _nodes(module) if isinstance(n, cst.Call))
    assert positions[call].start.line == source.count("\n")
    assert not positions.whole
    assert positions.generated == 1


NESTED = (
    "class Bridge:\n"
    "    @property\n"
    "    def client(self):\n"
    "        return self._client\n"
    "\n"
    "    def call(self, payload, opts):\n"
    "        if opts:\n"
    "            x = 1\n"
    "        elif payload:\n"
    "            try:\n"
    "                y = (\n"
    "                    2\n"
    "                )\n"
    "            except (KeyError, ValueError) as error:\n"
    "                raise\n"
    "            else:\n"
    "                for item in opts:\n"
    "                    pass\n"
    "                else:\n"
    "                    # the dispatch\n"
    "                    return self.client.execute('f', payload, opts)\n"
    "        return None\n"
)


def test_a_statement_deep_in_blocks_is_generated_alone() -> None:
    module = cst.parse_module(NESTED)
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    positions = Positions(module, ast.parse(NESTED), NESTED)
    call = next(n for n in _nodes(module) if isinstance(n, cst.Call))
    assert positions[call] == whole[call]
    assert positions[call].start.line == 21
    assert not positions.whole
    assert positions.generated == 1  # the `return` line, not the class around it
    # a node of a header (the `except` clause) generates its whole compound statement
    handler = next(n for n in _nodes(module) if isinstance(n, cst.ExceptHandler))
    assert positions[handler] == whole[handler]
    assert not positions.whole


@pytest.mark.parametrize(
    "tree, text",
    [
        (None, "any"),  # no tree: newer syntax than the running CPython, say
        (ast.parse("x = 1\n"), MANY + FINDING),  # a tree of other text: nothing pairs
        (ast.parse(MANY + FINDING), None),  # text that did not decode
    ],
    ids=["no tree", "another text's tree", "no text"],
)
def test_whatever_does_not_line_up_gets_the_whole_modules(
    tree: ast.Module | None, text: str | None
) -> None:
    source = MANY + FINDING
    module = cst.parse_module(source)
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    positions = Positions(module, tree, text if text != "any" else source)
    nodes = _nodes(module)
    assert [positions[n] for n in nodes] == [whole[n] for n in nodes]
    assert positions.whole


def test_a_statement_whose_text_is_not_the_sources_gets_the_whole_modules() -> None:
    source = MANY + FINDING
    module = cst.parse_module(source)
    shifted = "\n" + source  # CPython's tree of the same code one line lower
    positions = Positions(module, ast.parse(shifted), source)
    positions.cover([module.body[3]])
    assert positions.whole
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    assert positions[module.body[3]] == whole[module.body[3]]
