"""The checker's configuration: one dataclass shared by the library, the CLI and flake8."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_AMBIENT = ("current_session_id",)
DEFAULT_RESOLVER = "resolve_session_id"
DEFAULT_SESSION_KEY = "session_id"
DEFAULT_SINKS = ("execute", "execute_stream")
DEFAULT_OVERRIDE_NAMES = ("runtime_opts", "runtime_options")
DEFAULT_REF_NAMES = ("ref", "stream_ref", "wire_ref")
DEFAULT_REF_TYPES = ("Ref", "StreamRef")
DEFAULT_ROUTING_HELPERS = ("ensure_session_opt",)
DEFAULT_RUNTIME_KEY = "__runtime__"


class ConfigError(ValueError):
    """Bad configuration: the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    """What the checker looks for. Names may be dotted; they match on their last component
    and through import aliases."""

    ambient: tuple[str, ...] = DEFAULT_AMBIENT
    resolver: str = DEFAULT_RESOLVER
    session_key: str = DEFAULT_SESSION_KEY
    sinks: tuple[str, ...] = DEFAULT_SINKS
    override_names: tuple[str, ...] = DEFAULT_OVERRIDE_NAMES
    ref_names: tuple[str, ...] = DEFAULT_REF_NAMES
    ref_types: tuple[str, ...] = DEFAULT_REF_TYPES
    routing_helpers: tuple[str, ...] = DEFAULT_ROUTING_HELPERS
    runtime_key: str = DEFAULT_RUNTIME_KEY
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
