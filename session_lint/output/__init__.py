"""Output formats: each module renders a ``Report`` (sorted diagnostics and what the run
examined) as text; ``FORMATS`` maps ``--output-format`` names to them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from session_lint.types import Applicability, Diagnostic


def _no_source(path: str) -> list[str] | None:
    return None


@dataclass(frozen=True)
class Report:
    diagnostics: Sequence[Diagnostic]
    files: int = 0  # files checked
    dispatches: int = 0  # dispatches recognised in them
    dispatch_files: int = 0  # files with at least one dispatch
    unsafe_fixes: bool = False  # `--unsafe-fixes`: unsafe fixes count as applicable
    color: bool = False
    # a checked file's lines, for the formats that show source (None: unreadable)
    source_lines: Callable[[str], list[str] | None] = field(default=_no_source)

    def applicable(self, diagnostic: Diagnostic) -> bool:
        """Would ``--fix`` (with the flags given) apply this diagnostic's fix?"""
        fix = diagnostic.fix
        return fix is not None and (fix.applicability is Applicability.SAFE or self.unsafe_fixes)


Renderer = Callable[[Report], str]


def _formats() -> dict[str, Renderer]:
    from session_lint.output import full, github, gitlab, json_format, junit, sarif, text

    return {
        "full": full.render_report,
        "concise": text.render_report,
        "json": json_format.render_report,
        "json-lines": json_format.render_lines,
        "sarif": sarif.render_report,
        "github": github.render_report,
        "gitlab": gitlab.render_report,
        "junit": junit.render_report,
        "pylint": text.render_pylint,
    }


FORMAT_NAMES = (
    "full",
    "concise",
    "json",
    "json-lines",
    "sarif",
    "github",
    "gitlab",
    "junit",
    "pylint",
)
ALIASES = {"text": "concise"}  # the concise format's first name, still accepted


def renderer(name: str) -> Renderer:
    return _formats()[ALIASES.get(name, name)]
