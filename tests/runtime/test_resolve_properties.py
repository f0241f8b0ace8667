"""Properties of the precedence lattice: override > ref's session > context > auto-session.

Each source is drawn as absent, valid or invalid (in every form it can take), and the
oracle only looks at those tags: the first present source decides, returning its value
when valid and raising ``InvalidSessionIdError`` naming it when not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import runtime
from runtime import InvalidSessionIdError, Ref, StreamRef
from runtime.resolve import SOURCE_OVERRIDE, SOURCE_REF, SOURCE_RUNTIME_OPTS

valid_ids = st.text(min_size=1, max_size=12)
invalid_ids = st.one_of(
    st.just(""),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.binary(max_size=4),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
extra_options = st.dictionaries(st.sampled_from(["timeout", "pool"]), st.integers(), max_size=2)


@dataclass(frozen=True)
class Source:
    """A drawn source: its concrete form plus the tag the oracle reads."""

    value: Any
    state: str  # "absent" | "valid" | "invalid"
    session: Any = None  # the session id when valid
    name: str = ""  # the source name when invalid


@st.composite
def overrides(draw: st.DrawFn) -> Source:
    extra = draw(extra_options)
    kind = draw(st.sampled_from(["none", "no_key", "none_value", "valid", "invalid", "not_map"]))
    if kind == "none":
        return Source(None, "absent")
    if kind == "no_key":
        return Source(extra, "absent")
    if kind == "none_value":
        return Source({**extra, "session_id": None}, "absent")
    if kind == "valid":
        session = draw(valid_ids)
        return Source({**extra, "session_id": session}, "valid", session)
    if kind == "invalid":
        bad = draw(invalid_ids)
        return Source({**extra, "session_id": bad}, "invalid", name=SOURCE_OVERRIDE)
    not_map = draw(st.one_of(st.just(""), st.integers(), st.lists(st.text(max_size=3))))
    return Source(not_map, "invalid", name=SOURCE_RUNTIME_OPTS)


def _wire(session: Any, *, with_key: bool = True) -> dict[str, Any]:
    wire: dict[str, Any] = {"__type__": "ref", "__schema__": 1, "id": "r1"}
    if with_key:
        wire["session_id"] = session
    return wire


@st.composite
def refs(draw: st.DrawFn) -> Source:
    kind = draw(st.sampled_from(["none", "no_session", "valid", "invalid"]))
    form = draw(st.sampled_from(["ref", "stream_ref", "wire"]))

    def build(session: Any) -> object:
        if form == "ref":
            return Ref.from_wire_format(_wire(session))
        if form == "stream_ref":
            return StreamRef.from_wire_format({**_wire(session), "__type__": "stream_ref"})
        return _wire(session)

    if kind == "none":
        return Source(None, "absent")
    if kind == "no_session":
        missing_key = form == "wire" and draw(st.booleans())
        return Source(_wire(None, with_key=False) if missing_key else build(None), "absent")
    if kind == "valid":
        session = draw(valid_ids)
        return Source(build(session), "valid", session)
    return Source(build(draw(invalid_ids)), "invalid", name=SOURCE_REF)


contexts = st.one_of(st.none(), valid_ids)


def oracle(*sources: Source) -> tuple[str, Any]:
    for source in sources:
        if source.state == "valid":
            return ("session", source.session)
        if source.state == "invalid":
            return ("error", source.name)
    return ("auto", None)


def observe(runtime_opts: Any, ref: Any, context: str | None) -> tuple[str, Any]:
    """Run the resolver (inside ``with_session(context)`` if given); tag its answer."""
    runtime.clear_current()
    auto = runtime.current_session_id()  # this flow's auto-session (no context yet)
    try:
        if context is None:
            result = runtime.resolve_session_id(runtime_opts, ref)
        else:
            with runtime.with_session(context):
                result = runtime.resolve_session_id(runtime_opts, ref)
    except InvalidSessionIdError as error:
        assert error.source in str(error)
        return ("error", error.source)
    return ("auto", None) if result == auto and context is None else ("session", result)


def context_source(context: str | None) -> Source:
    return Source(context, "absent") if context is None else Source(context, "valid", context)


@given(override=overrides(), ref=refs(), context=contexts)
def test_highest_present_source_wins_or_its_error_is_raised(
    override: Source, ref: Source, context: str | None
) -> None:
    expected = oracle(override, ref, context_source(context))
    assert observe(override.value, ref.value, context) == expected


@given(override=overrides(), ref=refs(), context=contexts)
def test_removing_a_lower_source_never_changes_the_result(
    override: Source, ref: Source, context: str | None
) -> None:
    full = observe(override.value, ref.value, context)
    if override.state != "absent":
        assert observe(override.value, None, None) == full
        assert observe(override.value, ref.value, None) == full
    if ref.state != "absent":
        assert observe(override.value, ref.value, None) == full


@given(override=overrides(), ref=refs(), context=contexts)
def test_a_present_valid_source_is_returned_verbatim(
    override: Source, ref: Source, context: str | None
) -> None:
    kind, value = observe(override.value, ref.value, context)
    if kind == "session":
        assert value in {override.session, ref.session, context}
        assert isinstance(value, str) and value


def test_auto_session_is_stable_per_flow_and_prefixed() -> None:
    first = runtime.resolve_session_id()
    assert first.startswith("auto_")
    assert runtime.resolve_session_id({}) == first
    runtime.clear_auto_session()
    assert runtime.resolve_session_id() != first


@pytest.mark.parametrize("bad", ["", 0, b"s", ["s"]])
def test_with_session_rejects_invalid_ids(bad: Any) -> None:
    with pytest.raises(InvalidSessionIdError) as info:
        runtime.with_session(bad)
    assert info.value.source == "with_session(session_id)"
    assert isinstance(info.value, ValueError)


def test_a_non_ref_object_as_ref_is_an_invalid_ref() -> None:
    with pytest.raises(runtime.InvalidRefError):
        runtime.resolve_session_id(None, object())


def test_runtime_opts_can_be_any_mapping() -> None:
    class Opts(Mapping[str, Any]):
        def __getitem__(self, key: str) -> Any:
            return {"session_id": "m"}[key]

        def __iter__(self) -> Any:
            return iter(["session_id"])

        def __len__(self) -> int:
            return 1

    assert runtime.resolve_session_id(Opts()) == "m"
