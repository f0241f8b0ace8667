"""Parsing that neither crashes nor recurses out of the process on hostile input.

libcst's native parser overflows the C stack on deeply nested code (about 1,500 nested
brackets on a default 8 MiB main-thread stack) and takes the whole process down with a
segfault. We parse on one long-lived thread with a 512 MiB stack (reserved, committed only
as used), which is safe to about 10,000 levels of the costliest nesting, and therefore for
any file under 20 KB (each level takes at least two bytes of such nesting). A larger file
is first checked by CPython's own parser, which refuses nesting long before that depth
(its bound is a clean ``RecursionError``/``MemoryError``/``SyntaxError``); syntax newer than
the running interpreter still goes on to libcst, which accepts Python 3.0 to 3.14.
"""

from __future__ import annotations

import ast
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import libcst as cst

_STACK_BYTES = 512 * 1024 * 1024
_SAFE_WITHOUT_CHECK = 20_000  # bytes; see the module docstring
_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


class TooDeep(Exception):
    """The code nests deeper than any Python parser accepts."""


def _forget_executor_in_child() -> None:
    # a forked child inherits the executor but not its thread: submitting would hang
    global _executor, _lock
    _executor = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_executor_in_child)


def _big_stack_executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            previous = threading.stack_size(_STACK_BYTES)
            try:
                _executor = ThreadPoolExecutor(1, thread_name_prefix="session-lint-parse")
                _executor.submit(int).result()  # start the thread while the size is set
            finally:
                threading.stack_size(previous)
        return _executor


def _check_depth(source: str | bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes and the like are not our business
        try:
            ast.parse(source)
        except (RecursionError, MemoryError) as error:
            raise TooDeep(str(error) or type(error).__name__) from None
        except SyntaxError as error:
            if "too many nested" in str(error):
                raise TooDeep(str(error)) from None
        except ValueError:  # e.g. NUL bytes: libcst reports it
            pass


def parse_module(source: str | bytes) -> cst.Module:
    """``libcst.parse_module`` made safe; raises ``TooDeep`` for absurd nesting and whatever
    libcst raises for anything else it cannot parse."""
    if len(source) > _SAFE_WITHOUT_CHECK:
        _check_depth(source)
    return _big_stack_executor().submit(cst.parse_module, source).result()
