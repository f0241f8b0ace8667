"""Selective parsing: libcst gets only the functions that can matter, and the diagnostics
are exactly a full parse's (positions, messages, fixes, noqa) on every fixture, on the
runtime package, on a sample of the standard library and on generated modules.

``SESSION_LINT_FULL_PARSE=1`` is the switch that forces whole-file parsing: each
differential test checks one text both ways. Work is counted (bodies handed to libcst,
characters kept, whole-file parses), never timed.
"""

from __future__ import annotations

import ast
import os
import sysconfig
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import hypothesmith
import libcst as cst
import pytest
from hypothesis import given
from hypothesis import strategies as st

from session_lint import engine
from session_lint.config import DEFAULT_CONFIG, Config
from session_lint.engine import Checked, check_selected, lint_source
from session_lint.fix.api import fix_source
from session_lint.flow import selective
from session_lint.prefilter import prefilter_for
from session_lint.shapes import Place, SinkShape
from session_lint.types import Diagnostic
from tests.checker.shape_strategies import SHAPED, ShapedDispatch, shaped_dispatches
from tests.checker.strategies import Generated, dispatch_modules
from tests.checker.test_fixtures import fixture_paths, load
from tests.checker.test_fuzz import budget, dispatching_modules, into_function
from tests.checker.test_scaling import SMALL_DISPATCH

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

ROOT = Path(__file__).resolve().parents[2]
# the benchmark's worst case: one small clean dispatch appended to a module
CLEAN_DISPATCH = "\n" + SMALL_DISPATCH.format(i=0)
BUGGY_DISPATCH = """

def _appended_dispatch(client, function, runtime_opts):
    payload = {"function": function, "session_id": current_session_id()}
    return client.execute("snakebridge.call", payload, runtime_opts)
"""


@contextmanager
def full_parsing() -> Iterator[None]:
    before = os.environ.get(selective.FULL_PARSE_VARIABLE)
    os.environ[selective.FULL_PARSE_VARIABLE] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ[selective.FULL_PARSE_VARIABLE]
        else:
            os.environ[selective.FULL_PARSE_VARIABLE] = before


Outcome = list[tuple[object, ...]]


def _outcome(diagnostics: list[Diagnostic]) -> Outcome:
    return [
        (d.path, d.line, d.column, d.end_line, d.end_column, d.code, d.message, d.fix)
        for d in diagnostics
    ]


def assert_same_both_ways(
    source: str | bytes, path: str = "module.py", config: Config = DEFAULT_CONFIG
) -> Outcome:
    """The diagnostics (with and without noqa) and the fix are a full parse's, whatever
    share of the file narrowing keeps (the engine narrows only a small share, but the
    narrowed analysis must agree wherever it runs)."""
    saved, engine.WORTH_NARROWING = engine.WORTH_NARROWING, 1.0
    try:
        selected = [_outcome(lint_source(source, path, config, honour_noqa=h)) for h in (1, 0)]
        fixed = fix_source(source, path, config, unsafe=True)
    finally:
        engine.WORTH_NARROWING = saved
    with full_parsing():
        full = [_outcome(lint_source(source, path, config, honour_noqa=h)) for h in (1, 0)]
        fixed_full = fix_source(source, path, config, unsafe=True)
    assert selected == full, source
    assert fixed == fixed_full, source
    return selected[1]


def _narrowed(source: str | bytes, config: Config = DEFAULT_CONFIG) -> Checked:
    checked = check_selected(source, "module.py", config, honour_noqa=True)
    assert isinstance(checked, Checked)
    return checked


def _selection(source: str, config: Config = DEFAULT_CONFIG) -> selective.Selection | None:
    return selective.select(source, ast.parse(source), prefilter_for(config))


def _kept_text(source: str) -> str:
    """The text libcst is handed for ``source`` (which must be narrowed)."""
    selection = _selection(source)
    assert selection is not None
    return str(selection.text)


# ----------------------------------------------------------------------------- counting

UNRELATED = "".join(
    f"def unrelated_{i}(value, *rest):\n"
    f'    """Document {i}."""\n'
    f"    total = sum(rest) + value * {i}\n"
    f"    return [total for _ in range({i})]\n\n\n"
    for i in range(40)
)
REACHED = """
from runtime import current_session_id, resolve_session_id

TAG = "t"


def build_payload(function):
    return {"function": function, "tag": TAG}


make = build_payload


class Sender:
    def __init__(self, client):
        self.client = client

    def opts(self, runtime_opts):
        return {**runtime_opts}

    def unrelated_method(self):
        return [x for x in range(3)]

    def send(self, function, runtime_opts):
        sid = resolve_session_id(runtime_opts)
        payload = {**make(function), "session_id": sid}
        return self.client.execute("call", payload, {**self.opts(runtime_opts), "session_id": sid})
"""


