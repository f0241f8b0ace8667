"""Binding introspection: what Python module, library and class a binding object names."""

from __future__ import annotations

from dataclasses import dataclass

PYTHON_NAME_ATTR = "__snakebridge_python_name__"
LIBRARY_ATTR = "__snakebridge_library__"
PYTHON_CLASS_ATTR = "__snakebridge_python_class__"


@dataclass(frozen=True)
class BindingInfo:
    """The Python target of a binding (``python_class`` only for class bindings)."""

    python_module: str
    library: str
    python_class: str | None = None


def is_binding(obj: object) -> bool:
    """True when ``obj`` carries the two binding attributes."""
    return hasattr(obj, PYTHON_NAME_ATTR) and hasattr(obj, LIBRARY_ATTR)


def binding_info(obj: object) -> BindingInfo:
    """Read a binding's attributes; raise ``TypeError`` when ``obj`` is not a binding."""
    if not is_binding(obj):
        raise TypeError(
            f"{obj!r} is not a binding: it needs {PYTHON_NAME_ATTR} and {LIBRARY_ATTR}"
            " (or pass the module path as a str)"
        )
    python_class = _read(obj, PYTHON_CLASS_ATTR) if hasattr(obj, PYTHON_CLASS_ATTR) else None
    return BindingInfo(_read(obj, PYTHON_NAME_ATTR), _read(obj, LIBRARY_ATTR), python_class)


def class_binding_info(obj: object) -> BindingInfo:
    """Like :func:`binding_info`, but the binding must name a class."""
    info = binding_info(obj)
    if info.python_class is None:
        raise TypeError(f"{obj!r} is not a class binding: it needs {PYTHON_CLASS_ATTR}")
    return info


def dynamic_library(module_path: str) -> str:
    """The library of a dynamic (``str``) module path: its top-level package."""
    return module_path.split(".", 1)[0]


def _read(obj: object, attr: str) -> str:
    # Bindings may declare a plain str attribute or, like the seed's functions, a callable.
    value = getattr(obj, attr)
    if callable(value):
        value = value()
    if not isinstance(value, str) or not value:
        raise TypeError(f"{attr} of {obj!r} must be a non-empty str, got {value!r}")
    return value
