"""The rule declaration: code, name, message, docs and examples live on one class.

Rules are pyflakes-style message classes: the dataflow decides what is wrong and reports a
rule class with the node; the class carries everything users read about it. Docs
(``--explain``), SARIF rule metadata, the README table and the example tests are all
rendered from these attributes, so they cannot drift apart.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import ClassVar, Literal

FixAvailability = Literal["always", "sometimes", "never"]

PROJECT_URL = "https://github.com/session-lint/session-lint"
# where the rules' documentation is published: the README's rules table (SARIF's helpUri,
# the language server's code links); `--explain CODE` prints the same text offline
RULES_URL = f"{PROJECT_URL}#rules"

_CODE_PATTERN = re.compile(r"^SES\d{3}$")
_REQUIRED_SECTIONS = ("## What it does", "## Why is this bad?", "## Fix safety")


@dataclass(frozen=True)
class Valid:
    """An example the rule must not flag."""

    code: str


@dataclass(frozen=True)
class Invalid:
    """An example the rule must flag; ``lines`` are 1-based lines of the expected findings."""

    code: str
    lines: tuple[int, ...] = ()
    expected_fix: str | None = None


_ELIXIR_NOTE = (
    "Elixir files (`.ex`, `.exs`) are checked by the same rule with the same configuration "
    "keys. No automatic fix is offered for Elixir: the diagnostic says what to change "
    "(resolve once with `resolve_session_id(runtime_opts)`, pipe "
    '`|> Map.put("session_id", session_id)` after the builder and route with '
    "`ensure_session_opt(runtime_opts, session_id)`)."
)

_CONTRACT_NOTE = """Besides the session, every key family declared as a contract is checked by
the same rule: payload and routing must carry one value of that key too, from one call of
its resolver, and each finding then starts with the key it is about. In `pyproject.toml`:

```toml
[[tool.session-lint.contract]]
key = "correlation_id"
resolver = "myapp.tracing.resolve_correlation_id"
ambient = ["myapp.tracing.current_correlation_id"]
session-headers = ["x-correlation-id"]
```

A contract takes `key` and `resolver` (required), and `ambient`, `session-headers`,
`ambient-attributes`, `ambient-context-vars`, `ambient-env` (at least one source),
`override-names` and `ref-names` (none unless given), meaning what the same keys of
`[tool.session-lint]` mean. Fixes are offered for the session's findings only."""


class Rule:
    """Base class of every rule. Subclasses are registered on definition."""

    CODE: ClassVar[str]
    NAME: ClassVar[str]
    MESSAGE: ClassVar[str]
    # the message as Elixir code spells it, where the Python spelling would mislead
    ELIXIR_MESSAGE: ClassVar[str | None] = None
    FIX: ClassVar[FixAvailability] = "never"
    FIX_TITLE: ClassVar[str] = ""
    DEFAULT_ENABLED: ClassVar[bool] = True
    VALID: ClassVar[tuple[Valid, ...]] = ()
    INVALID: ClassVar[tuple[Invalid, ...]] = ()

    registry: ClassVar[dict[str, type[Rule]]] = {}

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        if not _CODE_PATTERN.match(cls.CODE):
            raise TypeError(f"{cls.__name__}: bad rule code {cls.CODE!r}")
        if cls.CODE in Rule.registry:
            raise TypeError(f"{cls.__name__}: duplicate rule code {cls.CODE}")
        doc = inspect.getdoc(cls) or ""
        missing = [section for section in _REQUIRED_SECTIONS if section not in doc]
        if missing:
            raise TypeError(f"{cls.__name__}: docstring lacks {', '.join(missing)}")
        if not cls.INVALID and cls.CODE != "SES000":
            raise TypeError(f"{cls.__name__}: a rule needs at least one INVALID example")
        if cls.FIX != "never" and not any(case.expected_fix for case in cls.INVALID):
            raise TypeError(f"{cls.__name__}: declares a fix but no example shows it")
        Rule.registry[cls.CODE] = cls

    @classmethod
    def message(cls, language: str = "python", **details: str) -> str:
        template = cls.ELIXIR_MESSAGE if language == "elixir" and cls.ELIXIR_MESSAGE else None
        return (template or cls.MESSAGE).format(**details)

    @classmethod
    def docs_url(cls) -> str:
        return RULES_URL

    @classmethod
    def summary(cls) -> str:
        """The first paragraph of 'What it does', for tables and SARIF short descriptions."""
        doc = inspect.getdoc(cls) or ""
        after = doc.split("## What it does", 1)[1].strip()
        return " ".join(after.split("\n\n", 1)[0].split())

    @classmethod
    def explain(cls) -> str:
        """Ruff-style markdown documentation, examples included."""
        doc = inspect.getdoc(cls) or ""
        head, _, tail = doc.partition("## Fix safety")
        parts = [f"# {cls.NAME} ({cls.CODE})", "", head.rstrip(), ""]
        if cls.INVALID:
            parts += ["## Example", "", "```python", cls.INVALID[0].code.rstrip(), "```", ""]
        if cls.VALID:
            parts += ["## Use instead", "", "```python", cls.VALID[0].code.rstrip(), "```", ""]
        parts += ["## Fix safety", "", tail.strip(), ""]
        if cls.CODE != "SES000":
            parts += ["## Elixir", "", _ELIXIR_NOTE, ""]
            parts += ["## Other key families", "", _CONTRACT_NOTE, ""]
        if not cls.DEFAULT_ENABLED:
            parts += ["## Selection", "", f"Opt-in: enable it with `--select {cls.CODE}`.", ""]
        return "\n".join(parts)
