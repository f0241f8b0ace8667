"""session-lint: find RPC dispatches whose payload and routing sessions are not one value."""

from session_lint.config import Config, ConfigError
from session_lint.engine import lint_source
from session_lint.types import Applicability, Diagnostic, Fix

__version__ = "0.1.0"

__all__ = [
    "Applicability",
    "Config",
    "ConfigError",
    "Diagnostic",
    "Fix",
    "__version__",
    "lint_source",
]
