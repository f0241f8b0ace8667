"""The README's RayClient example runs as printed (on the test session's local cluster)."""

from __future__ import annotations

import re

import pytest

from tests.runtime.on_ray.support import ROOT

ray = pytest.importorskip("ray", reason='Ray is not installed: pip install "session-lint[ray]"')


def every_named_actor() -> list[tuple[str, str]]:
    return sorted((a["namespace"], a["name"]) for a in ray.util.list_named_actors(True))


def ray_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("#### RayClient", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "the RayClient section lost its example"
    return match.group(1)


def test_the_readme_ray_example_runs(ray_cluster: str) -> None:
    source = ray_example()
    assert "runtime.RayClient(" in source
    before = every_named_actor()
    namespace = {"__name__": "readme_example"}
    exec(compile(source, "README.md", "exec"), namespace)
    assert namespace["cluster"].actor_names == ["runtime-0", "runtime-1"]
    assert every_named_actor() == before  # the example's client removed its actors
