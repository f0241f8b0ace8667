"""Matching called names against a configured list, for either language: a configured
name may be dotted (``runtime.current_session_id``, ``SnakeBridge.Session.current_session_id``)
and matches a call whose resolved dotted name ends with it; a plain name matches on the
last component alone."""

from __future__ import annotations


class NameMatcher:
    def __init__(self, names: tuple[str, ...]) -> None:
        self.last_parts = frozenset(name.rsplit(".", 1)[-1] for name in names)
        self.dotted = tuple(name.lstrip(".") for name in names if "." in name.lstrip("."))
        self.plain = frozenset(name for name in names if "." not in name.lstrip("."))

    def matches(self, qualified: str | None) -> bool:
        if qualified is None:
            return False
        last = qualified.rsplit(".", 1)[-1]
        if last not in self.last_parts:
            return False
        if last in self.plain:
            return True
        stripped = qualified.lstrip(".")
        return any(stripped == name or stripped.endswith("." + name) for name in self.dotted)


class SessionKeys:
    """The key that carries the session: the configured key, or a configured header name
    (compared case-insensitively, as HTTP and gRPC metadata compare them)."""

    def __init__(self, key: str, headers: tuple[str, ...]) -> None:
        self.key = key
        self.headers = frozenset(name.lower() for name in headers)

    def matches(self, key: str | None) -> bool:
        if key is None:
            return False
        return key == self.key or (bool(self.headers) and key.lower() in self.headers)