def test_one_dispatching_function_among_many_hands_libcst_one_body() -> None:
    source = UNRELATED + CLEAN_DISPATCH
    selection = _selection(source)
    assert selection is not None
    assert (selection.kept_functions, selection.blanked_functions) == (1, 40)
    assert selection.kept_characters < len(source) // 2
    checked = _narrowed(source)
    assert checked.narrowed and checked.module.code == selection.text
    # what libcst built: the dispatch is its one function; the others are blank text
    functions = [n for n in checked.module.body if isinstance(n, cst.FunctionDef)]
    assert [n.name.value for n in functions] == ["call_0"]


def test_what_a_dispatch_reaches_by_name_is_kept() -> None:
    source = UNRELATED + REACHED
    selection = _selection(source)
    assert selection is not None
    # send (the dispatch), opts (self.opts) and build_payload (through the binding
    # `make = build_payload`); not the 40 functions, __init__ nor the unrelated method
    assert (selection.kept_functions, selection.blanked_functions) == (3, 42)
    text = str(selection.text)
    assert 'return {"function": function, "tag": TAG}' in text
    assert "range(3)" not in text
    assert_same_both_ways(source)


def test_a_class_nothing_reaches_is_blanked_whole() -> None:
    classes = (
        "class Unreached(Base):\n    x = 1\n\n    def m(self):\n        return 2\n\n\n"
        "class Holder:\n    y = 3\n\n    def other(self):\n        return 4\n\n"
        "    def send(self, client, runtime_opts):\n"
        "        sid = resolve_session_id(runtime_opts)\n"
        '        return client.execute("t", {"session_id": sid}, {"session_id": sid})\n'
    )
    source = "from runtime import resolve_session_id\n" + classes
    selection = _selection(source)
    assert selection is not None
    assert (selection.kept_functions, selection.blanked_functions) == (1, 2)
    text = str(selection.text)
    assert "Unreached" not in text and "x = 1" not in text
    assert "class Holder:" in text and "y = 3" in text and "return 4" not in text
    assert_same_both_ways(source)


def test_module_level_values_nothing_reads_are_blanked() -> None:
    tables = (
        "TABLE = {\n    'a': [1, 2, 3],\n    'b': (4, 5),\n}\n"
        "OPTIONS = {'retries': 3}\n"
        "KEYED = {'session_id': 1}\n"
        "KEY = 'session_id'\n"
    )
    send = (
        "def send(client, runtime_opts):\n"
        "    sid = resolve_session_id(runtime_opts)\n"
        '    return client.execute("t", {KEY: sid, **OPTIONS}, {"session_id": sid})\n'
    )
    source = "from runtime import resolve_session_id\n" + tables + UNRELATED + send
    text = _kept_text(source)
    assert "[1, 2, 3]" not in text and text.count("\n") == source.count("\n")
    assert "OPTIONS = {'retries': 3}" in text  # read by the dispatch
    assert "KEYED = {'session_id': 1}" in text  # names a needle
    assert "KEY = 'session_id'" in text  # a key constant
    assert_same_both_ways(source)


def test_a_needle_in_a_docstring_a_comment_or_prose_is_no_mention() -> None:
    prose = (
        "def documented():\n"
        '    """Execute the call; the session_id comes later."""\n'
        "    return 1  # client.execute(...) is not called here\n\n\n"
        "def helpful(parser):\n"
        "    parser.add_argument('--run', help='the program to execute')\n\n\n"
    )
    named = (
        "def keyed(value):\n    return {'session_id': value}\n\n\n"
        "def keyword(call):\n    return call(execute=True)\n\n\n"
        "def attribute(client):\n    return client.execute\n\n\n"
    )
    source = "from runtime import resolve_session_id\n" + prose + named + CLEAN_DISPATCH
    text = _kept_text(source)
    assert "def documented" not in text and "def helpful" not in text
    assert all(f"def {name}" in text for name in ("keyed", "keyword", "attribute", "call_0"))
    assert_same_both_ways(source)


def test_values_nothing_reads_are_blanked_when_every_function_is_kept() -> None:
    table = "TABLE = {\n" + "".join(f"    'k{i}': [{i}, {i + 1}],\n" for i in range(50)) + "}\n"
    source = "from runtime import resolve_session_id\n" + table + CLEAN_DISPATCH
    selection = _selection(source)
    assert selection is not None and selection.blanked_functions == 0
    assert "'k7'" not in str(selection.text)
    assert selection.kept_characters < len(source) // 2
    assert_same_both_ways(source)


