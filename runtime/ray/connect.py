"""Connecting ``RayClient`` to Ray: a local cluster started on demand, or a running one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ray


def local_cluster_options(
    num_cpus: int | None = None, object_store_memory: int | None = 100 * 1024 * 1024
) -> dict[str, Any]:
    """``ray.init`` options for a small local cluster: no dashboard, a small object store."""
    options: dict[str, Any] = {"include_dashboard": False}
    if num_cpus is not None:
        options["num_cpus"] = num_cpus
    if object_store_memory is not None:
        options["object_store_memory"] = object_store_memory
    return options


def connect(
    address: str | None,
    *,
    namespace: str,
    num_cpus: int | None,
    object_store_memory: int | None,
    init_options: Mapping[str, Any],
) -> bool:
    """Initialise Ray unless this process already is; True if this call initialised it.

    ``address=None`` starts a local cluster; ``"auto"`` joins the cluster running on this
    machine; ``"ray://host:port"`` connects through Ray Client.
    """
    if ray.is_initialized():
        return False
    options: dict[str, Any] = {"namespace": namespace}
    if address is None:
        options.update(local_cluster_options(num_cpus, object_store_memory))
    else:
        if num_cpus is not None:
            raise ValueError("num_cpus applies to a local cluster only (address=None)")
        options["address"] = address
    options.update(init_options)
    ray.init(**options)
    return True


def disconnect() -> None:
    """Shut down the local cluster this process started, or leave the one it joined."""
    ray.shutdown()
