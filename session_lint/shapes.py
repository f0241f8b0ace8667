"""Sink shapes: where a dispatch call carries its payload and its routing.

Today's ``sinks = ["execute", ...]`` names methods of any receiver taking the payload as the
2nd positional argument (or ``payload=``) and the routing options as the last one of three
or more (or ``opts=``). A ``[[tool.session-lint.sink]]`` table describes any other shape:
``stub.ExecuteTool(req, metadata=md)`` is ``method = "ExecuteTool"``, ``payload = 0``,
``routing = "metadata"``; a dotted call target is ``call = "requests.post"``.
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping
from dataclasses import dataclass

from session_lint.core.matching import NameMatcher

# the last positional argument when there are three or more: today's routing rule
LAST = -1
SINK_KEYS = ("method", "call", "payload", "routing", "routing-is-session")


class ShapeError(ValueError):
    """A bad sink table; ``config`` prefixes the file and the key."""


@dataclass(frozen=True)
class Place:
    """Where an argument is: a positional index, a keyword name, or both (the keyword
    wins when given)."""

    index: int | None = None
    keyword: str | None = None

    def describe(self) -> str:
        parts = []
        if self.keyword is not None:
            parts.append(f"{self.keyword}=")
        if self.index == LAST:
            parts.append("the last positional argument (of 3 or more)")
        elif self.index is not None:
            parts.append(f"positional argument {self.index}")
        return " or ".join(parts)

    def as_toml_value(self) -> object:
        if self.index is not None and self.keyword is not None:
            return [self.index, self.keyword]
        return self.index if self.index is not None else self.keyword


LEGACY_PAYLOAD = Place(1, "payload")
LEGACY_ROUTING = Place(LAST, "opts")


@dataclass(frozen=True)
class SinkShape:
    """One dispatch entry. ``call``: ``name`` is a (dotted) call target matched through
    imports, as ``ambient`` names are; otherwise ``name`` is a method called on any
    receiver."""

    name: str
    call: bool = False
    payload: Place = LEGACY_PAYLOAD
    routing: Place = LEGACY_ROUTING
    # the routing argument is the session itself (`routing_key=sid`), not a container
    routing_is_session: bool = False

    @property
    def legacy(self) -> bool:
        """Today's shape: payload and routing are dicts a fix may write into."""
        return not self.call and (self.payload, self.routing) == (LEGACY_PAYLOAD, LEGACY_ROUTING)

    @property
    def last_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    def as_table(self) -> dict[str, object]:
        table = {
            "call" if self.call else "method": self.name,
            "payload": self.payload.as_toml_value(),
            "routing": self.routing.as_toml_value(),
        }
        if self.routing_is_session:
            table["routing-is-session"] = True
        return table

    def describe(self) -> str:
        target = f"call {self.name}(...)" if self.call else f"method .{self.name}(...)"
        itself = " (the session itself)" if self.routing_is_session else ""
        return (
            f"{target}: payload = {self.payload.describe()}; "
            f"routing = {self.routing.describe()}{itself}"
        )


class SinkTable:
    """The sink entries of a configuration, for either front end: a configured call
    target (matched on the call's qualified name) wins over a method of that name."""

    def __init__(self, shapes: tuple[SinkShape, ...]) -> None:
        self.methods: dict[str, SinkShape] = {}
        for shape in shapes:
            if not shape.call:
                self.methods.setdefault(shape.name, shape)
        self.calls = tuple((shape, NameMatcher((shape.name,))) for shape in shapes if shape.call)
        self.method_names = frozenset(self.methods)
        self.last_names = frozenset(shape.last_name for shape in shapes)

    def call_shape(self, qualified: str | None) -> SinkShape | None:
        """The call target ``qualified`` (``pkg.client.post``) is, if any."""
        for shape, matcher in self.calls:
            if matcher.matches(qualified):
                return shape
        return None

    def shape_for(self, qualified: str | None, method: str | None) -> SinkShape | None:
        """The entry a call is: its target's qualified name, else the method it calls on
        a receiver (``method`` is ``None`` for a call that is not on a receiver)."""
        found = self.call_shape(qualified) if self.calls else None
        if found is None and method is not None:
            found = self.methods.get(method)
        return found


def legacy_shape(name: str) -> SinkShape:
    """A ``sinks`` entry: a method of any receiver (a dotted name matches on its last part)."""
    return SinkShape(name.rsplit(".", 1)[-1])


def is_dotted_name(name: str, *, called: bool = False) -> bool:
    """A (dotted) Python name. A ``called`` name (a sink, a getter) may also end in an
    Elixir function name, whose last character may be ``!`` or ``?`` (``execute!``)."""
    parts = name.split(".")
    if called and parts[-1][-1:] in ("!", "?"):
        parts[-1] = parts[-1][:-1]
    return all(part.isidentifier() and not keyword.iskeyword(part) for part in parts)