def test_a_name_imported_in_another_function_keeps_that_function() -> None:
    # the index's import table spans the module: `cur` is the ambient getter for `send` too
    lazy = "def lazy():\n    from runtime import current_session_id as cur\n    return cur\n\n\n"
    send = (
        "def send(client, runtime_opts):\n"
        '    return client.execute("t", {"session_id": cur()}, runtime_opts)\n'
    )
    source = UNRELATED + lazy + send
    selection = _selection(source)
    assert selection is not None and selection.kept_functions == 2
    found = assert_same_both_ways(source)
    assert [row[5] for row in found] == ["SES001"]


def test_a_sink_imported_under_another_name_keeps_the_function_calling_it() -> None:
    post = SinkShape(
        "requests.post", call=True, payload=Place(keyword="json"), routing=Place(keyword="headers")
    )
    config = Config(sink=(post,))
    source = (
        "from requests import post as send\n"
        "from runtime import current_session_id\n\n\n"
        + UNRELATED
        + "def payload():\n    return {'session_id': current_session_id()}\n\n\n"
        "def go(url):\n    return send(url, json=payload(), headers={})\n"
    )
    selection = _selection(source, config)
    assert selection is not None and selection.kept_functions == 2
    found = assert_same_both_ways(source, config=config)
    assert [row[5] for row in found] == ["SES002"]


def test_a_buggy_dispatch_among_many_is_reported_as_a_full_parse_does() -> None:
    source = UNRELATED + "from runtime import current_session_id\n" + BUGGY_DISPATCH
    found = assert_same_both_ways(source)
    assert [row[5] for row in found] == ["SES001"]
    suppressed = source.replace("id()}\n", "id()}  # noqa: SES001\n")
    assert lint_source(suppressed) == []
    assert_same_both_ways(suppressed)


def test_only_a_file_with_a_finding_is_parsed_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    whole: list[int] = []
    real = engine.parse_module

    def counting(source: str | bytes) -> cst.Module:
        whole.append(len(source))
        return real(source)

    monkeypatch.setattr(engine, "parse_module", counting)
    clean = UNRELATED + CLEAN_DISPATCH
    assert fix_source(clean) == clean
    assert lint_source(clean) == []
    assert whole == []
    buggy = "from runtime import current_session_id, resolve_session_id\n" + UNRELATED
    buggy += BUGGY_DISPATCH
    assert fix_source(buggy) != buggy
    assert whole and all(size >= len(buggy) for size in whole)


def test_a_file_mostly_of_dispatching_code_is_parsed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[int] = []
    for name in ("parse_checked", "parse_module"):
        real = getattr(engine, name)

        def counting(source: str | bytes, real: Any = real) -> cst.Module:
            parsed.append(len(source))
            return real(source)

        monkeypatch.setattr(engine, name, counting)
    buggy = "from runtime import current_session_id\n" + BUGGY_DISPATCH
    buggy += "\n\ndef tiny():\n    return 1\n"  # blankable, but a small share of the file
    assert _selection(buggy) is not None
    assert [d.code for d in lint_source(buggy)] == ["SES001"]
    assert parsed == [len(buggy)]  # narrowing would keep most, then parse it whole again
    parsed.clear()
    mostly_other = UNRELATED + buggy
    assert [d.code for d in lint_source(mostly_other)] == ["SES001"]
    assert len(parsed) == 2 and parsed[0] < len(mostly_other) == parsed[1]


