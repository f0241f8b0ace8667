"""Project mode: builders, wrappers, constants and classes imported from other modules of
the checked file's project, the same through every entry point, and the summary cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from session_lint import lint_paths
from session_lint.engine import lint_source
from session_lint.flow.project_summaries import forget_projects, project_summaries_made
from tests.checker.cli_support import flake8, session_lint
from tests.checker.project_support import (
    CALLER,
    PAYLOADS,
    PAYLOADS_FIXED,
    SHOP,
    expected,
    lines_and_codes,
    reported,
    write_project,
)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    forget_projects()
    return write_project(tmp_path / "shop-project", SHOP)


def _lint(file: Path) -> set[tuple[int, str]]:
    return lines_and_codes(lint_source(file.read_bytes(), path=str(file)))


def test_imported_builders_wrappers_constants_and_mixins_are_followed(shop: Path) -> None:
    calls = shop / "shop" / "calls.py"
    assert _lint(calls) == expected(calls)


def test_without_a_file_the_imported_names_stay_opaque(shop: Path) -> None:
    # the same text with no path: only what the module shows itself is found
    calls = shop / "shop" / "calls.py"
    alone = lines_and_codes(lint_source(calls.read_bytes()))
    assert alone < expected(calls)
    assert (17, "SES002") not in alone and (37, "SES002") not in alone


def test_messages_name_the_builder_and_its_module(shop: Path) -> None:
    calls = shop / "shop" / "calls.py"
    messages = {d.line: d.message for d in lint_source(calls.read_bytes(), path=str(calls))}
    assert "`shop.payloads.base_payload()`" in messages[17]
    assert "`shop.builders.build()`" in messages[37]
    assert "`shop.cycle_b.builder()`" in messages[43]


def test_src_layout_and_namespace_package(tmp_path: Path) -> None:
    caller = CALLER
    src = write_project(
        tmp_path / "src-layout",
        {
            "pyproject.toml": "",
            "src/app/__init__.py": "",
            "src/app/payloads.py": PAYLOADS,
            "src/app/calls.py": caller.format(module="app.payloads"),
        },
    )
    namespace = write_project(
        tmp_path / "namespace",
        {
            "setup.cfg": "",
            "ns/payloads.py": PAYLOADS,  # no __init__.py anywhere: a namespace package
            "ns/calls.py": caller.format(module="ns.payloads"),
        },
    )
    for file in (src / "src/app/calls.py", namespace / "ns/calls.py"):
        assert _lint(file) == {(7, "SES002")}, file


def test_entry_points_agree_on_a_file(shop: Path) -> None:
    """Alone, with its package, through the library, the CLI and real flake8: one answer."""
    calls = shop / "shop" / "calls.py"
    want = expected(calls)
    assert lines_and_codes(lint_paths([calls])) == want
    tree = lint_paths([shop])
    assert lines_and_codes([d for d in tree if Path(d.path).name == "calls.py"]) == want
    alone = session_lint("shop/calls.py", cwd=shop)
    whole = session_lint(".", cwd=shop)
    through_flake8 = flake8("--select", "SES", "shop/calls.py", cwd=shop)
    by_cli = reported(alone.stdout, "calls.py")
    assert {(line, code) for line, _, code in by_cli} == want, alone.stdout + alone.stderr
    assert reported(whole.stdout, "calls.py") == by_cli
    assert reported(through_flake8.stdout, "calls.py") == by_cli, through_flake8.stderr


def test_a_file_with_no_dispatch_costs_no_project_work(shop: Path) -> None:
    builders = shop / "shop" / "builders.py"
    assert lint_source(builders.read_bytes(), path=str(builders)) == []
    assert project_summaries_made() == []


def test_each_imported_module_is_summarised_once_per_run(shop: Path) -> None:
    cache = shop / ".session_lint_cache"
    lint_paths([shop])
    (summaries,) = project_summaries_made()
    first = summaries.computed
    assert 0 < first <= len([name for name in SHOP if name.endswith(".py")])
    lint_paths([shop / "shop" / "calls.py"])
    assert summaries.computed == first  # served from this run's memory
    forget_projects()
    calls = shop / "shop" / "calls.py"
    assert _lint(calls) == expected(calls)
    (warm,) = project_summaries_made()
    assert warm.computed == 0  # every summary read back from the cache
    assert (cache / "CACHEDIR.TAG").is_file()


def test_an_edited_builder_changes_its_callers_findings_on_the_next_run(shop: Path) -> None:
    calls = shop / "shop" / "calls.py"
    before = session_lint("shop/calls.py", cwd=shop)
    assert (17, 15, "SES002") in reported(before.stdout, "calls.py")
    assert (37, 15, "SES002") in reported(before.stdout, "calls.py")  # two modules away
    (shop / "shop" / "payloads.py").write_text(PAYLOADS_FIXED)
    after = session_lint("shop/calls.py", cwd=shop)
    found = {(line, code) for line, _, code in reported(after.stdout, "calls.py")}
    assert (17, "SES002") not in found and (37, "SES002") not in found
    assert found == expected(calls) - {(17, "SES002"), (18, "SES003"), (25, "SES002")} - {
        (31, "SES002"),
        (37, "SES002"),
    }
    (shop / "shop" / "payloads.py").write_text(PAYLOADS)
    again = session_lint("shop/calls.py", cwd=shop)
    assert reported(again.stdout, "calls.py") == reported(before.stdout, "calls.py")


def test_concurrent_runs_share_one_cache(shop: Path) -> None:
    command = [sys.executable, "-m", "session_lint", "."]
    runs = [
        subprocess.Popen(
            command, cwd=shop, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert all(run.returncode == 1 for run in runs), outputs
    first = reported(outputs[0][0], "calls.py")
    assert {(line, code) for line, _, code in first} == expected(shop / "shop" / "calls.py")
    assert all(reported(out, "calls.py") == first for out, _ in outputs)
    entries = list((shop / ".session_lint_cache").glob("*/*.json"))
    assert entries and not list((shop / ".session_lint_cache").glob("*/.tmp-*"))
    forget_projects()
    _lint(shop / "shop" / "calls.py")
    (warm,) = project_summaries_made()
    assert warm.computed == 0  # what the racing runs wrote is whole and read back


def test_the_fix_of_an_imported_builder_resolves_once(shop: Path) -> None:
    calls = shop / "shop" / "calls.py"
    result = session_lint("--fix", "shop/calls.py", cwd=shop)
    assert result.returncode == 0, result.stdout + result.stderr
    fixed = calls.read_text()
    relative = fixed.split("def relative", 1)[1].split("\n\n\n", 1)[0]
    assert relative.count("resolve_session_id(") == 1
    assert 'payload["session_id"] = session_id' in relative
    assert 'payload.get("session_id")' not in relative
    assert session_lint("shop/calls.py", cwd=shop).returncode == 0


def test_a_caller_naming_no_session_source_itself_is_checked(shop: Path) -> None:
    # the file spells neither the getter nor the key: the imported builder is the source
    quiet = shop / "shop" / "quiet.py"
    quiet.write_text(
        "from .payloads import base_payload\n\n\n"
        "def call(client, module, function, runtime_opts):\n"
        "    payload = base_payload(module, function, (), {})\n"
        '    return client.execute("call", payload, runtime_opts)\n'
    )
    assert _lint(quiet) == {(5, "SES002")}
    assert lines_and_codes(lint_paths([quiet])) == {(5, "SES002")}
    result = flake8("--select", "SES", "shop/quiet.py", cwd=shop)
    assert {(line, code) for line, _, code in reported(result.stdout, "quiet.py")} == {
        (5, "SES002")
    }


def test_no_cache_and_cache_dir(shop: Path) -> None:
    result = session_lint("--no-cache", "shop/calls.py", cwd=shop)
    assert (17, 15, "SES002") in reported(result.stdout, "calls.py")
    assert not (shop / ".session_lint_cache").exists()
    pyproject = shop / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.session-lint]\ncache-dir = "build/sl"\n')
    moved = session_lint("shop/calls.py", cwd=shop)
    assert reported(moved.stdout, "calls.py") == reported(result.stdout, "calls.py")
    assert (shop / "build" / "sl" / "CACHEDIR.TAG").is_file()
    assert not (shop / ".session_lint_cache").exists()


def test_no_project_checks_each_file_alone(shop: Path) -> None:
    calls = shop / "shop" / "calls.py"
    result = session_lint("--no-project", "shop/calls.py", cwd=shop)
    found = {(line, code) for line, _, code in reported(result.stdout, "calls.py")}
    assert found == lines_and_codes(lint_source(calls.read_bytes()))  # as text with no file
    assert (17, "SES002") not in found


def test_src_setting_for_an_unusual_layout(tmp_path: Path) -> None:
    # the package lives in lib/, which only the `src` setting names
    project = write_project(
        tmp_path / "unusual",
        {
            "pyproject.toml": '[tool.session-lint]\nsrc = ["lib"]\n',
            "lib/app/__init__.py": "",
            "lib/app/payloads.py": PAYLOADS,
            "scripts/run.py": CALLER.format(module="app.payloads"),
        },
    )
    with_src = session_lint("scripts/run.py", cwd=project)
    assert reported(with_src.stdout, "run.py") == {(7, 15, "SES002")}, with_src.stderr
    (project / "pyproject.toml").write_text("")
    assert reported(session_lint("scripts/run.py", cwd=project).stdout, "run.py") == set()


def test_a_loose_folder_is_checked_file_by_file(tmp_path: Path) -> None:
    # no pyproject.toml, setup.cfg or setup.py above: no project, so no project work
    forget_projects()
    folder = write_project(
        tmp_path / "loose",
        {"payloads.py": PAYLOADS, "calls.py": CALLER.format(module="payloads")},
    )
    calls = folder / "calls.py"
    assert _lint(calls) == set()
    assert project_summaries_made() == []
    (folder / "setup.py").write_text("")
    assert session_lint("calls.py", cwd=folder).returncode == 1  # marked: now a project
