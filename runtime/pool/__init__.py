"""``PoolClient`` and its parts: worker processes, each running an :class:`Adapter`.

- :mod:`runtime.pool.client`: the client (routing, deadlines, replacement of workers);
- :mod:`runtime.pool.handle`: one worker as the client sees it (process, pipe, calls);
- :mod:`runtime.pool.worker`: the worker process's side of the pipe;
- :mod:`runtime.pool.affinity`: which worker each routing session is pinned to;
- :mod:`runtime.pool.launcher`: the one thread that starts every worker process;
- :mod:`runtime.pool.limits`: timeout checks, deadlines, and the death events of calls.

The failure semantics (which error, which cause, when retried) are in
:mod:`runtime.failures`, shared with any other client that runs calls in processes.

The public names (``runtime.PoolClient`` and the errors) are exported by :mod:`runtime`.
"""
