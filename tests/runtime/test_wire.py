"""Wire format: Ref/StreamRef round trips, validation, and value encoding both ways."""

from __future__ import annotations

from typing import Any

import pytest

from runtime import END_OF_STREAM, InvalidRefError, Ref, StreamRef, WireEncodingError
from runtime.wire import decode_value, encode_value

WIRE = {
    "__type__": "ref",
    "__schema__": 1,
    "id": "ref-1",
    "session_id": "s",
    "python_module": "collections",
    "library": "collections",
}


def test_ref_round_trip() -> None:
    ref = Ref.from_wire_format(WIRE)
    assert ref == Ref("ref-1", "s", "collections", "collections")
    assert ref.to_wire_format() == WIRE


def test_stream_ref_round_trip_and_distinct_from_ref() -> None:
    wire = {**WIRE, "__type__": "stream_ref"}
    stream = StreamRef.from_wire_format(wire)
    assert stream.to_wire_format() == wire
    assert stream != Ref.from_wire_format(WIRE)
    with pytest.raises(InvalidRefError):
        Ref.from_wire_format(wire)


def test_optional_fields_may_be_missing() -> None:
    assert Ref.from_wire_format({"__type__": "ref", "id": "r"}) == Ref("r")


@pytest.mark.parametrize(
    "bad",
    [
        {**WIRE, "__type__": "other"},
        {**WIRE, "__schema__": 2},
        {**WIRE, "id": ""},
        {**WIRE, "id": 7},
        {**WIRE, "python_module": 3},
        ["not", "a", "dict"],
    ],
)
def test_malformed_wire_refs_are_invalid(bad: Any) -> None:
    with pytest.raises(InvalidRefError):
        Ref.from_wire_format(bad)


def test_encode_passes_data_and_wires_refs() -> None:
    ref = Ref("r", "s")
    assert encode_value([1, (2.5, "x"), None, True, {"k": ref}]) == [
        1,
        [2.5, "x"],
        None,
        True,
        {"k": ref.to_wire_format()},
    ]


@pytest.mark.parametrize("bad", [{1, 2}, {1: "int key"}, b"bytes", object()])
def test_encode_refuses_what_a_worker_cannot_receive(bad: object) -> None:
    with pytest.raises(WireEncodingError):
        encode_value([bad])


def test_decode_turns_wire_dicts_back_into_refs() -> None:
    stream_wire = {**WIRE, "__type__": "stream_ref"}
    end = {"__type__": "stream_end", "__schema__": 1}
    decoded = decode_value({"a": [WIRE, stream_wire, end], "b": 1})
    assert decoded == {
        "a": [Ref.from_wire_format(WIRE), StreamRef.from_wire_format(stream_wire), END_OF_STREAM],
        "b": 1,
    }
