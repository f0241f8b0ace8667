"""What another module of the project offers its importers, in a form with no libcst node.

A summary computed from an imported module's source is kept across files of a run and in
the on-disk cache, so it holds no node of that module: findings it causes are reported at
the call in the dispatching function, whose nodes the importer has. Values are encoded as
small JSON documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from session_lint.core.values import (
    TOP,
    Fixed,
    Items,
    Mapping,
    Origin,
    RefParameter,
    Session,
    Slot,
    SlotValue,
    Value,
    Via,
)


@dataclass(frozen=True)
class ImportedFunction:
    """A function or method defined in another module of the project."""

    name: str
    module: str
    positional: tuple[str, ...]  # positional parameters, `self`/`cls` included
    is_method: bool
    is_property: bool
    summary: Value
    owner: str | None = None  # the class of a method

    @property
    def label(self) -> str:
        """How messages name it: with its module, so the reader knows where to look."""
        owner = f"{self.owner}." if self.owner else ""
        return f"{self.module}.{owner}{self.name}"


@dataclass(frozen=True)
class ImportedClass:
    name: str
    bases: tuple[str, ...]  # absolute dotted names of its bases, as its module imports them
    methods: dict[str, ImportedFunction] = field(default_factory=dict)


@dataclass(frozen=True)
class ModuleSummary:
    module: str
    constants: dict[str, str] = field(default_factory=dict)
    functions: dict[str, ImportedFunction] = field(default_factory=dict)
    classes: dict[str, ImportedClass] = field(default_factory=dict)


def without_nodes(value: Value) -> Value:
    """``value`` with every libcst node dropped (a summary leaving its module)."""
    if isinstance(value, Session):
        return replace(value, node=None)
    if isinstance(value, Mapping):
        slot = value.slot
        return replace(value, slot=replace(slot, node=None) if isinstance(slot, Session) else slot)
    if isinstance(value, Items):
        return Items(without_nodes(value.element))
    if isinstance(value, Fixed):
        return Fixed(tuple(without_nodes(element) for element in value.elements))
    if isinstance(value, RefParameter):
        return value
    return TOP  # a Callee holds nodes of its module: unknown to importers


# ----------------------------------------------------------------------------- JSON


def encode_value(value: Value) -> Any:
    if isinstance(value, Session):
        return {
            "t": "session",
            "origin": value.origin.value,
            "key": value.key,
            "via": value.via.value,
            "missing": list(value.missing),
        }
    if isinstance(value, Mapping):
        slot = value.slot
        encoded = encode_value(slot) if isinstance(slot, Session) else slot.value
        return {
            "t": "mapping",
            "slot": encoded,
            "override": value.override,
            "assumed": value.assumed,
        }
    if isinstance(value, RefParameter):
        return {"t": "ref", "name": value.name}
    if isinstance(value, Items):
        return {"t": "items", "element": encode_value(value.element)}
    if isinstance(value, Fixed):
        return {"t": "fixed", "elements": [encode_value(e) for e in value.elements]}
    return "top"


def decode_value(data: Any) -> Value:
    if not isinstance(data, dict):
        return TOP
    kind = data.get("t")
    if kind == "session":
        return Session(
            Origin(data["origin"]), data["key"], None, Via(data["via"]), tuple(data["missing"])
        )
    if kind == "mapping":
        raw = data["slot"]
        slot: SlotValue = _decode_session(raw) if isinstance(raw, dict) else Slot(raw)
        return Mapping(slot, data["override"], data["assumed"])
    if kind == "ref":
        return RefParameter(data["name"])
    if kind == "items":
        return Items(decode_value(data["element"]))
    if kind == "fixed":
        return Fixed(tuple(decode_value(e) for e in data["elements"]))
    return TOP


def _decode_session(data: Any) -> Session:
    value = decode_value(data)
    if not isinstance(value, Session):
        raise ValueError("a mapping's slot is a session")
    return value


def _encode_function(function: ImportedFunction) -> Any:
    return {
        "name": function.name,
        "positional": list(function.positional),
        "method": function.is_method,
        "property": function.is_property,
        "owner": function.owner,
        "summary": encode_value(function.summary),
    }


def _decode_function(module: str, data: Any) -> ImportedFunction:
    return ImportedFunction(
        data["name"],
        module,
        tuple(data["positional"]),
        bool(data["method"]),
        bool(data["property"]),
        decode_value(data["summary"]),
        data["owner"],
    )


def encode_summary(summary: ModuleSummary) -> Any:
    return {
        "module": summary.module,
        "constants": summary.constants,
        "functions": [_encode_function(f) for f in summary.functions.values()],
        "classes": [
            {
                "name": cls.name,
                "bases": list(cls.bases),
                "methods": [_encode_function(m) for m in cls.methods.values()],
            }
            for cls in summary.classes.values()
        ],
    }


def decode_summary(data: Any) -> ModuleSummary:
    """The summary an entry holds; raises ``KeyError``/``ValueError``/``TypeError`` on an
    entry of another shape (then it is recomputed)."""
    module = str(data["module"])
    functions = {f.name: f for f in (_decode_function(module, d) for d in data["functions"])}
    classes = {}
    for cls in data["classes"]:
        methods = {m.name: m for m in (_decode_function(module, d) for d in cls["methods"])}
        classes[cls["name"]] = ImportedClass(cls["name"], tuple(cls["bases"]), methods)
    return ModuleSummary(module, dict(data["constants"]), functions, classes)


class ImportLookup(Protocol):
    """What a module's evaluation asks about names it imports from its project."""

    def function(self, qualified: str) -> ImportedFunction | None: ...

    def constant(self, qualified: str) -> str | None: ...

    def member(self, qualified_class: str, name: str) -> ImportedFunction | None: ...
