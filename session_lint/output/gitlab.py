"""GitLab Code Quality: a JSON array of Code Climate issues with the fields GitLab reads
(description, check_name, fingerprint, severity, location.path, location.lines.begin)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from session_lint.output import Report


def _repository_path(path: str) -> str:
    """GitLab wants the path from the repository root, where the job runs."""
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            return candidate.relative_to(Path.cwd()).as_posix()
        except ValueError:
            pass
    return candidate.as_posix()


def render_report(report: Report) -> str:
    seen: Counter[tuple[str, str, str]] = Counter()
    issues: list[dict[str, Any]] = []
    for d in report.diagnostics:
        path = _repository_path(d.path)
        # stable while lines move: what the finding is, not where; the occurrence count
        # keeps two identical findings in one file apart
        key = (path, d.code, d.message)
        occurrence = seen[key]
        seen[key] += 1
        fingerprint = hashlib.sha256(
            "\0".join((*key, str(occurrence))).encode("utf-8", "surrogatepass")
        ).hexdigest()
        issues.append(
            {
                "type": "issue",
                "description": f"{d.code} {d.message}",
                "check_name": d.code,
                "fingerprint": fingerprint,
                "severity": "major",
                "categories": ["Bug Risk"],
                "location": {"path": path, "lines": {"begin": d.line, "end": d.end_line}},
            }
        )
    return json.dumps(issues, indent=2) + "\n"
