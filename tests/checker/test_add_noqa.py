"""``--add-noqa``: adopt the checker on an existing codebase, through the real command."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.checker.cli_support import BUGGY, flake8, session_lint

# findings on a plain line, after a comment, beside another tool's noqa, on a line a
# multi-line string (plain and f-string) continues past, on a backslash continuation,
# and inside a bracketed multi-line call
LEGACY = '''\
from runtime import current_session_id


def ping(client):
    sid = current_session_id()  # the ambient one
    return client.execute("t", {"session_id": sid}, {"session_id": sid})


def pong(client):
    sid = current_session_id()  # noqa:E501,W291
    return client.execute("t", {"session_id": sid}, {"session_id": sid})


def doc(client):
    return client.execute("t", {"session_id": current_session_id(), "doc": """
    text"""}, {})


def cont(client, flag):
    sid = current_session_id() if flag else \\
        None
    return client.execute("t", {"session_id": sid}, {"session_id": sid})


def spread(client):
    return client.execute(
        "t",
        {"session_id": current_session_id()},
        {},
    )


def fmt(client):
    return client.execute("t", {"session_id": current_session_id(), "d": f"""{
        1}"""}, {})
'''

EXPECTED_CHANGES = {
    5: "    sid = current_session_id()  # the ambient one  # noqa: SES001",
    10: "    sid = current_session_id()  # noqa:E501,W291,SES001",
    16: '    text"""}, {})  # noqa: SES001',
    21: "        None  # noqa: SES007",
    28: '        {"session_id": current_session_id()},  # noqa: SES001',
    35: '        1}"""}, {})  # noqa: SES001',
}
if sys.version_info >= (3, 12):
    # PEP 701: a multi-line f-string's replacement field is code, its line ends with an NL
    # token, and flake8 (like our noqa) searches that line alone, where a comment is allowed
    del EXPECTED_CHANGES[35]
    EXPECTED_CHANGES[34] = LEGACY.splitlines()[33] + "  # noqa: SES001"


def test_add_noqa_silences_every_finding_and_changes_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "legacy.py"
    target.write_text(LEGACY)
    before = session_lint("--output-format", "concise", "-q", "legacy.py", cwd=tmp_path)
    assert before.returncode == 1 and before.stdout.count(": SES") == 6
    assert flake8("--select", "SES", "legacy.py", cwd=tmp_path).stdout.count(": SES") == 6

    added = session_lint("--add-noqa", "legacy.py", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "Added 6 noqa directives to 1 file(s)." in added.stderr

    after = target.read_text().splitlines()
    original = LEGACY.splitlines()
    assert len(after) == len(original)
    for number, (old, new) in enumerate(zip(original, after, strict=True), start=1):
        assert new == EXPECTED_CHANGES.get(number, old), number
    compile(target.read_text(), "legacy.py", "exec")  # never inside a string literal

    assert session_lint("legacy.py", cwd=tmp_path).returncode == 0
    assert flake8("--select", "SES", "legacy.py", cwd=tmp_path).returncode == 0


def test_add_noqa_is_idempotent_and_keeps_bytes(tmp_path: Path) -> None:
    target = tmp_path / "crlf.py"
    data = ("\ufeff" + BUGGY.replace("\n", "\r\n")).encode("utf-8")
    target.write_bytes(data)
    assert session_lint("--add-noqa", ".", cwd=tmp_path).returncode == 0
    once = target.read_bytes()
    assert once.startswith(b"\xef\xbb\xbf") and b"\n" not in once.replace(b"\r\n", b"")
    assert once == data.replace(
        b"current_session_id()\r\n", b"current_session_id()  # noqa: SES001\r\n"
    )
    again = session_lint("--add-noqa", ".", cwd=tmp_path)
    assert again.returncode == 0 and "Added 0 noqa directives" in again.stderr
    assert target.read_bytes() == once


def test_add_noqa_writes_only_files_with_findings(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("x = 1\n")
    (tmp_path / "broken.py").write_text("def f(client):\n    client.execute(session_id\n")
    (tmp_path / "buggy.py").write_text(BUGGY)
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    result = session_lint("--add-noqa", ".", cwd=tmp_path)
    assert result.returncode == 0
    changed = {p.name for p in tmp_path.iterdir() if p.stat().st_mtime_ns != stamps[p.name]}
    assert changed == {"buggy.py"}
    # SES000 cannot be silenced: the broken file is still reported
    assert re.search(r"broken\.py:\d+:\d+: SES000", session_lint(".", cwd=tmp_path).stdout)


def test_add_noqa_refuses_fix_modes(tmp_path: Path) -> None:
    (tmp_path / "buggy.py").write_text(BUGGY)
    result = session_lint("--add-noqa", "--fix", ".", cwd=tmp_path)
    assert result.returncode == 2 and "cannot be combined" in result.stderr
    assert (tmp_path / "buggy.py").read_text() == BUGGY
