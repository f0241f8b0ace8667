"""``fix_source``: the fixed text of one file."""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

from session_lint.config import Config
from session_lint.engine import check_module, parse
from session_lint.fix.edits import apply_edits
from session_lint.fix.planner import Planner
from session_lint.types import Applicability, Diagnostic

Source = TypeVar("Source", str, bytes)

# a fix can expose a finding that only the fixed code has (e.g. a read-back that becomes
# fine only once the payload is overridden); a few rounds settle it, and a bound keeps a
# planner bug from looping
MAX_ROUNDS = 4


def fix_source(
    source: Source,
    path: str = "<string>",
    config: Config | None = None,
    *,
    unsafe: bool = False,
) -> Source:
    """The source with every fixable finding repaired: safe fixes, and unsafe ones too when
    ``unsafe``. ``bytes`` in, ``bytes`` out in the file's own encoding, BOM and newlines.
    Unparsable input comes back unchanged."""
    config = config or Config()
    allowed: Collection[Applicability] = (
        (Applicability.SAFE, Applicability.UNSAFE) if unsafe else (Applicability.SAFE,)
    )
    current = source
    for _ in range(MAX_ROUNDS):
        module = parse(current, path)
        if isinstance(module, Diagnostic):
            return current
        checked = check_module(module, path, config, honour_noqa=True)
        if checked.analysis is None or not checked.diagnostics:
            return current
        findings = [checked.findings[d] for d in checked.diagnostics if d in checked.findings]
        planner = Planner(module, checked.analysis.names, checked.analysis.index)
        planner.plan(findings, allowed, companions=checked.analysis.findings)
        if not planner.edits:
            return current
        fixed = apply_edits(module, planner.edits)
        result: Source = fixed.bytes if isinstance(current, bytes) else fixed.code
        if result == current:
            return current
        current = result
    return current
