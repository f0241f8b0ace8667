"""Atomic file replacement: a fixed file is either fully written or not touched at all."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path


class Changed(OSError):
    """The file changed on disk after it was read: writing would lose that change."""


def write_atomically(path: Path, data: bytes, *, expected: bytes | None = None) -> None:
    """Replace ``path``'s content with ``data``: write a temporary file in the same folder,
    flush it to disk, give it the original's permissions (and owner, where allowed), then
    rename it over the original. A symlink is followed, so the file it points to is fixed
    and the link stays a link. A file the user may not write is refused, as is one whose
    content is no longer ``expected``. On any error the original is left as it was and the
    temporary file is removed."""
    target = Path(os.path.realpath(path))
    info = target.stat()
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    if not os.access(target, os.W_OK):
        raise PermissionError(
            errno.EACCES, "Permission denied (the file is not writable)", str(path)
        )
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".session-lint.tmp", dir=target.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        if hasattr(os, "chown") and (info.st_uid, info.st_gid) != _owner(temporary):
            with contextlib.suppress(OSError):  # only root may give a file away
                os.chown(temporary, info.st_uid, info.st_gid)
        if expected is not None and target.read_bytes() != expected:
            raise Changed(errno.EAGAIN, "changed on disk while it was being fixed", str(path))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _owner(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_uid, info.st_gid
