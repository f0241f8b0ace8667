"""Abstract values tracked per path: sessions, mappings that may carry one, refs.

Language-neutral: both front ends (Python through libcst, Elixir through tree-sitter)
evaluate their syntax into these values. A ``Node`` is the front end's own syntax node,
kept only to report at and to compare by identity.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, TypeAlias

Node: TypeAlias = Any  # a libcst or tree-sitter node; the core never looks inside one


class Origin(enum.Enum):
    """Where a session value comes from."""

    AMBIENT = "ambient"  # the ambient getter, directly or through a wrapper
    RESOLVED = "resolved"  # one resolver call
    PARAMETER = "parameter"  # a parameter of the function (the caller chose it)
    OPAQUE = "opaque"  # anything else, identified by its source text


class Via(enum.Enum):
    """How an ambient session reached the dispatch; decides which rule reports it."""

    READ = "read"  # a getter call, a wrapper call or a property read
    BUILDER = "builder"  # embedded by a payload builder
    READ_BACK = "read_back"  # read back out of a payload holding an ambient session
    HAND_ROLLED = "hand_rolled"  # `x or current_session_id()`


@dataclass(frozen=True)
class Session:
    origin: Origin
    key: str  # identity: resolver argument text, parameter name or expression text
    node: Node | None = None  # where to report it
    via: Via = Via.READ
    missing: tuple[str, ...] = ()  # RESOLVED: overrides and refs in scope not passed

    @property
    def is_ambient(self) -> bool:
        return self.origin is Origin.AMBIENT

    def same_value(self, other: Session) -> bool:
        if self.origin is Origin.AMBIENT or other.origin is Origin.AMBIENT:
            return False
        return self.origin is other.origin and self.key == other.key


class Slot(enum.Enum):
    """A mapping's session key when it holds no known session."""

    ABSENT = "absent"  # known not to be there
    MAYBE = "maybe"  # the caller's raw override mapping: present only if they set it
    UNKNOWN = "unknown"  # cannot tell


SlotValue = Session | Slot


@dataclass(frozen=True)
class Mapping:
    """A dict whose session key we follow. ``override`` names the override variable when
    the mapping is the caller's raw ``__runtime__`` options (``""`` until bound).
    ``assumed``: built by a call we cannot see into that was handed the session, so the key
    is likely, not known, to be there."""

    slot: SlotValue
    override: str | None = None
    assumed: bool = False
    pairs: bool = False  # a list of (key, value) pairs: `+` and `.append` extend it


@dataclass(frozen=True)
class RefParameter:
    """A ref parameter in scope: the resolver must receive it."""

    name: str


@dataclass(frozen=True)
class Items:
    """A list, set or generator (also a comprehension's result): ``element`` stands for any
    one of its elements, so a payload built in one comprehension and dispatched from a loop
    or another comprehension keeps its session."""

    element: Value


@dataclass(frozen=True)
class Fixed:
    """A tuple of known length, e.g. what a split helper returns (``kwargs, runtime_opts``)."""

    elements: tuple[Value, ...]


@dataclass(frozen=True)
class Callee:
    """A function held in a local: an alias (`getter = sessions.current_session_id`,
    `send = client.execute`) or a `functools.partial` of one with the arguments it binds
    first. Calling it is calling ``func`` with ``args`` (valued ``values``) in front."""

    func: Node
    args: tuple[Node, ...] = ()
    values: tuple[Value, ...] = ()


class Unknown(enum.Enum):
    TOP = "top"


TOP = Unknown.TOP

# state key prefix remembering an override: no Python or Elixir name has it
OVERRIDE_MARK = "\0"

Value = Session | Mapping | RefParameter | Items | Fixed | Callee | Unknown
