"""Fuzzing with hypothesmith: no program crashes the checker, and a fix always compiles.

Random grammar text almost never holds a dispatch, so on its own it would only exercise
the byte prefilter. The splicing tests therefore put generated code where the engine must
analyse it: around a dispatching module, inside a dispatching function's body, and before
a dispatch at module level (which makes the engine interpret every generated statement).
A byte-level test damages a buggy module (newlines, NULs, cookies, brackets, quotes).

The ``ci`` profile runs a bounded number of examples per test (the whole file in well under
a minute); ``dev`` runs its own default, and ``SESSION_LINT_FUZZ_EXAMPLES=N`` sets any
count, e.g. ``HYPOTHESIS_PROFILE=dev SESSION_LINT_FUZZ_EXAMPLES=5000 pytest
tests/checker/test_fuzz.py``.
"""

from __future__ import annotations

import ast
import os
import textwrap
import warnings
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from session_lint.config import Config
from session_lint.engine import lint_source
from session_lint.fix.api import fix_source
from tests.checker.cli_support import FIXTURES
from tests.checker.strategies import Generated, dispatch_modules

# hypothesmith's own generation compiles candidates, which warns about odd literals
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

_EXAMPLES = os.environ.get("SESSION_LINT_FUZZ_EXAMPLES")
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")


