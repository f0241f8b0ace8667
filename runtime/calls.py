"""The synchronous call paths: each drives its one implementation in :mod:`runtime.paths`.

Every path resolves its session ONCE and gives that value to payload and routing; this
module only performs the dispatches a path asks for, through the selected client.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from runtime import driving, paths
from runtime.auto_session import has_ended_sessions, note_dispatch, take_ended_sessions
from runtime.client import RuntimeClient, get_client
from runtime.errors import BridgeError
from runtime.paths import Dispatch, Item, Steps
from runtime.wire import RefLike

T = TypeVar("T")


def _client(session_id: str) -> RuntimeClient:
    """The client for a dispatch under ``session_id``, noted if it is the auto-session."""
    if has_ended_sessions():
        release_ended_sessions()
    client = get_client()
    note_dispatch(session_id, client)
    return client


def _perform(
    step: Dispatch | Item,
    on_item: Callable[[Any], object] | None,
    client: RuntimeClient | None,
) -> Any:
    if isinstance(step, Item):
        if on_item is None:
            raise RuntimeError("a call path yielded a stream item outside a stream")
        on_item(step.value)
        return None
    target = client if client is not None else _client(step.session_id)
    decode_item = step.decode_item
    if decode_item is None:
        return target.execute(step.tool, step.payload, step.opts)
    if on_item is None:
        raise RuntimeError("a call path asked for a stream outside a stream")
    consume = on_item

    def on_wire_item(item: Any) -> None:
        consume(decode_item(item))

    target.execute_stream(step.tool, step.payload, on_wire_item, step.opts)
    return None


def drive(
    steps: Steps[T],
    on_item: Callable[[Any], object] | None = None,
    client: RuntimeClient | None = None,
) -> T:
    """Run a call path to its result, performing each dispatch it yields (through
    ``client``, else the selected one); stream items go to ``on_item``."""
    if on_item is None and client is None:
        return driving.drive(steps, _execute)
    return driving.drive(steps, functools.partial(_perform, on_item=on_item, client=client))


def _execute(step: Dispatch | Item) -> Any:
    """The common step: a plain dispatch through the selected client."""
    if isinstance(step, Item) or step.decode_item is not None:
        raise RuntimeError("a call path yielded a stream step outside a stream")
    return _client(step.session_id).execute(step.tool, step.payload, step.opts)


def call(module: object, function: str, args: Sequence[Any] = (), **opts: Any) -> Any:
    """Call ``function`` of a binding's module; a ``str`` module goes to :func:`call_dynamic`."""
    return drive(paths.call(module, function, args, opts))


def call_dynamic(module_path: str, function: str, args: Sequence[Any] = (), **opts: Any) -> Any:
    """Call ``function`` of the module at ``module_path`` (no binding needed)."""
    return drive(paths.call_dynamic(module_path, function, args, opts))


def get_module_attr(module: object, attr: str, **opts: Any) -> Any:
    """Read a module attribute (``math.pi``); ``module`` is a binding or a module path."""
    return drive(paths.get_module_attr(module, attr, opts))


def call_class(
    module: object, function: str = "__init__", args: Sequence[Any] = (), **opts: Any
) -> Any:
    """Construct an instance of a class binding (a ``Ref``), or call a class-level function."""
    return drive(paths.call_class(module, function, args, opts))


def call_method(ref: RefLike, method: str, args: Sequence[Any] = (), **opts: Any) -> Any:
    """Call ``method`` on the object behind ``ref``."""
    return drive(paths.call_method(ref, method, args, opts))


def get_attr(ref: RefLike, attr: str, **opts: Any) -> Any:
    """Read ``attr`` of the object behind ``ref``."""
    return drive(paths.get_attr(ref, attr, opts))


def set_attr(ref: RefLike, attr: str, value: Any, **opts: Any) -> None:
    """Set ``attr`` of the object behind ``ref`` to ``value`` (JSON-like data or a ref)."""
    drive(paths.set_attr(ref, attr, value, opts))


def call_helper(
    helper: str, args: Sequence[Any] = (), opts: Mapping[str, Any] | None = None, **kw: Any
) -> Any:
    """Call a worker helper.

    Two forms: ``call_helper(name, args, {"k": v})`` passes the mapping's items to the
    helper verbatim (so it can carry no override; the session comes from the context);
    ``call_helper(name, args, k=v, __runtime__={...})`` is the keyword form with the
    reserved keys of every other path.
    """
    return drive(paths.call_helper(helper, args, opts, kw))


def stream(
    module: object,
    function: str,
    args: Sequence[Any],
    callback: Callable[[Any], object],
    **opts: Any,
) -> None:
    """Call ``function`` and pass each item it yields to ``callback``, in order.

    A binding streams in one ``execute_stream`` dispatch; a ``str`` module path goes
    through ``call_dynamic`` and then ``stream_next`` until the end.
    """
    drive(paths.stream(module, function, args, opts), callback)


def stream_next(stream_ref: RefLike, **opts: Any) -> Any:
    """The next item of a stream, or ``END_OF_STREAM`` (the worker then frees the stream)."""
    return drive(paths.stream_next(stream_ref, opts))


def release_ref(ref: RefLike, **opts: Any) -> bool:
    """Free the object behind ``ref``; ``False`` if it was already gone."""
    return drive(paths.release_ref(ref, opts))


def release_session(session_id: str, **opts: Any) -> int:
    """Free every ref of ``session_id`` on its worker; return how many were freed.

    The caller names the session explicitly, so it is both payload and routing session;
    a different ``__runtime__`` session would route elsewhere and is refused.
    """
    return drive(paths.release_session(session_id, opts))


def release_auto_session(**opts: Any) -> str | None:
    """Release this flow's auto-session on the worker and forget it; return its id.

    Returns ``None`` (and dispatches nothing) when this flow has no auto-session.
    """
    return drive(paths.release_auto_session(opts))


def release_ended_sessions() -> int:
    """Release, on every client they used, the auto-sessions of flows that have ended.

    Runs before each dispatch anyway; call it to free them now (e.g. before a snapshot).
    Returns how many sessions were released. A client that refuses (closed) is skipped.
    """
    ended = take_ended_sessions()
    for session_id, clients in ended:
        for client_ref in clients:
            client = client_ref()
            if client is not None:
                with contextlib.suppress(BridgeError):
                    drive(paths.release_ended_session(session_id), client=client)
    return len(ended)
