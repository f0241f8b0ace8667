"""Wire format: protocol constants, ``Ref``/``StreamRef``, and value encoding both ways.

A dict with a ``__type__`` key is a protocol marker (ref, stream ref, end of stream or
escaped dict) and nothing else: a data dict that happens to hold ``__type__`` travels
wrapped as ``{"__type__": "dict", "__schema__": 1, "value": {...}}`` and is unwrapped on
arrival, so no user value can forge a marker.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final, TypeGuard

from runtime.errors import InvalidRefError, ProtocolError, WireEncodingError

PROTOCOL_VERSION: Final = 1
MIN_SUPPORTED_VERSION: Final = 1
REF_SCHEMA: Final = 1

TOOL_CALL: Final = "snakebridge.call"
TOOL_STREAM: Final = "snakebridge.stream"
TOOL_RELEASE_REF: Final = "snakebridge.release_ref"
TOOL_RELEASE_SESSION: Final = "snakebridge.release_session"

REF_TYPE: Final = "ref"
STREAM_REF_TYPE: Final = "stream_ref"
STREAM_END_TYPE: Final = "stream_end"
ESCAPED_DICT_TYPE: Final = "dict"
TYPE_KEY: Final = "__type__"

MAX_WIRE_DEPTH: Final = 100
"""Deepest nesting of lists and dicts sent as data (either way); deeper raises."""


class EndOfStream(enum.Enum):
    """Type of :data:`END_OF_STREAM` (an enum, so it is a picklable singleton)."""

    END_OF_STREAM = "END_OF_STREAM"


END_OF_STREAM: Final = EndOfStream.END_OF_STREAM
"""What ``stream_next`` returns once the stream is exhausted (the worker has freed it)."""

STREAM_END_WIRE: Final[dict[str, Any]] = {"__type__": STREAM_END_TYPE, "__schema__": REF_SCHEMA}


@dataclass(frozen=True)
class Ref:
    """A handle to a Python object kept by a worker under ``session_id``."""

    id: str
    session_id: str | None = None
    python_module: str | None = None
    library: str | None = None

    WIRE_TYPE: ClassVar[str] = REF_TYPE

    @classmethod
    def from_wire_format(cls, data: Mapping[str, Any]) -> Ref:
        """Build from ``{"__type__": "ref", "__schema__": 1, "id", "session_id", ...}``."""
        id_, session_id, module, library = _parse_wire(data, cls.WIRE_TYPE)
        return cls(id_, session_id, module, library)

    def to_wire_format(self) -> dict[str, Any]:
        """The wire dict; ``from_wire_format`` of it gives back an equal ref."""
        return {
            "__type__": self.WIRE_TYPE,
            "__schema__": REF_SCHEMA,
            "id": self.id,
            "session_id": self.session_id,
            "python_module": self.python_module,
            "library": self.library,
        }


@dataclass(frozen=True)
class StreamRef(Ref):
    """A ref to an iterator on the worker; advance it with ``stream_next``."""

    WIRE_TYPE: ClassVar[str] = STREAM_REF_TYPE

    @classmethod
    def from_wire_format(cls, data: Mapping[str, Any]) -> StreamRef:
        id_, session_id, module, library = _parse_wire(data, cls.WIRE_TYPE)
        return cls(id_, session_id, module, library)


RefLike = Ref | Mapping[str, Any]
"""What ref-taking paths accept: a ref object or its wire dict."""


def _parse_wire(data: object, wire_type: str) -> tuple[str, Any, str | None, str | None]:
    if not isinstance(data, Mapping):
        raise InvalidRefError(f"expected a {wire_type} wire dict, got {type(data).__name__}")
    if data.get("__type__") != wire_type:
        raise InvalidRefError(f"expected __type__ {wire_type!r}, got {data.get('__type__')!r}")
    schema = data.get("__schema__", REF_SCHEMA)
    if schema != REF_SCHEMA:
        raise InvalidRefError(f"unsupported ref __schema__ {schema!r} (this runtime reads 1)")
    id_ = data.get("id")
    if not isinstance(id_, str) or not id_:
        raise InvalidRefError(f"ref id must be a non-empty str, got {id_!r}")
    module, library = data.get("python_module"), data.get("library")
    for key, value in (("python_module", module), ("library", library)):
        if value is not None and not isinstance(value, str):
            raise InvalidRefError(f"ref {key} must be a str or None, got {value!r}")
    # The session is validated by the resolver, which names it as the bad source.
    return id_, data.get("session_id"), module, library


def is_ref_wire(value: object) -> TypeGuard[Mapping[str, Any]]:
    """True for a ``ref`` or ``stream_ref`` wire dict."""
    return isinstance(value, Mapping) and value.get("__type__") in (REF_TYPE, STREAM_REF_TYPE)


def coerce_ref(value: object) -> Ref:
    """A ``Ref``/``StreamRef`` from either itself or its wire dict."""
    if isinstance(value, Ref):
        return value
    if isinstance(value, Mapping) and value.get("__type__") == STREAM_REF_TYPE:
        return StreamRef.from_wire_format(value)
    if isinstance(value, Mapping):
        return Ref.from_wire_format(value)
    raise InvalidRefError(f"expected a Ref, StreamRef or ref wire dict, got {type(value).__name__}")


class WirePath:
    """The containers being encoded, outermost first: catches cycles and runaway nesting.

    Without it a list that contains itself, or data thousands of levels deep, would end
    in a bare ``RecursionError`` from somewhere inside the runtime.
    """

    __slots__ = ("_open",)

    def __init__(self) -> None:
        self._open: set[int] = set()

    def enter(self, container: object) -> None:
        key = id(container)
        if key in self._open:
            raise WireEncodingError(
                f"a {type(container).__name__} that contains itself cannot be sent as data"
            )
        if len(self._open) >= MAX_WIRE_DEPTH:
            raise WireEncodingError(
                f"data nested deeper than {MAX_WIRE_DEPTH} levels cannot be sent; pass it"
                " flatter, or keep it on the worker as a ref"
            )
        self._open.add(key)

    def leave(self, container: object) -> None:
        self._open.discard(id(container))


def escape_dict(encoded: dict[str, Any]) -> dict[str, Any]:
    """Wrap a data dict whose keys include ``__type__``, so no reader takes it for a marker."""
    return {TYPE_KEY: ESCAPED_DICT_TYPE, "__schema__": REF_SCHEMA, "value": encoded}


def escaped_items(wire: Mapping[str, Any]) -> Mapping[str, Any]:
    """The data dict inside an :func:`escape_dict` wrapper."""
    value = wire.get("value")
    if not isinstance(value, Mapping):
        raise ProtocolError(f"escaped dict without a 'value' mapping: {wire!r}")
    return value


def unknown_marker(wire: Mapping[str, Any]) -> ProtocolError:
    """The error for a wire dict with a ``__type__`` no writer produces."""
    return ProtocolError(f"unknown wire marker __type__={wire.get(TYPE_KEY)!r}")


def encode_value(value: object) -> Any:
    """Client-side encoding: JSON-like values pass (tuples become lists), refs become wire dicts.

    A dict that holds a ``__type__`` key is escaped, so data never passes for a ref.
    """
    try:
        return _encode(value, WirePath())
    except RecursionError:
        # The caller's own stack was already deep: still a clear error, not a traceback.
        raise WireEncodingError("data too deeply nested to send from here") from None


def _encode(value: object, path: WirePath) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Ref):
        return value.to_wire_format()
    if isinstance(value, list | tuple):
        path.enter(value)
        items = [_encode(item, path) for item in value]
        path.leave(value)
        return items
    if isinstance(value, Mapping):
        path.enter(value)
        encoded: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise WireEncodingError(f"dict keys sent to a worker must be str, got {key!r}")
            encoded[key] = _encode(item, path)
        path.leave(value)
        return escape_dict(encoded) if TYPE_KEY in encoded else encoded
    raise WireEncodingError(
        f"cannot send a {type(value).__name__} to a worker: pass JSON-like data or a Ref"
    )


def decode_value(value: object) -> Any:
    """Client-side decoding: markers become ``Ref``/``StreamRef``/``END_OF_STREAM``.

    Only a dict with a ``__type__`` key is a marker; escaped data dicts come back as
    they were sent.
    """
    if isinstance(value, list):
        return [decode_value(item) for item in value]
    if isinstance(value, Mapping):
        if TYPE_KEY not in value:
            return {key: decode_value(item) for key, item in value.items()}
        kind = value[TYPE_KEY]
        if kind == REF_TYPE:
            return Ref.from_wire_format(value)
        if kind == STREAM_REF_TYPE:
            return StreamRef.from_wire_format(value)
        if kind == STREAM_END_TYPE:
            return END_OF_STREAM
        if kind == ESCAPED_DICT_TYPE:
            return {key: decode_value(item) for key, item in escaped_items(value).items()}
        raise unknown_marker(value)
    return value
