"""One local Ray cluster for the whole test session, started on first use and shut down once.

Ray is imported inside the fixture only: without Ray the modules here skip themselves
(``pytest.importorskip``), with the reason in the summary.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runtime.on_ray.support import NAMESPACE, ROOT, descendants, wait_until

# A local cluster started by this process listens on 127.0.0.1 only, never on the
# machine's outward address (read by Ray when it is first imported).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, every test here runs in one worker: one cluster, not one each."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("ray"))


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """The session's local cluster (2 CPUs, no dashboard, small object store); its address."""
    import ray

    from runtime.ray.connect import local_cluster_options

    before = descendants(os.getpid())
    # Actors import test targets by module name (``tests.runtime...``), from any cwd.
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), saved]))
    try:
        ray.init(namespace=NAMESPACE, log_to_driver=False, **local_cluster_options(num_cpus=2))
    finally:
        if saved is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = saved
    try:
        yield ray.get_runtime_context().gcs_address
        leftover = [actor["name"] for actor in ray.util.list_named_actors(all_namespaces=True)]
        assert leftover == [], f"actors left behind by the tests: {leftover}"
    finally:
        ray.shutdown()
    assert wait_until(lambda: not descendants(os.getpid()) - before), (
        f"Ray processes outlived ray.shutdown(): {descendants(os.getpid()) - before}"
    )
