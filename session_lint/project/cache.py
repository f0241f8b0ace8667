"""A content-addressed store for per-module summaries, shared by runs and processes.

An entry's key is a hash of the module's bytes and a salt (the checker's version and the
configuration that shaped the summary), so an entry is never stale: a changed module or
configuration simply has another key. Writes go to a temporary file in the same folder
and are renamed into place, so concurrent runs (flake8 ``-j``, parallel pre-commit) only
ever read whole entries. The cache is an optimisation: a folder that cannot be written, or
an entry that cannot be read, costs a recomputation and nothing else.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# session-lint summary cache\n"


class SummaryCache:
    def __init__(self, directory: Path, salt: str) -> None:
        self.directory = directory
        self._salt = salt.encode()
        self._prepared = False

    def key(self, content: bytes) -> str:
        import hashlib  # OpenSSL loads with it: only project mode pays

        digest = hashlib.blake2b(self._salt, digest_size=20)
        digest.update(b"\0")
        digest.update(content)
        return digest.hexdigest()

    def get(self, content: bytes) -> Any | None:
        try:
            text = self._entry(self.key(content)).read_text(encoding="utf-8")
            return json.loads(text)
        except (OSError, ValueError):
            return None

    def put(self, content: bytes, data: Any) -> None:
        entry = self._entry(self.key(content))
        try:
            self._prepare()
            entry.parent.mkdir(exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    json.dump(data, stream, separators=(",", ":"))
                os.replace(temporary, entry)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            return  # a read-only or full disk: the next run recomputes

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key[2:]}.json"

    def _prepare(self) -> None:
        """Mark the folder as a cache, as ruff does: backup tools skip it (CACHEDIR.TAG)
        and git ignores it without a line in the project's .gitignore."""
        if self._prepared:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", _TAG), (".gitignore", "*\n")):
            marker = self.directory / name
            if not marker.exists():
                marker.write_text(text, encoding="utf-8")
        self._prepared = True
