"""Paths and joins: the states a front end evaluates a function over, and how values of
several paths become one. Language-neutral."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from session_lint.core.values import TOP, Items, Mapping, Session, Slot, SlotValue, Value

State = dict[str, Value]
MAX_PATHS = 64


def dedupe(states: Iterable[State]) -> list[State]:
    """The distinct states, at most ``MAX_PATHS`` of them."""
    seen: set[frozenset[tuple[str, Value]]] = set()
    unique: list[State] = []
    for state in states:
        key = frozenset(state.items())
        if key not in seen:
            seen.add(key)
            unique.append(state)
        if len(unique) >= MAX_PATHS:
            break
    return unique


def _is_bug(value: Value, ambient: bool) -> bool:
    slot = value.slot if isinstance(value, Mapping) else value
    if not isinstance(slot, Session):
        return False
    return slot.is_ambient if ambient else bool(slot.missing)


def join(values: Sequence[Value]) -> Value:
    """One value standing for several paths' values (branches of a conditional expression,
    a function's returns). A bug on one path is a bug: an ambient value wins, then a
    resolution that drops a source in scope."""
    if not values:
        return TOP
    for ambient in (True, False):
        for value in values:
            if _is_bug(value, ambient):
                return value
    first = values[0]
    if all(value == first for value in values):
        return first
    if all(isinstance(value, Mapping) for value in values):
        slots = {value.slot for value in values if isinstance(value, Mapping)}
        return Mapping(slots.pop() if len(slots) == 1 else Slot.UNKNOWN)
    if all(isinstance(value, Items) for value in values):
        return Items(join([value.element for value in values if isinstance(value, Items)]))
    return TOP


def merged_slot(current: SlotValue, incoming: SlotValue) -> SlotValue:
    """The session key after merging a mapping whose key is ``incoming`` over one whose
    key is ``current``."""
    if incoming is Slot.ABSENT:
        return current
    if incoming is Slot.MAYBE and isinstance(current, Session):
        # the caller's override wins when set, and the resolver picks it too
        return current
    if incoming is Slot.UNKNOWN and isinstance(current, Session):
        # a mapping we cannot see may lack the key, and then the key set before it
        # survives: `{"session_id": current_session_id(), **extra}` embeds the ambient
        # session whenever `extra` does not carry one (README: "Merges")
        return current
    return incoming


def value_of(slot: SlotValue) -> Value:
    """A session slot used as a plain value: a session, or unknown."""
    return slot if isinstance(slot, Session) else TOP
