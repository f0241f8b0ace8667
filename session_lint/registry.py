"""Which rules exist and which ones a configuration turns on."""

from __future__ import annotations

import session_lint.rules  # noqa: F401  (importing registers every rule)
from session_lint.config import Config
from session_lint.rule import Rule


def all_rules() -> list[type[Rule]]:
    """Every rule, ordered by code."""
    return [Rule.registry[code] for code in sorted(Rule.registry)]


def rule_for(code: str) -> type[Rule] | None:
    return Rule.registry.get(code.upper())


def _matches(code: str, prefixes: tuple[str, ...]) -> bool:
    return any(code.startswith(prefix.upper()) for prefix in prefixes)


def enabled_codes(config: Config) -> frozenset[str]:
    """Codes the configuration turns on: flake8's prefix semantics, except that opt-in rules
    are on only when a selector names their full code (``SES`` alone leaves them off)."""
    enabled = set()
    for rule in all_rules():
        code = rule.CODE
        if config.select:
            named = code in {selector.upper() for selector in config.select}
            chosen = named or (rule.DEFAULT_ENABLED and _matches(code, config.select))
        else:
            chosen = rule.DEFAULT_ENABLED
        if chosen and not _matches(code, config.ignore):
            enabled.add(code)
    enabled.add("SES000")  # a file that cannot be checked is always reported
    return frozenset(enabled)