def _place(key: str, value: object) -> Place:
    """``0``, ``"metadata"`` or ``[0, "request"]``."""
    items = value if isinstance(value, list | tuple) else [value]
    index: int | None = None
    name: str | None = None
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise ShapeError(
                f"`{key}` must be a positional index, a keyword name or both, got {value!r}"
            )
        if isinstance(item, int):
            if index is not None or not 0 <= item <= 255:
                raise ShapeError(f"`{key}` needs one positional index from 0, got {value!r}")
            index = item
        else:
            if name is not None or not item.isidentifier() or keyword.iskeyword(item):
                raise ShapeError(f"`{key}` needs one keyword argument name, got {value!r}")
            name = item
    if index is None and name is None:
        raise ShapeError(f"`{key}` is empty")
    return Place(index, name)


def parse_sink(table: object) -> SinkShape:
    """One ``[[tool.session-lint.sink]]`` table (or a ``SinkShape`` built in code)."""
    if isinstance(table, SinkShape):  # built in code: its places may be today's rule
        if not is_dotted_name(table.name, called=True) or (not table.call and "." in table.name):
            raise ShapeError(f"bad name {table.name!r}")
        return table
    if not isinstance(table, Mapping):
        raise ShapeError(f"must be a table (method/call, payload, routing), got {table!r}")
    unknown = [key for key in table if key not in SINK_KEYS]
    if unknown:
        raise ShapeError(f"unknown key `{unknown[0]}` (known keys: {', '.join(SINK_KEYS)})")
    targets = [key for key in ("method", "call") if key in table]
    if len(targets) != 1:
        raise ShapeError("needs exactly one of `method` (any receiver) or `call` (a call target)")
    target = targets[0]
    name = table[target]
    if not isinstance(name, str) or not is_dotted_name(name.strip(), called=True):
        raise ShapeError(f"`{target}` must be a (dotted) Python or Elixir name, got {name!r}")
    name = name.strip()
    if target == "method" and "." in name:
        raise ShapeError(f"`method` is a method name, without dots, got {name!r} (use `call`)")
    for key in ("payload", "routing"):
        if key not in table:
            raise ShapeError(f"needs `{key}`: where the call carries it")
    payload, routing = _place("payload", table["payload"]), _place("routing", table["routing"])
    if payload == routing or (payload.index is not None and payload.index == routing.index):
        raise ShapeError("`payload` and `routing` must be different arguments")
    routing_is_session = table.get("routing-is-session", False)
    if not isinstance(routing_is_session, bool):
        raise ShapeError(f"`routing-is-session` must be true or false, got {routing_is_session!r}")
    return SinkShape(name, target == "call", payload, routing, routing_is_session)


def parse_sinks(value: object) -> tuple[tuple[SinkShape, ...], str | None]:
    """The sink tables, or the problem with the first bad one (its index in the message)."""
    if isinstance(value, Mapping):  # a single `[tool.session-lint.sink]` table
        value = [value]
    if not isinstance(value, list | tuple):
        return (), f"must be an array of tables (`[[tool.session-lint.sink]]`), got {value!r}"
    shapes = []
    for position, table in enumerate(value):
        try:
            shapes.append(parse_sink(table))
        except ShapeError as error:
            return (), f"entry {position + 1}: {error}"
    return tuple(shapes), None


def sink_names(shapes: tuple[SinkShape, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """What the module index looks for: attribute names that may be a sink (``x.execute``,
    ``requests.post``) and bare names that may be one (``post`` imported from
    ``requests``)."""
    attributes = frozenset(shape.last_name for shape in shapes)
    names = frozenset(shape.last_name for shape in shapes if shape.call)
    return attributes, names


# keys of a `[[tool.session-lint.contract]]` table: another key family checked beside the
# session (`correlation_id`), with its own sources; sinks are shared
CONTRACT_KEYS = (
    "key",
    "resolver",
    "ambient",
    "session-headers",
    "ambient-attributes",
    "ambient-context-vars",
    "ambient-env",
    "override-names",
    "ref-names",
)


@dataclass(frozen=True)
class Contract:
    """One more key family: payload and routing must carry one value of ``key`` from one
    ``resolver`` call, as they must for the session."""

    key: str
    resolver: str
    ambient: tuple[str, ...] = ()
    session_headers: tuple[str, ...] = ()
    ambient_attributes: tuple[str, ...] = ()
    ambient_context_vars: tuple[str, ...] = ()
    ambient_env: tuple[str, ...] = ()
    # the session's overrides and refs carry sessions: another key has none unless named
    override_names: tuple[str, ...] = ()
    ref_names: tuple[str, ...] = ()

    def as_table(self) -> dict[str, object]:
        table: dict[str, object] = {"key": self.key, "resolver": self.resolver}
        for name in CONTRACT_KEYS[2:]:
            value = getattr(self, name.replace("-", "_"))
            if value:
                table[name] = list(value)
        return table
