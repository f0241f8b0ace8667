"""The summary cache: never stale, whole entries only, never a reason to fail a run."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from session_lint.project.cache import SummaryCache


def test_an_entry_is_found_by_content_and_salt(tmp_path: Path) -> None:
    cache = SummaryCache(tmp_path / "cache", salt="v1|config-a")
    assert cache.get(b"def f(): ...") is None
    cache.put(b"def f(): ...", {"f": ["ambient"]})
    assert cache.get(b"def f(): ...") == {"f": ["ambient"]}
    assert cache.get(b"def f(): ...\n") is None  # an edited module is another entry
    assert SummaryCache(tmp_path / "cache", salt="v1|config-b").get(b"def f(): ...") is None
    assert (tmp_path / "cache/CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28")
    assert (tmp_path / "cache/.gitignore").read_text() == "*\n"


def test_a_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    cache = SummaryCache(tmp_path, salt="s")
    cache.put(b"x", [1, 2])
    entry = next(path for path in tmp_path.rglob("*.json"))
    entry.write_text('{"truncated": ')
    assert cache.get(b"x") is None
    cache.put(b"x", [3])
    assert cache.get(b"x") == [3]


def test_a_path_that_is_a_file_costs_nothing_but_the_entry(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("not a folder")
    cache = SummaryCache(tmp_path / "cache", salt="s")
    cache.put(b"x", [1])
    assert cache.get(b"x") is None


def _hammer(directory: str, worker: int) -> list[str]:
    """Write 150 entries, half of them shared with every other worker, reading back each
    one; return what was read wrong."""
    cache = SummaryCache(Path(directory), salt="shared")
    wrong = []
    for number in range(150):
        content = f"module {number if number % 2 else f'{worker}-{number}'}".encode()
        cache.put(content, {"content": content.decode(), "payload": "x" * 2000})
        found = cache.get(content)
        if found is not None and found["content"] != content.decode():
            wrong.append(content.decode())
    return wrong


def test_concurrent_processes_share_one_cache(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        results = pool.starmap(_hammer, [(str(tmp_path), worker) for worker in range(4)])
    assert results == [[], [], [], []]
    cache = SummaryCache(tmp_path, salt="shared")
    for number in range(1, 150, 2):  # the shared entries are whole
        assert cache.get(f"module {number}".encode())["content"] == f"module {number}"
    assert not list(tmp_path.rglob(".tmp-*"))  # no temporary file left behind
