"""``fix_source``: the fixed text of one file."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Collection
from typing import TypeVar

import libcst as cst

from session_lint.config import DEFAULT_CONFIG, Config
from session_lint.elixir import is_elixir_path
from session_lint.engine import Checked, check_module, check_selected, parse
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
    Unparsable input comes back unchanged, and so does a file that no fix can change
    safely (see ``fix_source_or_reason``)."""
    return fix_source_or_reason(source, path, config, unsafe=unsafe)[0]


def fix_source_or_reason(
    source: Source,
    path: str = "<string>",
    config: Config | None = None,
    *,
    unsafe: bool = False,
    applied: Counter[str] | None = None,
) -> tuple[Source, str | None]:
    """``fix_source``, and why a file with fixes to make was left as it is: libcst cannot
    reproduce its text byte for byte (a rewrite would change code the fix does not touch),
    or a fix would not parse or compile where the original did (a bug in session-lint).
    The text returned is always the original or a fully fixed version of it. ``applied``,
    if given, counts the findings fixed per code (nothing when the original comes back)."""
    counted: Counter[str] = Counter()
    fixed, why = _fix(source, path, config, unsafe, counted)
    if applied is not None and fixed is not source:
        applied.update(counted)
    return fixed, why


def _fix(
    source: Source, path: str, config: Config | None, unsafe: bool, applied: Counter[str]
) -> tuple[Source, str | None]:
    config = config or DEFAULT_CONFIG
    if is_elixir_path(path):
        return source, None  # no fix is offered for Elixir: its diagnostics say what to change
    allowed: Collection[Applicability] = (
        (Applicability.SAFE, Applicability.UNSAFE) if unsafe else (Applicability.SAFE,)
    )
    current = source
    compiles = None  # whether the original compiles; computed only when there is a fix
    # the first round checks what can matter; only a file with a finding is parsed whole
    selected = check_selected(source, path, config, honour_noqa=True)
    if isinstance(selected, Diagnostic) or selected.narrowed:
        return source, None  # unparsable, or nothing found
    first: Checked | None = selected
    for _ in range(MAX_ROUNDS):
        if first is not None:
            checked, first = first, None
        else:
            module = parse(current, path)
            if isinstance(module, Diagnostic):
                return source, f"internal error in session-lint: the fix does not parse ({module})"
            checked = check_module(module, path, config, honour_noqa=True)
        module = checked.module
        if checked.analysis is None or not checked.diagnostics:
            return current, None
        findings = [checked.findings[d] for d in checked.diagnostics if d in checked.findings]
        planner = Planner(module, checked.analysis.names, checked.analysis.index)
        done = planner.plan(findings, allowed, companions=checked.analysis.findings)
        if not planner.edits:
            return current, None
        try:
            text = _text(module, current)
        except (UnicodeError, LookupError) as error:  # decodes, but does not encode back
            return source, f"cannot write this file back in its own encoding ({error})"
        # libcst drops a last lone-CR newline: put it back; any other loss is not ours to make
        lost = current[len(text) :] if current.startswith(text) else None
        if lost not in ("", b"", "\r", b"\r"):
            return source, (
                "libcst cannot reproduce this file byte for byte (e.g. a form feed before "
                "code), so rewriting it would change more than the fix"
            )
        fixed = apply_edits(module, planner.edits)
        try:
            result: Source = _text(fixed, current)
        except (UnicodeError, LookupError) as error:  # the fix's text is not encodable
            return source, f"cannot write the fix in this file's encoding ({error})"
        if lost and not result.endswith(lost):
            result += lost
        if result == current:
            return current, None
        if compiles is None:
            compiles = _compiles(source)
        if compiles and not _compiles(result):
            return source, "internal error in session-lint: the fix does not compile"
        applied.update(finding.rule.CODE for finding in done)
        current = result
    return current, None


def _text(module: cst.Module, like: Source) -> Source:
    return module.bytes if isinstance(like, bytes) else module.code


def _compiles(source: str | bytes) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes and the like are not our business
        try:
            compile(source, "<fix>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True
