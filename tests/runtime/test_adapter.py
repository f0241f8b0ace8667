"""The worker-side Adapter on its own: plain-data payloads in, plain-data responses out."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from runtime import (
    Adapter,
    BridgeError,
    InvalidRefError,
    InvalidSessionIdError,
    ProtocolError,
    PythonError,
    RefLimitError,
    RefNotFoundError,
    SessionMismatchError,
    WireEncodingError,
    unwrap_response,
)
from runtime.errors import error_from_wire


def payload(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "protocol_version": 1,
        "min_supported_version": 1,
        "call_type": "dynamic",
        "module_path": "math",
        "function": "sqrt",
        "args": [4],
        "kwargs": {},
        "idempotent": False,
        "session_id": "S",
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def run(adapter: Adapter, tool: str, body: dict[str, Any], routed: str | None = None) -> Any:
    response = adapter.handle(tool, body, routed)
    assert pickle.loads(pickle.dumps(response)) == response  # crosses a process boundary
    return unwrap_response(response)


def test_a_call_runs_and_answers_plain_data() -> None:
    adapter = Adapter()
    assert run(adapter, "snakebridge.call", payload(), "S") == 2.0


def test_payload_and_routing_disagreeing_is_refused() -> None:
    with pytest.raises(SessionMismatchError, match="routed under"):
        run(Adapter(), "snakebridge.call", payload(session_id="A"), "B")


def test_a_payload_without_session_runs_under_the_routing_session() -> None:
    adapter = Adapter()
    ref = run(
        adapter,
        "snakebridge.call",
        payload(function="Counter", module_path="collections", args=[], session_id=None),
        "R",
    )
    assert ref["session_id"] == "R"
    with pytest.raises(ProtocolError, match="no session"):
        run(adapter, "snakebridge.call", payload(session_id=None))


@pytest.mark.parametrize(
    ("tool", "body", "error"),
    [
        ("snakebridge.nope", payload(), ProtocolError),
        ("snakebridge.stream", payload(), ProtocolError),
        ("snakebridge.call", payload(call_type="teleport"), ProtocolError),
        ("snakebridge.call", payload(protocol_version=None), ProtocolError),
        ("snakebridge.call", payload(protocol_version=9, min_supported_version=9), ProtocolError),
        ("snakebridge.call", payload(args="4"), ProtocolError),
        ("snakebridge.call", payload(function=""), ProtocolError),
        ("snakebridge.call", payload(session_id=""), InvalidSessionIdError),
        ("snakebridge.call", payload(call_type="method", instance={"id": 1}), InvalidRefError),
        (
            "snakebridge.call",
            payload(call_type="method", instance={"__type__": "ref", "id": "gone"}),
            RefNotFoundError,
        ),
    ],
)
def test_bad_payloads_get_clear_errors(tool: str, body: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        run(Adapter(), tool, body)


def test_stream_next_on_a_plain_ref_is_an_invalid_ref() -> None:
    adapter = Adapter()
    ref = run(
        adapter, "snakebridge.call", payload(module_path="collections", function="Counter", args=[])
    )
    with pytest.raises(InvalidRefError, match="stream_ref"):
        run(adapter, "snakebridge.call", payload(call_type="stream_next", instance=ref))


def test_handle_stream_emits_encoded_items_and_counts_them() -> None:
    adapter = Adapter()
    items: list[Any] = []
    body = payload(module_path="builtins", function="iter", args=[[1, [2]]])
    assert unwrap_response(adapter.handle_stream("snakebridge.stream", body, items.append)) == 2
    assert items == [1, [2]]
    response = adapter.handle_stream("snakebridge.call", body, items.append)
    with pytest.raises(ProtocolError):
        unwrap_response(response)


def test_release_tools() -> None:
    adapter = Adapter()
    ref = run(
        adapter, "snakebridge.call", payload(module_path="collections", function="Counter", args=[])
    )
    release = payload(ref=ref)
    with pytest.raises(SessionMismatchError):
        run(adapter, "snakebridge.release_ref", {**release, "session_id": "other"})
    assert run(adapter, "snakebridge.release_ref", release) is True
    assert run(adapter, "snakebridge.release_ref", release) is False
    assert run(adapter, "snakebridge.release_session", payload()) == 0


def test_the_registry_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_refs_per_session"):
        Adapter(max_refs_per_session=0)


@pytest.mark.parametrize(
    "error",
    [
        BridgeError("m"),
        InvalidRefError("m"),
        RefNotFoundError("m"),
        SessionMismatchError("m"),
        RefLimitError("m"),
        ProtocolError("m"),
        WireEncodingError("m"),
        InvalidSessionIdError("src", 5),
        PythonError("pkg.Err", "m", "Traceback ..."),
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_error_kind_round_trips_as_data(error: BridgeError) -> None:
    back = error_from_wire(pickle.loads(pickle.dumps(error.to_wire())))
    assert type(back) is type(error)
    assert str(back) == str(error)
    if isinstance(error, InvalidSessionIdError):
        assert isinstance(back, InvalidSessionIdError) and back.source == "src"
    if isinstance(error, PythonError):
        assert isinstance(back, PythonError)
        assert (back.python_type, back.traceback) == ("pkg.Err", "Traceback ...")


@pytest.mark.parametrize(
    "error",
    [RefNotFoundError("m"), InvalidSessionIdError("src", 5), PythonError("E", "m", "tb")],
    ids=lambda e: type(e).__name__,
)
def test_errors_themselves_pickle(error: BridgeError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error) and str(back) == str(error)


def test_an_unknown_error_kind_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="unknown error kind"):
        unwrap_response({"ok": False, "error": {"kind": "Mystery", "message": "?"}})
    with pytest.raises(ProtocolError, match="malformed"):
        unwrap_response({"ok": False})
