"""Real calls through LocalClient: imports, refs, streams, errors, limits, sessions."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import runtime
from runtime import (
    END_OF_STREAM,
    LocalClient,
    PythonError,
    Ref,
    RefLimitError,
    RefNotFoundError,
    SessionMismatchError,
    StreamRef,
)
from tests.runtime.support import CounterBinding, SupportBinding, TestMathModule

A: dict[str, Any] = {"__runtime__": {"session_id": "A"}}
B: dict[str, Any] = {"__runtime__": {"session_id": "B"}}


def test_default_client_is_a_local_client() -> None:
    previous = runtime.set_client(None)
    try:
        assert isinstance(runtime.get_client(), LocalClient)
        assert runtime.call("math", "sqrt", [16]) == 4.0
    finally:
        runtime.set_client(previous)


def test_set_client_returns_the_previous_one(local: LocalClient) -> None:
    first, second = LocalClient(), LocalClient()
    original = runtime.set_client(first)
    try:
        assert runtime.set_client(second) is first
        assert runtime.get_client() is local  # using_client beats the process default
    finally:
        assert runtime.set_client(original) is second


def test_function_calls_binding_and_dynamic(local: LocalClient) -> None:
    assert runtime.call(TestMathModule, "sqrt", [4]) == 2.0
    assert runtime.call("math", "sqrt", [9]) == 3.0
    assert runtime.call_dynamic("math", "pow", [2], __args__=[10]) == 1024.0
    assert runtime.call_dynamic("builtins", "sorted", [[3, 1, 2]], reverse=True) == [3, 2, 1]


def test_module_attrs_binding_and_str(local: LocalClient) -> None:
    assert runtime.get_module_attr(TestMathModule, "pi") == pytest.approx(3.14159, abs=1e-5)
    assert runtime.get_module_attr("math", "e") == pytest.approx(2.71828, abs=1e-5)


def test_counter_ref_and_its_methods(local: LocalClient) -> None:
    counter = runtime.call_class(CounterBinding, args=["hello"], **A)
    assert isinstance(counter, Ref) and not isinstance(counter, StreamRef)
    assert counter.session_id == "A"
    assert (counter.python_module, counter.library) == ("collections", "collections")
    assert runtime.call_method(counter, "most_common", [1]) == [["l", 2]]
    runtime.call_method(counter, "update", ["ll"])
    assert runtime.call_method(counter, "total") == 7
    assert runtime.call_dynamic("builtins", "len", [counter], **A) == 4  # a ref as an argument
    assert runtime.call_dynamic("operator", "getitem", [counter, "l"], **A) == 4
    # The wire dict works wherever a ref does.
    assert runtime.call_method(counter.to_wire_format(), "total") == 7


def test_attributes_get_and_set(local: LocalClient) -> None:
    namespace = runtime.call_dynamic("types", "SimpleNamespace", [], x=1)
    assert isinstance(namespace, Ref)
    assert runtime.get_attr(namespace, "x") == 1
    runtime.set_attr(namespace, "y", [1, (2, 3)])
    assert runtime.get_attr(namespace, "y") == [1, [2, 3]]
    other = runtime.call_class(CounterBinding, args=["ab"])
    runtime.set_attr(namespace, "counter", other)  # a ref value stores the object itself
    assert runtime.call_method(runtime.get_attr(namespace, "counter"), "total") == 2


def test_results_are_copies_not_shared_state(local: LocalClient) -> None:
    namespace = runtime.call_dynamic("types", "SimpleNamespace", [], items=[1])
    runtime.get_attr(namespace, "items").append(2)
    assert runtime.get_attr(namespace, "items") == [1]


def test_non_json_results_become_refs_element_by_element(local: LocalClient) -> None:
    result = runtime.call(SupportBinding, "objects", [2], **A)
    assert len(result) == 2 and all(isinstance(item, Ref) for item in result)
    assert local.adapter.registry.ref_ids("A") == sorted(item.id for item in result)


def test_generator_streamed_to_a_callback_binding_form(local: LocalClient) -> None:
    seen: list[object] = []
    runtime.stream(SupportBinding, "countdown", [3], seen.append, **A)
    assert seen == [3, 2, 1]
    assert len(local.adapter.registry) == 0


def test_generator_streamed_to_a_callback_str_form(local: LocalClient) -> None:
    seen: list[object] = []
    runtime.stream(SupportBinding.__snakebridge_python_name__, "countdown", [3], seen.append)
    runtime.stream("builtins", "range", [2], seen.append)  # an iterable, not an iterator
    runtime.stream("builtins", "list", [[7]], seen.append)  # a plain list result
    assert seen == [3, 2, 1, 0, 1, 7]
    assert len(local.adapter.registry) == 0  # exhausted streams are freed by the worker


def test_streamed_items_that_are_not_data_arrive_as_refs(local: LocalClient) -> None:
    seen: list[Any] = []
    runtime.stream(SupportBinding, "boxes", [2], seen.append, **A)
    assert all(isinstance(item, Ref) and item.session_id == "A" for item in seen)
    assert runtime.call_method(seen[1], "keys") is not None


def test_stream_next_by_hand_until_the_end(local: LocalClient) -> None:
    handle = runtime.call(SupportBinding, "countdown", [2], **A)
    assert isinstance(handle, StreamRef)
    assert runtime.stream_next(handle) == 2
    assert runtime.stream_next(handle) == 1
    assert runtime.stream_next(handle) is END_OF_STREAM
    with pytest.raises(RefNotFoundError):
        runtime.stream_next(handle)


def test_a_failing_callback_abandons_and_frees_the_stream(local: LocalClient) -> None:
    def explode(item: object) -> None:
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        runtime.stream("builtins", "iter", [[1, 2, 3]], explode)
    with pytest.raises(RuntimeError, match="callback failed"):
        runtime.stream(SupportBinding, "countdown", [3], explode)
    assert len(local.adapter.registry) == 0


def test_an_error_inside_a_stream_is_a_python_error(local: LocalClient) -> None:
    seen: list[object] = []
    with pytest.raises(PythonError) as info:
        runtime.stream(SupportBinding, "fail_after", [2], seen.append)
    assert seen == [0, 1]
    assert info.value.python_type == "KeyError"


def test_remote_exception_is_a_python_error_with_type_message_traceback(
    local: LocalClient,
) -> None:
    with pytest.raises(PythonError) as info:
        runtime.call(TestMathModule, "sqrt", [-1])
    assert info.value.python_type == "ValueError"
    assert info.value.message == "math domain error"
    assert "Traceback" in info.value.traceback and "ValueError" in info.value.traceback
    assert str(info.value) == "ValueError: math domain error"

    with pytest.raises(PythonError) as info:
        runtime.call_dynamic("json", "loads", ["{"])
    assert info.value.python_type == "json.decoder.JSONDecodeError"

    with pytest.raises(PythonError) as info:
        runtime.call_dynamic("no_such_module_xyz", "f")
    assert info.value.python_type == "ModuleNotFoundError"

    with pytest.raises(PythonError) as info:
        runtime.call_method(runtime.call_class(CounterBinding), "no_such_method")
    assert info.value.python_type == "AttributeError"


def test_ref_limit_per_session(local: LocalClient) -> None:
    limited = LocalClient(max_refs_per_session=2)
    with runtime.using_client(limited):
        first = runtime.call_class(CounterBinding, **A)
        runtime.call_class(CounterBinding, **A)
        with pytest.raises(RefLimitError, match="max_refs_per_session"):
            runtime.call_class(CounterBinding, **A)
        runtime.call_class(CounterBinding, **B)  # other sessions have their own budget
        runtime.release_ref(first)
        runtime.call_class(CounterBinding, **A)
        # A result that would overflow midway leaves nothing behind.
        with pytest.raises(RefLimitError):
            runtime.call(SupportBinding, "objects", [3], __runtime__={"session_id": "C"})
        assert limited.adapter.registry.ref_ids("C") == []
        assert runtime.release_session("A") == 2


def test_a_ref_is_rejected_under_another_session(local: LocalClient) -> None:
    counter = runtime.call_class(CounterBinding, args=["ab"], **A)
    with pytest.raises(SessionMismatchError):
        runtime.call_method(counter, "total", **B)
    # Even with its session stripped, the worker knows the ref belongs to A.
    anonymous = Ref(counter.id)
    with pytest.raises(SessionMismatchError):
        runtime.call_method(anonymous, "total", **B)
    with pytest.raises(SessionMismatchError):
        runtime.call_dynamic("builtins", "len", [counter], **B)
    with pytest.raises(SessionMismatchError):
        runtime.release_ref(anonymous, **B)
    assert runtime.call_method(anonymous, "total", **A) == 2  # untouched by the attempts


def test_release_ref_and_release_session_free_refs(local: LocalClient) -> None:
    first = runtime.call_class(CounterBinding, **A)
    second = runtime.call_class(CounterBinding, **A)
    assert runtime.release_ref(first) is True
    assert runtime.release_ref(first) is False
    with pytest.raises(RefNotFoundError):
        runtime.call_method(first, "total")
    assert runtime.release_session("A") == 1
    with pytest.raises(RefNotFoundError):
        runtime.call_method(second, "total")
    assert runtime.release_session("A") == 0
    assert len(local.adapter.registry) == 0


def test_release_auto_session_frees_its_refs(local: LocalClient) -> None:
    counter = runtime.call_class(CounterBinding)
    auto = counter.session_id
    assert auto is not None and auto.startswith("auto_")
    assert runtime.release_auto_session() == auto
    with pytest.raises(RefNotFoundError):
        runtime.call_method(counter, "total")
    assert len(local.adapter.registry) == 0


def test_unsendable_arguments_fail_before_dispatch(local: LocalClient) -> None:
    with pytest.raises(runtime.WireEncodingError):
        runtime.call_dynamic("builtins", "len", [{1, 2}])
    with pytest.raises(runtime.WireEncodingError):
        runtime.call_dynamic("builtins", "len", [{1: 2}])


def test_helpers(local: LocalClient) -> None:
    assert runtime.call_helper("snakebridge.ping")["ok"] is True
    custom = LocalClient(helpers={"tests.add": lambda a, b=0: a + b})
    with runtime.using_client(custom):
        assert runtime.call_helper("tests.add", [1], {"b": 2}) == 3
        assert runtime.call_helper("tests.add", [1], b=5, **A) == 6
        with pytest.raises(runtime.ProtocolError, match="unknown helper"):
            runtime.call_helper("tests.missing")


def test_errors_survive_a_pickle_round_trip(local: LocalClient) -> None:
    """What a worker process would send back: plain data that re-raises as the same error."""
    response = local.adapter.handle(
        "snakebridge.call",
        {
            "protocol_version": 1,
            "min_supported_version": 1,
            "call_type": "dynamic",
            "module_path": "math",
            "function": "sqrt",
            "args": [-1],
            "kwargs": {},
            "session_id": "A",
        },
    )
    with pytest.raises(PythonError) as info:
        runtime.unwrap_response(pickle.loads(pickle.dumps(response)))
    assert info.value.python_type == "ValueError"
