"""session-lint: find RPC dispatches whose payload and routing sessions are not one value.

The public names load on first use (PEP 562), so the command line can answer
``--version`` and skip files without importing libcst.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Applicability": "session_lint.types",
    "Config": "session_lint.config",
    "ConfigError": "session_lint.config",
    "Diagnostic": "session_lint.types",
    "Edit": "session_lint.types",
    "Fix": "session_lint.types",
    "fix_source": "session_lint.fix.api",
    "lint_paths": "session_lint.api",
    "lint_source": "session_lint.engine",
    "load_config": "session_lint.config",
}

__all__ = [
    "Applicability",
    "Config",
    "ConfigError",
    "Diagnostic",
    "Edit",
    "Fix",
    "__version__",
    "fix_source",
    "lint_paths",
    "lint_source",
    "load_config",
]

if TYPE_CHECKING:
    from session_lint.api import lint_paths
    from session_lint.config import Config, ConfigError, load_config
    from session_lint.engine import lint_source
    from session_lint.fix.api import fix_source
    from session_lint.types import Applicability, Diagnostic, Edit, Fix


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'session_lint' has no attribute {name!r}")
