"""Real file-system failures for tests that run as root, where ``chmod`` blocks nothing.

- ``as_unprivileged``: run a command with the two capabilities that let root ignore
  permission bits (``CAP_DAC_OVERRIDE``, ``CAP_DAC_READ_SEARCH``) dropped from its bounding
  set, so that ``chmod 0`` means what it says, as for any user. Not root: nothing to drop.
- ``immutable``: ``chattr +i``, which even root cannot write, rename over or unlink.
- ``in_private_tmpfs``: a command run in its own mount namespace, on a tiny tmpfs that
  fills up (a real ``ENOSPC``), invisible to every other process.
Each helper says why it cannot work where it cannot, for ``pytest.skip``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _drop_dac_capabilities() -> None:  # runs in the child, between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def unprivileged_problem() -> str | None:
    """Why ``as_unprivileged`` cannot work here, or ``None``."""
    if sys.platform != "linux":
        return "dropping capabilities needs Linux"
    if os.geteuid() != 0:
        return None
    probe = subprocess.run(
        ["cat", "/proc/self/status"],
        preexec_fn=_drop_dac_capabilities,
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return f"cannot drop CAP_DAC_OVERRIDE: {probe.stderr.strip()}"
    return None


def unprivileged() -> Callable[[], None] | None:
    """The ``preexec_fn`` that makes a child respect permission bits (``None``: it does)."""
    return _drop_dac_capabilities if os.geteuid() == 0 else None


def immutable_problem(folder: Path) -> str | None:
    """Why ``immutable`` cannot work in ``folder``, or ``None``."""
    if shutil.which("chattr") is None:
        return "chattr is not installed"
    probe = folder / ".chattr-probe"
    probe.write_text("")
    try:
        result = subprocess.run(["chattr", "+i", str(probe)], capture_output=True, text=True)
        if result.returncode != 0:
            return f"chattr +i fails here: {result.stderr.strip()}"
        subprocess.run(["chattr", "-i", str(probe)], check=True)
    finally:
        probe.unlink()
    return None


@contextlib.contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """The paths made immutable for the duration, then mutable again (so they can be
    cleaned up even if the test fails)."""
    subprocess.run(["chattr", "+i", *map(str, paths)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


def tmpfs_problem() -> str | None:
    """Why ``in_private_tmpfs`` cannot work here, or ``None``."""
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return "needs Linux with unshare(1)"
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "mount", "-t", "tmpfs", "x", "/mnt"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"cannot mount a private tmpfs: {probe.stderr.strip()}"
    return None


def in_private_tmpfs(
    mount_point: Path, size: str, command: Sequence[str]
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in a new mount namespace where ``mount_point`` is an empty tmpfs of
    ``size`` (e.g. ``"256k"``); the command sets it up, acts and reports on it, since the
    tmpfs vanishes with the namespace."""
    script = 'mount -t tmpfs -o size="$1" session-lint-test "$2" && shift 2 && exec "$@"'
    return subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "sh",
            size,
            str(mount_point),
            *command,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
