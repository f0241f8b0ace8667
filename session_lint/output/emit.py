"""What a run prints: the findings in the chosen format, or their statistics, then the
closing summary (for the human formats), and the ``--show-fixes`` listing."""

from __future__ import annotations

import functools
import io
import os
import tokenize
from collections import Counter
from collections.abc import Mapping
from typing import TextIO

from session_lint.output import Report, renderer

HUMAN_FORMATS = ("full", "concise", "text")
JSON_FORMATS = ("json", "json-lines")


def render(report: Report, output_format: str, *, statistics: bool, summary: bool) -> str:
    from session_lint.output import json_format, text

    if statistics:
        if output_format in JSON_FORMATS:
            return json_format.statistics(report)
        return text.statistics(report)
    rendered = renderer(output_format)(report)
    if summary and output_format in HUMAN_FORMATS:
        rendered += text.summary(report)
    return rendered


def show_fixes(fixes: Mapping[str, Counter[str]], *, applied: bool) -> str:
    """ruff's listing: per file, how many findings of each code were (or would be) fixed."""
    from session_lint.registry import rule_for

    total = sum(sum(codes.values()) for codes in fixes.values())
    if not total:
        return "No findings fixed.\n" if applied else "No findings to fix.\n"
    noun = "finding" if total == 1 else "findings"
    lines = [f"{'Fixed' if applied else 'Would fix'} {total} {noun}:"]
    for path in sorted(fixes):
        lines.append(f"- {path}:")
        for code, count in sorted(fixes[path].items()):
            rule = rule_for(code)
            lines.append(f"    {count} x {code} ({rule.FIX_TITLE if rule else 'fix'})")
    return "\n".join(lines) + "\n"


def would_fix(report: Report) -> dict[str, Counter[str]]:
    """Per file, the codes of the findings that ``--fix`` would fix."""
    fixes: dict[str, Counter[str]] = {}
    for d in report.diagnostics:
        if report.applicable(d):
            fixes.setdefault(d.path, Counter())[d.code] += 1
    return fixes


def use_color(choice: str, stream: TextIO) -> bool:
    """``--color``: ``auto`` colours a terminal unless ``NO_COLOR`` is set (no-color.org)."""
    if choice != "auto":
        return choice == "always"
    return not os.environ.get("NO_COLOR") and stream.isatty()


@functools.lru_cache(maxsize=256)
def source_lines(path: str) -> list[str] | None:
    """A checked file's physical lines, for ``full``; None when it cannot be read now."""
    from session_lint.files import Unreadable, read_source
    from session_lint.noqa import physical_lines

    try:
        data = read_source(path)
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return physical_lines(data.decode(encoding, errors="replace"))
    except (Unreadable, SyntaxError, LookupError, ValueError):
        return None
