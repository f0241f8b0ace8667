"""Reference runtime: every call path resolves its session once, for payload and routing."""

from runtime.adapter import Adapter, unwrap_response
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
    release_ref,
    release_session,
    set_attr,
    stream,
    stream_next,
)
from runtime.client import RuntimeClient, get_client, set_client, using_client
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
    InvalidRefError,
    InvalidSessionIdError,
    ProtocolError,
    PythonError,
    RefLimitError,
    RefNotFoundError,
    SessionMismatchError,
    WireEncodingError,
)
from runtime.local_client import LocalClient
from runtime.resolve import resolve_session_id
from runtime.wire import END_OF_STREAM, Ref, StreamRef

__all__ = [
    "END_OF_STREAM",
    "Adapter",
    "BindingInfo",
    "BridgeError",
    "InvalidRefError",
    "InvalidSessionIdError",
    "LocalClient",
    "ProtocolError",
    "PythonError",
    "Ref",
    "RefLimitError",
    "RefNotFoundError",
    "RuntimeClient",
    "SessionContext",
    "SessionMismatchError",
    "StreamRef",
    "WireEncodingError",
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
