"""The Elixir front end: ``.ex``/``.exs`` files parsed with tree-sitter (never run or
compiled) and evaluated into the core's abstract values, checked by the same rules as
Python. Sibling of the Python front end (``session_lint.flow``); both report through
``session_lint.core``."""

from session_lint.files import ELIXIR_SUFFIXES

__all__ = ["ELIXIR_SUFFIXES", "is_elixir_path"]


def is_elixir_path(path: str) -> bool:
    return path.endswith(ELIXIR_SUFFIXES)
