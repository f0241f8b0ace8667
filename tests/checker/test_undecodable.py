"""A file that cannot be decoded is reported without importing libcst, in the words the
engine (which decodes as libcst does) would use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from session_lint import api, engine
from session_lint.config import DEFAULT_CONFIG

DISPATCH = b"def call(c, p):\n    c.execute('t', p, {'session_id': current_session_id()})\n"
UNDECODABLE = {
    "unknown cookie": b"# -*- coding: nonexistent -*-\n" + DISPATCH,
    "not utf-8": b"x = '\xff\xfe'\n" + DISPATCH,
    "cookie it breaks": b"# coding: ascii\nx = '\xe9'\n" + DISPATCH,
    "bom and cookie disagree": b"\xef\xbb\xbf# coding: latin-1\n" + DISPATCH,
}
DECODABLE = {
    "latin-1 cookie": b"# coding: latin-1\nx = '\xe9'\n" + DISPATCH,
    "utf-8": "x = 'é'\n".encode() + DISPATCH,
    "nul byte": b"x = 1\0\n" + DISPATCH,
}


@pytest.mark.parametrize("data", UNDECODABLE.values(), ids=UNDECODABLE.keys())
def test_the_fast_report_is_the_engines(data: bytes) -> None:
    fast = api.check_source(data, "bad.py", DEFAULT_CONFIG).diagnostics
    assert [d.code for d in fast] == ["SES000"] and "cannot decode" in fast[0].message
    assert fast == engine.lint_source(data, "bad.py", DEFAULT_CONFIG)


@pytest.mark.parametrize("data", DECODABLE.values(), ids=DECODABLE.keys())
def test_text_that_decodes_goes_to_the_engine(data: bytes) -> None:
    assert api.check_source(data, "ok.py", DEFAULT_CONFIG).diagnostics == engine.lint_source(
        data, "ok.py", DEFAULT_CONFIG
    )


def test_an_undecodable_file_never_imports_libcst(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_bytes(UNDECODABLE["not utf-8"])
    probe = (
        "import sys\n"
        "from session_lint.cli import main\n"
        "print('exit', main(['--no-cache', '-j', '1', 'bad.py']))\n"
        "print('libcst' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path
    )
    assert "SES000" in result.stdout and "cannot decode" in result.stdout
    assert result.stdout.strip().splitlines()[-2:] == ["exit 1", "False"], result.stdout
