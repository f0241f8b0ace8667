"""Output formats; each module renders a sorted list of diagnostics as text."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from session_lint.output import github, json_format, sarif, text
from session_lint.types import Diagnostic

Renderer = Callable[[Sequence[Diagnostic]], str]

FORMATS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
}
