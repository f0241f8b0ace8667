"""An editor's buffer checked and fixed as the command line checks and fixes that file.

Nothing here decides anything the CLI does not: the configuration is the one
``--stdin-filename PATH`` would use (nearest ``pyproject.toml``, excludes, per-file
ignores), the findings come from ``api.check_source`` (noqa, the project's summaries) and
the fixed text from ``fix_source_or_reason``, the function behind ``--fix``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from session_lint.api import check_source
from session_lint.config import Config
from session_lint.files import ELIXIR_SUFFIXES, SOURCE_SUFFIXES
from session_lint.project.sources import real_path, recording_reads
from session_lint.settings import Settings
from session_lint.stdin import named_config
from session_lint.types import Diagnostic

# what a buffer with no file of its own is checked as, by its language
_UNTITLED = {"python": "untitled.py", "elixir": "untitled" + ELIXIR_SUFFIXES[0]}


@dataclass(frozen=True)
class Target:
    """What a buffer is checked as: the file it is, or would be."""

    path: Path  # absolute
    on_disk: bool  # a file: URI, not an unsaved, untitled buffer


def target_of(path: str | None, language_id: str | None, root: Path) -> Target | None:
    """The file a buffer is checked as, or ``None`` for a language session-lint does not
    check. ``path`` is the buffer's file (``None`` for an untitled buffer); files with a
    suffix the CLI walks are checked, and so is any buffer whose language is Python or
    Elixir."""
    language = (language_id or "").lower()
    if path is None:
        name = _UNTITLED.get(language)
        return None if name is None else Target(root / name, on_disk=False)
    if not path.endswith(SOURCE_SUFFIXES) and language not in _UNTITLED:
        return None
    return Target(Path(path), on_disk=True)


@dataclass(frozen=True)
class BufferCheck:
    """One version of a buffer, checked."""

    path: str
    config: Config | None  # None: the file is excluded, so it has no findings
    diagnostics: list[Diagnostic]
    internal_error: str | None = None  # a traceback of a bug in session-lint
    # the other files the check read (real paths): a change to one changes this result
    reads: frozenset[str] = frozenset()


def check_buffer(text: str, target: Target, settings: Settings) -> BufferCheck:
    """The diagnostics the CLI reports for ``target`` holding ``text``. May raise
    ``ConfigError`` (a bad configuration file)."""
    path = str(target.path)
    named = named_config(settings, target.path)
    if named.excluded:
        return BufferCheck(path, None, [])
    with recording_reads() as reads:
        result = check_source(text, path, named.config)
    reads.discard(real_path(target.path))
    return BufferCheck(
        path, named.config, result.diagnostics, result.internal_error, frozenset(reads)
    )


def fix_buffer(text: str, check: BufferCheck, *, unsafe: bool) -> tuple[str, str | None]:
    """The text ``--fix`` (``--unsafe-fixes`` too, with ``unsafe``) writes for the checked
    buffer, and why it would leave the file as it is, if it would."""
    if check.config is None:
        return text, None
    from session_lint.fix.api import fix_source_or_reason

    return fix_source_or_reason(text, check.path, check.config, unsafe=unsafe)
