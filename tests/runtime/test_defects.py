"""Small defects, each pinned: streams, shared scopes, deep data, sys.exit, mismatch wording."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import runtime
from runtime import LocalClient, PythonError, Ref, SessionMismatchError
from tests.runtime.support import (
    PATHS,
    CallPath,
    CounterBinding,
    RecordingClient,
    make_ref,
)

A: dict[str, Any] = {"__runtime__": {"session_id": "A"}}
B: dict[str, Any] = {"__runtime__": {"session_id": "B"}}


class CopyBinding:
    __snakebridge_python_name__ = "copy"
    __snakebridge_library__ = "copy"


def streamed(module: object, value: object) -> list[Any]:
    received: list[Any] = []
    runtime.stream(module, "copy", [value], received.append, **A)
    return received


@pytest.mark.parametrize(
    "value",
    [{"a": 1, "b": [2]}, [1, {"k": "v"}], "abc", [], {}],
    ids=["dict", "list", "str", "empty-list", "empty-dict"],
)
def test_binding_and_string_streams_iterate_the_same_items(
    local: LocalClient, value: object
) -> None:
    assert streamed(CopyBinding, value) == streamed("copy", value) == list(iter(value))  # type: ignore[call-overload]
    assert local.snapshot() == {}


def test_binding_and_string_streams_fail_the_same_on_a_non_iterable(local: LocalClient) -> None:
    errors = []
    for module in (CopyBinding, "copy"):
        with pytest.raises(PythonError) as info:
            streamed(module, 5)
        errors.append((info.value.python_type, info.value.message))
    assert errors == [("TypeError", "'int' object is not iterable")] * 2
    assert local.snapshot() == {}


def test_a_dynamic_stream_of_a_non_iterable_object_leaks_no_ref(local: LocalClient) -> None:
    with pytest.raises(PythonError, match="not iterable"):
        runtime.stream("builtins", "object", [], print, **A)
    assert local.snapshot() == {}


def test_a_dynamic_stream_of_a_dict_frees_the_refs_its_keys_leave_behind(
    local: LocalClient,
) -> None:
    received: list[Any] = []
    runtime.stream("tests.runtime.test_defects", "dict_of_objects", [], received.append, **A)
    assert received == ["x", "y"]
    assert local.snapshot() == {}


def dict_of_objects() -> dict[str, object]:
    return {"x": object(), "y": object()}


def test_a_dynamic_stream_frees_the_items_a_failing_callback_never_got(
    local: LocalClient,
) -> None:
    received: list[Any] = []

    def take_one(item: Any) -> None:
        received.append(item)
        if len(received) == 2:
            raise KeyError("enough")

    with pytest.raises(KeyError):
        runtime.stream("tests.runtime.support", "objects", [5], take_one, **A)
    assert local.snapshot() == {"A": frozenset(ref.id for ref in received)}


def test_an_iterable_object_streams_through_iter_as_the_binding_form(local: LocalClient) -> None:
    received: list[Any] = []
    runtime.stream("collections", "Counter", ["aab"], received.append, **A)
    assert received == ["a", "b"]
    assert local.snapshot() == {}


def test_one_with_session_object_entered_by_two_threads() -> None:
    # The first thread in leaves first: its exit must restore its own outer context.
    scope = runtime.with_session("shared")
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, tuple[str, object]] = {}
    errors: list[BaseException] = []

    def enter(
        name: str,
        wait_before: threading.Event | None,
        signal: threading.Event,
        wait_inside: threading.Event,
        on_exit: threading.Event | None,
    ) -> None:
        try:
            if wait_before is not None:
                wait_before.wait()
            with scope:
                inside = runtime.current_session_id()
                signal.set()
                wait_inside.wait()
            seen[name] = (inside, runtime.current_context())
        except BaseException as error:
            errors.append(error)
        finally:
            for event in (signal, on_exit):
                if event is not None:
                    event.set()

    threads = [
        threading.Thread(target=enter, args=("first", None, first_in, second_in, first_out)),
        threading.Thread(target=enter, args=("second", first_in, second_in, first_out, None)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert seen == {"first": ("shared", None), "second": ("shared", None)}


def test_sys_exit_in_target_code_is_a_python_error(local: LocalClient) -> None:
    with pytest.raises(PythonError) as info:
        runtime.call("sys", "exit", [3])
    assert (info.value.python_type, info.value.message) == ("SystemExit", "3")
    with pytest.raises(PythonError, match="SystemExit"):
        runtime.stream("tests.runtime.test_defects", "exits_midway", [], print, **A)
    runtime.release_auto_session()


def exits_midway() -> Any:
    yield 1
    raise SystemExit("stop")


def test_a_mismatch_never_names_the_session_that_owns_the_ref(local: LocalClient) -> None:
    secret = "owner-session-secret"
    counter = runtime.call_class(CounterBinding, __runtime__={"session_id": secret})
    anonymous = Ref(counter.id)
    failures = []
    for attempt in (
        lambda: runtime.call_method(anonymous, "total", **B),
        lambda: runtime.call_dynamic("builtins", "len", [anonymous], **B),
        lambda: runtime.release_ref(anonymous, **B),
    ):
        with pytest.raises(SessionMismatchError) as info:
            attempt()
        failures.append(str(info.value))
    assert all(secret not in text and "'B'" in text for text in failures), failures


def test_local_client_snapshot_shows_refs_by_session(local: LocalClient) -> None:
    first = runtime.call_class(CounterBinding, **A)
    second = runtime.call_class(CounterBinding, **B)
    assert local.snapshot() == {"A": frozenset({first.id}), "B": frozenset({second.id})}
    runtime.release_session("A")
    assert local.snapshot() == {"B": frozenset({second.id})}


FLAGGED = [p for p in PATHS if p.overridable and p.name not in ("stream_next", "release_ref")]


@pytest.mark.parametrize("path", FLAGGED, ids=lambda p: p.name)
def test_the_idempotent_flag_is_carried_in_the_payload(
    path: CallPath, recorder: RecordingClient
) -> None:
    path.invoke(make_ref(), {"idempotent": True})
    path.invoke(make_ref(), {})
    flagged, plain = recorder.calls[0], recorder.calls[len(recorder.calls) // 2]
    assert flagged.payload["idempotent"] is True and "idempotent" not in flagged.payload["kwargs"]
    assert plain.payload["idempotent"] is False
    # Follow-up dispatches of a dynamic stream advance it: never idempotent.
    advances = [d for d in recorder.calls if d.payload.get("call_type") == "stream_next"]
    assert all(d.payload["idempotent"] is False for d in advances)


def test_releases_are_idempotent_and_advancing_a_stream_never_is(
    recorder: RecordingClient,
) -> None:
    runtime.release_ref(make_ref())
    runtime.release_session("S")
    assert [d.payload["idempotent"] for d in recorder.calls] == [True, True]
    with pytest.raises(TypeError, match="never idempotent"):
        runtime.stream_next(runtime.StreamRef("s", "S"), idempotent=True)


def test_the_target_never_receives_the_flag(local: LocalClient) -> None:
    assert runtime.call("builtins", "dict", [], idempotent=True, a=1) == {"a": 1}
    runtime.release_auto_session()
