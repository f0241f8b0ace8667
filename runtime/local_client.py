"""``LocalClient``: the default client, running a real :class:`Adapter` in this process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from runtime.adapter import Adapter, Helper, unwrap_response
from runtime.registry import DEFAULT_MAX_REFS_PER_SESSION


class LocalClient:
    """An in-process worker: imports modules, calls them, keeps refs per session.

    One lock guards the ref registry, so threads may share the client; target code runs
    outside the lock. A payload whose session disagrees with the routing session is
    refused, as a pool would misroute it.
    """

    def __init__(
        self,
        *,
        max_refs_per_session: int = DEFAULT_MAX_REFS_PER_SESSION,
        helpers: Mapping[str, Helper] | None = None,
    ) -> None:
        self.adapter = Adapter(
            max_refs_per_session=max_refs_per_session, lock=threading.Lock(), helpers=helpers
        )

    def execute(self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /) -> Any:
        """Run ``payload`` under routing ``opts``; return the wire-encoded result."""
        return unwrap_response(self.adapter.handle(tool, payload, opts.get("session_id")))

    def execute_stream(
        self,
        tool: str,
        payload: dict[str, Any],
        callback: Callable[[Any], None],
        opts: dict[str, Any],
        /,
    ) -> None:
        """Run a stream payload, calling ``callback`` with each wire-encoded item."""
        response = self.adapter.handle_stream(tool, payload, callback, opts.get("session_id"))
        unwrap_response(response)
