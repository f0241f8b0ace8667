"""``--fix`` never loses or corrupts data: after a crash, a full disk or a permission
error, every file is either untouched or fully fixed, no temporary file is left behind,
the command names each file it could not fix (exit 2) and fixes the others.

The failures are real ones that still happen to root (see ``os_support``): a process
killed mid-run, a file-size limit and a full tmpfs mid-write, permission bits honoured
once root's override capabilities are dropped, and ``chattr +i``.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from session_lint.fix.api import fix_source
from session_lint.fix.write import Changed, write_atomically
from tests.checker.cli_support import BUGGY, session_lint
from tests.checker.os_support import (
    immutable,
    immutable_problem,
    in_private_tmpfs,
    tmpfs_problem,
    unprivileged,
    unprivileged_problem,
)

FIXED = fix_source(BUGGY)
PADDING = "# " + "x" * 76 + "\n"


def _big(lines: int) -> str:
    """A buggy module padded with comments, so that writing its fix takes many blocks."""
    return BUGGY + PADDING * lines


def _temporaries(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.session-lint.tmp"))


def _fixed_and_failed(stderr: str) -> tuple[set[str], dict[str, str]]:
    fixed = {
        line.removeprefix("Fixed ")
        for line in stderr.splitlines()
        if line.startswith("Fixed ") and not line.endswith(" file(s).")
    }
    prefix = "session-lint: error: "
    failed = {
        line.removeprefix(prefix).split(": not fixed, left untouched: ")[0]: line
        for line in stderr.splitlines()
        if line.startswith(prefix)
    }
    return fixed, failed


def _fix_in_background(folder: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "session_lint", "--fix", *args, "."],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_a_write(process: subprocess.Popen[str], paths: list[Path], source: str) -> None:
    """Return once the first file is rewritten: the run is then mid-way."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if any(path.read_text() != source for path in paths):
            return
        time.sleep(0.002)


def _many_big_buggy_files(folder: Path) -> tuple[list[Path], str, str]:
    """60 big buggy modules (a run takes long enough to be caught mid-way), their text
    and their fixed text."""
    source = _big(1000)
    paths = [folder / f"m{i:03d}.py" for i in range(60)]
    for path in paths:
        path.write_text(source)
    return paths, source, fix_source(source)


def test_a_killed_run_leaves_every_file_untouched_or_fully_fixed(tmp_path: Path) -> None:
    paths, source, fixed = _many_big_buggy_files(tmp_path)
    process = _fix_in_background(tmp_path, "-q")
    try:
        _wait_for_a_write(process, paths, source)
        process.send_signal(signal.SIGKILL)
    finally:
        process.communicate()
    states = [{source: "untouched", fixed: "fixed"}.get(path.read_text(), "torn") for path in paths]
    assert "torn" not in states
    assert "fixed" in states and "untouched" in states


def test_an_interrupted_run_says_so_and_keeps_files_whole(tmp_path: Path) -> None:
    paths, source, fixed = _many_big_buggy_files(tmp_path)
    process = _fix_in_background(tmp_path)
    _wait_for_a_write(process, paths, source)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2 and "session-lint: interrupted" in stderr
    assert "Traceback" not in stderr
    assert {path.read_text() for path in paths} == {source, fixed}


def _limit_file_size(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_write_failing_midway_leaves_the_file_untouched(tmp_path: Path) -> None:
    # RLIMIT_FSIZE makes writing past 64 KiB fail (EFBIG), as a full disk fails (ENOSPC)
    (tmp_path / "big.py").write_text(_big(2000))  # about 160 KB once fixed
    (tmp_path / "small.py").write_text(BUGGY)
    result = session_lint(
        "--fix", ".", cwd=tmp_path, preexec_fn=lambda: _limit_file_size(64 * 1024)
    )
    fixed, failed = _fixed_and_failed(result.stderr)
    assert fixed == {"small.py"} and set(failed) == {"big.py"}
    assert "big.py: not fixed, left untouched: File too large" in failed["big.py"]
    assert (tmp_path / "big.py").read_text() == _big(2000)
    assert (tmp_path / "small.py").read_text() == FIXED
    assert _temporaries(tmp_path) == []
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "big.py:5:11: SES001" in result.stdout  # what was not fixed is still reported


_ON_TMPFS = r"""
import json, os, shutil, subprocess, sys
source, folder = sys.argv[1], sys.argv[2]
for name in ("big.py", "small.py"):
    shutil.copy(os.path.join(source, name), folder)
space = os.statvfs(folder)
free = space.f_bavail * space.f_frsize
with open(os.path.join(folder, ".filler"), "wb") as handle:
    handle.write(b"\0" * (free - 16 * 4096))  # room for the small fix, not the big one
result = subprocess.run(
    [sys.executable, "-m", "session_lint", "--fix", "."],
    cwd=folder, capture_output=True, text=True,
)
files = {
    name: open(os.path.join(folder, name), "rb").read().decode()
    for name in os.listdir(folder)
    if name != ".filler"
}
report = {"code": result.returncode, "stdout": result.stdout, "stderr": result.stderr}
print(json.dumps({**report, "files": files}))
"""


@pytest.mark.skipif(tmpfs_problem() is not None, reason=str(tmpfs_problem()))
def test_a_full_disk_leaves_the_file_untouched(tmp_path: Path) -> None:
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "big.py").write_text(_big(3000))
    (tmp_path / "source" / "small.py").write_text(BUGGY)
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    command = [sys.executable, "-c", _ON_TMPFS, str(tmp_path / "source"), str(mount_point)]
    run = in_private_tmpfs(mount_point, "1m", command)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    fixed, failed = _fixed_and_failed(report["stderr"])
    assert fixed == {"small.py"} and set(failed) == {"big.py"}
    assert "No space left on device" in failed["big.py"]
    assert report["files"] == {"big.py": _big(3000), "small.py": FIXED}  # and no temporaries
    assert report["code"] == 2 and "Traceback" not in report["stderr"]


