"""Docs come from the rules: the README's table must match the registry."""

from __future__ import annotations

from pathlib import Path

from session_lint.registry import all_rules, rule_for

README = Path(__file__).resolve().parents[2] / "README.md"


def rule_row(code: str) -> str:
    rule = rule_for(code)
    assert rule is not None
    fix = "no" if rule.FIX == "never" else "yes"
    default = "yes" if rule.DEFAULT_ENABLED else "opt-in"
    return f"| `{rule.CODE}` | {rule.NAME} | {rule.summary()} | {fix} | {default} |"


def test_readme_rules_table_matches_the_registry() -> None:
    rows = [line for line in README.read_text().splitlines() if line.startswith("| `SES")]
    assert rows == [rule_row(rule.CODE) for rule in all_rules()]


def test_every_rule_documents_its_sections() -> None:
    for rule in all_rules():
        text = rule.explain()
        for section in ("## What it does", "## Why is this bad?", "## Fix safety"):
            assert section in text, (rule.CODE, section)
        if rule.INVALID:
            assert "## Example" in text and "## Use instead" in text, rule.CODE
