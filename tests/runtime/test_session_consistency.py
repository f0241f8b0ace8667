"""The seed's session-consistency tests, ported: every call path, through a recording client.

Each path must send ONE session: the payload's ``session_id`` and the routing
``opts["session_id"]`` agree and follow override > ref > context > auto-session. The
table-driven tests run every path in both forms: ``runtime`` and ``runtime.aio``.
"""

from __future__ import annotations

import pytest

import runtime
from runtime import InvalidSessionIdError, Ref
from tests.runtime.support import (
    CONTEXT_SESSION,
    CUSTOM_SESSION,
    FORMS,
    PATHS,
    PATHS_BY_NAME,
    REF_SESSION,
    CallPath,
    RecordingClient,
    TestClassModule,
    TestMathModule,
    make_ref,
    run_path,
)

OVERRIDABLE = [path for path in PATHS if path.overridable]
OVERRIDE = {"__runtime__": {"session_id": CUSTOM_SESSION}}


@pytest.fixture(params=FORMS)
def form(request: pytest.FixtureRequest) -> str:
    """``"sync"`` or ``"async"``: which API runs the path."""
    name: str = request.param
    return name


def assert_all_sent_under(recorder: RecordingClient, path: CallPath, session_id: str) -> None:
    assert [d.tool for d in recorder.calls] == list(path.tools)
    assert recorder.sessions() == [(session_id, session_id)] * len(path.tools)


@pytest.mark.parametrize("path", OVERRIDABLE, ids=lambda p: p.name)
def test_override_is_payload_and_routing_session(
    path: CallPath, form: str, recorder: RecordingClient
) -> None:
    """``__runtime__={"session_id": X}`` wins over ref, context and auto-session."""
    with runtime.with_session(CONTEXT_SESSION):
        run_path(path, form, make_ref(), OVERRIDE)
    assert_all_sent_under(recorder, path, CUSTOM_SESSION)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_without_override_uses_context_session(
    path: CallPath, form: str, recorder: RecordingClient
) -> None:
    with runtime.with_session(CONTEXT_SESSION):
        run_path(path, form, make_ref(None), {})
    assert_all_sent_under(recorder, path, CONTEXT_SESSION)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_without_any_source_uses_this_flows_auto_session(
    path: CallPath, form: str, recorder: RecordingClient
) -> None:
    auto = run_path(path, form, make_ref(None), {})
    assert auto is not None and auto.startswith("auto_")
    assert_all_sent_under(recorder, path, auto)


@pytest.mark.parametrize("path", [p for p in PATHS if p.takes_ref], ids=lambda p: p.name)
def test_ref_session_beats_context(path: CallPath, form: str, recorder: RecordingClient) -> None:
    with runtime.with_session(CONTEXT_SESSION):
        run_path(path, form, make_ref(REF_SESSION), {})
    assert_all_sent_under(recorder, path, REF_SESSION)


@pytest.mark.parametrize("path", OVERRIDABLE, ids=lambda p: p.name)
def test_invalid_override_raises_and_dispatches_nothing(
    path: CallPath, form: str, recorder: RecordingClient
) -> None:
    with pytest.raises(InvalidSessionIdError) as info:
        run_path(path, form, make_ref(), {"__runtime__": {"session_id": ""}})
    assert info.value.source == "__runtime__['session_id']"
    assert recorder.calls == []


def test_call_method_override_beats_ref_session(recorder: RecordingClient) -> None:
    runtime.call_method(make_ref(REF_SESSION), "some_method", [], **OVERRIDE)
    assert recorder.sessions() == [(CUSTOM_SESSION, CUSTOM_SESSION)]


def test_call_method_without_override_uses_ref_session(recorder: RecordingClient) -> None:
    runtime.call_method(make_ref(REF_SESSION), "some_method", [])
    assert recorder.sessions() == [(REF_SESSION, REF_SESSION)]


