"""Worker side of the protocol: runs payloads against real Python, keeps refs per session.

An :class:`Adapter` holds no thread or context state: it takes plain-data payloads and
returns plain-data responses (``{"ok": True, "result": ...}`` or ``{"ok": False,
"error": ...}``), so a worker process can run one behind a pipe exactly as
``LocalClient`` runs one in process. The client side turns a response back into a value
or a raised error with :func:`unwrap_response`.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any, Final

from runtime.context import check_session_id
from runtime.errors import (
    BridgeError,
    InvalidRefError,
    ProtocolError,
    PythonError,
    SessionMismatchError,
    error_from_wire,
)
from runtime.registry import (
    DEFAULT_MAX_REFS,
    DEFAULT_MAX_REFS_PER_SESSION,
    Entry,
    RefOverflow,
    RefRegistry,
    RegistryLimits,
)
from runtime.wire import (
    ESCAPED_DICT_TYPE,
    MIN_SUPPORTED_VERSION,
    PROTOCOL_VERSION,
    REF_SCHEMA,
    REF_TYPE,
    STREAM_END_WIRE,
    STREAM_REF_TYPE,
    TOOL_CALL,
    TOOL_RELEASE_REF,
    TOOL_RELEASE_SESSION,
    TOOL_STREAM,
    TYPE_KEY,
    WirePath,
    coerce_ref,
    escape_dict,
    escaped_items,
    is_ref_wire,
    unknown_marker,
)

Response = dict[str, Any]
Helper = Callable[..., Any]

_DONE: Final = object()
_JSON_SCALARS: Final = (type(None), bool, int, float, str)


def unwrap_response(response: Mapping[str, Any]) -> Any:
    """The result of an adapter response, or raise the error it carries."""
    if response.get("ok") is True:
        return response.get("result")
    error = response.get("error")
    if not isinstance(error, dict):
        raise ProtocolError(f"malformed worker response: {response!r}")
    raise error_from_wire(error)


def _run(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run target code; whatever it raises becomes a ``PythonError``.

    ``SystemExit`` included: ``sys.exit()`` in target code ends that call, not the caller
    (or the pool worker). ``KeyboardInterrupt`` still propagates: it is the user's.
    """
    try:
        return func(*args, **kwargs)
    except (Exception, SystemExit) as exc:
        raise PythonError.from_exception(exc) from exc


