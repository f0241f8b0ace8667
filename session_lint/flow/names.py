"""Import-aware name matching: which calls are the ambient getter, the resolver, a sink.

Configured names may be dotted (``runtime.current_session_id``); they match a call whose
import-resolved dotted name ends with them, so ``from x import current_session_id as cur``,
``import x.sessions as s; s.current_session_id()`` and relative imports all match. We build
the alias table in the module index pass instead of running libcst's
``QualifiedNameProvider``, whose scope analysis would cost a second full walk of every
module.
"""

from __future__ import annotations

import libcst as cst

from session_lint.config import Config
from session_lint.core.matching import NameMatcher, SessionKeys
from session_lint.shapes import SinkShape, SinkTable


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain; ``None`` for anything else."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def module_path(node: cst.BaseExpression | None, relative: int = 0) -> str:
    dotted = dotted_name(node) if node is not None else ""
    return "." * relative + (dotted or "")


def string_value(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal that spells it verbatim. Escapes and implicit
    concatenation are not followed, so a key we match is always in the file's bytes, which
    is what keeps the byte prefilter sound."""
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:  # an odd literal is simply not a key we know
            return None
        if isinstance(value, str) and value in node.value:
            return value
    return None


class NameTable:
    """Local names bound by imports, mapped to the dotted names they import."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}

    def add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted_name(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = full
            else:
                head = full.split(".", 1)[0]
                self.aliases[head] = head

    def add_import_from(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        base = module_path(node.module, len(node.relative))
        for alias in node.names:
            imported = dotted_name(alias.name) or ""
            local = imported
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.aliases[local] = f"{base}.{imported}" if base else imported

    def qualify(self, func: cst.BaseExpression) -> str | None:
        """The dotted name a call target stands for, through import aliases. A chain on a
        non-name base (``self.x``, ``f().x``) keeps only its attribute part."""
        if isinstance(func, cst.Name):
            return self.aliases.get(func.value, func.value)
        if isinstance(func, cst.Attribute):
            dotted = dotted_name(func)
            if dotted is not None:
                head, _, rest = dotted.partition(".")
                return f"{self.aliases.get(head, head)}.{rest}"
            return func.attr.value
        return None


class Names:
    """Everything a function's evaluation needs to classify calls."""

    def __init__(self, config: Config, table: NameTable) -> None:
        self.table = table
        self.ambient = NameMatcher(config.ambient)
        self.resolver = NameMatcher((config.resolver,))
        self.resolver_name = config.resolver.rsplit(".", 1)[-1]
        self.resolver_path = config.resolver  # as configured, maybe `pkg.mod.fn`
        self.routing_helpers = NameMatcher(config.routing_helpers)
        self.sink_table = SinkTable(config.sink_shapes())
        self.sinks = self.sink_table.method_names
        self.call_sinks = self.sink_table.calls
        self.session_key = config.session_key
        self._session_keys = SessionKeys(config.session_key, config.session_headers)
        self.runtime_key = config.runtime_key
        self.override_names = frozenset(config.override_names)
        self.ref_names = frozenset(config.ref_names)
        self.ref_types = frozenset(name.rsplit(".", 1)[-1] for name in config.ref_types)
        self.ambient_attributes = tuple(name.lstrip(".") for name in config.ambient_attributes)
        self.ambient_attribute_names = frozenset(
            name.rsplit(".", 1)[-1] for name in self.ambient_attributes
        )
        self.context_vars = NameMatcher(config.ambient_context_vars)
        self.ambient_env = frozenset(config.ambient_env)

    def is_session_key(self, key: str | None) -> bool:
        """The session key, or a configured header name (``core.matching.SessionKeys``)."""
        return self._session_keys.matches(key)

    def sink_shape(self, node: cst.Call) -> SinkShape | None:
        """The sink entry ``node`` calls: a configured call target, else a method."""
        func = node.func
        qualified = self.table.qualify(func) if self.call_sinks else None
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        return self.sink_table.shape_for(qualified, method)

    def names_a_sink(self, node: cst.BaseExpression) -> bool:
        """Does ``node`` (not called) stand for a sink: `send = client.execute`?"""
        if isinstance(node, cst.Attribute) and node.attr.value in self.sinks:
            return True
        if not self.call_sinks:
            return False
        return self.sink_table.call_shape(self.table.qualify(node)) is not None

    def is_sink_call(self, node: cst.Call) -> bool:
        return self.sink_shape(node) is not None

    def is_ambient_attribute(self, node: cst.Attribute) -> bool:
        """``self.session_id``, ``flask.g.session_id`` (through imports) as configured."""
        if node.attr.value not in self.ambient_attribute_names:
            return False
        qualified = self.table.qualify(node)
        if qualified is None:
            return False
        return any(
            qualified == name or qualified.endswith("." + name) for name in self.ambient_attributes
        )
