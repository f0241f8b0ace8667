"""Run the real ``session-lint`` and ``flake8`` commands."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
BIN = Path(sys.executable).parent


def session_lint(
    *args: str, cwd: Path | None = None, script: bool = False
) -> subprocess.CompletedProcess[str]:
    """``python -m session_lint ARGS`` (or the installed console script)."""
    command: Sequence[str] = (
        [str(BIN / "session-lint"), *args]
        if script
        else [sys.executable, "-m", "session_lint", *args]
    )
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=300)


def flake8(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )
