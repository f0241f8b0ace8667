"""The bug class on Ray: a pre-fix dispatcher loses its ref across actors; the reference
runtime and the dispatcher as ``session-lint --fix`` rewrites it never do.

The dispatcher (from the PoolClient demonstration) embeds the ambient session in its
payload while routing follows the ``__runtime__`` override: the ref is made on the
override's actor, stored under the context session, and the context session's actor has
never heard of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import runtime
from runtime import Ref, RefNotFoundError, SessionMismatchError
from tests.runtime.on_ray.support import closing_ray
from tests.runtime.pool_support import session
from tests.runtime.support import CounterBinding
from tests.runtime.test_pool_split_session import FIXED, PRE_FIX, examples, load

pytest.importorskip("ray", reason='Ray is not installed: pip install "session-lint[ray]"')

names = st.text(min_size=1, max_size=6)


@pytest.fixture(scope="module")
def ray_pool(ray_cluster: str) -> Iterator[Any]:
    with closing_ray(2) as client:
        yield client


@settings(max_examples=10)
@given(context_name=names, override_name=names)
def test_the_pre_fix_dispatcher_loses_its_ref_across_actors_the_reference_never_does(
    ray_pool: Any, context_name: str, override_name: str
) -> None:
    number = next(examples)  # fresh sessions per example: the lost refs leak for good
    context = f"ray{number}:{context_name}"
    override = f"ray{number}:{override_name}"
    suffix = 0
    while ray_pool.actor_index(override) == ray_pool.actor_index(context):
        suffix += 1  # the demonstration needs the two sessions on two actors
        override = f"ray{number}:{override_name}:{suffix}"
    create_pre_fix, create_fixed = load(PRE_FIX), load(FIXED)
    with runtime.using_client(ray_pool):
        with runtime.with_session(context):
            lost = create_pre_fix(CounterBinding, ["abc"], **session(override))
            fixed = create_fixed(CounterBinding, ["abc"], **session(override))
            reference = runtime.call_class(CounterBinding, args=["abc"], **session(override))
        override_actor = ray_pool.worker_pid(override)
        assert override_actor is not None

        # Pre-fix: stored under the context session on the override's actor.
        assert isinstance(lost, Ref) and lost.session_id == context
        assert lost.id in ray_pool.snapshot()[override_actor][context]
        with pytest.raises(RefNotFoundError):  # its own session's actor never heard of it
            runtime.call_method(lost, "total")
        with pytest.raises(SessionMismatchError):  # and under the override it is not its own
            runtime.call_method(lost, "total", **session(override))

        for ref in (reference, fixed):  # resolved once: always found
            assert ref.session_id == override
            assert runtime.call_method(ref, "total") == 3
        assert runtime.release_session(override) == 2
        runtime.release_session(context)
        # Releasing both sessions does not free the lost ref either: it leaks.
        assert lost.id in ray_pool.snapshot()[override_actor][context]


def test_with_strict_sessions_the_actor_refuses_the_split(ray_cluster: str) -> None:
    with closing_ray(1, strict_sessions=True) as strict, runtime.using_client(strict):
        with runtime.with_session("context"):
            with pytest.raises(SessionMismatchError, match="resolve the session once"):
                load(PRE_FIX)(CounterBinding, ["abc"], **session("override"))
            ref = runtime.call_class(CounterBinding, args=["abc"], **session("override"))
        assert runtime.call_method(ref, "total") == 3
        assert strict.snapshot() == {strict.pids[0]: {"override": frozenset({ref.id})}}
        assert runtime.release_session("override") == 1