class Adapter:
    """Executes ``snakebridge.*`` tools for any number of sessions.

    ``lock`` guards the ref registry (``LocalClient`` passes a ``threading.Lock``; a
    single-threaded worker needs none). ``helpers`` maps extra helper names to functions.
    The registry's bounds (see :mod:`runtime.registry`): ``max_refs_per_session``
    (``ref_overflow`` says whether a full session errors or evicts), ``max_refs``
    overall with LRU eviction, ``session_ttl`` seconds of idleness before a session's
    refs are freed, and ``max_sessions`` holding refs at once. ``clock`` times idleness.
    """

    def __init__(
        self,
        *,
        max_refs_per_session: int = DEFAULT_MAX_REFS_PER_SESSION,
        max_refs: int | None = DEFAULT_MAX_REFS,
        max_sessions: int | None = None,
        session_ttl: float | None = None,
        ref_overflow: RefOverflow = "error",
        lock: AbstractContextManager[Any] | None = None,
        helpers: Mapping[str, Helper] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        limits = RegistryLimits(
            max_refs_per_session, max_refs, max_sessions, session_ttl, ref_overflow
        )
        self.registry = RefRegistry(limits, lock, clock)
        self._helpers: dict[str, Helper] = {
            "snakebridge.ping": self._ping,
            **(helpers or {}),
        }

    # -- entry points -----------------------------------------------------------------

    def handle(
        self, tool: str, payload: Mapping[str, Any], routed_session: str | None = None
    ) -> Response:
        """Run one ``snakebridge.call`` / ``release_ref`` / ``release_session`` payload.

        ``routed_session`` is the session the dispatcher routed under; a payload that
        names a different one is refused (``SessionMismatchError``).
        """
        try:
            session_id = self._prepare(payload, routed_session)
            self.registry.touch(session_id)
            if tool == TOOL_CALL:
                result = self._call(payload, session_id)
            elif tool == TOOL_RELEASE_REF:
                result = self._release_ref(payload, session_id)
            elif tool == TOOL_RELEASE_SESSION:
                result = self.registry.remove_session(session_id)
            elif tool == TOOL_STREAM:
                raise ProtocolError(f"{TOOL_STREAM} needs handle_stream (a callback)")
            else:
                raise ProtocolError(f"unknown tool {tool!r}")
        except Exception as exc:
            return self._failure(exc)
        return {"ok": True, "result": result}

    def handle_stream(
        self,
        tool: str,
        payload: Mapping[str, Any],
        emit: Callable[[Any], None],
        routed_session: str | None = None,
    ) -> Response:
        """Run a ``snakebridge.stream`` payload, calling ``emit`` with each encoded item.

        Exceptions raised by ``emit`` itself propagate unchanged.
        """
        try:
            if tool != TOOL_STREAM:
                raise ProtocolError(f"handle_stream runs {TOOL_STREAM}, not {tool!r}")
            session_id = self._prepare(payload, routed_session)
            self.registry.touch(session_id)
            iterator = _run(iter, self._invoke_function(payload, session_id))
        except Exception as exc:
            return self._failure(exc)
        count = 0
        while True:
            try:
                item = _run(next, iterator, _DONE)
                if item is _DONE:
                    return {"ok": True, "result": count}
                encoded = self._encode_result(item, payload, session_id)
            except Exception as exc:
                return self._failure(exc)
            emit(encoded)  # outside the try: a failing callback is the caller's error
            count += 1

    # -- payload handling ---------------------------------------------------------------

    @staticmethod
    def _failure(exc: Exception) -> Response:
        error = exc if isinstance(exc, BridgeError) else PythonError.from_exception(exc)
        return {"ok": False, "error": error.to_wire()}

    @staticmethod
    def _prepare(payload: Mapping[str, Any], routed_session: str | None) -> str:
        """Check the protocol version; return the session the payload runs under."""
        if not isinstance(payload, Mapping):
            raise ProtocolError(f"payload must be a dict, got {type(payload).__name__}")
        version, minimum = payload.get("protocol_version"), payload.get("min_supported_version")
        if not isinstance(version, int) or not isinstance(minimum, int):
            raise ProtocolError("payload lacks protocol_version / min_supported_version")
        if minimum > PROTOCOL_VERSION or version < MIN_SUPPORTED_VERSION:
            raise ProtocolError(
                f"client speaks protocol {minimum}..{version}, this worker"
                f" {MIN_SUPPORTED_VERSION}..{PROTOCOL_VERSION}"
            )
        payload_session = payload.get("session_id")
        if payload_session is None:
            # A payload without a session runs under the session it was routed by.
            if routed_session is None:
                raise ProtocolError("payload has no session_id and no routing session")
            return check_session_id(routed_session, "routing opts['session_id']")
        session_id = check_session_id(payload_session, "payload['session_id']")
        if routed_session is not None and routed_session != session_id:
            raise SessionMismatchError(
                f"payload session {session_id!r} but routed under {routed_session!r}:"
                " resolve the session once and use it for both"
            )
        return session_id

    def _call(self, payload: Mapping[str, Any], session_id: str) -> Any:
        call_type = payload.get("call_type")
        if call_type in ("function", "dynamic"):
            return self._encode_result(
                self._invoke_function(payload, session_id), payload, session_id
            )
        if call_type == "class":
            return self._call_class(payload, session_id)
        if call_type == "module_attr":
            module = _run(importlib.import_module, _module_name(payload))
            value = _run(getattr, module, _text(payload, "attr"))
            return self._encode_result(value, payload, session_id)
        if call_type == "helper":
            return self._call_helper(payload, session_id)
        if call_type in ("method", "get_attr", "set_attr", "stream_next"):
            return self._call_instance(str(call_type), payload, session_id)
        raise ProtocolError(f"unknown call_type {call_type!r}")

    def _invoke_function(self, payload: Mapping[str, Any], session_id: str) -> Any:
        args, kwargs = self._arguments(payload, session_id)
        module = _run(importlib.import_module, _module_name(payload))
        function = _run(getattr, module, _text(payload, "function"))
        return _run(function, *args, **kwargs)

    def _call_class(self, payload: Mapping[str, Any], session_id: str) -> Any:
        args, kwargs = self._arguments(payload, session_id)
        module = _run(importlib.import_module, _module_name(payload))
        cls = _run(getattr, module, _text(payload, "class"))
        function = _text(payload, "function")
        if function == "__init__":
            # A constructed instance is always a ref, even when it looks like JSON data.
            instance = _run(cls, *args, **kwargs)
            return self._store(instance, REF_TYPE, payload, session_id)
        result = _run(_run(getattr, cls, function), *args, **kwargs)
        return self._encode_result(result, payload, session_id)

    def _call_instance(self, call_type: str, payload: Mapping[str, Any], session_id: str) -> Any:
        wire = payload.get("instance")
        entry = self._lookup(wire, session_id)
        if call_type == "stream_next":
            if entry.kind != STREAM_REF_TYPE:
                raise InvalidRefError("stream_next needs a stream_ref, got a plain ref")
            item = _run(next, entry.obj, _DONE)
            if item is _DONE:
                # An exhausted stream is freed at once, so callers need not release it.
                self.registry.remove(session_id, coerce_ref(wire).id)
                return dict(STREAM_END_WIRE)
            return self._encode_result(item, payload, session_id)
        if call_type == "get_attr":
            return self._encode_result(
                _run(getattr, entry.obj, _text(payload, "attr")), payload, session_id
            )
        args, kwargs = self._arguments(payload, session_id)
        if call_type == "set_attr":
            if len(args) != 1:
                raise ProtocolError("set_attr carries exactly one arg: the value")
            _run(setattr, entry.obj, _text(payload, "attr"), args[0])
            return None
        method = _run(getattr, entry.obj, _text(payload, "function"))
        return self._encode_result(_run(method, *args, **kwargs), payload, session_id)

    def _call_helper(self, payload: Mapping[str, Any], session_id: str) -> Any:
        name = _text(payload, "helper")
        helper = self._helpers.get(name)
        if helper is None:
            raise ProtocolError(f"unknown helper {name!r}; known: {sorted(self._helpers)}")
        args, kwargs = self._arguments(payload, session_id)
        return self._encode_result(_run(helper, *args, **kwargs), payload, session_id)

    def _release_ref(self, payload: Mapping[str, Any], session_id: str) -> bool:
        ref = coerce_ref(payload.get("ref"))
        if ref.session_id is not None and ref.session_id != session_id:
            raise SessionMismatchError(
                f"ref {ref.id!r} of session {ref.session_id!r} released under {session_id!r}"
            )
        return self.registry.remove(session_id, ref.id)

    @staticmethod
    def _ping(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        return {"ok": True, "protocol_version": PROTOCOL_VERSION}

    # -- values -------------------------------------------------------------------------

    def _lookup(self, wire: object, session_id: str) -> Entry:
        ref = coerce_ref(wire)
        if ref.session_id is not None and ref.session_id != session_id:
            raise SessionMismatchError(
                f"ref {ref.id!r} belongs to session {ref.session_id!r}, used under {session_id!r}"
            )
        return self.registry.get(session_id, ref.id)

    def _arguments(
        self, payload: Mapping[str, Any], session_id: str
    ) -> tuple[list[Any], dict[str, Any]]:
        args, kwargs = payload.get("args", []), payload.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise ProtocolError("payload args must be a list and kwargs a dict")
        return self._decode(args, session_id), self._decode(kwargs, session_id)

    def _decode(self, value: Any, session_id: str) -> Any:
        """Wire args to Python values; ref markers become the objects they name."""
        if isinstance(value, list):
            return [self._decode(item, session_id) for item in value]
        if not isinstance(value, dict):
            return value
        if TYPE_KEY not in value:
            return {key: self._decode(item, session_id) for key, item in value.items()}
        if is_ref_wire(value):
            return self._lookup(value, session_id).obj
        if value[TYPE_KEY] == ESCAPED_DICT_TYPE:
            items = escaped_items(value).items()
            return {key: self._decode(item, session_id) for key, item in items}
        raise unknown_marker(value)

    def _encode_result(self, value: Any, payload: Mapping[str, Any], session_id: str) -> Any:
        """JSON-like data is copied out; every other value is stored and sent as a ref."""
        stored: list[str] = []
        try:
            return self._encode(value, payload, session_id, stored, WirePath())
        except BaseException:
            # Never leave half of a result behind (e.g. when the ref limit hits midway).
            for ref_id in stored:
                self.registry.remove(session_id, ref_id)
            raise

    def _encode(
        self,
        value: Any,
        payload: Mapping[str, Any],
        session_id: str,
        stored: list[str],
        path: WirePath,
    ) -> Any:
        kind = type(value)
        if kind in _JSON_SCALARS:
            return value
        if kind is list or kind is tuple:
            path.enter(value)
            items = [self._encode(item, payload, session_id, stored, path) for item in value]
            path.leave(value)
            return items
        if kind is dict and all(type(key) is str for key in value):
            path.enter(value)
            encoded = {
                key: self._encode(item, payload, session_id, stored, path)
                for key, item in value.items()
            }
            path.leave(value)
            return escape_dict(encoded) if TYPE_KEY in encoded else encoded
        wire_kind = STREAM_REF_TYPE if isinstance(value, Iterator) else REF_TYPE
        wire = self._store(value, wire_kind, payload, session_id)
        stored.append(wire["id"])
        return wire

    def _store(
        self, value: object, kind: str, payload: Mapping[str, Any], session_id: str
    ) -> dict[str, Any]:
        ref_id = self.registry.add(session_id, value, kind)
        return {
            "__type__": kind,
            "__schema__": REF_SCHEMA,
            "id": ref_id,
            "session_id": session_id,
            "python_module": payload.get("python_module") or payload.get("module_path"),
            "library": payload.get("library"),
        }


def _text(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"payload needs a non-empty str {key!r}, got {value!r}")
    return value


def _module_name(payload: Mapping[str, Any]) -> str:
    return _text(payload, "module_path" if "module_path" in payload else "python_module")
