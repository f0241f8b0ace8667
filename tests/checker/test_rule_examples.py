"""Every rule's own VALID and INVALID examples, checked through the engine.

The examples live on the rule classes (they are also the ``--explain`` docs), so this one
parametrized test keeps docs and behaviour together: a VALID example gets no diagnostic of
its rule's code, an INVALID one gets exactly the lines it declares. Each example is checked
with its rule selected explicitly, so opt-in rules run too.
"""

from __future__ import annotations

import pytest

from session_lint.config import Config
from session_lint.engine import lint_source
from session_lint.registry import all_rules
from session_lint.rule import Invalid, Rule, Valid
from session_lint.types import Diagnostic

UNPARSABLE = "SES000"


def _examples() -> list[object]:
    params: list[object] = []
    for rule in all_rules():
        if rule.CODE == UNPARSABLE:
            continue
        for index, valid in enumerate(rule.VALID):
            params.append(pytest.param(rule, valid, id=f"{rule.CODE}-VALID-{index}"))
        for index, invalid in enumerate(rule.INVALID):
            params.append(pytest.param(rule, invalid, id=f"{rule.CODE}-INVALID-{index}"))
    return params


def _lint(rule: type[Rule], code: str) -> list[Diagnostic]:
    diagnostics = lint_source(
        code, path=f"<{rule.CODE} example>", config=Config(select=(rule.CODE,))
    )
    unparsable = [d for d in diagnostics if d.code == UNPARSABLE]
    assert not unparsable, f"the example does not parse: {unparsable}"
    return diagnostics


def _numbered(code: str) -> str:
    return "\n".join(f"{n:3d}  {line}" for n, line in enumerate(code.splitlines(), start=1))


def _describe(diagnostics: list[Diagnostic]) -> str:
    return (
        "\n".join(f"  {d.line}:{d.column} {d.code} {d.message}" for d in diagnostics) or "  (none)"
    )


@pytest.mark.parametrize(("rule", "example"), _examples())
def test_rule_example(rule: type[Rule], example: Valid | Invalid) -> None:
    diagnostics = _lint(rule, example.code)
    lines = {d.line for d in diagnostics if d.code == rule.CODE}
    expected = set(example.lines) if isinstance(example, Invalid) else set()
    assert lines == expected, (
        f"{rule.CODE} lines {sorted(lines)} != expected {sorted(expected)}\n"
        f"{_numbered(example.code)}\ndiagnostics:\n{_describe(diagnostics)}"
    )


def test_every_rule_but_ses000_has_invalid_examples() -> None:
    for rule in all_rules():
        if rule.CODE != UNPARSABLE:
            assert rule.INVALID, rule.CODE
            assert all(case.lines for case in rule.INVALID), rule.CODE


# The text holds a sink and a session key, so it cannot be skipped as finding-free unparsed.
_BROKEN = 'def call(client:\n    return client.execute("t", {"session_id": sid}, {})\n'


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(_BROKEN, id="syntax-error-str"),
        pytest.param(_BROKEN.encode(), id="syntax-error-bytes"),
        pytest.param(
            b"# -*- coding: utf-8 -*-\n"
            b'def call(client):\n    return client.execute("t", {"session_id": "\xff"}, {})\n',
            id="undecodable-bytes",
        ),
    ],
)
def test_unparsable_source_gives_exactly_one_ses000(source: str | bytes) -> None:
    diagnostics = lint_source(source, path="broken.py")
    assert [d.code for d in diagnostics] == [UNPARSABLE], _describe(diagnostics)
    assert diagnostics[0].path == "broken.py"
    assert diagnostics[0].line >= 1
