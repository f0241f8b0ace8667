"""JUnit XML: one test suite per file, one failing test case per finding (CI test
reports show them); a clean run is one passing case."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from session_lint.output import Report


def _clean(text: str) -> str:
    """XML 1.0 cannot hold most control characters, nor lone surrogates."""
    return "".join(
        c
        if (c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c > "\uffff")
        else "\ufffd"
        for c in text
    )


def render_report(report: Report) -> str:
    diagnostics = report.diagnostics
    root = ET.Element(
        "testsuites",
        name="session-lint",
        tests=str(max(len(diagnostics), 1)),
        failures=str(len(diagnostics)),
        errors="0",
    )
    if not diagnostics:
        suite = ET.SubElement(root, "testsuite", name="session-lint", tests="1", failures="0")
        ET.SubElement(suite, "testcase", name="No findings", classname="session-lint")
    for path, group in groupby(diagnostics, key=lambda d: d.path):
        found = list(group)
        suite = ET.SubElement(
            root, "testsuite", name=_clean(path), tests=str(len(found)), failures=str(len(found))
        )
        for d in found:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"session-lint.{d.code}",
                classname=_clean(path),
                file=_clean(path),
                line=str(d.line),
            )
            failure = ET.SubElement(case, "failure", message=_clean(d.message), type=d.code)
            failure.text = _clean(f"line {d.line}, col {d.column}, {d.code} {d.message}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
