"""What the configuration names, as Elixir spells it: the same keys as for Python
(``ambient``, ``resolver``, ``sinks``, ``sink`` tables, ``session-headers``,
``ambient-env``, ...); a dotted name matches the call's module through the file's
``alias`` lines (``alias SnakeBridge.SessionContext`` then
``SessionContext.current_session_id()``)."""

from __future__ import annotations

from tree_sitter import Node

from session_lint.config import Config
from session_lint.core.matching import NameMatcher, SessionKeys
from session_lint.elixir.index import ModuleInfo
from session_lint.elixir.syntax import flat_text
from session_lint.shapes import SinkShape, SinkTable


class ElixirNames:
    def __init__(self, config: Config) -> None:
        self.ambient = NameMatcher(config.ambient)
        self.resolver = NameMatcher((config.resolver,))
        self.resolver_name = config.resolver.rsplit(".", 1)[-1]
        self.routing_helpers = NameMatcher(config.routing_helpers)
        self.sink_table = SinkTable(config.sink_shapes())
        # the function names a dispatching clause calls: every entry's, by its last part
        self.sinks = self.sink_table.last_names
        # a call target may also be called without a receiver (imported, or local)
        self.bare_sinks = frozenset(shape.last_name for shape, _ in self.sink_table.calls)
        self.session_key = config.session_key
        self._session_keys = SessionKeys(config.session_key, config.session_headers)
        self.ambient_env = frozenset(config.ambient_env)
        self.runtime_key = config.runtime_key
        self.override_names = frozenset(config.override_names)
        self.ref_names = frozenset(config.ref_names)
        self.ref_types = frozenset(name.rsplit(".", 1)[-1] for name in config.ref_types)

    def is_session_key(self, key: str | None) -> bool:
        """The session key, or a configured header name (``core.matching.SessionKeys``)."""
        return self._session_keys.matches(key)

    def sink_shape(self, receiver: Node | None, name: str, module: ModuleInfo) -> SinkShape | None:
        """The sink entry a call is: a configured call target (through the file's
        aliases; a local call by its module), else a method called on a receiver."""
        if self.sink_table.calls:
            for qualified in self.qualified_names(receiver, name, module):
                shape = self.sink_table.call_shape(qualified)
                if shape is not None:
                    return shape
        return self.sink_table.methods.get(name) if receiver is not None else None

    def qualified_names(self, receiver: Node | None, name: str, module: ModuleInfo) -> list[str]:
        """``qualify``'s name, then, for a call with no receiver that the module does not
        define, the same function of each module it imports (``import Snakepit`` then
        ``execute_in_session(...)``): Elixir rejects a name two imports define."""
        first = self.qualify(receiver, name, module)
        if receiver is not None or name in module.clauses:
            return [first]
        return [first, *(f"{imported}.{name}" for imported in module.imports)]

    def matches(self, matcher: NameMatcher, candidates: list[str]) -> bool:
        return any(matcher.matches(candidate) for candidate in candidates)

    @staticmethod
    def qualify(receiver: Node | None, name: str, module: ModuleInfo) -> str:
        """``Alias.name`` with the alias expanded; a local call is qualified by its
        module; a call on a computed receiver (``runtime_client().execute``) keeps its
        name only."""
        if receiver is None:
            return f"{module.name}.{name}" if module.name else name
        if receiver.type != "alias":
            return name
        written = flat_text(receiver)
        head, _, rest = written.partition(".")
        full = module.aliases.get(head, head) + (f".{rest}" if rest else "")
        return f"{full}.{name}"
