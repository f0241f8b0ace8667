"""Releasing the refs in a result that nobody will read (its caller was cancelled)."""

from __future__ import annotations

import contextlib
from typing import Any

from runtime.client import RuntimeClient
from runtime.errors import BridgeError
from runtime.wire import coerce_ref, is_ref_wire


def wire_refs_in(value: Any) -> list[Any]:
    """The ref and stream-ref markers in a wire value."""
    found: list[Any] = []
    pending = [value]
    while pending:
        current = pending.pop()
        if is_ref_wire(current):
            found.append(current)
        elif isinstance(current, list):
            pending.extend(current)
        elif isinstance(current, dict):
            pending.extend(current.values())
    return found


def release_wire_refs(client: RuntimeClient, refs: list[Any]) -> None:
    """Release each ref (under its own session) through ``client``; errors are ignored:
    the ref may be gone already, or the client closed."""
    from runtime import calls, paths  # late: the call paths import the client modules

    for wire in refs:
        with contextlib.suppress(BridgeError):
            calls.drive(paths.release_ref(coerce_ref(wire), {}), client=client)
