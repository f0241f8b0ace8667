"""The one session resolver: override > ref's session > context session > auto-session."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.context import check_session_id, current_session_id
from runtime.errors import InvalidRefError, InvalidSessionIdError
from runtime.wire import Ref

SESSION_KEY = "session_id"
SOURCE_RUNTIME_OPTS = "__runtime__"
SOURCE_OVERRIDE = "__runtime__['session_id']"
SOURCE_REF = "ref.session_id"


def check_runtime_opts(runtime_opts: object) -> Mapping[str, Any] | None:
    """``None`` or the mapping itself; anything else is an invalid override source."""
    if runtime_opts is None or isinstance(runtime_opts, Mapping):
        return runtime_opts
    raise InvalidSessionIdError(SOURCE_RUNTIME_OPTS, runtime_opts)


def resolve_session_id(runtime_opts: object = None, ref: object = None) -> str:
    """Pick the session for one dispatch; payload and routing must both use the result.

    Sources are tried in order and the first PRESENT one decides: a non-empty ``str``
    wins, anything else raises ``InvalidSessionIdError`` naming that source. ``None`` or a
    missing key is absent. Lower sources are not looked at once a higher one is present.
    """
    options = check_runtime_opts(runtime_opts)
    if options is not None:
        override = options.get(SESSION_KEY)
        if override is not None:
            return check_session_id(override, SOURCE_OVERRIDE)
    if ref is not None:
        ref_session = _ref_session(ref)
        if ref_session is not None:
            return check_session_id(ref_session, SOURCE_REF)
    return current_session_id()


def _ref_session(ref: object) -> object:
    if isinstance(ref, Ref):
        return ref.session_id
    if isinstance(ref, Mapping):
        return ref.get(SESSION_KEY)
    raise InvalidRefError(f"expected a Ref, StreamRef or ref wire dict, got {type(ref).__name__}")
