"""Placement for ``RayClient``: rendezvous hashing of the ROUTING session over the actor slots.

Every driver that uses the same pool (same name, namespace and size) computes the same
slot for a session with no shared state and no round trip: slot ``i`` wins when
``blake2b(i, session)`` is the highest. Unlike ``hash(session) % size`` this is
consistent: a pool of ``size + 1`` actors moves only the sessions the new slot wins.
"""

from __future__ import annotations

import hashlib


def slot_for(session: str, size: int) -> int:
    """The slot of ``session`` in a pool of ``size`` actors (stable across processes)."""
    data = session.encode("utf-8", "surrogatepass")
    return max(range(size), key=lambda index: _weight(index, data))


def _weight(index: int, data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=8, salt=index.to_bytes(8, "little")).digest()
