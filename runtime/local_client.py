"""``LocalClient``: the default client, running a real :class:`Adapter` in this process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from runtime.adapter import Adapter, Helper, unwrap_response
from runtime.errors import InvalidRuntimeOptionError
from runtime.options import RUNTIME_OPTIONS, TIMEOUT_KEY
from runtime.registry import DEFAULT_MAX_REFS, DEFAULT_MAX_REFS_PER_SESSION, RefOverflow


class LocalClient:
    """An in-process worker: imports modules, calls them, keeps refs per session.

    One lock guards the ref registry, so threads may share the client; target code runs
    outside the lock, and so do the finalizers of released objects. A payload whose
    session disagrees with the routing session is refused, as a pool would misroute it.

    Target code runs in the calling thread, where nothing can stop it, so a
    ``__runtime__`` ``timeout`` is refused (``InvalidRuntimeOptionError``) rather than
    silently not enforced; ``ignore_timeout=True`` runs such calls unbounded, for code
    written for ``PoolClient``. The registry bounds (and ``clock``, which times
    ``session_ttl``) are the :class:`Adapter`'s.
    """

    def __init__(
        self,
        *,
        max_refs_per_session: int = DEFAULT_MAX_REFS_PER_SESSION,
        max_refs: int | None = DEFAULT_MAX_REFS,
        max_sessions: int | None = None,
        session_ttl: float | None = None,
        ref_overflow: RefOverflow = "error",
        ignore_timeout: bool = False,
        helpers: Mapping[str, Helper] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.adapter = Adapter(
            max_refs_per_session=max_refs_per_session,
            max_refs=max_refs,
            max_sessions=max_sessions,
            session_ttl=session_ttl,
            ref_overflow=ref_overflow,
            lock=threading.Lock(),
            helpers=helpers,
            clock=clock,
        )
        self._ignore_timeout = ignore_timeout

    def execute(self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /) -> Any:
        """Run ``payload`` under routing ``opts``; return the wire-encoded result."""
        self._check_timeout(opts)
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
        self._check_timeout(opts)
        response = self.adapter.handle_stream(tool, payload, callback, opts.get("session_id"))
        unwrap_response(response)

    def snapshot(self) -> dict[str, frozenset[str]]:
        """``{session: ref ids}`` for every session holding refs, like one pool worker's view."""
        return self.adapter.registry.snapshot()

    def _check_timeout(self, opts: Mapping[str, Any]) -> None:
        if opts.get(TIMEOUT_KEY) is None or self._ignore_timeout:
            return
        raise InvalidRuntimeOptionError(
            TIMEOUT_KEY,
            RUNTIME_OPTIONS,
            "LocalClient cannot enforce __runtime__['timeout']: target code runs in the"
            " calling thread and cannot be stopped. Use PoolClient for deadlines, drop the"
            " timeout, or build LocalClient(ignore_timeout=True) to run such calls unbounded",
        )
