"""Which rules exist and which ones a configuration turns on."""

from __future__ import annotations

import functools

import session_lint.rules  # noqa: F401  (importing registers every rule)
from session_lint.config import Config
from session_lint.rule import Rule


def all_rules() -> list[type[Rule]]:
    """Every rule, ordered by code."""
    return [Rule.registry[code] for code in sorted(Rule.registry)]


def rule_for(code: str) -> type[Rule] | None:
    return Rule.registry.get(code.upper())


def _chosen(rule: type[Rule], selectors: tuple[str, ...]) -> bool:
    named = rule.CODE in {selector.upper() for selector in selectors}
    return named or (rule.DEFAULT_ENABLED and _matches(rule.CODE, selectors))


def _matches(code: str, prefixes: tuple[str, ...]) -> bool:
    return any(code.startswith(prefix.upper()) for prefix in prefixes)


@functools.lru_cache(maxsize=64)
def enabled_codes(config: Config) -> frozenset[str]:
    """Codes the configuration turns on: flake8's prefix semantics, except that opt-in rules
    are on only when a selector names their full code (``SES`` alone leaves them off).
    Key by key: ``select`` (or the default rules) plus ``extend-select``, minus ``ignore``
    and ``extend-ignore``."""
    enabled = set()
    ignored = (*config.ignore, *config.extend_ignore)
    for rule in all_rules():
        code = rule.CODE
        chosen = _chosen(rule, config.select) if config.select else rule.DEFAULT_ENABLED
        chosen = chosen or bool(config.extend_select and _chosen(rule, config.extend_select))
        if chosen and not _matches(code, ignored):
            enabled.add(code)
    enabled.add("SES000")  # a file that cannot be checked is always reported
    return frozenset(enabled)
