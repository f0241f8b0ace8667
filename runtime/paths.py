"""The call paths, each written ONCE, for the synchronous and the asyncio API alike.

A path is a generator: it checks its arguments, resolves its session once, builds its
payload and routing options, and yields the dispatch it needs (``DISPATCH.execute(...)``
describes a dispatch, it performs nothing). A driver performs each dispatch and sends
the wire result back: :mod:`runtime.calls` calls the client, :mod:`runtime.aio` awaits
its async twin. Stream paths also yield :class:`Item` steps, each an item for the
consumer (a callback, or an ``async for`` loop). When a dispatch or the consumer fails,
or the consumer stops, the driver throws that exception in at the step, so a path's
``finally`` cleans up (it may dispatch again) the same way under both drivers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from runtime.bindings import binding_info, class_binding_info
from runtime.context import check_session_id, clear_auto_session, peek_auto_session
from runtime.errors import BridgeError, InvalidRefError, PythonError, SessionMismatchError
from runtime.options import ensure_session_opt, reject_call_args, split_opts
from runtime.payloads import (
    class_payload,
    dynamic_payload,
    encode_args,
    encode_kwargs,
    function_payload,
    get_attr_payload,
    helper_payload,
    method_payload,
    module_attr_payload,
    release_ref_payload,
    release_session_payload,
    set_attr_payload,
    stream_next_payload,
)
from runtime.resolve import SESSION_KEY, resolve_session_id
from runtime.wire import (
    END_OF_STREAM,
    TOOL_CALL,
    TOOL_RELEASE_REF,
    TOOL_RELEASE_SESSION,
    TOOL_STREAM,
    Ref,
    RefLike,
    StreamRef,
    coerce_ref,
    decode_value,
    encode_value,
)

T = TypeVar("T")


class Dispatch(NamedTuple):
    """One dispatch a path asks for. ``decode_item`` is set for a stream dispatch: each
    wire item the client streams back goes through it to the consumer."""

    tool: str
    payload: dict[str, Any]
    opts: dict[str, Any]
    decode_item: Callable[[Any], Any] | None = None

    @property
    def session_id(self) -> str:
        """The routing session (the one the path resolved)."""
        session_id: str = self.opts[SESSION_KEY]
        return session_id


class Item(NamedTuple):
    """An item of a stream path, for its consumer; the driver sends back ``None``."""

    value: Any


Steps = Generator[Dispatch | Item, Any, T]
"""A call path in progress: yields dispatches (and stream items), returns the result."""


class _Dispatcher:
    """The sink every path dispatches to: it describes a dispatch for the driver."""

    def execute(self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /) -> Dispatch:
        return Dispatch(tool, payload, opts)

    def execute_stream(
        self,
        tool: str,
        payload: dict[str, Any],
        decode_item: Callable[[Any], Any],
        opts: dict[str, Any],
        /,
    ) -> Dispatch:
        return Dispatch(tool, payload, opts, decode_item)


DISPATCH = _Dispatcher()


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{what} must be a non-empty str, got {value!r}")
    return value


def call(module: object, function: str, args: Sequence[Any], opts: Mapping[str, Any]) -> Steps[Any]:
    """Call ``function`` of a binding's module; a ``str`` module goes to :func:`call_dynamic`."""
    if isinstance(module, str):
        return (yield from call_dynamic(module, function, args, opts))
    binding = binding_info(module)
    kwargs, idempotent, extra_args, runtime_opts = split_opts(opts)
    session_id = resolve_session_id(runtime_opts)
    payload = function_payload(
        binding,
        _name(function, "function"),
        encode_args(args, extra_args),
        encode_kwargs(kwargs),
        idempotent,
        session_id,
    )
    routing_opts = ensure_session_opt(runtime_opts, session_id)
    return decode_value((yield DISPATCH.execute(TOOL_CALL, payload, routing_opts)))


def call_dynamic(
    module_path: str, function: str, args: Sequence[Any], opts: Mapping[str, Any]
) -> Steps[Any]:
    """Call ``function`` of the module at ``module_path`` (no binding needed)."""
    kwargs, idempotent, extra_args, runtime_opts = split_opts(opts)
    session_id = resolve_session_id(runtime_opts)
    payload = dynamic_payload(
        _name(module_path, "module_path"),
        _name(function, "function"),
        encode_args(args, extra_args),
        encode_kwargs(kwargs),
        idempotent,
        session_id,
    )
    routing_opts = ensure_session_opt(runtime_opts, session_id)
    return decode_value((yield DISPATCH.execute(TOOL_CALL, payload, routing_opts)))


