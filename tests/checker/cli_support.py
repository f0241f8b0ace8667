"""Run the real ``session-lint`` and ``flake8`` commands."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
# every default, instead of this repository's pyproject.toml, which excludes the fixtures
EMPTY_CONFIG = str(FIXTURES / "empty_config.toml")
BIN = Path(sys.executable).parent
# a module with one ambient-session dispatch: SES001 at 5:11
BUGGY = (
    "from runtime import current_session_id, resolve_session_id\n"
    "\n"
    "\n"
    "def ping(client):\n"
    "    sid = current_session_id()\n"
    '    return client.execute("t", {"session_id": sid}, {"session_id": sid})\n'
)


def session_lint(
    *args: str,
    cwd: Path | None = None,
    script: bool = False,
    env: Mapping[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
    timeout: float = 300,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m session_lint ARGS`` (or the installed console script); ``env`` adds to
    the environment, ``preexec_fn`` runs in the child before the command (e.g. limits),
    ``stdin`` is the text on its standard input."""
    command: Sequence[str] = (
        [str(BIN / "session-lint"), *args]
        if script
        else [sys.executable, "-m", "session_lint", *args]
    )
    environment = None if env is None else {**os.environ, **env}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=environment,
        preexec_fn=preexec_fn,
        input=stdin,
    )


def flake8(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )
