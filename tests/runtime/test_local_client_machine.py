"""A rule-based state machine over LocalClient, beside a model of the refs of each session."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

import runtime
from runtime import (
    END_OF_STREAM,
    LocalClient,
    Ref,
    RefLimitError,
    RefNotFoundError,
    SessionMismatchError,
    StreamRef,
)
from tests.runtime.support import CounterBinding

LIMIT = 4
_ids = itertools.count()


def override(session_id: str) -> dict[str, Any]:
    return {"__runtime__": {"session_id": session_id}}


@dataclass
class Stream:
    """A stream ref and how many items it still has."""

    ref: StreamRef
    remaining: int


class LocalClientMachine(RuleBasedStateMachine):
    """Model: ``refs[session][ref id] = total of the Counter`` (or ``None`` for a stream)."""

    sessions = Bundle("sessions")
    counters = Bundle("counters")
    streams = Bundle("streams")

    def __init__(self) -> None:
        super().__init__()
        self.client = LocalClient(max_refs_per_session=LIMIT)
        self.refs: dict[str, dict[str, int | None]] = {}

    def live(self, ref: Ref) -> bool:
        assert ref.session_id is not None
        return ref.id in self.refs.get(ref.session_id, {})

    def full(self, session: str) -> bool:
        return len(self.refs.get(session, {})) >= LIMIT

    @initialize(target=sessions)
    def first_sessions(self) -> object:
        return multiple(f"s{next(_ids)}", f"s{next(_ids)}")

    @rule(target=sessions)
    def open_session(self) -> str:
        return f"s{next(_ids)}"

    @rule(
        target=counters, session=sessions, text=st.text("ab", max_size=4), via_context=st.booleans()
    )
    def create_counter(self, session: str, text: str, via_context: bool) -> object:
        with runtime.using_client(self.client):
            try:
                if via_context:
                    with runtime.with_session(session):
                        ref = runtime.call_class(CounterBinding, args=[text])
                else:
                    ref = runtime.call_class(CounterBinding, args=[text], **override(session))
            except RefLimitError:
                assert self.full(session)
                return multiple()
        assert not self.full(session)
        assert isinstance(ref, Ref) and ref.session_id == session
        self.refs.setdefault(session, {})[ref.id] = len(text)
        return ref

    @rule(target=streams, session=sessions, size=st.integers(0, 3))
    def create_stream(self, session: str, size: int) -> object:
        with runtime.using_client(self.client):
            try:
                ref = runtime.call_dynamic(
                    "builtins", "iter", [list(range(size))], **override(session)
                )
            except RefLimitError:
                assert self.full(session)
                return multiple()
        assert isinstance(ref, StreamRef) and ref.session_id == session
        self.refs.setdefault(session, {})[ref.id] = None
        return Stream(ref, size)

    @rule(ref=counters, other=st.none() | sessions)
    def use_counter(self, ref: Ref, other: str | None) -> None:
        """With no override the ref's own session is used; another session is refused."""
        opts = {} if other is None else override(other)
        with runtime.using_client(self.client):
            if other not in (None, ref.session_id):
                with pytest.raises(SessionMismatchError):
                    runtime.call_method(ref, "total", **opts)
            elif self.live(ref):
                assert ref.session_id is not None
                expected = self.refs[ref.session_id][ref.id]
                assert runtime.call_method(ref, "total", **opts) == expected
            else:
                with pytest.raises(RefNotFoundError):
                    runtime.call_method(ref, "total", **opts)

    @rule(ref=counters, session=sessions)
    def use_stripped_ref(self, ref: Ref, session: str) -> None:
        """A ref without its session, under some session: the worker still isolates it."""
        anonymous = Ref(ref.id)
        with runtime.using_client(self.client):
            if not self.live(ref):
                with pytest.raises(RefNotFoundError):
                    runtime.call_method(anonymous, "total", **override(session))
            elif session != ref.session_id:
                with pytest.raises(SessionMismatchError):
                    runtime.call_method(anonymous, "total", **override(session))
            else:
                runtime.call_method(anonymous, "total", **override(session))

    @rule(target_ref=counters, source=counters)
    def combine(self, target_ref: Ref, source: Ref) -> None:
        """A ref passed as an argument must live in the dispatch's session too."""
        with runtime.using_client(self.client):
            if target_ref.session_id != source.session_id and self.live(target_ref):
                with pytest.raises(SessionMismatchError):
                    runtime.call_method(target_ref, "update", [source])
            elif self.live(target_ref) and self.live(source):
                runtime.call_method(target_ref, "update", [source])
                assert target_ref.session_id is not None and source.session_id is not None
                added = self.refs[source.session_id][source.id]
                current = self.refs[target_ref.session_id][target_ref.id]
                assert added is not None and current is not None
                self.refs[target_ref.session_id][target_ref.id] = current + added
            else:
                with pytest.raises(RefNotFoundError):
                    runtime.call_method(target_ref, "update", [source])

    @rule(stream=streams)
    def advance(self, stream: Stream) -> None:
        with runtime.using_client(self.client):
            if not self.live(stream.ref):
                with pytest.raises(RefNotFoundError):
                    runtime.stream_next(stream.ref)
                return
            item = runtime.stream_next(stream.ref)
        if stream.remaining == 0:
            assert item is END_OF_STREAM
            assert stream.ref.session_id is not None
            del self.refs[stream.ref.session_id][stream.ref.id]  # the worker freed it
        else:
            assert item != END_OF_STREAM
            stream.remaining -= 1

    @rule(ref=consumes(counters))
    def release(self, ref: Ref) -> None:
        with runtime.using_client(self.client):
            released = runtime.release_ref(ref)
        assert released is self.live(ref)
        assert ref.session_id is not None
        self.refs.get(ref.session_id, {}).pop(ref.id, None)

    @rule(session=sessions)
    def close_session(self, session: str) -> None:
        with runtime.using_client(self.client):
            freed = runtime.release_session(session)
        assert freed == len(self.refs.pop(session, {}))

    @invariant()
    def registry_matches_the_model(self) -> None:
        """No leak and nothing missing: the worker holds exactly the modelled refs."""
        expected = {sid: frozenset(refs) for sid, refs in self.refs.items() if refs}
        assert self.client.adapter.registry.snapshot() == expected

    @invariant()
    def each_ref_is_reachable_only_in_its_session(self) -> None:
        registry = self.client.adapter.registry
        for owner, refs in self.refs.items():
            for ref_id in refs:
                for session in self.refs:
                    if session == owner:
                        registry.get(session, ref_id)
                    else:
                        with pytest.raises(SessionMismatchError):
                            registry.get(session, ref_id)

    def teardown(self) -> None:
        with runtime.using_client(self.client):
            for session in list(self.refs):
                runtime.release_session(session)
        assert len(self.client.adapter.registry) == 0


LocalClientMachine.TestCase.settings = settings(
    LocalClientMachine.TestCase.settings, max_examples=60, stateful_step_count=40
)
TestLocalClientMachine = LocalClientMachine.TestCase
