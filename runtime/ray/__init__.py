"""``RayClient``: the reference runtime on a Ray cluster (``pip install "session-lint[ray]"``)."""

from __future__ import annotations

try:
    import ray  # noqa: F401  (absolute: the Ray distribution, not this package)
except ImportError as exc:
    raise ImportError(
        'runtime.RayClient needs Ray, which is not installed: pip install "session-lint[ray]"'
        f" ({exc})"
    ) from exc

from runtime.ray.client import RayClient

__all__ = ["RayClient"]