def get_module_attr(module: object, attr: str, opts: Mapping[str, Any]) -> Steps[Any]:
    """Read a module attribute; ``module`` is a binding or a module path."""
    kwargs, idempotent, extra_args, runtime_opts = split_opts(opts)
    reject_call_args("get_module_attr", kwargs, extra_args)
    session_id = resolve_session_id(runtime_opts)
    target = _name(module, "module") if isinstance(module, str) else binding_info(module)
    payload = module_attr_payload(target, _name(attr, "attr"), idempotent, session_id)
    routing_opts = ensure_session_opt(runtime_opts, session_id)
    return decode_value((yield DISPATCH.execute(TOOL_CALL, payload, routing_opts)))


def call_class(
    module: object, function: str, args: Sequence[Any], opts: Mapping[str, Any]
) -> Steps[Any]:
    """Construct an instance of a class binding (a ``Ref``), or call a class-level function."""
    binding = class_binding_info(module)
    kwargs, idempotent, extra_args, runtime_opts = split_opts(opts)
    session_id = resolve_session_id(runtime_opts)
    payload = class_payload(
        binding,
        _name(function, "function"),
        encode_args(args, extra_args),
        encode_kwargs(kwargs),
        idempotent,
        session_id,
    )
    routing_opts = ensure_session_opt(runtime_opts, session_id)
    result = decode_value((yield DISPATCH.execute(TOOL_CALL, payload, routing_opts)))
    if function == "__init__" and not isinstance(result, Ref):
        raise InvalidRefError(f"constructor of {binding.python_class} returned {result!r}")
    return result


def call_method(
    ref: RefLike, method: str, args: Sequence[Any], opts: Mapping[str, Any]
) -> Steps[Any]:
    """Call ``method`` on the object behind ``ref``."""
    ref = coerce_ref(ref)
    kwargs, idempotent, extra_args, runtime_opts = split_opts(opts)
    session_id = resolve_session_id(runtime_opts, ref)
    payload = method_payload(
        ref,
        _name(method, "method"),
        encode_args(args, extra_args),
        encode_kwargs(kwargs),
        idempotent,
        session_id,
    )
    routing_opts = ensure_session_opt(runtime_opts, session_id)
    return decode_value((yield DISPATCH.execute(TOOL_CALL, payload, routing_opts)))


def get_attr(ref: RefLike, attr: str, opts: Mapping[str, Any]) -> Steps[Any]:
    """Read ``attr`` of the object behind ``ref``."""
    ref = coerce_ref(ref)
    kwargs, idempotent, extra_args, runtime_opts = split_opts(opts)
    reject_call_args("get_attr", kwargs, extra_args)
    session_id = resolve_session_id(runtime_opts, ref)
    payload = get_attr_payload(ref, _name(attr, "attr"), idempotent, session_id)
    routing_opts = ensure_session_opt(runtime_opts, session_id)
    return decode_value((yield DISPATCH.execute(TOOL_CALL, payload, routing_opts)))


def set_attr(ref: RefLike, attr: str, value: Any, opts: Mapping[str, Any]) -> Steps[None]:
    """Set ``attr`` of the object behind ``ref`` to ``value`` (JSON-like data or a ref)."""
    ref = coerce_ref(ref)
    kwargs, idempotent, extra_args, runtime_opts = split_opts(opts)
    reject_call_args("set_attr", kwargs, extra_args)
    session_id = resolve_session_id(runtime_opts, ref)
    payload = set_attr_payload(
        ref, _name(attr, "attr"), encode_value(value), idempotent, session_id
    )
    routing_opts = ensure_session_opt(runtime_opts, session_id)
    yield DISPATCH.execute(TOOL_CALL, payload, routing_opts)


