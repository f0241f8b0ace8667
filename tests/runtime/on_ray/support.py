"""Support for the RayClient tests: clients that are always closed, processes, targets."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
NAMESPACE = "session-lint-tests"


class RayTargets:
    """A module binding for this module (the actors import it by name)."""

    __snakebridge_python_name__ = __name__
    __snakebridge_library__ = "tests"


# -- functions run inside the actors -------------------------------------------------------


def exit_unless_marked(path: str) -> str:
    """Append a line to ``path``; the first time, exit the process (an actor death)."""
    with open(path, "a") as file:
        file.write("run\n")
    if Path(path).read_text().count("run") == 1:
        os._exit(1)
    return "second run"


def always_exit(path: str) -> None:
    """Append a line to ``path``, then exit the process."""
    with open(path, "a") as file:
        file.write("run\n")
    os._exit(1)


def counted(path: str, n: int) -> Iterator[int]:
    """Yield ``0..n-1``, writing how many items were made to ``path`` before each."""
    for i in range(n):
        Path(f"{path}.tmp").write_text(str(i + 1))
        os.replace(f"{path}.tmp", path)  # atomic: the caller never reads a half-written file
        yield i


# -- processes -----------------------------------------------------------------------------


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, their children, ...), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue  # a zombie has exited: its parent only has to reap it
        children.setdefault(int(fields[1]), []).append(int(entry))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def gone(pid: int) -> bool:
    """True when ``pid`` is no live process (exited; a zombie counts as exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def wait_until(predicate: Any, limit: float = 15.0) -> bool:
    """Poll ``predicate()`` until true or ``limit`` seconds passed; return its last value."""
    end = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > end:
            return bool(predicate())
        time.sleep(0.02)
    return True


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def named_actors() -> set[str]:
    """Names of the live named actors in the tests' namespace."""
    import ray

    return {
        actor["name"]
        for actor in ray.util.list_named_actors(all_namespaces=True)
        if actor["namespace"] == NAMESPACE
    }


@contextmanager
def closing_ray(actors: int = 2, **kwargs: Any) -> Iterator[Any]:
    """A RayClient of its own name, always closed; its actors and processes checked gone."""
    from runtime.ray import RayClient

    client = RayClient(actors, name=unique("pool"), namespace=NAMESPACE, **kwargs)
    started = set(client.pids)
    try:
        yield client
    finally:
        seen = started | set(client.pids)
        client.close()
        assert client.pids == []
        assert not set(client.actor_names) & named_actors(), "an actor outlived close()"
        assert wait_until(lambda: all(gone(pid) for pid in seen)), "an actor process lived on"


def sessions_on_different_actors(client: Any, prefix: str) -> tuple[str, str]:
    """Two fresh session names that the client routes to two different actors."""
    first = unique(prefix)
    while True:
        second = unique(prefix)
        if client.actor_index(second) != client.actor_index(first):
            return first, second
