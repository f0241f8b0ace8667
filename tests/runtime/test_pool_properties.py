"""The runtime's lattice and consistency properties, run against real PoolClient workers.

Reuses the strategies and oracle of ``test_paths_property`` and the state machine of
``test_local_client_machine`` with fewer examples: process round trips cost more than
in-process calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

import runtime
from runtime import BridgeError, PoolClient, Ref, RefNotFoundError, SessionMismatchError
from tests.runtime.pool_support import closing_pool, session
from tests.runtime.support import (
    FORMS,
    PATHS,
    PATHS_BY_NAME,
    ROUTING_OPTIONS,
    CallPath,
    CounterBinding,
    Tap,
)
from tests.runtime.test_local_client_machine import LIMIT, LocalClientMachine
from tests.runtime.test_paths_property import (
    fresh_flow_options,
    invoke,
    lattice,
    optional_sessions,
    sessions,
)

FEW = settings(max_examples=20)
routing_extras = st.dictionaries(st.sampled_from(ROUTING_OPTIONS), st.integers(1, 30), max_size=2)

_pool: PoolClient | None = None


@pytest.fixture(scope="module", autouse=True)
def pool() -> Iterator[PoolClient]:
    """One pool for the module (the state machine reaches it through ``_pool``)."""
    global _pool
    with closing_pool(2, max_refs_per_session=LIMIT) as client:
        _pool = client
        yield client
        _pool = None


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
@FEW
@given(
    override=optional_sessions,
    extra=routing_extras,
    ref_session=optional_sessions,
    context=optional_sessions,
    fresh_auto=st.booleans(),
)
def test_through_the_pool_every_path_sends_the_lattice_session(
    pool: PoolClient,
    path: CallPath,
    form: str,
    override: str | None,
    extra: dict[str, int],
    ref_session: str | None,
    context: str | None,
    fresh_auto: bool,
) -> None:
    opts = fresh_flow_options(override, extra, fresh_auto)
    tap = Tap(pool)
    # The table's targets are partly fictional (``sympy``, ``ref-1``): the workers may
    # answer with an error, which must be a runtime error and never a hang.
    flows: list[str | None] = []
    with runtime.using_client(tap), contextlib.suppress(BridgeError):
        invoke(path, opts, ref_session, context, form, flows)

    expected = lattice(path, override, ref_session, context, flows[0])
    tools = [tool for tool, _, _ in tap.calls]
    assert tools and tools == list(path.tools[: len(tools)])
    for _tool, payload_session, routing in tap.calls:
        assert payload_session == routing["session_id"] == expected
        if path.overridable:
            assert {k: v for k, v in routing.items() if k != "session_id"} == extra
    assert pool.worker_pid(expected) is not None  # routed by it: pinned to a worker
    # Free what a real target made (``sympy`` may be installed), so no session carries
    # refs into later examples.
    with runtime.using_client(pool):
        runtime.release_session(expected)


@FEW
@given(
    override=optional_sessions,
    context=optional_sessions,
    fresh_auto=st.booleans(),
    explicit=st.booleans(),
    other=sessions,
)
def test_a_ref_made_in_the_lattice_session_is_found_there_by_every_ref_path(
    pool: PoolClient,
    override: str | None,
    context: str | None,
    fresh_auto: bool,
    explicit: bool,
    other: str,
) -> None:
    runtime.clear_current()
    if fresh_auto:
        runtime.clear_auto_session()
    opts = {} if override is None else session(override)
    expected = lattice(PATHS_BY_NAME["call_class"], override, None, context)
    with runtime.using_client(pool):
        runtime.release_session(expected)  # drawn names recur: start from an empty session
        with runtime.with_session(context) if context is not None else contextlib.nullcontext():
            ref = runtime.call_class(CounterBinding, args=["abc"], **opts)
        assert ref.session_id == expected
        again = session(expected) if explicit else {}
        assert runtime.call_method(ref, "total", **again) == 3
        runtime.set_attr(ref, "label", "x", **again)
        assert runtime.get_attr(ref, "label", **again) == "x"
        assert runtime.call_dynamic("builtins", "len", [ref], **session(expected)) == 3
        items = runtime.call_method(ref, "elements", **again)
        assert runtime.stream_next(items, **again) in ("a", "b", "c")
        if other != expected:  # routed elsewhere: never found there
            with pytest.raises(SessionMismatchError):
                runtime.call_method(ref, "total", **session(other))
        assert runtime.release_ref(ref, **again) is True
        assert runtime.release_session(expected) == 1  # the half-read stream
        assert pool.worker_pid(expected) is None


class PoolClientMachine(LocalClientMachine):
    """The LocalClient state machine over worker processes, with the pool's own invariants."""

    def __init__(self) -> None:
        super().__init__()
        assert _pool is not None
        self.client = _pool  # type: ignore[assignment]

    @property
    def pool(self) -> PoolClient:
        assert isinstance(self.client, PoolClient)
        return self.client

    @rule(ref=LocalClientMachine.counters, session=LocalClientMachine.sessions)
    def use_stripped_ref(self, ref: Ref, session: str) -> None:
        """Across workers an unknown id is simply absent; on the same worker it is refused."""
        anonymous = Ref(ref.id)
        with runtime.using_client(self.client):
            if not self.live(ref):
                with pytest.raises(RefNotFoundError):
                    runtime.call_method(anonymous, "total", __runtime__={"session_id": session})
            elif session == ref.session_id:
                runtime.call_method(anonymous, "total", __runtime__={"session_id": session})
            else:
                with pytest.raises((SessionMismatchError, RefNotFoundError)) as info:
                    runtime.call_method(anonymous, "total", __runtime__={"session_id": session})
                assert ref.session_id is not None
                same = self.pool.worker_pid(session) == self.pool.worker_pid(ref.session_id)
                assert isinstance(info.value, SessionMismatchError if same else RefNotFoundError)

    @invariant()
    def registry_matches_the_model(self) -> None:
        """The workers hold exactly the modelled refs, each session on its pinned worker."""
        mine: dict[str, frozenset[str]] = {}
        for pid, held in self.pool.snapshot().items():
            for owner, ids in held.items():
                if owner not in self.refs:
                    continue  # another test's session
                assert owner not in mine, f"session {owner!r} has refs on two workers"
                assert self.pool.worker_pid(owner) == pid
                mine[owner] = ids
        expected = {sid: frozenset(refs) for sid, refs in self.refs.items() if refs}
        assert mine == expected

    def each_ref_is_reachable_only_in_its_session(self) -> None:
        """Covered by ``registry_matches_the_model`` (one snapshot per step), not an invariant."""

    def teardown(self) -> None:
        with runtime.using_client(self.client):
            for owner in list(self.refs):
                runtime.release_session(owner)
        held = self.pool.snapshot().values()
        assert not any(owner in self.refs for worker in held for owner in worker)


PoolClientMachine.TestCase.settings = settings(max_examples=20, stateful_step_count=30)
TestPoolClientMachine = PoolClientMachine.TestCase