def call_helper(
    helper: str,
    args: Sequence[Any],
    opts: Mapping[str, Any] | None,
    kw: Mapping[str, Any],
) -> Steps[Any]:
    """Call a worker helper: a positional mapping ``opts`` (verbatim kwargs, no override)
    or keywords ``kw`` (with the reserved keys of every other path)."""
    if opts is None:
        return (yield from _call_helper_keywords(_name(helper, "helper"), args, kw))
    if kw:
        raise TypeError(
            "call_helper: pass helper kwargs either as one mapping or as keywords, not both"
            " (only the keyword form takes __runtime__)"
        )
    if not isinstance(opts, Mapping):
        raise TypeError(f"call_helper opts must be a mapping, got {type(opts).__name__}")
    return (yield from _call_helper_mapping(_name(helper, "helper"), args, opts))


def _call_helper_mapping(
    helper: str, args: Sequence[Any], helper_kwargs: Mapping[str, Any]
) -> Steps[Any]:
    # No override can exist here, but the resolver still decides (context > auto-session).
    session_id = resolve_session_id(None)
    payload = helper_payload(
        helper, encode_args(args), encode_kwargs(helper_kwargs), False, session_id
    )
    routing_opts = ensure_session_opt(None, session_id)
    return decode_value((yield DISPATCH.execute(TOOL_CALL, payload, routing_opts)))


def _call_helper_keywords(helper: str, args: Sequence[Any], opts: Mapping[str, Any]) -> Steps[Any]:
    kwargs, idempotent, extra_args, runtime_opts = split_opts(opts)
    session_id = resolve_session_id(runtime_opts)
    payload = helper_payload(
        helper, encode_args(args, extra_args), encode_kwargs(kwargs), idempotent, session_id
    )
    routing_opts = ensure_session_opt(runtime_opts, session_id)
    return decode_value((yield DISPATCH.execute(TOOL_CALL, payload, routing_opts)))


def stream(
    module: object, function: str, args: Sequence[Any], opts: Mapping[str, Any]
) -> Steps[None]:
    """Call ``function`` and hand each item it yields to the consumer, in order.

    A binding streams in one ``execute_stream`` dispatch; a ``str`` module path goes
    through ``call_dynamic`` and then ``stream_next`` until the end.
    """
    if isinstance(module, str):
        yield from _stream_dynamic(module, function, args, opts)
        return
    binding = binding_info(module)
    kwargs, idempotent, extra_args, runtime_opts = split_opts(opts)
    session_id = resolve_session_id(runtime_opts)
    payload = function_payload(
        binding,
        _name(function, "function"),
        encode_args(args, extra_args),
        encode_kwargs(kwargs),
        idempotent,
        session_id,
    )
    routing_opts = ensure_session_opt(runtime_opts, session_id)
    yield DISPATCH.execute_stream(TOOL_STREAM, payload, decode_value, routing_opts)


def _stream_dynamic(
    module_path: str, function: str, args: Sequence[Any], opts: Mapping[str, Any]
) -> Steps[None]:
    # Iterates what iter() of the result gives, as the binding form does on the worker.
    # Only the override is forwarded to later calls; each ref carries its session.
    runtime_opts = split_opts(opts)[3]
    later = {"__runtime__": runtime_opts}
    result = yield from call_dynamic(module_path, function, args, opts)
    if not isinstance(result, Ref):
        yield from _stream_data(result, runtime_opts)
        return
    if isinstance(result, StreamRef):
        handle = result
    else:
        try:
            handle = yield from call_dynamic("builtins", "iter", [result], later)
        finally:
            # The iterable itself is no longer needed once iterated, or when it cannot be.
            yield from _release_quietly(result, runtime_opts)
        if not isinstance(handle, StreamRef):
            yield from _release_refs_in(handle, runtime_opts)
            raise InvalidRefError(f"iter() of {result!r} gave {handle!r}, not a stream ref")
    finished = False
    try:
        while (item := (yield from stream_next(handle, later))) is not END_OF_STREAM:
            yield Item(item)
        finished = True
    finally:
        if not finished:
            # The worker frees exhausted streams itself; free an abandoned one here.
            yield from _release_quietly(handle, runtime_opts)


