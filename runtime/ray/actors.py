"""The actors of one ``RayClient`` pool: creating or finding them by name, learning who
answers after a restart, and removing the ones this client created.

Slot fields are guarded by :attr:`ActorPool.lock`, which the client shares.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any, Final, cast

import ray
from ray.exceptions import ActorDiedError, RayError

from runtime.adapter import Helper
from runtime.ray.actor import CONTROL, AdapterActor, Identity
from runtime.ray.slots import Slot
from runtime.registry import RegistryLimits

CONTROL_TIMEOUT: Final = 10.0
"""Seconds to wait for an actor's control answers (identity, snapshot, cancel)."""
RESTART_TIMEOUT: Final = 60.0
"""Seconds to wait for Ray to restart an actor before calls routed to it fail."""
RESTART_POLL: Final = 0.05

# Ray's typed overloads of ``ray.remote`` lack ``concurrency_groups``, which ``.options()``
# refuses: hence the untyped decorator.
_RemoteActor: Any = cast(Any, ray.remote)(
    concurrency_groups={CONTROL: 1},
    max_restarts=-1,  # Ray restarts a dead actor under its name, with a fresh Adapter
    max_task_retries=0,  # retrying is the caller's choice (``idempotent=True``), not Ray's
)(AdapterActor)


class ActorPool:
    """``size`` named actors ``name-0 .. name-{size-1}`` in ``namespace``."""

    def __init__(
        self,
        name: str,
        namespace: str,
        size: int,
        *,
        owner: str,
        limits: RegistryLimits,
        helpers: Mapping[str, Helper],
        actor_options: Mapping[str, Any],
    ) -> None:
        self.namespace = namespace
        self.owner = owner
        self.lock = threading.Lock()
        self.closed = False
        self.slots = [Slot(index, f"{name}-{index}") for index in range(size)]
        self._args = (size, owner, limits, dict(helpers))
        self._options = dict(actor_options)

    def open(self) -> None:
        """Create or find every actor and learn who answers; on failure, remove ours."""
        try:
            for slot in self.slots:
                slot.handle = self._acquire(slot)
            for slot in self.slots:
                identity = ray.get(slot.handle.hello.remote(), timeout=CONTROL_TIMEOUT)
                self._identify(slot, identity)
        except BaseException:
            self._kill_owned(CONTROL_TIMEOUT)
            raise

    def close(self, timeout: float) -> None:
        """Stop restarts in progress, then kill the actors this client created."""
        with self.lock:
            self.closed = True
            revivers = [slot.reviver for slot in self.slots if slot.reviver is not None]
        end = time.monotonic() + timeout
        for reviver in revivers:  # one may be creating an actor: let it finish, then kill it
            reviver.join(max(0.0, end - time.monotonic()))
        self._kill_owned(max(0.0, end - time.monotonic()))

    def revive(self, slot: Slot) -> None:
        """Learn the restarted actor's identity in the background (caller holds the lock).

        Calls routed to the slot meanwhile wait for ``slot.ready``, so none is sent to the
        incarnation that is going away.
        """
        if slot.reviving or self.closed:
            return
        slot.reviving = True
        slot.ready.clear()
        slot.reviver = threading.Thread(
            target=self._await_restart,
            args=(slot,),
            name=f"runtime-ray-revive-{slot.index}",
            daemon=True,
        )
        slot.reviver.start()

    def _await_restart(self, slot: Slot) -> None:
        end = time.monotonic() + RESTART_TIMEOUT
        try:
            while time.monotonic() < end:
                try:
                    with self.lock:
                        if self.closed:
                            return
                        handle = slot.handle
                    if handle is None:  # dead for good: this client creates it anew
                        handle = self._acquire(slot)
                    identity = ray.get(handle.hello.remote(), timeout=CONTROL_TIMEOUT)
                except ActorDiedError:  # its name may not be free yet: try again shortly
                    with self.lock:
                        slot.handle = None
                    time.sleep(RESTART_POLL)
                    continue
                except RayError:
                    time.sleep(RESTART_POLL)
                    continue
                if identity.incarnation in slot.dead:  # the old one, not yet gone
                    time.sleep(RESTART_POLL)
                    continue
                with self.lock:
                    slot.handle = handle
                    slot.owned = identity.owner == self.owner
                    slot.pid, slot.incarnation = identity.pid, identity.incarnation
                return
        finally:
            with self.lock:
                slot.reviving = False
                slot.ready.set()  # also on failure: calls then fail on their own, not wait

    def _acquire(self, slot: Slot) -> Any:
        """The named actor of ``slot``: the one running already, or a new one."""
        return _RemoteActor.options(
            name=slot.name, namespace=self.namespace, get_if_exists=True, **self._options
        ).remote(slot.index, *self._args)

    def _identify(self, slot: Slot, identity: Identity) -> None:
        if identity.size != len(self.slots):
            raise ValueError(
                f"actor {self.namespace}/{slot.name} belongs to a pool of {identity.size}"
                f" actors, not {len(self.slots)}: drivers sharing a pool must agree on its"
                " size, or sessions would be routed to different actors"
            )
        slot.owned = identity.owner == self.owner
        slot.pid, slot.incarnation = identity.pid, identity.incarnation
        slot.ready.set()

    def _kill_owned(self, timeout: float) -> None:
        """Kill the actors this client created and wait until Ray has removed their names."""
        owned = [slot for slot in self.slots if slot.owned and slot.handle is not None]
        for slot in owned:
            ray.kill(slot.handle, no_restart=True)
        end = time.monotonic() + timeout
        for slot in owned:
            while time.monotonic() < end and _named(slot.name, self.namespace):
                time.sleep(0.02)
            slot.handle = None


def _named(name: str, namespace: str) -> bool:
    try:
        ray.get_actor(name, namespace=namespace)
    except ValueError:
        return False
    return True
