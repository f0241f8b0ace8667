"""Every Elixir fixture is checked exactly against its ``# expect:`` markers, and the seed's
before/after runtime and its quoted snippets behave as the seed's table says."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from session_lint.config import Config
from session_lint.engine import lint_source
from tests.checker.elixir.support import SEED, elixir_fixtures, expected, fixture_config


@pytest.mark.parametrize("path", elixir_fixtures(), ids=lambda p: p.name)
def test_fixture_findings_are_exactly_the_marked_ones(path: Path) -> None:
    text = path.read_text()
    found = lint_source(text, path=str(path), config=fixture_config(text))
    assert Counter((d.line, d.code) for d in found) == expected(text), found


def test_every_rule_has_an_elixir_fixture_with_findings_and_clean_code() -> None:
    rules = {p.name.split("_", 1)[0]: p for p in elixir_fixtures() if p.parent.name == "rules"}
    assert sorted(rules) == [f"SES00{n}" for n in range(1, 10)]
    for code, path in rules.items():
        text = path.read_text()
        assert {c for _, c in expected(text)} >= {code}
        assert "# clean" in text  # every rule shows code it must not flag


# The seed's table ("Which Call Paths Are Broken"): its seven BROKEN and six CORRECT rows.
BROKEN = [
    "call/4 (atom module)",
    "get_module_attr/3 (string)",
    "get_module_attr/3 (atom)",
    "call_class/4",
    "call_helper/3 (map opts)",
    "call_helper/3 (list opts)",
    "stream/5 (atom module)",
]
CORRECT = [
    "call_dynamic/4 (string module)",
    "call_method/4",
    "get_attr/3",
    "set_attr/4",
    "stream_next/2",
    "release_ref/2",
]
_PATH_COMMENT = re.compile(r"^  # (?P<path>\S+(?: \([^)]*\))?): (?P<status>BROKEN|CORRECT|fixed)$")


def _call_paths(text: str) -> list[tuple[int, str, str]]:
    """(first line, call path, status) of each call path the runtime fixture labels."""
    return [
        (number, match.group("path"), match.group("status"))
        for number, line in enumerate(text.splitlines(), 1)
        if (match := _PATH_COMMENT.match(line))
    ]


def _flagged_paths(path: Path, config: Config) -> set[str]:
    text = path.read_text()
    labels = _call_paths(text)
    flagged = set()
    for diagnostic in lint_source(text, path=str(path), config=config):
        owner = [label for start, label, _ in labels if start < diagnostic.line]
        flagged.add(owner[-1])
    return flagged


def test_seed_before_runtime_is_flagged_in_exactly_the_broken_call_paths() -> None:
    before = SEED / "runtime_before.ex"
    labels = _call_paths(before.read_text())
    assert [label for _, label, status in labels if status == "BROKEN"] == BROKEN
    assert {label for _, label, status in labels if status == "CORRECT"} == set(CORRECT)
    assert _flagged_paths(before, Config()) == set(BROKEN)


@pytest.mark.parametrize("select", [(), ("SES", "SES009")], ids=["default", "strict"])
def test_seed_after_runtime_is_clean(select: tuple[str, ...]) -> None:
    after = SEED / "runtime_after.ex"
    assert {label for _, label, _ in _call_paths(after.read_text())} == {*BROKEN, *CORRECT}
    assert _flagged_paths(after, Config(select=select)) == set()


# ------------------------------------------------------------------ the seed's own snippets

_SNIPPET = re.compile(
    r"\*\*(?P<kind>Current|Fixed) Code:\*\*\n```elixir\n(?P<code>.*?)```", re.DOTALL
)
_ELIDED = "  # ...\nend\n"
# what the seed elides after each snippet: build the payload when the snippet does not,
# route with the session the snippet chose, and dispatch as SnakeBridge does
_COMPLETION = '  runtime_client().execute("snakebridge.call", payload, runtime_opts)\nend\n'
_MODULE = """defmodule SnakeBridge.Runtime do
{snippet}
  defp base_payload(module, function, args, kwargs, idempotent) do
    %{{"python_module" => module, "function" => function, "args" => args, "kwargs" => kwargs}}
    |> maybe_put_session_id(current_session_id())
  end

  defp helper_payload(helper, args, kwargs, idempotent) do
    %{{"helper" => helper, "args" => args, "session_id" => current_session_id()}}
  end

  defp maybe_put_session_id(payload, nil), do: payload
  defp maybe_put_session_id(payload, session_id), do: Map.put(payload, "session_id", session_id)
end
"""


def _completed(code: str) -> str:
    assert code.endswith(_ELIDED), code
    head = code[: -len(_ELIDED)]
    if "payload =" not in head:
        head += '  payload = %{"attr" => attr_name, "session_id" => session_id}\n'
    if "ensure_session_opt" not in head:
        head += "  runtime_opts = ensure_session_opt(runtime_opts, session_id)\n"
    return head + _COMPLETION


def _snippets() -> list[tuple[str, str]]:
    text = (SEED / "seed_steps.md").read_text()
    return [(m.group("kind"), m.group("code")) for m in _SNIPPET.finditer(text)]


def test_the_seed_quotes_every_broken_path_before_and_after() -> None:
    kinds = Counter(kind for kind, _ in _snippets())
    # steps 3-9: six paths with both versions; the map-opts helper only has its fix
    assert kinds == Counter({"Current": 6, "Fixed": 7})


@pytest.mark.parametrize(
    ("kind", "code"), _snippets(), ids=[f"{k}-{i}" for i, (k, _) in enumerate(_snippets())]
)
def test_seed_current_code_is_flagged_and_fixed_code_is_clean(kind: str, code: str) -> None:
    source = _MODULE.format(snippet=_completed(code))
    found = lint_source(source, path="runtime.ex")
    if kind == "Current":
        assert found, source
        assert {d.code for d in found} <= {"SES001", "SES002", "SES003"}
    else:
        assert found == [], (source, found)
