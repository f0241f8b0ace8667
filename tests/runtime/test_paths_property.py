"""One property over every call path: payload session == routing session == the lattice.

Every path runs in both forms (``runtime`` and ``runtime.aio``) with the same budget.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import runtime
from runtime import InvalidSessionIdError
from tests.runtime.support import (
    FORMS,
    PATHS,
    ROUTING_OPTIONS,
    CallPath,
    RecordingClient,
    make_ref,
    run_path,
)

sessions = st.text(min_size=1, max_size=8)
optional_sessions = st.one_of(st.none(), sessions)
OVERRIDABLE = [path for path in PATHS if path.overridable]
bad_overrides = st.sampled_from(["", 0, 1.5, b"x", ["s"]])


def lattice(
    path: CallPath,
    override: str | None,
    ref_session: str | None,
    context: str | None,
    flow_auto: str | None = None,
) -> str:
    """The session a path must use; the auto-session is ``flow_auto`` (that of the flow
    that ran the path) when given, else read in this flow."""
    if override is not None and path.overridable:
        return override
    if ref_session is not None and path.takes_ref:
        return ref_session
    if context is not None:
        return context
    return flow_auto if flow_auto is not None else runtime.current_session_id()


def fresh_flow_options(
    override: str | None, extra: dict[str, int], fresh_auto: bool
) -> dict[str, Any]:
    """Start the flow with no context session (and maybe a new auto-session); the call's
    ``**opts`` carrying ``override`` and the other routing options ``extra``."""
    runtime.clear_current()
    if fresh_auto:
        runtime.clear_auto_session()
    runtime_opts: dict[str, Any] = dict(extra)
    if override is not None:
        runtime_opts["session_id"] = override
    return {"__runtime__": runtime_opts} if runtime_opts or override is not None else {}


def invoke(
    path: CallPath,
    opts: dict[str, Any],
    ref_session: str | None,
    context: str | None,
    form: str = "sync",
    flows: list[str | None] | None = None,
) -> str | None:
    """Run ``path`` in ``form`` with a ref of ``ref_session``, inside ``context`` when there
    is one; return the auto-session of the flow that ran it (see ``run_path``)."""
    if context is None:
        return run_path(path, form, make_ref(ref_session), opts, flows)
    with runtime.with_session(context):
        return run_path(path, form, make_ref(ref_session), opts, flows)


# Paths are parametrized rather than drawn so that every one gets the full example budget.
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
@given(
    override=optional_sessions,
    extra=st.dictionaries(st.sampled_from(ROUTING_OPTIONS), st.integers(), max_size=2),
    ref_session=optional_sessions,
    context=optional_sessions,
    fresh_auto=st.booleans(),
)
def test_payload_and_routing_sessions_are_the_lattice_answer(
    path: CallPath,
    form: str,
    override: str | None,
    extra: dict[str, int],
    ref_session: str | None,
    context: str | None,
    fresh_auto: bool,
) -> None:
    opts = fresh_flow_options(override, extra, fresh_auto)
    client = RecordingClient()
    with runtime.using_client(client):
        flow_auto = invoke(path, opts, ref_session, context, form)

    expected = lattice(path, override, ref_session, context, flow_auto)
    assert [d.tool for d in client.calls] == list(path.tools)
    assert client.sessions() == [(expected, expected)] * len(path.tools)
    if path.overridable:
        for dispatch in client.calls:  # the other routing options travel along untouched
            assert {k: v for k, v in dispatch.opts.items() if k != "session_id"} == extra


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("path", OVERRIDABLE, ids=lambda p: p.name)
@given(
    bad=bad_overrides,
    ref_session=optional_sessions,
    context=optional_sessions,
)
def test_an_invalid_override_raises_before_any_dispatch(
    path: CallPath, form: str, bad: object, ref_session: str | None, context: str | None
) -> None:
    client = RecordingClient()
    with runtime.using_client(client), pytest.raises(InvalidSessionIdError) as info:
        invoke(path, {"__runtime__": {"session_id": bad}}, ref_session, context, form)
    assert info.value.source == "__runtime__['session_id']"
    assert client.calls == []


@pytest.mark.parametrize("path", OVERRIDABLE, ids=lambda p: p.name)
@given(bad=st.sampled_from([[], "s", 3]))
def test_a_non_mapping_runtime_option_raises_naming_it(path: CallPath, bad: object) -> None:
    client = RecordingClient()
    with runtime.using_client(client), pytest.raises(InvalidSessionIdError) as info:
        path.invoke(make_ref(), {"__runtime__": bad})
    assert info.value.source == "__runtime__"
    assert client.calls == []
