"""Drivers for code written as generators of steps (the call paths, a pool call).

A generator yields a step, its driver performs it and sends the reply back; whatever
performing raises is thrown back in at that step, so the generator's ``finally`` blocks
run (and may yield more steps) before the error leaves. :func:`drive` performs each step
in this thread, :func:`adrive` awaits each, and :func:`aiterate` also hands items on to
an ``async for`` consumer. One loop each, for every caller of the runtime.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator
from typing import Any, TypeVar

S = TypeVar("S")
T = TypeVar("T")


class ConsumerStopped(BaseException):
    """Thrown in at a step when an async consumer stops early, so that cleanup runs.

    (``GeneratorExit`` cannot be used: thrown through ``yield from`` it closes the inner
    generator, which may then not yield the steps of its cleanup.)"""


def drive(steps: Generator[S, Any, T], perform: Callable[[S], Any]) -> T:
    """Run ``steps`` to their result, performing each step with ``perform``."""
    advance: Callable[[Any], S] = steps.send
    reply: Any = None
    while True:
        try:
            step = advance(reply)
        except StopIteration as stop:
            result: T = stop.value
            return result
        try:
            reply = perform(step)
            advance = steps.send
        except BaseException as exc:  # the generator's finally blocks must see it
            reply, advance = exc, steps.throw


async def adrive(steps: Generator[S, Any, T], perform: Callable[[S], Awaitable[Any]]) -> T:
    """Run ``steps`` to their result, awaiting ``perform`` for each step."""
    advance: Callable[[Any], S] = steps.send
    reply: Any = None
    while True:
        try:
            step = advance(reply)
        except StopIteration as stop:
            result: T = stop.value
            return result
        try:
            reply = await perform(step)
            advance = steps.send
        except BaseException as exc:  # CancelledError too: the generator cleans up
            reply, advance = exc, steps.throw


async def aiterate(
    steps: Generator[S, Any, Any],
    perform: Callable[[S], Awaitable[Any]],
    items_of: Callable[[S], AsyncIterator[Any] | None],
) -> AsyncGenerator[Any, None]:
    """Run ``steps``, yielding the items of each step ``items_of`` gives items for (the
    reply is then ``None``) and awaiting ``perform`` for the others.

    When the consumer stops (``aclose()``), :class:`ConsumerStopped` is thrown in at the
    step it stopped at; once the generator has cleaned up, the close completes.
    """
    advance: Callable[[Any], S] = steps.send
    reply: Any = None
    while True:
        try:
            step = advance(reply)
        except StopIteration:
            return
        except ConsumerStopped:
            raise GeneratorExit from None  # cleaned up: finish closing
        try:
            items = items_of(step)
            if items is None:
                reply = await perform(step)
            else:
                try:
                    async for item in items:
                        yield item
                finally:
                    await close_iterator(items)  # stops the producer if we stopped first
                reply = None
            advance = steps.send
        except GeneratorExit:
            reply, advance = ConsumerStopped(), steps.throw
        except BaseException as exc:
            reply, advance = exc, steps.throw


async def one(value: Any) -> AsyncIterator[Any]:
    """An async iterator of ``value`` alone (a step that is a single item)."""
    yield value


async def close_iterator(items: AsyncIterator[Any]) -> None:
    """``aclose()`` an async iterator that has one (an async generator does)."""
    aclose = getattr(items, "aclose", None)
    if aclose is not None:
        await aclose()
