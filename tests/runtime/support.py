"""Test support: bindings, a recording client, the table of call paths, target functions."""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import runtime
import runtime.aio
from runtime import Ref, StreamRef
from runtime.context import peek_auto_session
from runtime.options import RUNTIME_OPTIONS

CUSTOM_SESSION = "custom_override_session_123"
CONTEXT_SESSION = "context_session_456"
REF_SESSION = "ref_embedded_session"
ROUTING_OPTIONS = [key for key in RUNTIME_OPTIONS if key != "session_id"]
"""The ``__runtime__`` options other than the session: passed on to routing as given."""


class TestMathModule:
    """A module binding, as the seed's ``TestMathModule``."""

    __test__ = False  # not a pytest test class
    __snakebridge_python_name__ = "math"
    __snakebridge_library__ = "math"


class TestClassModule:
    """A class binding, as the seed's ``TestClassModule`` (functions, like the seed)."""

    __test__ = False

    @staticmethod
    def __snakebridge_python_name__() -> str:
        return "sympy"

    @staticmethod
    def __snakebridge_library__() -> str:
        return "sympy"

    @staticmethod
    def __snakebridge_python_class__() -> str:
        return "Symbol"


class CounterBinding:
    """A class binding for ``collections.Counter`` (real calls through LocalClient)."""

    __snakebridge_python_name__ = "collections"
    __snakebridge_library__ = "collections"
    __snakebridge_python_class__ = "Counter"


class SupportBinding:
    """A module binding for this module, whose target functions are below."""

    __snakebridge_python_name__ = __name__
    __snakebridge_library__ = "tests"


# -- target functions called through LocalClient ----------------------------------------


def countdown(n: int) -> Iterator[int]:
    """Yield ``n, n-1, ..., 1``."""
    yield from range(n, 0, -1)


def boxes(n: int) -> Iterator[object]:
    """Yield ``n`` objects that are not JSON data (each becomes a ref)."""
    for i in range(n):
        yield {i: "non-str key"}


def fail_after(n: int) -> Iterator[int]:
    """Yield ``0..n-1`` and then raise ``KeyError``."""
    yield from range(n)
    raise KeyError("boom")


def objects(n: int) -> list[object]:
    """A list of ``n`` non-JSON objects: ``n`` refs in one result."""
    return [object() for _ in range(n)]


# -- recording client ---------------------------------------------------------------------


@dataclass
class Dispatch:
    """One recorded dispatch; the payload is a deep copy taken at dispatch time."""

    tool: str
    payload: dict[str, Any]
    opts: dict[str, Any]
    streamed: bool = False


def canned_response(tool: str, payload: dict[str, Any]) -> Any:
    """Plausible worker answers; refs echo the payload session as a real worker would."""
    if tool == "snakebridge.release_ref":
        return True
    if tool == "snakebridge.release_session":
        return 0
    call_type = payload.get("call_type")
    if call_type == "class":
        return {"__type__": "ref", "id": "ref-1"}  # the seed's canned constructor answer
    if call_type == "stream_next":
        return {"__type__": "stream_end", "__schema__": 1}
    if call_type == "dynamic" and payload.get("function") == "iter":
        return StreamRef("stream-1", payload["session_id"], "math", "math").to_wire_format()
    return "result"


@dataclass
class RecordingClient:
    """A test double: records every dispatch and answers from ``respond``."""

    respond: Callable[[str, dict[str, Any]], Any] = canned_response
    stream_items: tuple[Any, ...] = ()
    calls: list[Dispatch] = field(default_factory=list)

    def execute(self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /) -> Any:
        self.calls.append(Dispatch(tool, copy.deepcopy(payload), dict(opts)))
        return self.respond(tool, payload)

    def execute_stream(
        self,
        tool: str,
        payload: dict[str, Any],
        callback: Callable[[Any], None],
        opts: dict[str, Any],
        /,
    ) -> None:
        self.calls.append(Dispatch(tool, copy.deepcopy(payload), dict(opts), streamed=True))
        for item in self.stream_items:
            callback(item)

    def sessions(self) -> list[tuple[Any, Any]]:
        """``(payload session, routing session)`` of every dispatch, in order."""
        return [(d.payload.get("session_id"), d.opts.get("session_id")) for d in self.calls]

    @property
    def aio(self) -> AsyncRecordingClient:
        """A native async twin recording into the same list (no threads)."""
        return AsyncRecordingClient(self)