@pytest.mark.skipif(unprivileged_problem() is not None, reason=str(unprivileged_problem()))
def test_permission_errors_leave_files_untouched(tmp_path: Path) -> None:
    for folder in ("locked", "open"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.py").write_text(BUGGY)
    (tmp_path / "open" / "read_only.py").write_text(BUGGY)
    (tmp_path / "open" / "read_only.py").chmod(0o444)
    (tmp_path / "locked").chmod(0o555)  # no temporary file can be created in it
    try:
        result = session_lint("--fix", ".", cwd=tmp_path, preexec_fn=unprivileged())
    finally:
        (tmp_path / "locked").chmod(0o755)
    fixed, failed = _fixed_and_failed(result.stderr)
    assert fixed == {"open/a.py"}
    assert set(failed) == {"locked/a.py", "open/read_only.py"}
    assert all("Permission denied" in line for line in failed.values())
    assert (tmp_path / "locked" / "a.py").read_text() == BUGGY
    assert (tmp_path / "open" / "read_only.py").read_text() == BUGGY
    assert (tmp_path / "open" / "a.py").read_text() == FIXED
    assert _temporaries(tmp_path) == []
    assert result.returncode == 2 and "Traceback" not in result.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="chattr is Linux's")
def test_immutable_files_and_folders_are_left_alone(tmp_path: Path) -> None:
    problem = immutable_problem(tmp_path)
    if problem is not None:
        pytest.skip(problem)
    (tmp_path / "frozen").mkdir()
    (tmp_path / "frozen" / "a.py").write_text(BUGGY)
    (tmp_path / "stuck.py").write_text(BUGGY)
    (tmp_path / "ok.py").write_text(BUGGY)
    with immutable(tmp_path / "frozen", tmp_path / "stuck.py"):
        result = session_lint("--fix", ".", cwd=tmp_path)
    fixed, failed = _fixed_and_failed(result.stderr)
    assert fixed == {"ok.py"} and set(failed) == {"frozen/a.py", "stuck.py"}
    assert (tmp_path / "frozen" / "a.py").read_text() == BUGGY
    assert (tmp_path / "stuck.py").read_text() == BUGGY
    assert (tmp_path / "ok.py").read_text() == FIXED
    assert _temporaries(tmp_path) == [] and result.returncode == 2


def test_a_file_changed_on_disk_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text(BUGGY + "# edited by someone else\n")
    with pytest.raises(Changed):
        write_atomically(path, FIXED.encode(), expected=BUGGY.encode())
    assert path.read_text() == BUGGY + "# edited by someone else\n"
    assert _temporaries(tmp_path) == []


def test_a_symlink_is_fixed_through_and_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "target.py").write_text(BUGGY)
    (tmp_path / "link.py").symlink_to("real/target.py")
    result = session_lint("--fix", "link.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "link.py").is_symlink()
    assert (tmp_path / "real" / "target.py").read_text() == FIXED


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another owner")
def test_mode_and_owner_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text(BUGGY)
    path.chmod(0o640)
    os.chown(path, 12345, 23456)
    assert session_lint("--fix", "a.py", cwd=tmp_path).returncode == 0
    info = path.stat()
    assert (info.st_mode & 0o777, info.st_uid, info.st_gid) == (0o640, 12345, 23456)
    assert path.read_text() == FIXED


def test_a_fix_libcst_cannot_write_faithfully_is_declined(tmp_path: Path) -> None:
    # libcst drops a form feed that precedes code on its line: rewriting the file would
    # change a byte the fix has nothing to do with, so the file is left as it is
    path = tmp_path / "a.py"
    path.write_bytes(b"\x0c" + BUGGY.encode())
    result = session_lint("--fix", "a.py", cwd=tmp_path)
    assert path.read_bytes() == b"\x0c" + BUGGY.encode()
    assert "warning: a.py: not fixed, left untouched: libcst cannot reproduce" in result.stderr
    assert result.returncode == 1 and "a.py:5:11: SES001" in result.stdout
