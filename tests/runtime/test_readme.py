"""The README's runtime snippets run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import runtime

README = Path(__file__).resolve().parents[2] / "README.md"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"### {title}\n")
    end = text.find("\n#", start + 4)
    return text[start : end if end != -1 else len(text)]


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


@pytest.mark.parametrize("title", ["Session lifetime and limits", "asyncio"])
def test_runtime_snippets_run(title: str) -> None:
    blocks = python_blocks(section(title))
    assert blocks, f"no python snippet under {title!r}"
    for block in blocks:
        exec(compile(block, f"README:{title}", "exec"), {})


def test_the_wire_example_holds() -> None:
    example = """runtime.call("json", "loads", ['{"__type__": "ref"}'])"""
    assert f"`{example}`" in section("Wire format")
    with runtime.using_client(runtime.LocalClient()):
        assert eval(example, {"runtime": runtime}) == {"__type__": "ref"}
