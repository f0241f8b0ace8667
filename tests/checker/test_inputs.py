"""Odd inputs: every one is checked or reported as SES000, never a traceback."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from session_lint.engine import lint_source
from session_lint.noqa import filter_noqa, suppressed_codes
from session_lint.types import Diagnostic
from tests.checker.cli_support import session_lint

DISPATCH = 'def f(client):\n    return client.execute("t", {"session_id": s}, {})\n'


def _codes(source: str | bytes) -> list[str]:
    return [d.code for d in lint_source(source)]


def test_the_checker_never_imports_what_it_checks(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "evil.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nfrom runtime import current_session_id\n" + DISPATCH
    )
    session_lint("evil.py", cwd=tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "source",
    [
        b"",
        b"\n\n",
        b"\xef\xbb\xbf" + DISPATCH.encode(),  # BOM
        DISPATCH.replace("\n", "\r\n").encode(),  # CRLF
        DISPATCH.replace("\n", "\r").encode(),  # lone CR
        b"\x0c" + DISPATCH.replace("    ", "\t").encode(),  # form feed, tabs
        b"# -*- coding: latin-1 -*-\nx = '\xe9'\n" + DISPATCH.encode(),
    ],
)
def test_odd_but_valid_text_is_checked(source: bytes) -> None:
    assert set(_codes(source)) <= {"SES006"}


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (b"x = '\xe9'\n" + DISPATCH.encode(), "cannot decode"),
        (b"# coding: no-such-codec\n" + DISPATCH.encode(), "cannot decode"),
        (DISPATCH.encode() + b"def (:\n", "syntax error"),
        (b"\x00\x01binary" + DISPATCH.encode(), ""),
        (DISPATCH.encode() + b"x = " + b"(" * 15000 + b"1" + b")" * 15000 + b"\n", "nested"),
        (DISPATCH.encode() + b"x = " + b"-" * 30000 + b"1\n", "nested"),
    ],
)
def test_unreadable_text_is_one_ses000(source: bytes, reason: str) -> None:
    (diagnostic,) = lint_source(source, path="odd.py")
    assert diagnostic.code == "SES000" and reason in diagnostic.message


def test_a_file_that_cannot_hold_a_finding_is_not_parsed() -> None:
    # no sink and no session source: skipped from the bytes, syntax errors included
    assert lint_source(b"def (:\n") == []


def test_awkward_paths(tmp_path: Path) -> None:
    folder = tmp_path / "dossier à espaces"
    folder.mkdir()
    (folder / "modulé un.py").write_text(
        "from runtime import current_session_id\n" + DISPATCH.replace("s}", "current_session_id()}")
    )
    (folder / "notes.txt").write_text("not python")
    (folder / "loop").symlink_to(folder)
    (folder / "broken.py").symlink_to(tmp_path / "missing.py")
    result = session_lint("--format", "json", ".", cwd=tmp_path)
    rows = json.loads(result.stdout)
    assert {(Path(r["path"]).name, r["code"]) for r in rows} == {
        ("modulé un.py", "SES001"),
        ("broken.py", "SES000"),
    }
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_non_python_file_named_explicitly_is_checked(tmp_path: Path) -> None:
    (tmp_path / "script").write_text(
        "from runtime import current_session_id\n" + DISPATCH.replace("s}", "current_session_id()}")
    )
    assert session_lint("script", cwd=tmp_path).returncode == 1


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file_is_ses000(tmp_path: Path) -> None:
    path = tmp_path / "secret.py"
    path.write_text(DISPATCH)
    path.chmod(0)
    result = session_lint("--format", "json", ".", cwd=tmp_path)
    assert [r["code"] for r in json.loads(result.stdout)] == ["SES000"]


def test_noqa_semantics() -> None:
    assert suppressed_codes("x") is None
    assert suppressed_codes("x  # noqa") == frozenset()
    assert suppressed_codes("x  # NOQA:ses001,SES002") == frozenset({"SES001", "SES002"})
    d1 = Diagnostic("p", 1, 1, 1, 1, "SES001", "m")
    d0 = Diagnostic("p", 1, 1, 1, 1, "SES000", "m")
    assert filter_noqa([d1, d0], ["x  # noqa"]) == [d0]
    assert filter_noqa([d1], ["x  # noqa: SES002"]) == [d1]
    assert filter_noqa([d1], ["x  # noqa: SES"]) == []
