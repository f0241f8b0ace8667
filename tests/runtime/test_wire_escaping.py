"""Data cannot forge protocol markers: dicts with ``__type__`` round-trip through every client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import runtime
from runtime import LocalClient, ProtocolError, Ref, WireEncodingError
from runtime.wire import MAX_WIRE_DEPTH, decode_value, encode_value
from tests.runtime.pool_support import closing_pool, session

FORGERIES: list[dict[str, Any]] = [
    {"__type__": "ref", "x": 1},
    {"__type__": "ref", "__schema__": 1, "id": "r1", "session_id": "A"},
    {"__type__": "stream_ref", "id": "s1"},
    {"__type__": "stream_end"},
    {"__type__": "stream_end", "__schema__": 1},
    {"__type__": "dict", "value": {"a": 1}},
    {"__type__": None},
    {"outer": [{"__type__": "ref", "id": "nested"}]},
]


@pytest.fixture(scope="module")
def pool() -> Iterator[runtime.PoolClient]:
    with closing_pool(1) as client:
        yield client


@pytest.fixture(params=["local", "pool"])
def client(request: pytest.FixtureRequest, pool: runtime.PoolClient) -> Iterator[Any]:
    chosen = LocalClient() if request.param == "local" else pool
    with runtime.using_client(chosen):
        yield chosen


def held_refs(client: Any) -> int:
    if isinstance(client, LocalClient):
        return sum(len(ids) for ids in client.snapshot().values())
    return sum(len(ids) for view in client.snapshot().values() for ids in view.values())


@pytest.mark.parametrize("forged", FORGERIES)
def test_a_marker_shaped_dict_round_trips_as_data(client: Any, forged: dict[str, Any]) -> None:
    assert runtime.call("copy", "deepcopy", [forged], **session("esc")) == forged
    assert runtime.call("builtins", "dict", [], **session("esc"), data=forged) == {"data": forged}
    assert held_refs(client) == 0


def test_json_loads_of_forged_markers_returns_the_dicts(client: Any) -> None:
    text = '{"__type__": "ref", "x": 1}'
    assert runtime.call("json", "loads", [text]) == {"__type__": "ref", "x": 1}
    assert runtime.call("json", "loads", ['{"__type__": "stream_end"}']) == {
        "__type__": "stream_end"
    }
    runtime.release_auto_session()


@pytest.mark.parametrize("module_form", ["binding", "str"])
def test_a_stream_yielding_an_end_marker_dict_goes_on(client: Any, module_form: str) -> None:
    items = [1, {"__type__": "stream_end"}, 3]
    received: list[Any] = []
    module: object = "builtins" if module_form == "str" else Builtins
    runtime.stream(module, "iter", [items], received.append, **session("esc-stream"))
    assert received == items
    assert held_refs(client) == 0


def test_a_keyword_named_type_reaches_the_target(client: Any) -> None:
    assert runtime.call("builtins", "dict", [], __type__="ref", id="x") == {
        "__type__": "ref",
        "id": "x",
    }
    runtime.release_auto_session()


def test_a_real_ref_inside_data_still_travels_as_a_ref(client: Any) -> None:
    counter = runtime.call_class(Counter, args=["aab"], **session("esc-ref"))
    assert isinstance(counter, Ref)
    wrapped = {"__type__": "box", "counter": counter}
    echoed = runtime.call("copy", "copy", [wrapped], **session("esc-ref"))
    assert echoed["__type__"] == "box" and isinstance(echoed["counter"], Ref)
    assert runtime.call_method(echoed["counter"], "total") == 3
    runtime.release_session("esc-ref")


class Builtins:
    __snakebridge_python_name__ = "builtins"
    __snakebridge_library__ = "builtins"


class Counter:
    __snakebridge_python_name__ = "collections"
    __snakebridge_library__ = "collections"
    __snakebridge_python_class__ = "Counter"


def test_unknown_markers_are_protocol_errors_not_data() -> None:
    with pytest.raises(ProtocolError, match="unknown wire marker"):
        decode_value({"__type__": "mystery"})
    with pytest.raises(ProtocolError, match="unknown wire marker"):
        runtime.Adapter()._decode({"__type__": "stream_end"}, "S")


def test_encoding_escapes_only_dicts_holding_the_type_key() -> None:
    assert encode_value({"a": {"b": 1}}) == {"a": {"b": 1}}
    escaped = encode_value({"__type__": "ref"})
    assert escaped["__type__"] == "dict" and decode_value(escaped) == {"__type__": "ref"}


def self_containing_list() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


def self_containing_dict() -> dict[str, Any]:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    return loop


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "bad",
    [self_containing_list(), self_containing_dict(), nested(5_000)],
    ids=["list", "dict", "deep"],
)
def test_recursive_or_deep_arguments_are_a_wire_error(bad: object) -> None:
    with runtime.using_client(LocalClient()), pytest.raises(WireEncodingError):
        runtime.call("builtins", "len", [bad])


def test_the_depth_limit_is_exact_and_shared_values_are_not_cycles() -> None:
    assert encode_value(nested(MAX_WIRE_DEPTH - 1)) == nested(MAX_WIRE_DEPTH - 1)
    with pytest.raises(WireEncodingError, match="nested deeper"):
        encode_value(nested(MAX_WIRE_DEPTH))
    shared = [1, 2]
    assert encode_value([shared, shared, {"a": shared}]) == [[1, 2], [1, 2], {"a": [1, 2]}]


def test_a_recursive_or_deep_result_is_a_wire_error(client: Any) -> None:
    with pytest.raises(WireEncodingError, match="contains itself"):
        runtime.call("tests.runtime.test_wire_escaping", "self_containing_list", **session("deep"))
    with pytest.raises(WireEncodingError, match="nested deeper"):
        runtime.call("tests.runtime.test_wire_escaping", "nested", [5_000], **session("deep"))
    assert held_refs(client) == 0


MARKER_WORDS = st.sampled_from(["__type__", "__schema__", "id", "value", "session_id"])
MARKER_VALUES = st.sampled_from(["ref", "stream_ref", "stream_end", "dict", 1, None])
json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | MARKER_VALUES,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(MARKER_WORDS | st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=json_like)
def test_no_data_value_is_ever_read_as_a_marker(value: Any) -> None:
    adapter = runtime.Adapter()
    assert adapter._decode(encode_value(value), "S") == value  # caller -> worker
    assert decode_value(adapter._encode_result(value, {}, "S")) == value  # worker -> caller
    assert len(adapter.registry) == 0  # data never became a ref
