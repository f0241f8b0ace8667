"""Reference runtime: every call path resolves its session once, for payload and routing."""

from typing import TYPE_CHECKING, Any

from runtime import aio
from runtime.adapter import Adapter, unwrap_response
from runtime.async_client import ThreadedAsyncClient
from runtime.bindings import BindingInfo, binding_info, is_binding
from runtime.calls import (
    call,
    call_class,
    call_dynamic,
    call_helper,
    call_method,
    get_attr,
    get_module_attr,
    release_auto_session,
    release_ended_sessions,
    release_ref,
    release_session,
    set_attr,
    stream,
    stream_next,
)
from runtime.client import (
    AsyncRuntimeClient,
    RuntimeClient,
    get_client,
    set_client,
    using_client,
)
from runtime.context import (
    SessionContext,
    clear_auto_session,
    clear_current,
    current_context,
    current_session_id,
    with_session,
)
from runtime.errors import (
    BridgeError,
    CallTimeoutError,
    ClientClosedError,
    InvalidRefError,
    InvalidRuntimeOptionError,
    InvalidSessionIdError,
    ProtocolError,
    PythonError,
    QueueFullError,
    QueueTimeoutError,
    RefLimitError,
    RefNotFoundError,
    SessionLimitError,
    SessionMismatchError,
    WireEncodingError,
    WorkerBusyError,
    WorkerDiedError,
)
from runtime.local_client import LocalClient
from runtime.pool.client import PoolClient
from runtime.resolve import resolve_session_id
from runtime.wire import END_OF_STREAM, Ref, StreamRef

if TYPE_CHECKING:
    from runtime.ray import RayClient as RayClient


def __getattr__(name: str) -> Any:
    # ``runtime.RayClient`` imports Ray on first use only: importing ``runtime`` stays
    # cheap, and works without the ``ray`` extra. It is not in ``__all__`` for the same
    # reason (``from runtime import *`` must not need Ray).
    if name == "RayClient":
        from runtime.ray import RayClient

        return RayClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "END_OF_STREAM",
    "Adapter",
    "AsyncRuntimeClient",
    "BindingInfo",
    "BridgeError",
    "CallTimeoutError",
    "ClientClosedError",
    "InvalidRefError",
    "InvalidRuntimeOptionError",
    "InvalidSessionIdError",
    "LocalClient",
    "PoolClient",
    "ProtocolError",
    "PythonError",
    "QueueFullError",
    "QueueTimeoutError",
    "Ref",
    "RefLimitError",
    "RefNotFoundError",
    "RuntimeClient",
    "SessionContext",
    "SessionLimitError",
    "SessionMismatchError",
    "StreamRef",
    "ThreadedAsyncClient",
    "WireEncodingError",
    "WorkerBusyError",
    "WorkerDiedError",
    "aio",
    "binding_info",
    "call",
    "call_class",
    "call_dynamic",
    "call_helper",
    "call_method",
    "clear_auto_session",
    "clear_current",
    "current_context",
    "current_session_id",
    "get_attr",
    "get_client",
    "get_module_attr",
    "is_binding",
    "release_auto_session",
    "release_ended_sessions",
    "release_ref",
    "release_session",
    "resolve_session_id",
    "set_attr",
    "set_client",
    "stream",
    "stream_next",
    "unwrap_response",
    "using_client",
    "with_session",
]