@pytest.mark.parametrize(
    "body",
    [
        "def f(a): return a\n",
        "def f(a): a\n",
        "def f(a):\n    x = 1; y = 2;\n    return x  # a comment\n",
        "def f(a):  # c\n    '''doc\n    string'''\n    return f'''{a}\n    {a!r:>{3}}'''\n",
        "def f(a):\n\tif a:\n\t\treturn (1,\n\t\t  2)\n\treturn \\\n\t\t3\n",
        "@decorator(\n    1)\ndef f(a, b=(1,\n 2)) -> int:\n"
        "    @wraps(a)\n    def g():\n        return 1\n    return g()\n",
        "async def f(a):\n    async with a as b:\n        return b\n",
        "def f(a):\n    return 'é' + \"ü\"  # ünïcode\nvalue = 'ö'; other = 1\n",
        "class C:\n    def m(self): return 1\n    x = m\n",
        "def f(a):\n    return a \\\n\n",
        "if True:\n    def f(a):\n        return a\nelse:\n    def f(a): return 2\n",
    ],
)
def test_awkward_bodies_blank_without_moving_anything(body: str) -> None:
    for newline in ("\n", "\r\n"):
        source = (body + "\n" + CLEAN_DISPATCH).replace("\n", newline)
        selection = _selection(source)
        if selection is not None:
            ast.parse(selection.text)
            kept = str(selection.text).split(newline)
            original = source.split(newline)
            assert len(kept) == len(original)
            assert kept[-4:] == original[-4:]  # the dispatch, where it was
        assert_same_both_ways(source)
        for prefix in (b"", b"\xef\xbb\xbf", b"# -*- coding: latin-1 -*-\n"):
            encoding = "latin-1" if b"latin" in prefix else "utf-8"
            assert_same_both_ways(prefix + source.encode(encoding, "replace"))


def test_module_level_dispatch_and_opt_in_builders_parse_everything() -> None:
    module_level = UNRELATED + "client.execute('t', {}, {})\n"
    assert _selection(module_level) is None
    builders = Config(select=("SES", "SES008"))
    assert not _narrowed(UNRELATED + CLEAN_DISPATCH, builders).narrowed


# ----------------------------------------------------------------------------- differential


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_fixtures_diagnose_alike(path: Path) -> None:
    fixture = load(path)
    assert_same_both_ways(fixture.source, str(path), fixture.config)


RUNTIME_FILES = sorted((ROOT / "runtime").rglob("*.py"))


@pytest.mark.parametrize("path", RUNTIME_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_runtime_package_diagnoses_alike(path: Path) -> None:
    assert_same_both_ways(path.read_bytes(), str(path))


def _stdlib_sample() -> list[Path]:
    """Every seventh top-level standard-library module under 40 KB: a deterministic
    sample of real code in every style (sorted, so the same on every machine)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    small = [p for p in sorted(root.glob("*.py")) if p.stat().st_size < 40_000]
    return small[::7]


STDLIB_SAMPLE = _stdlib_sample()


@pytest.mark.parametrize("path", STDLIB_SAMPLE, ids=lambda p: p.name)
def test_stdlib_modules_with_a_dispatch_diagnose_alike(path: Path) -> None:
    data = path.read_bytes()
    assert_same_both_ways(data + CLEAN_DISPATCH.encode(), path.name)
    found = assert_same_both_ways(data + BUGGY_DISPATCH.encode(), path.name)
    assert [row[5] for row in found] == ["SES001"]


def test_the_stdlib_sample_is_mostly_narrowed() -> None:
    # the differential tests above would prove nothing if nothing were blanked
    narrowed = [
        _narrowed(path.read_bytes() + CLEAN_DISPATCH.encode()).narrowed for path in STDLIB_SAMPLE
    ]
    assert len(STDLIB_SAMPLE) >= 15
    assert sum(narrowed) >= len(narrowed) * 3 // 4


FEW_UNRELATED = UNRELATED[: UNRELATED.index("def unrelated_5(")]


@budget(ci_examples=40)
@given(dispatch_modules())
def test_generated_dispatches_diagnose_alike(generated: Generated) -> None:
    assert_same_both_ways(FEW_UNRELATED + generated.source)
    assert_same_both_ways(generated.source + REACHED)


@budget(ci_examples=60)
@given(hypothesmith.from_grammar(), dispatching_modules(), st.booleans())
def test_generated_code_around_a_dispatch_diagnoses_alike(
    code: str, generated: Generated, code_first: bool
) -> None:
    parts = [code, generated.source] if code_first else [generated.source, code]
    assert_same_both_ways("\n".join(parts))


@budget(ci_examples=40)
@given(hypothesmith.from_node(cst.FunctionDef), dispatching_modules(), st.booleans())
def test_generated_functions_next_to_and_inside_a_dispatch_diagnose_alike(
    function: str, generated: Generated, inside: bool
) -> None:
    if inside:
        assert_same_both_ways(into_function(generated, function, at_end=False))
    else:
        assert_same_both_ways(function + "\n\n" + generated.source + "\n\n" + function)


@budget(ci_examples=40)
@given(shaped_dispatches())
def test_generated_dispatch_shapes_diagnose_alike(generated: ShapedDispatch) -> None:
    # sink tables, call sinks, carriers, ambient attributes, ContextVars, environment
    assert_same_both_ways(FEW_UNRELATED + generated.source, config=SHAPED)
