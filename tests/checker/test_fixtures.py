"""Every fixture file is checked exactly against its inline ``# expect:`` markers.

bugbear's data-driven pattern: each ``fixtures/**/*.py`` file marks the findings it must
produce with a trailing comment on the reported line, ``# expect: SES002`` (several codes:
``# expect: SES002, SES003``). A first-line comment ``# config: select=SES,SES008`` sets
the ``Config.select`` tuple the file is checked with (opt-in rules). The test compares the
multiset of ``(line, code)`` exactly: no missing finding, no extra one, right line.

The seed ports get one more test: the before-port is flagged in exactly the seven call
paths the seed's table marks BROKEN, the after-port nowhere.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from session_lint.config import Config
from session_lint.engine import lint_source
from session_lint.registry import all_rules
from session_lint.types import Diagnostic

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
BEFORE = FIXTURES / "before" / "runtime_before.py"
AFTER = FIXTURES / "after" / "runtime_after.py"

_CODE = r"SES\d{3}"
_EXPECT_START = re.compile(r"#\s*expect\b", re.IGNORECASE)
_EXPECT = re.compile(rf"#\s*expect:\s*(?P<codes>{_CODE}(?:\s*,\s*{_CODE})*)\s*$")
_CONFIG = re.compile(
    r"^#\s*config:\s*select=(?P<select>[A-Za-z0-9_]+(?:\s*,\s*[A-Za-z0-9_]+)*)\s*$"
)

# The seed's table (seed/000_2007337ecc15f872.txt, "Which Call Paths Are Broken"): the seven
# BROKEN rows, and the function of the before-port that implements each.
SEED_BROKEN_PATHS = {
    "call/4 (atom module)": "call",
    "get_module_attr/3 (atom)": "get_module_attr_binding",
    "get_module_attr/3 (string)": "get_module_attr_str",
    "call_class/4": "call_class",
    "call_helper/3 (map opts)": "call_helper_map",
    "call_helper/3 (list opts)": "call_helper_list",
    "stream/5 (atom module)": "stream",
}
# The six CORRECT rows, which must stay unflagged (and exist in both ports).
SEED_CORRECT_PATHS = {
    "call_dynamic/4 (string module)": "call_dynamic",
    "call_method/4": "call_method",
    "get_attr/3": "get_attr",
    "set_attr/4": "set_attr",
    "stream_next/2": "stream_next",
    "release_ref/2": "release_ref",
}


@dataclass(frozen=True)
class Fixture:
    path: Path
    source: bytes
    expected: Counter[tuple[int, str]]
    config: Config

    @property
    def name(self) -> str:
        return self.path.relative_to(FIXTURES).as_posix()


SHAPES = FIXTURES / "shapes"


def fixture_paths() -> list[Path]:
    """The fixtures checked with the default configuration; those of ``fixtures/shapes``
    need the README snippet of their shape (``test_shapes_readme.py``)."""
    return sorted(path for path in FIXTURES.glob("**/*.py") if not path.is_relative_to(SHAPES))


def parse_markers(text: str) -> Counter[tuple[int, str]]:
    """``(line, code)`` of every ``# expect:`` comment. Only real comments count (a marker
    spelt inside a string is text); a comment that starts like a marker but does not parse
    as one is an error, so a typo cannot silently drop an expectation."""
    expected: Counter[tuple[int, str]] = Counter()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type != tokenize.COMMENT or not _EXPECT_START.match(token.string):
            continue
        match = _EXPECT.match(token.string)
        if match is None:
            raise ValueError(f"line {token.start[0]}: malformed marker {token.string!r}")
        for code in re.split(r"\s*,\s*", match["codes"]):
            expected[(token.start[0], code)] += 1
    return expected


def parse_config(text: str) -> Config:
    """The file's ``# config: select=A,B`` first line, or the default configuration."""
    first_line = text.split("\n", 1)[0].strip()
    match = _CONFIG.match(first_line)
    if match is None:
        if first_line.startswith("# config"):
            raise ValueError(f"malformed config line {first_line!r}")
        return Config()
    return Config(select=tuple(re.split(r"\s*,\s*", match["select"])))


def load(path: Path) -> Fixture:
    source = path.read_bytes()
    text = source.decode("utf-8")
    return Fixture(path, source, parse_markers(text), parse_config(text))


def run(fixture: Fixture) -> list[Diagnostic]:
    return lint_source(fixture.source, path=str(fixture.path), config=fixture.config)


def _listing(pairs: Iterable[tuple[int, str]], lines: list[str]) -> str:
    rows = [f"    {line:4d} {code}  | {_line_text(lines, line)}" for line, code in sorted(pairs)]
    return "\n".join(rows) if rows else "    (none)"


