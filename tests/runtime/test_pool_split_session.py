"""The bug class, end to end: a pre-fix dispatcher loses its ref in the pool; the checker flags it.

The dispatcher below is written the pre-fix way: its payload builder embeds the ambient
session (``current_session_id()``) while routing follows the ``__runtime__`` override. In
``PoolClient`` the ref then lands on the override's worker, stored under the context
session, where no later call finds it. The reference runtime (``runtime.call_class``) and
the dispatcher as ``session-lint --fix`` rewrites it always find their ref; the checker
flags the pre-fix source and not the reference runtime's.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import runtime
import runtime.paths
import session_lint
from runtime import LocalClient, PoolClient, Ref, RefNotFoundError, SessionMismatchError
from tests.runtime.pool_support import closing_pool, session
from tests.runtime.support import CounterBinding

PRE_FIX = '''\
"""A dispatcher written the pre-fix way: an ambient payload builder, routing by override."""

from runtime import current_session_id, get_client, resolve_session_id
from runtime.bindings import class_binding_info
from runtime.options import ensure_session_opt, split_opts
from runtime.payloads import encode_args, encode_kwargs
from runtime.wire import decode_value


def class_payload(binding, args, kwargs, idempotent):
    """A constructor payload; like the seed's base_payload it embeds the AMBIENT session."""
    info = class_binding_info(binding)
    return {
        "protocol_version": 1,
        "min_supported_version": 1,
        "call_type": "class",
        "python_module": info.python_module,
        "library": info.library,
        "class": info.python_class,
        "function": "__init__",
        "args": args,
        "kwargs": kwargs,
        "idempotent": idempotent,
        "session_id": current_session_id(),
    }


def create_instance(binding, args=(), **opts):
    """Payload session from the context; routing session from the override."""
    kwargs, idempotent, extra_args, runtime_opts = split_opts(opts)
    encoded_args = encode_args(args, extra_args)
    payload = class_payload(binding, encoded_args, encode_kwargs(kwargs), idempotent)
    routing_opts = ensure_session_opt(runtime_opts, resolve_session_id(runtime_opts))
    return decode_value(get_client().execute("snakebridge.call", payload, routing_opts))
'''


def load(source: str) -> Callable[..., Any]:
    """``create_instance`` from ``source``, executed as a module."""
    namespace: dict[str, Any] = {"__name__": "pre_fix_dispatcher"}
    exec(compile(source, "pre_fix_dispatcher.py", "exec"), namespace)
    dispatcher: Callable[..., Any] = namespace["create_instance"]
    return dispatcher


FIXED = session_lint.fix_source(PRE_FIX)
examples = itertools.count()
session_pairs = st.lists(st.text(min_size=1, max_size=6), min_size=2, max_size=2, unique=True)


@pytest.fixture(scope="module")
def pool() -> Iterator[PoolClient]:
    with closing_pool(2) as client:
        yield client


def test_the_checker_flags_the_pre_fix_dispatcher_and_not_the_reference_runtime() -> None:
    (finding,) = session_lint.lint_source(PRE_FIX, path="pre_fix_dispatcher.py")
    builder_call = PRE_FIX.splitlines().index(
        "    payload = class_payload(binding, encoded_args, encode_kwargs(kwargs), idempotent)"
    )
    assert (finding.code, finding.line) == ("SES002", builder_call + 1)
    assert session_lint.lint_source(inspect.getsource(runtime.paths), path="runtime/paths.py") == []
    assert FIXED != PRE_FIX
    assert session_lint.lint_source(FIXED, path="fixed_dispatcher.py") == []


@settings(max_examples=15)
@given(pair=session_pairs)
def test_the_pre_fix_dispatcher_loses_its_ref_in_the_pool_the_reference_never_does(
    pool: PoolClient, pair: list[str]
) -> None:
    # Numbered so that the refs this example leaks never meet a later example's sessions.
    number = next(examples)
    context, override = (f"{number}:{name}" for name in pair)
    create_pre_fix, create_fixed = load(PRE_FIX), load(FIXED)
    with runtime.using_client(pool):
        for name in (context, override):  # two fresh sessions: one per worker
            runtime.call("math", "sqrt", [1.0], **session(name))
        context_worker, override_worker = pool.worker_pid(context), pool.worker_pid(override)
        assert context_worker is not None and override_worker is not None
        assert context_worker != override_worker

        with runtime.with_session(context):
            lost = create_pre_fix(CounterBinding, ["abc"], **session(override))
            fixed = create_fixed(CounterBinding, ["abc"], **session(override))
            reference = runtime.call_class(CounterBinding, args=["abc"], **session(override))

        # Pre-fix: routed by the override, stored under the context session, on the
        # override's worker: the context session's worker has never heard of it.
        assert isinstance(lost, Ref) and lost.session_id == context
        assert lost.id in pool.snapshot()[override_worker][context]
        with pytest.raises(RefNotFoundError):
            runtime.call_method(lost, "total")
        with pytest.raises(SessionMismatchError):  # and under the override it is not its own
            runtime.call_method(lost, "total", **session(override))

        # The reference runtime and the fixed dispatcher resolve once: always found.
        for ref in (reference, fixed):
            assert ref.session_id == override
            assert runtime.call_method(ref, "total") == 3
        assert runtime.release_session(override) == 2
        runtime.release_session(context)
        # Releasing both sessions does not free the lost ref either: it leaks.
        assert lost.id in pool.snapshot()[override_worker][context]


def test_in_process_the_same_split_is_refused_outright() -> None:
    with runtime.using_client(LocalClient()), runtime.with_session("context"):
        with pytest.raises(SessionMismatchError, match="resolve the session once"):
            load(PRE_FIX)(CounterBinding, ["abc"], **session("override"))
        assert runtime.call_class(CounterBinding, args=["abc"], **session("override"))
