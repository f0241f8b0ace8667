"""The README's headline example, with its builder in a sibling module, is flagged as the
README shows by the CLI and by flake8, its fix is the README's "after", which is clean;
the project-mode configuration snippet works as documented."""

from __future__ import annotations

import re
from pathlib import Path

from tests.checker.cli_support import ROOT, flake8, session_lint
from tests.checker.project_support import CALLER, PAYLOADS, reported, write_project

README = (ROOT / "README.md").read_text()


def _section(heading: str) -> str:
    return README.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def _headline(tmp_path: Path) -> tuple[Path, str, str, set[tuple[int, int, str]]]:
    payloads, before, after = _blocks(_section("## The bug class"), "python")[:3]
    (shown,) = _blocks(_section("## The bug class"), "text")
    assert payloads.startswith("# bridge/payloads.py")
    project = write_project(
        tmp_path / "readme",
        {
            "pyproject.toml": "",
            "bridge/__init__.py": "",
            "bridge/payloads.py": payloads,
            "bridge/calls.py": before,
        },
    )
    return project, before, after, reported(shown, "calls.py")


def test_the_headline_before_is_flagged_as_shown(tmp_path: Path) -> None:
    project, _, _, shown = _headline(tmp_path)
    assert {code for _, _, code in shown} == {"SES002", "SES003"}
    by_cli = session_lint("bridge/calls.py", cwd=project)
    assert by_cli.returncode == 1
    assert reported(by_cli.stdout, "calls.py") == shown, by_cli.stdout
    assert "`bridge.payloads.base_payload()`" in by_cli.stdout
    by_flake8 = flake8("--select", "SES", "bridge/calls.py", cwd=project)
    assert reported(by_flake8.stdout, "calls.py") == shown, by_flake8.stdout + by_flake8.stderr


def test_the_headline_fix_is_the_after_and_it_is_clean(tmp_path: Path) -> None:
    project, _, after, _ = _headline(tmp_path)
    calls = project / "bridge" / "calls.py"
    assert session_lint("--fix", "bridge/calls.py", cwd=project).returncode == 0
    # the first comment line and the README's finding markers aside, what --fix writes
    body = re.sub(r" +# SES\d{3}:.*", "", calls.read_text()).split("\n", 1)[1]
    assert body == after.split("\n", 1)[1]
    calls.write_text(after)
    assert session_lint("bridge/calls.py", cwd=project).returncode == 0
    assert flake8("--select", "SES", "bridge/calls.py", cwd=project).returncode == 0


def test_the_project_mode_snippet(tmp_path: Path) -> None:
    (snippet,) = _blocks(_section("### Project mode and the summary cache"), "toml")
    project = write_project(
        tmp_path / "lib-layout",
        {
            "pyproject.toml": snippet,
            "lib/bridge/__init__.py": "",
            "lib/bridge/payloads.py": PAYLOADS,
            "scripts/call.py": CALLER.format(module="bridge.payloads"),
        },
    )
    result = session_lint("scripts/call.py", cwd=project)
    assert reported(result.stdout, "call.py") == {(7, 15, "SES002")}, result.stdout
    assert (project / "build" / "session-lint-cache" / "CACHEDIR.TAG").is_file()
