"""Payload builders. Each takes the already-resolved ``session_id``; none reads a session."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runtime.bindings import BindingInfo, dynamic_library
from runtime.wire import MIN_SUPPORTED_VERSION, PROTOCOL_VERSION, Ref, encode_value

Payload = dict[str, Any]


def encode_args(args: Sequence[Any], extra_args: Sequence[Any] = ()) -> list[Any]:
    """Positional args (plus ``__args__``) in wire form."""
    if isinstance(args, str | bytes) or not isinstance(args, Sequence):
        raise TypeError(f"args must be a list or tuple, got {args!r}")
    encoded: list[Any] = encode_value([*args, *extra_args])
    return encoded


def encode_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword args in wire form."""
    encoded: dict[str, Any] = encode_value(kwargs)
    return encoded


def _header(session_id: str, idempotent: bool) -> Payload:
    return {
        "protocol_version": PROTOCOL_VERSION,
        "min_supported_version": MIN_SUPPORTED_VERSION,
        "idempotent": idempotent,
        "session_id": session_id,
    }


def _call(
    call_type: str,
    function: str,
    args: list[Any],
    kwargs: dict[str, Any],
    idempotent: bool,
    session_id: str,
) -> Payload:
    payload = _header(session_id, idempotent)
    payload.update(call_type=call_type, function=function, args=args, kwargs=kwargs)
    return payload


def function_payload(
    binding: BindingInfo,
    function: str,
    args: list[Any],
    kwargs: dict[str, Any],
    idempotent: bool,
    session_id: str,
) -> Payload:
    """``call_type: function`` on a binding's module."""
    payload = _call("function", function, args, kwargs, idempotent, session_id)
    payload.update(python_module=binding.python_module, library=binding.library)
    return payload


def dynamic_payload(
    module_path: str,
    function: str,
    args: list[Any],
    kwargs: dict[str, Any],
    idempotent: bool,
    session_id: str,
) -> Payload:
    """``call_type: dynamic`` on a module named by its path."""
    payload = _call("dynamic", function, args, kwargs, idempotent, session_id)
    payload.update(module_path=module_path, library=dynamic_library(module_path))
    return payload


def class_payload(
    binding: BindingInfo,
    function: str,
    args: list[Any],
    kwargs: dict[str, Any],
    idempotent: bool,
    session_id: str,
) -> Payload:
    """``call_type: class``: a constructor (``__init__``) or a class-level function."""
    payload = _call("class", function, args, kwargs, idempotent, session_id)
    payload.update(python_module=binding.python_module, library=binding.library)
    payload["class"] = binding.python_class
    return payload


def module_attr_payload(
    module: BindingInfo | str, attr: str, idempotent: bool, session_id: str
) -> Payload:
    """``call_type: module_attr`` on a binding's module or a module path."""
    payload = _call("module_attr", attr, [], {}, idempotent, session_id)
    payload["attr"] = attr
    payload.update(_module_fields(module))
    return payload


def method_payload(
    ref: Ref,
    method: str,
    args: list[Any],
    kwargs: dict[str, Any],
    idempotent: bool,
    session_id: str,
) -> Payload:
    """``call_type: method`` on the object behind ``ref``."""
    payload = _call("method", method, args, kwargs, idempotent, session_id)
    payload.update(_instance_fields(ref))
    return payload


def get_attr_payload(ref: Ref, attr: str, idempotent: bool, session_id: str) -> Payload:
    """``call_type: get_attr`` on the object behind ``ref``."""
    payload = _call("get_attr", attr, [], {}, idempotent, session_id)
    payload.update(_instance_fields(ref), attr=attr)
    return payload


def set_attr_payload(ref: Ref, attr: str, value: Any, idempotent: bool, session_id: str) -> Payload:
    """``call_type: set_attr``; the encoded value travels as the single positional arg."""
    payload = _call("set_attr", attr, [value], {}, idempotent, session_id)
    payload.update(_instance_fields(ref), attr=attr)
    return payload


def helper_payload(
    helper: str,
    args: list[Any],
    kwargs: dict[str, Any],
    idempotent: bool,
    session_id: str,
) -> Payload:
    """``call_type: helper``: a named worker helper such as ``snakebridge.ping``."""
    payload = _call("helper", helper, args, kwargs, idempotent, session_id)
    payload.update(helper=helper, library=dynamic_library(helper))
    return payload


def stream_next_payload(stream_ref: Ref, session_id: str) -> Payload:
    """``call_type: stream_next``: advance the iterator behind ``stream_ref``."""
    payload = _call("stream_next", "__next__", [], {}, False, session_id)
    payload.update(_instance_fields(stream_ref))
    return payload


def release_ref_payload(ref: Ref, session_id: str) -> Payload:
    """Payload of the ``snakebridge.release_ref`` tool."""
    payload = _header(session_id, True)
    payload["ref"] = ref.to_wire_format()
    return payload


def release_session_payload(session_id: str) -> Payload:
    """Payload of the ``snakebridge.release_session`` tool."""
    return _header(session_id, True)


def _module_fields(module: BindingInfo | str) -> dict[str, Any]:
    if isinstance(module, str):
        return {"module_path": module, "library": dynamic_library(module)}
    return {"python_module": module.python_module, "library": module.library}


def _instance_fields(ref: Ref) -> dict[str, Any]:
    return {
        "instance": ref.to_wire_format(),
        "python_module": ref.python_module,
        "library": ref.library,
    }
