"""What the real command line says of a buffer: the buffer's folder copied, the text
written where the buffer's file is, and ``session-lint`` run there."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.checker.cli_support import session_lint


def _copy(root: Path, name: str, text: str, into: Path) -> Path:
    copy = into / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".session_lint_cache"))
    (copy / name).parent.mkdir(parents=True, exist_ok=True)
    (copy / name).write_text(text, newline="")
    return copy


def cli_fixed(root: Path, name: str, text: str, scratch: Path, *, unsafe: bool = False) -> str:
    """The text ``session-lint --fix NAME`` writes for ``text``."""
    copy = _copy(root, name, text, scratch)
    flags = ["--fix", "--unsafe-fixes"] if unsafe else ["--fix"]
    result = session_lint(*flags, name, cwd=copy)
    assert result.returncode in (0, 1), result.stderr
    return (copy / name).read_bytes().decode("utf-8")


def cli_findings(root: Path, name: str, text: str, scratch: Path) -> list[dict[str, object]]:
    """``session-lint --format json NAME`` for ``text``."""
    copy = _copy(root, name, text, scratch)
    result = session_lint("--format", "json", name, cwd=copy)
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout)
    return findings
