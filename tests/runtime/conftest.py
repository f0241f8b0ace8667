"""Every runtime test starts with no context session, no auto-session, default client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import runtime
from runtime import LocalClient
from tests.runtime.support import RecordingClient


@pytest.fixture(autouse=True)
def _fresh_session_state() -> Iterator[None]:
    runtime.clear_current()
    runtime.clear_auto_session()
    yield
    runtime.clear_current()
    runtime.clear_auto_session()


@pytest.fixture
def recorder() -> Iterator[RecordingClient]:
    """A recording client, used by this test's context only."""
    client = RecordingClient()
    with runtime.using_client(client):
        yield client


@pytest.fixture
def local() -> Iterator[LocalClient]:
    """A fresh LocalClient (its own ref registry), used by this test's context only."""
    client = LocalClient(max_refs_per_session=50)
    with runtime.using_client(client):
        yield client
