"""JSON, SARIF 2.1.0 and GitHub outputs, from the real command."""

from __future__ import annotations

import json

from session_lint.output.github import render as github
from session_lint.registry import all_rules
from session_lint.types import Diagnostic
from tests.checker.cli_support import EMPTY_CONFIG, FIXTURES, ROOT, session_lint

RULES = FIXTURES / "rules"


def test_json_has_the_spec_keys_sorted_then_name_url_and_fix() -> None:
    result = session_lint("--format", "json", "--config", EMPTY_CONFIG, str(RULES), cwd=ROOT)
    rows = json.loads(result.stdout)
    assert rows, "the rule fixtures hold findings"
    keys = ["path", "line", "column", "end_line", "end_column", "code", "message"]
    assert all(list(row) == [*keys, "name", "url", "fix"] for row in rows)
    order = [(row["path"], row["line"], row["column"]) for row in rows]
    assert order == sorted(order)
    assert all(row["line"] >= 1 and row["column"] >= 1 for row in rows)


def test_json_is_an_empty_array_when_clean(tmp_path: str) -> None:
    result = session_lint("--format", "json", str(FIXTURES / "after"))
    assert result.returncode == 0 and json.loads(result.stdout) == []


def test_sarif_structure() -> None:
    result = session_lint("--format", "sarif", "--config", EMPTY_CONFIG, "fixtures/rules", cwd=ROOT)
    document = json.loads(result.stdout)
    assert document["version"] == "2.1.0" and "sarif-2.1.0" in document["$schema"]
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "session-lint" and driver["version"]
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == [rule.CODE for rule in all_rules()]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and "## Fix safety" in rule["help"]["markdown"]
    assert run["results"]
    for item in run["results"]:
        assert driver["rules"][item["ruleIndex"]]["id"] == item["ruleId"]
        assert item["level"] in {"error", "warning", "note"} and item["message"]["text"]
        location = item["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].startswith("fixtures/rules/")
        region = location["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) >= (
            region["startLine"],
            region["startColumn"],
        )


def test_github_annotations() -> None:
    result = session_lint(
        "--format", "github", "--config", EMPTY_CONFIG, "fixtures/before", cwd=ROOT
    )
    lines = result.stdout.splitlines()
    assert lines and all(line.startswith("::error title=session-lint (SES") for line in lines)
    assert ",file=fixtures/before/runtime_before.py,line=" in lines[0]


def test_github_escapes_properties_and_data() -> None:
    diagnostic = Diagnostic("a,b:c.py", 1, 2, 1, 3, "SES001", "100% wrong\nreally")
    assert github([diagnostic]) == (
        "::error title=session-lint (SES001),file=a%2Cb%3Ac.py,line=1,col=2,endLine=1,"
        "endColumn=3::SES001 100%25 wrong%0Areally\n"
    )
