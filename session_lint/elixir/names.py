"""What the configuration names, as Elixir spells it: the same keys as for Python
(``ambient``, ``resolver``, ``sinks``, ...); a dotted name matches the call's module
through the file's ``alias`` lines (``alias SnakeBridge.SessionContext`` then
``SessionContext.current_session_id()``)."""

from __future__ import annotations

from tree_sitter import Node

from session_lint.config import Config
from session_lint.core.matching import NameMatcher
from session_lint.elixir.index import ModuleInfo
from session_lint.elixir.syntax import flat_text


class ElixirNames:
    def __init__(self, config: Config) -> None:
        self.ambient = NameMatcher(config.ambient)
        self.resolver = NameMatcher((config.resolver,))
        self.resolver_name = config.resolver.rsplit(".", 1)[-1]
        self.routing_helpers = NameMatcher(config.routing_helpers)
        self.sinks = frozenset(sink.rsplit(".", 1)[-1] for sink in config.sinks)
        self.session_key = config.session_key
        self.runtime_key = config.runtime_key
        self.override_names = frozenset(config.override_names)
        self.ref_names = frozenset(config.ref_names)
        self.ref_types = frozenset(name.rsplit(".", 1)[-1] for name in config.ref_types)

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
