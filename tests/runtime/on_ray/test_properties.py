"""The lattice and consistency properties and the ref state machine of the PoolClient
suite, run against RayClient actors (the same test bodies, another client)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from tests.runtime import test_pool_properties as pool_properties
from tests.runtime.on_ray.support import closing_ray
from tests.runtime.support import FORMS, PATHS, CallPath
from tests.runtime.test_local_client_machine import LIMIT, LocalClientMachine

pytest.importorskip("ray", reason='Ray is not installed: pip install "session-lint[ray]"')

_client: Any = None


@pytest.fixture(scope="module")
def ray_pool(ray_cluster: str) -> Iterator[Any]:
    global _client
    with closing_ray(2, max_refs_per_session=LIMIT) as client:
        _client = client
        yield client
        _client = None


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_through_ray_every_path_sends_the_lattice_session(
    ray_pool: Any, path: CallPath, form: str
) -> None:
    pool_properties.test_through_the_pool_every_path_sends_the_lattice_session(
        pool=ray_pool, path=path, form=form
    )


def test_a_ref_made_in_the_lattice_session_is_found_there_by_every_ref_path(
    ray_pool: Any,
) -> None:
    pool_properties.test_a_ref_made_in_the_lattice_session_is_found_there_by_every_ref_path(
        pool=ray_pool
    )


class RayClientMachine(pool_properties.PoolClientMachine):
    """The pool's state machine and invariants over Ray actors."""

    def __init__(self) -> None:
        LocalClientMachine.__init__(self)
        assert _client is not None
        self.client = _client

    @property
    def pool(self) -> Any:
        return self.client


RayClientMachine.TestCase.settings = settings(max_examples=10, stateful_step_count=25)


@pytest.mark.usefixtures("ray_pool")
class TestRayClientMachine(RayClientMachine.TestCase):  # type: ignore[misc,valid-type]
    pass
