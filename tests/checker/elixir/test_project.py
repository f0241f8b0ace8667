"""Calls into other modules of the same Mix project: builders and ambient wrappers defined
in another file are followed, through the library and the real CLI; the project ends at
its own code, and an edited module changes its callers' findings in the same process."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

from session_lint.config import Config
from session_lint.elixir.project import project_for
from session_lint.engine import lint_source
from tests.checker.cli_support import FIXTURES, session_lint
from tests.checker.elixir.support import expected

PROJECT = FIXTURES / "elixir_project"
RUNTIME = Path("lib") / "bridge" / "runtime.ex"


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "bridge"
    shutil.copytree(PROJECT, root)
    return root


def _found(path: Path, config: Config | None = None) -> Counter[tuple[int, str]]:
    found = lint_source(path.read_text(), path=str(path), config=config)
    return Counter((d.line, d.code) for d in found)


def test_every_file_of_the_project_is_reported_as_marked(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    files = sorted(root.rglob("*.ex"))
    assert len(files) == 3
    for path in files:
        assert _found(path) == expected(path.read_text()), path.name
    assert sum(expected(p.read_text()).total() for p in files) == 2


def test_the_cli_reports_the_same_whether_given_the_file_or_the_tree(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    marked = sorted((line, code) for (line, code) in expected((root / RUNTIME).read_text()))
    for args in ([str(RUNTIME)], ["."]):
        result = session_lint("--output-format", "concise", "-q", *args, cwd=root)
        assert result.returncode == 1, result.stderr
        reported = sorted(
            (int(line.split(":")[1]), line.split(": ")[1].split()[0])
            for line in result.stdout.splitlines()
        )
        assert reported == marked
        assert all(line.startswith(f"{RUNTIME}:") for line in result.stdout.splitlines())


def test_the_message_names_the_callee_as_written(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    found = lint_source((root / RUNTIME).read_text(), path=str(root / RUNTIME))
    messages = {d.code: d.message for d in found}
    assert "`Payload.call_payload()`" in messages["SES002"]
    assert "`Sessions.ambient_session()`" in messages["SES001"]


def test_without_project_mode_other_modules_stay_opaque(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    alone = _found(root / RUNTIME, Config(project=False))
    assert ("SES002" in {code for _, code in alone}) is False
    # a file outside any Mix project: the same
    loose = tmp_path / "loose.ex"
    loose.write_text((root / RUNTIME).read_text())
    assert _found(loose) == alone


def test_dependencies_are_not_the_project(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    # the same builder module, but only under deps/: Hex packages are not followed
    deps = root / "deps" / "bridge_payload" / "lib"
    deps.mkdir(parents=True)
    (root / "lib" / "bridge" / "payload.ex").rename(deps / "payload.ex")
    assert "SES002" not in {code for _, code in _found(root / RUNTIME)}


def test_an_edited_module_changes_its_callers_findings_in_the_same_process(
    tmp_path: Path,
) -> None:
    root = _copy(tmp_path)
    runtime = root / RUNTIME
    project = project_for(str(runtime), frozenset({"execute", "execute_stream"}))
    assert project is not None and project.root == root
    assert ("SES002" in {c for _, c in _found(runtime)}) is True
    parsed = project.files_parsed
    _found(runtime)
    assert project.files_parsed == parsed  # unchanged modules are not parsed again

    payload = root / "lib" / "bridge" / "payload.ex"
    fixed = payload.read_text().replace(
        "|> maybe_put_session_id(SessionResolver.current_session_id())", ""
    )
    payload.write_text(fixed)
    os.utime(payload, ns=(1, 1))  # a new signature even on a coarse clock
    assert "SES002" not in {c for _, c in _found(runtime)}
    assert project.files_parsed == parsed + 1


def test_a_builder_of_an_imported_module_is_followed(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    runtime = root / RUNTIME
    text = runtime.read_text()
    marked = expected(text)
    imported = (
        text.replace("  alias Bridge.Payload\n", "  import Bridge.Payload\n")
        .replace("Payload.call_payload(", "call_payload(")
        .replace("Payload.with_session(", "with_session(")
    )
    assert imported.count("call_payload(") == 2 and imported.count("Payload.") == 0
    runtime.write_text(imported)
    assert _found(runtime) == marked
    messages = {d.code: d.message for d in lint_source(imported, path=str(runtime))}
    assert "`call_payload()`" in messages["SES002"]