@dataclass
class AsyncRecordingClient:
    """The async twin of a :class:`RecordingClient`."""

    sync: RecordingClient

    async def execute(self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /) -> Any:
        await asyncio.sleep(0)  # a real suspension point, as a real client has
        return self.sync.execute(tool, payload, opts)

    async def execute_stream(
        self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /
    ) -> AsyncIterator[Any]:
        self.sync.calls.append(Dispatch(tool, copy.deepcopy(payload), dict(opts), streamed=True))
        for item in self.sync.stream_items:
            await asyncio.sleep(0)
            yield item


@dataclass
class Tap:
    """Forwards every dispatch to a real client and records, thread-safely, its tool, payload
    session and routing opts (for tests that check what was sent through real workers)."""

    inner: Any  # a RuntimeClient
    calls: list[tuple[str, Any, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _record(self, tool: str, payload: dict[str, Any], opts: dict[str, Any]) -> None:
        with self.lock:
            self.calls.append((tool, payload.get("session_id"), dict(opts)))

    def execute(self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /) -> Any:
        self._record(tool, payload, opts)
        return self.inner.execute(tool, payload, opts)

    def execute_stream(
        self,
        tool: str,
        payload: dict[str, Any],
        callback: Callable[[Any], None],
        opts: dict[str, Any],
        /,
    ) -> None:
        self._record(tool, payload, opts)
        self.inner.execute_stream(tool, payload, callback, opts)

    def session_pairs(self) -> list[tuple[Any, Any]]:
        """``(payload session, routing session)`` of every dispatch, in order."""
        with self.lock:
            return [(payload, opts.get("session_id")) for _tool, payload, opts in self.calls]


# -- the call paths -------------------------------------------------------------------------

Invoke = Callable[[Ref, dict[str, Any]], object]
AsyncInvoke = Callable[[Ref, dict[str, Any]], Awaitable[object]]


@dataclass(frozen=True)
class CallPath:
    """One public call path. ``invoke(ref, opts)`` runs it with ``**opts``; ``ainvoke`` is
    the same call through ``runtime.aio`` (a coroutine to await in a task).

    ``takes_ref``: the ref's session is a source. ``overridable``: ``__runtime__`` can reach
    the resolver (not so for call_helper's mapping form, which passes it on verbatim).
    """

    name: str
    invoke: Invoke
    ainvoke: AsyncInvoke
    takes_ref: bool = False
    overridable: bool = True
    tools: tuple[str, ...] = ("snakebridge.call",)


FORMS = ("sync", "async")
"""The two APIs every path has: ``runtime`` and ``runtime.aio``."""


def run_path(
    path: CallPath,
    form: str,
    ref: Ref,
    opts: dict[str, Any],
    flows: list[str | None] | None = None,
) -> str | None:
    """Run ``path`` in ``form``; return the auto-session of the flow that ran it, if any
    (also appended to ``flows``, even when the path raises).

    The async form runs in a new task (``asyncio.run``): a task is its own flow, with the
    caller's context session but an auto-session of its own.
    """
    seen = flows if flows is not None else []

    def run() -> str | None:
        try:
            path.invoke(ref, opts)
        finally:
            seen.append(peek_auto_session())
        return seen[-1]

    async def in_task() -> str | None:
        try:
            await path.ainvoke(ref, opts)
        finally:
            seen.append(peek_auto_session())
        return seen[-1]

    return run() if form == "sync" else asyncio.run(in_task())


def _ignore(_item: object) -> None:
    return None


async def _drain(stream: runtime.aio.AsyncStream) -> list[Any]:
    async with stream as items:
        return [item async for item in items]


def _stream_ref(ref: Ref) -> StreamRef:
    return StreamRef(ref.id, ref.session_id, ref.python_module, ref.library)


PATHS: tuple[CallPath, ...] = (
    CallPath(
        "call",
        lambda ref, o: runtime.call(TestMathModule, "sqrt", [4], **o),
        lambda ref, o: runtime.aio.call(TestMathModule, "sqrt", [4], **o),
    ),
    CallPath(
        "call_dynamic",
        lambda ref, o: runtime.call_dynamic("math", "sqrt", [4], **o),
        lambda ref, o: runtime.aio.call_dynamic("math", "sqrt", [4], **o),
    ),
    CallPath(
        "get_module_attr[str]",
        lambda ref, o: runtime.get_module_attr("math", "pi", **o),
        lambda ref, o: runtime.aio.get_module_attr("math", "pi", **o),
    ),
    CallPath(
        "get_module_attr[binding]",
        lambda ref, o: runtime.get_module_attr(TestMathModule, "pi", **o),
        lambda ref, o: runtime.aio.get_module_attr(TestMathModule, "pi", **o),
    ),
    CallPath(
        "call_class",
        lambda ref, o: runtime.call_class(TestClassModule, "__init__", ["x"], **o),
        lambda ref, o: runtime.aio.call_class(TestClassModule, "__init__", ["x"], **o),
    ),
    CallPath(
        "call_method",
        lambda ref, o: runtime.call_method(ref, "some_method", [], **o),
        lambda ref, o: runtime.aio.call_method(ref, "some_method", [], **o),
        takes_ref=True,
    ),
    CallPath(
        "get_attr",
        lambda ref, o: runtime.get_attr(ref, "name", **o),
        lambda ref, o: runtime.aio.get_attr(ref, "name", **o),
        takes_ref=True,
    ),
    CallPath(
        "set_attr",
        lambda ref, o: runtime.set_attr(ref, "name", 1, **o),
        lambda ref, o: runtime.aio.set_attr(ref, "name", 1, **o),
        takes_ref=True,
    ),
    CallPath(
        "call_helper[mapping]",
        lambda ref, o: runtime.call_helper("snakebridge.ping", [], dict(o)),
        lambda ref, o: runtime.aio.call_helper("snakebridge.ping", [], dict(o)),
        overridable=False,
    ),
    CallPath(
        "call_helper[keywords]",
        lambda ref, o: runtime.call_helper("snakebridge.ping", [], **o),
        lambda ref, o: runtime.aio.call_helper("snakebridge.ping", [], **o),
    ),
    CallPath(
        "stream[binding]",
        lambda ref, o: runtime.stream(TestMathModule, "iter", [10], _ignore, **o),
        lambda ref, o: _drain(runtime.aio.stream(TestMathModule, "iter", [10], **o)),
        tools=("snakebridge.stream",),
    ),
    CallPath(
        "stream[str]",
        lambda ref, o: runtime.stream("math", "iter", [10], _ignore, **o),
        lambda ref, o: _drain(runtime.aio.stream("math", "iter", [10], **o)),
        tools=("snakebridge.call", "snakebridge.call"),
    ),
    CallPath(
        "stream_next",
        lambda ref, o: runtime.stream_next(_stream_ref(ref), **o),
        lambda ref, o: runtime.aio.stream_next(_stream_ref(ref), **o),
        takes_ref=True,
    ),
    CallPath(
        "release_ref",
        lambda ref, o: runtime.release_ref(ref, **o),
        lambda ref, o: runtime.aio.release_ref(ref, **o),
        takes_ref=True,
        tools=("snakebridge.release_ref",),
    ),
)

PATHS_BY_NAME = {path.name: path for path in PATHS}


def make_ref(session_id: str | None = REF_SESSION) -> Ref:
    """A ref as the seed builds it, through ``Ref.from_wire_format``."""
    return Ref.from_wire_format(
        {
            "__type__": "ref",
            "__schema__": 1,
            "id": "ref-1",
            "session_id": session_id,
            "python_module": "test",
            "library": "test",
        }
    )