def test_priority_runtime_opts_then_ref_then_context_then_auto(recorder: RecordingClient) -> None:
    ref = make_ref(REF_SESSION)
    with runtime.with_session(CONTEXT_SESSION):
        runtime.call_method(ref, "method", [], **OVERRIDE)
        runtime.call_method(ref, "method", [])
        runtime.call_method(make_ref(None), "method", [])
    runtime.call_method(make_ref(None), "method", [])
    auto = runtime.current_session_id()
    assert [payload for payload, _ in recorder.sessions()] == [
        CUSTOM_SESSION,
        REF_SESSION,
        CONTEXT_SESSION,
        auto,
    ]
    assert all(payload == routing for payload, routing in recorder.sessions())


def test_call_helper_mapping_form_passes_runtime_key_verbatim(recorder: RecordingClient) -> None:
    """The mapping's items are the helper's kwargs; it cannot carry an override."""
    with runtime.with_session(CONTEXT_SESSION):
        runtime.call_helper("snakebridge.ping", [], {"__runtime__": {"session_id": "x"}, "a": 1})
    (dispatch,) = recorder.calls
    assert dispatch.payload["kwargs"] == {"__runtime__": {"session_id": "x"}, "a": 1}
    assert recorder.sessions() == [(CONTEXT_SESSION, CONTEXT_SESSION)]


def test_call_helper_refuses_mapping_and_keywords_together(recorder: RecordingClient) -> None:
    with pytest.raises(TypeError, match="not both"):
        runtime.call_helper("snakebridge.ping", [], {"a": 1}, **OVERRIDE)
    assert recorder.calls == []


def test_override_options_other_than_session_reach_routing(recorder: RecordingClient) -> None:
    runtime.call(TestMathModule, "sqrt", [4], __runtime__={"session_id": "s", "timeout": 5})
    assert recorder.calls[0].opts == {"session_id": "s", "timeout": 5}


def test_call_class_decodes_the_constructed_ref(recorder: RecordingClient) -> None:
    ref = runtime.call_class(TestClassModule, "__init__", ["x"], **OVERRIDE)
    assert ref == Ref("ref-1")
    (dispatch,) = recorder.calls
    assert dispatch.payload["class"] == "Symbol"
    assert dispatch.payload["call_type"] == "class"


def test_release_session_sends_its_explicit_session(recorder: RecordingClient) -> None:
    with runtime.with_session(CONTEXT_SESSION):
        runtime.release_session("target")
        runtime.release_session("target", __runtime__={"session_id": "target", "timeout": 1})
    assert recorder.sessions() == [("target", "target")] * 2
    assert [d.tool for d in recorder.calls] == ["snakebridge.release_session"] * 2


def test_release_session_refuses_a_conflicting_override(recorder: RecordingClient) -> None:
    with pytest.raises(runtime.SessionMismatchError):
        runtime.release_session("target", **OVERRIDE)
    with pytest.raises(InvalidSessionIdError):
        runtime.release_session("")
    assert recorder.calls == []


def test_release_auto_session_releases_this_flows_auto_session(recorder: RecordingClient) -> None:
    assert runtime.release_auto_session() is None  # none yet: nothing dispatched
    runtime.call(TestMathModule, "sqrt", [4])
    auto = recorder.calls[0].payload["session_id"]
    assert runtime.release_auto_session() == auto
    assert recorder.calls[-1].tool == "snakebridge.release_session"
    assert recorder.sessions()[-1] == (auto, auto)
    assert runtime.current_session_id() != auto  # a new one is made on next use


def test_stream_passes_decoded_items_to_the_callback(recorder: RecordingClient) -> None:
    recorder.stream_items = (1, {"__type__": "ref", "id": "r"})
    seen: list[object] = []
    runtime.stream(TestMathModule, "iter", [10], seen.append)
    assert seen == [1, Ref("r")]


def test_every_path_is_in_the_table() -> None:
    assert set(PATHS_BY_NAME) == {
        "call",
        "call_dynamic",
        "get_module_attr[str]",
        "get_module_attr[binding]",
        "call_class",
        "call_method",
        "get_attr",
        "set_attr",
        "call_helper[mapping]",
        "call_helper[keywords]",
        "stream[binding]",
        "stream[str]",
        "stream_next",
        "release_ref",
    }
