"""Value types shared by the engine, the rules and every interface."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Applicability(enum.Enum):
    """Whether a fix keeps behaviour (ruff's sense of safe/unsafe)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Edit:
    """Replace the text from (line, column) up to (end_line, end_column) with ``text``;
    positions count from 1, columns in code points, the end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str


@dataclass(frozen=True)
class Fix:
    """A repair attached to a diagnostic: how safe it is, its title, and its text edits
    (applied together they make this fix; empty where they could not be rendered)."""

    applicability: Applicability
    title: str
    edits: tuple[Edit, ...] = ()


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding. Lines and columns count from 1, as users, JSON, SARIF and GitHub do."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    message: str
    fix: Fix | None = field(default=None, compare=False)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)