def budget(ci_examples: int) -> settings:
    """``ci_examples`` under the ``ci`` profile, the profile's own count otherwise, or what
    ``SESSION_LINT_FUZZ_EXAMPLES`` asks for."""
    if _EXAMPLES:
        count = int(_EXAMPLES)
    elif _PROFILE == "ci":
        count = ci_examples
    else:
        count = settings.default.max_examples
    return settings(
        max_examples=count,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


# every opt-in rule on, so that their code paths are fuzzed too
ALL_RULES = Config(select=("SES",))


def _compiles(source: str | bytes) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(source, "<fuzz>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def check_never_crashes(source: str) -> None:
    """Lint and fix never raise; a fix of compilable code compiles, keeps its text type
    and settles."""
    for config in (Config(), ALL_RULES):
        found = lint_source(source, path="fuzz.py", config=config)
        lint_source(source.encode("utf-8", "surrogatepass"), path="fuzz.py", config=config)
    if currently_in_test_context():
        unparsable = [d.message.split(":")[1].strip() for d in found if d.code == "SES000"]
        event(f"SES000: {unparsable[0]}" if unparsable else f"findings: {bool(found)}")
    fixed = fix_source(source, path="fuzz.py", config=ALL_RULES, unsafe=True)
    assert isinstance(fixed, str)
    if _compiles(source):
        assert _compiles(fixed), f"the fix broke compilable code:\n{source}\n---\n{fixed}"
        assert fix_source(fixed, path="fuzz.py", config=ALL_RULES, unsafe=True) == fixed


# ----------------------------------------------------------------------------- snippets

MODULE_DISPATCH = (
    "from runtime import current_session_id, resolve_session_id\n"
    "sid = current_session_id()\n"
    'client.execute("t", {"session_id": sid}, {"session_id": sid})\n'
)

FUNCTION_DISPATCH = (
    "from runtime import current_session_id\n"
    "def f(client):\n"
    '    return client.execute("t", {"session_id": current_session_id()}, {})\n'
)


def _fixture_functions() -> list[str]:
    """Every dispatching function of the rule fixtures, each with its file's imports."""
    snippets = []
    for path in sorted((FIXTURES / "rules").glob("SES*.py")):
        source = path.read_text()
        tree = ast.parse(source)
        imports = "".join(
            f"{ast.get_source_segment(source, node)}\n"
            for node in tree.body
            if isinstance(node, ast.Import | ast.ImportFrom)
        )
        for node in tree.body:
            segment = ast.get_source_segment(source, node) or ""
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "execute" in segment:
                snippets.append(f"{imports}\n\n{segment}\n")
    return snippets


FIXTURE_FUNCTIONS = _fixture_functions()


@st.composite
def dispatching_modules(draw: st.DrawFn) -> Generated:
    """A generated dispatch module, or one fixture function made to look like one."""
    if draw(st.booleans()):
        return draw(dispatch_modules())
    snippet = draw(st.sampled_from(FIXTURE_FUNCTIONS))
    name = snippet.split("def ", 1)[1].split("(", 1)[0]
    return Generated(snippet, buggy=False, function=name)


def _indent(code: str, prefix: str) -> str:
    return "".join(prefix + line if line.strip() else line for line in code.splitlines(True))


def into_function(generated: Generated, code: str, at_end: bool) -> str:
    """``code`` as the first (or last but the return) statements of the dispatching
    function; the function then dispatches after running it."""
    lines = generated.source.splitlines(True)
    start, end = generated.function_span()
    body = [i for i in range(start, end) if lines[i].strip()]
    if not body:
        return generated.source
    where = body[-1] if at_end else body[0]
    indent = lines[where][: len(lines[where]) - len(lines[where].lstrip())]
    lines.insert(where, _indent(code, indent) + "\n")
    return "".join(lines)


# ----------------------------------------------------------------------------- tests


@budget(ci_examples=150)
@given(hypothesmith.from_grammar())
@example("match x:\n    case 1:\n        pass\n" + FUNCTION_DISPATCH)  # a module-level match
def test_grammar_text(source: str) -> None:
    check_never_crashes(source)


@budget(ci_examples=40)
@given(hypothesmith.from_node())
def test_libcst_nodes(source: str) -> None:
    check_never_crashes(source)


@budget(ci_examples=100)
@given(hypothesmith.from_grammar(), dispatching_modules(), st.booleans())
def test_generated_code_around_a_dispatching_module(
    code: str, generated: Generated, code_first: bool
) -> None:
    parts = [code, generated.source] if code_first else [generated.source, code]
    check_never_crashes("\n".join(parts))


@budget(ci_examples=100)
@given(hypothesmith.from_grammar(), dispatching_modules(), st.booleans())
def test_generated_code_inside_a_dispatching_function(
    code: str, generated: Generated, at_end: bool
) -> None:
    check_never_crashes(into_function(generated, code, at_end))


@budget(ci_examples=70)
@given(hypothesmith.from_grammar())
def test_generated_module_with_a_module_level_dispatch(code: str) -> None:
    # a module-level dispatch makes the engine interpret the whole generated module
    check_never_crashes(f"{code}\n{MODULE_DISPATCH}")
    check_never_crashes(f"{MODULE_DISPATCH}{code}\n{MODULE_DISPATCH}")


@budget(ci_examples=40)
@given(hypothesmith.from_node(cst.FunctionDef), dispatching_modules())
def test_generated_functions_next_to_a_dispatch(function: str, generated: Generated) -> None:
    check_never_crashes(generated.source + "\n\n" + function)
    body = textwrap.dedent(function)
    check_never_crashes(into_function(generated, body, at_end=False))


# byte-level damage to a buggy module: newline styles, form feeds, NULs, undecodable
# bytes, BOMs, cookies, unbalanced brackets and quotes, new syntax, stray control bytes
_PIECES = [
    *(b"\r", b"\r\n", b"\x0c", b"\t", b"\x00", b"\xff", b"\xef\xbb\xbf", b"\\", b"\x1b"),
    *(b"'", b'"', b'"""', b"(", b")", b"[", b"]", b"{", b"}", b":", b"=", b":=", b"@"),
    *(b"\n", b"\n    ", b" ", b"#", b"# coding: latin-1\n", b"\xe9", "\u00e9\u2028".encode()),
    *(b"lambda:", b"not ", b"await ", b"yield", b"*", b"**", b"async ", b"f'{", b"}'", b"t'"),
    b"match x:\n case 1:\n  pass\n",
]
_BUGGY = (
    b"from runtime import current_session_id\n\n\n"
    b"def f(client, runtime_opts):\n"
    b"    sid = current_session_id()\n"
    b'    payload = {"session_id": sid}\n'
    b'    return client.execute("t", payload, {"session_id": sid})\n'
)


@st.composite
def damaged_modules(draw: st.DrawFn) -> bytes:
    data = bytearray(_BUGGY)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        piece = draw(st.sampled_from(_PIECES) | st.binary(min_size=1, max_size=4))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        if action == "insert":
            data[at:at] = piece
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        else:
            data[at : at + len(piece)] = piece
    return bytes(data)


@budget(ci_examples=120)
@given(damaged_modules())
def test_damaged_bytes(source: bytes) -> None:
    for config in (Config(), ALL_RULES):
        lint_source(source, path="fuzz.py", config=config)
    fixed = fix_source(source, path="fuzz.py", config=ALL_RULES, unsafe=True)
    assert isinstance(fixed, bytes)
    if fixed != source and _compiles(source):
        assert _compiles(fixed), f"the fix broke compilable code:\n{source!r}\n---\n{fixed!r}"


def test_fixture_files_survive_the_fuzz_checks() -> None:
    # the whole fixture files, as a baseline the spliced examples build on
    for path in sorted(Path(FIXTURES).rglob("*.py")):
        check_never_crashes(path.read_text())
