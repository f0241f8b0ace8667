"""Reading the Elixir fixtures' inline ``# expect: SES00N`` markers."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from session_lint.config import Config

ROOT = Path(__file__).resolve().parents[3]
ELIXIR_FIXTURES = ROOT / "fixtures" / "elixir"
SEED = ELIXIR_FIXTURES / "seed"

_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>SES\d{3}(?:\s*,\s*SES\d{3})*)\s*$")
_CONFIG = re.compile(r"^#\s*config:\s*select=(?P<select>[A-Za-z0-9_]+(?:\s*,\s*[A-Za-z0-9_]+)*)")


def expected(text: str) -> Counter[tuple[int, str]]:
    """The (line, code) findings a fixture marks."""
    found: Counter[tuple[int, str]] = Counter()
    for number, line in enumerate(text.splitlines(), 1):
        match = _EXPECT.search(line)
        if match:
            for code in match.group("codes").split(","):
                found[(number, code.strip())] += 1
    return found


def fixture_config(text: str) -> Config:
    match = _CONFIG.match(text.splitlines()[0]) if text else None
    if match is None:
        return Config()
    return Config(select=tuple(code.strip() for code in match.group("select").split(",")))


def elixir_fixtures() -> list[Path]:
    return sorted(ELIXIR_FIXTURES.rglob("*.ex"))