def _stream_data(result: Any, runtime_opts: Mapping[str, Any] | None) -> Steps[None]:
    """Stream a result that came back as data, iterating it as ``iter()`` would."""
    try:
        items = list(iter(result))
    except TypeError as exc:
        # The binding form reports this from the worker: the same error here.
        raise PythonError.from_exception(exc) from None
    if isinstance(result, dict):
        yield from _release_refs_in(list(result.values()), runtime_opts)  # iter() yields keys
    delivered = 0
    try:
        for item in items:
            yield Item(item)
            delivered += 1
    finally:
        # Items never delivered (the consumer raised or stopped) must not leave refs behind.
        yield from _release_refs_in(items[delivered + 1 :], runtime_opts)


def _release_refs_in(value: Any, runtime_opts: Mapping[str, Any] | None) -> Steps[None]:
    if isinstance(value, Ref):
        yield from _release_quietly(value, runtime_opts)
    elif isinstance(value, list):
        for item in value:
            yield from _release_refs_in(item, runtime_opts)
    elif isinstance(value, dict):
        yield from _release_refs_in(list(value.values()), runtime_opts)


def _release_quietly(ref: Ref, runtime_opts: Mapping[str, Any] | None) -> Steps[None]:
    with contextlib.suppress(BridgeError):
        yield from release_ref(ref, {"__runtime__": runtime_opts})


def stream_next(stream_ref: RefLike, opts: Mapping[str, Any]) -> Steps[Any]:
    """The next item of a stream, or ``END_OF_STREAM`` (the worker then frees the stream)."""
    stream_ref = coerce_ref(stream_ref)
    if not isinstance(stream_ref, StreamRef):
        raise InvalidRefError(f"stream_next needs a StreamRef, got {stream_ref!r}")
    kwargs, idempotent, extra_args, runtime_opts = split_opts(opts)
    reject_call_args("stream_next", kwargs, extra_args)
    if idempotent:
        # Advancing a stream twice skips an item: a retry would be wrong, so say so.
        raise TypeError("stream_next is never idempotent: it cannot take idempotent=True")
    session_id = resolve_session_id(runtime_opts, stream_ref)
    payload = stream_next_payload(stream_ref, session_id)
    routing_opts = ensure_session_opt(runtime_opts, session_id)
    return decode_value((yield DISPATCH.execute(TOOL_CALL, payload, routing_opts)))


def release_ref(ref: RefLike, opts: Mapping[str, Any]) -> Steps[bool]:
    """Free the object behind ``ref``; ``False`` if it was already gone."""
    ref = coerce_ref(ref)
    kwargs, _idempotent, extra_args, runtime_opts = split_opts(opts)
    reject_call_args("release_ref", kwargs, extra_args)
    session_id = resolve_session_id(runtime_opts, ref)
    payload = release_ref_payload(ref, session_id)
    routing_opts = ensure_session_opt(runtime_opts, session_id)
    return bool((yield DISPATCH.execute(TOOL_RELEASE_REF, payload, routing_opts)))


def release_session(session_id: str, opts: Mapping[str, Any]) -> Steps[int]:
    """Free every ref of ``session_id`` on its worker; return how many were freed.

    The caller names the session explicitly, so it is both payload and routing session;
    a different ``__runtime__`` session would route elsewhere and is refused.
    """
    kwargs, _idempotent, extra_args, runtime_opts = split_opts(opts)
    reject_call_args("release_session", kwargs, extra_args)
    check_session_id(session_id, "release_session(session_id)")
    override = (runtime_opts or {}).get("session_id")
    if override is not None and override != session_id:
        raise SessionMismatchError(
            f"release_session({session_id!r}) cannot be routed under {override!r}"
        )
    payload = release_session_payload(session_id)
    routing_opts = ensure_session_opt(runtime_opts, session_id)
    return int((yield DISPATCH.execute(TOOL_RELEASE_SESSION, payload, routing_opts)))


def release_auto_session(opts: Mapping[str, Any]) -> Steps[str | None]:
    """Release this flow's auto-session on the worker and forget it; return its id.

    Returns ``None`` (and dispatches nothing) when this flow has no auto-session.
    """
    session_id = peek_auto_session()
    if session_id is None:
        return None
    yield from release_session(session_id, opts)
    clear_auto_session()
    return session_id


def release_ended_session(session_id: str) -> Steps[None]:
    """Release an auto-session whose flow ended (the driver sends it to each of its clients)."""
    payload = release_session_payload(session_id)
    routing_opts = ensure_session_opt(None, session_id)
    yield DISPATCH.execute(TOOL_RELEASE_SESSION, payload, routing_opts)
