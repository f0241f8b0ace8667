"""The README's PoolClient options snippet runs as written and says what the defaults are."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import runtime
from runtime import PoolClient

README = Path(__file__).resolve().parents[2] / "README.md"


def options_snippet() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    (snippet,) = [block for block in blocks if block.startswith("pool = runtime.PoolClient(")]
    return str(snippet)


def test_the_options_snippet_runs_and_shows_the_real_defaults() -> None:
    snippet = options_snippet()
    namespace: dict[str, Any] = {"runtime": runtime}
    exec(compile(snippet, "README.md", "exec"), namespace)
    pool = namespace["pool"]
    assert isinstance(pool, PoolClient) and pool.pids == [] and pool.affinity == "hint"
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(PoolClient).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    shown = dict(re.findall(r"^    (\w+)=([^,]+),", snippet, flags=re.MULTILINE))
    assert shown.pop("workers") == "2"
    for name, text in shown.items():
        assert eval(text) == defaults[name], name