def _line_text(lines: list[str], line: int) -> str:
    return lines[line - 1].strip() if 0 < line <= len(lines) else "<no such line>"


def mismatch_report(
    fixture: Fixture, expected: Counter[tuple[int, str]], actual: Counter[tuple[int, str]]
) -> str:
    lines = fixture.source.decode("utf-8").splitlines()
    missing = expected - actual
    extra = actual - expected
    return "\n".join(
        [
            f"{fixture.name}: findings differ from the # expect: markers",
            f"  missing ({sum(missing.values())}):",
            _listing(missing.elements(), lines),
            f"  extra ({sum(extra.values())}):",
            _listing(extra.elements(), lines),
            f"  expected ({sum(expected.values())}):",
            _listing(expected.elements(), lines),
            f"  actual ({sum(actual.values())}):",
            _listing(actual.elements(), lines),
        ]
    )


def enclosing_function(tree: ast.Module, line: int) -> str | None:
    """Name of the innermost function whose span holds ``line``."""
    best: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        end = node.end_lineno or node.lineno
        if start <= line <= end and (best is None or node.lineno > best.lineno):
            best = node
    return best.name if best is not None else None


def flagged_functions(path: Path, lines: Iterable[int]) -> set[str | None]:
    tree = ast.parse(path.read_bytes(), filename=str(path))
    return {enclosing_function(tree, line) for line in lines}


def top_level_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_bytes(), filename=str(path))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


FIXTURE_PARAMS = [
    pytest.param(path, id=path.relative_to(FIXTURES).as_posix()) for path in fixture_paths()
]
RULE_FIXTURES = [path for path in fixture_paths() if path.parent.name == "rules"]
KNOWN_CODES = {rule.CODE for rule in all_rules()}


# --- the data-driven test ---------------------------------------------------------------


@pytest.mark.parametrize("path", FIXTURE_PARAMS)
def test_fixture_findings_match_markers(path: Path) -> None:
    fixture = load(path)
    diagnostics = run(fixture)
    actual = Counter((d.line, d.code) for d in diagnostics)
    if actual != fixture.expected:
        pytest.fail(mismatch_report(fixture, fixture.expected, actual), pytrace=False)


# --- the seed ports ---------------------------------------------------------------------


def test_before_port_is_flagged_at_exactly_the_seven_broken_paths() -> None:
    diagnostics = run(load(BEFORE))
    functions = flagged_functions(BEFORE, (d.line for d in diagnostics))
    assert functions == set(SEED_BROKEN_PATHS.values()), "\n".join(
        f"{d.line}: {d.code} {d.message}" for d in diagnostics
    )


def test_after_port_has_no_findings() -> None:
    diagnostics = run(load(AFTER))
    assert diagnostics == [], "\n".join(f"{d.line}: {d.code} {d.message}" for d in diagnostics)


# --- the fixtures themselves (independent of the engine) ---------------------------------


def test_fixture_tree_is_complete() -> None:
    assert BEFORE.is_file()
    assert AFTER.is_file()
    codes_with_file = {path.name[:6] for path in RULE_FIXTURES}
    assert codes_with_file == KNOWN_CODES - {"SES000"}


@pytest.mark.parametrize("path", FIXTURE_PARAMS)
def test_fixture_is_valid_python_with_known_codes(path: Path) -> None:
    fixture = load(path)
    ast.parse(fixture.source, filename=str(path))
    unknown = {code for _, code in fixture.expected} - KNOWN_CODES
    assert not unknown, f"unknown codes in markers: {sorted(unknown)}"


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in RULE_FIXTURES])
def test_rule_fixture_shows_its_rule(path: Path) -> None:
    """A rule's file is named after its code, marks at least one finding of it, and keeps
    at least as many valid functions as it has invalid ones (many valid styles too)."""
    code = path.name[:6]
    assert re.fullmatch(_CODE, code), f"{path.name} must start with its code"
    fixture = load(path)
    assert any(marked == code for _, marked in fixture.expected)
    flagged = flagged_functions(path, (line for line, _ in fixture.expected))
    assert None not in flagged, "a marker outside any function"
    tree = ast.parse(fixture.source)
    functions = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert any(name.startswith("valid_") for name in functions)


def test_before_port_markers_sit_in_the_seven_broken_paths() -> None:
    fixture = load(BEFORE)
    marked = flagged_functions(BEFORE, (line for line, _ in fixture.expected))
    assert marked == set(SEED_BROKEN_PATHS.values())
    paths = set(SEED_BROKEN_PATHS.values()) | set(SEED_CORRECT_PATHS.values())
    assert paths <= top_level_functions(BEFORE)
    assert paths <= top_level_functions(AFTER)


def test_after_port_has_no_markers() -> None:
    assert load(AFTER).expected == Counter()
