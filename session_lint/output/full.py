"""``full``: each finding's line, then its source line underlined and the fix title, as
ruff shows them; ANSI colour when the report asks for it."""

from __future__ import annotations

from session_lint.output import Report
from session_lint.output.text import concise_line
from session_lint.types import Applicability, Diagnostic

_BOLD, _RED, _BLUE, _CYAN, _RESET = "\033[1m", "\033[31m", "\033[34m", "\033[36m", "\033[0m"


class _Paint:
    def __init__(self, on: bool) -> None:
        self.on = on

    def __call__(self, text: str, *styles: str) -> str:
        return "".join(styles) + text + _RESET if self.on and text else text


def render_report(report: Report) -> str:
    paint = _Paint(report.color)
    blocks = [_block(d, report, paint) for d in report.diagnostics]
    return "".join(blocks)


def _block(d: Diagnostic, report: Report, paint: _Paint) -> str:
    applicable = report.applicable(d)
    head = concise_line(d, applicable)
    if paint.on:
        location = f"{d.path}:{d.line}:{d.column}:"
        head = (
            paint(location, _BOLD)
            + " "
            + paint(d.code, _BOLD, _RED)
            + head[len(location) + 1 + len(d.code) :]
        )
    lines = [head]
    source = report.source_lines(d.path)
    if source is not None and 0 < d.line <= len(source):
        text = source[d.line - 1].rstrip("\r\n").expandtabs(1)
        gutter = str(d.line)
        pad = " " * len(gutter)
        start = max(d.column - 1, 0)
        end = d.end_column - 1 if d.end_line == d.line else len(text)
        width = max(end - start, 1)
        lines += [
            paint(f"{pad} |", _BLUE),
            paint(f"{gutter} |", _BLUE) + f" {text}",
            paint(f"{pad} |", _BLUE) + " " * (start + 1) + paint("^" * width, _BOLD, _RED),
        ]
    if d.fix is not None:
        safety = ""
        if d.fix.applicability is Applicability.UNSAFE:
            safety = " (unsafe fix)" if applicable else " (unsafe fix: `--fix --unsafe-fixes`)"
        lines.append(paint("  = help: ", _CYAN) + f"{d.fix.title}{safety}")
    return "\n".join(lines) + "\n\n"
