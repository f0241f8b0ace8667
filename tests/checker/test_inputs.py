"""Odd inputs: every one is checked or reported as SES000, never a traceback.

Anything that cannot be checked (unreadable, undecodable, unparsable, too deep, too large,
not a regular file, a folder that cannot be listed) is one SES000 naming the file and the
reason, and the rest of the run goes on. Tests run as root, which reads anything: where a
test needs a file or folder root cannot read, it uses a real failure root still meets
(see ``os_support``) and only skips, saying why, where the system offers none.
"""

from __future__ import annotations

import encodings.aliases
import io
import json
import os
import resource
import subprocess
import sys
import time
import tokenize
from pathlib import Path

import libcst as cst
import pytest

from session_lint import lint_paths
from session_lint.api import check_file
from session_lint.config import Config, ConfigError
from session_lint.engine import lint_source
from session_lint.fix.api import fix_source, fix_source_or_reason
from session_lint.noqa import filter_noqa, suppressed_codes
from session_lint.parsing import MAX_DEPTH, MAX_SOURCE_BYTES
from session_lint.types import Diagnostic
from tests.checker.cli_support import flake8, session_lint
from tests.checker.os_support import unprivileged, unprivileged_problem

DISPATCH = 'def f(client):\n    return client.execute("t", {"session_id": s}, {})\n'
BUGGY = (
    "from runtime import current_session_id, resolve_session_id\n"
    "\n"
    "\n"
    "def f(client):\n"
    "    sid = current_session_id()\n"
    '    return client.execute("t", {"session_id": sid}, {"session_id": sid})\n'
)


def _codes(source: str | bytes) -> list[str]:
    return [d.code for d in lint_source(source)]


def test_the_checker_never_imports_what_it_checks(tmp_path: Path) -> None:
    # a buggy module, so that it is parsed, analysed and fixed, not just skipped
    marker = tmp_path / "imported"
    evil = f"open({str(marker)!r}, 'w').close()\n" + BUGGY
    (tmp_path / "evil.py").write_text(evil)
    (tmp_path / "__init__.py").write_text(evil)
    (tmp_path / "conftest.py").write_text(evil)
    for args in (["evil.py"], ["."], ["--diff", "."], ["-j", "2", "."]):
        assert session_lint(*args, cwd=tmp_path).returncode == 1, args
    assert flake8("--select", "SES", "evil.py", cwd=tmp_path).returncode == 1
    before = set(sys.modules)
    assert [d.code for d in lint_paths([tmp_path])] == ["SES001"] * 3
    assert [d.code for d in lint_source(evil)] == ["SES001"]
    assert fix_source(evil) != evil
    assert not {"evil", "conftest"} & (set(sys.modules) - before)
    assert not marker.exists()
    assert session_lint("--fix", ".", cwd=tmp_path).returncode == 0
    assert not marker.exists()


@pytest.mark.parametrize(
    "source",
    [
        b"",
        b"\n\n",
        b"\xef\xbb\xbf" + DISPATCH.encode(),  # BOM
        DISPATCH.replace("\n", "\r\n").encode(),  # CRLF
        DISPATCH.replace("\n", "\r").encode(),  # lone CR
        b"\x0c" + DISPATCH.replace("    ", "\t").encode(),  # form feed, tabs
        b"# -*- coding: latin-1 -*-\nx = '\xe9'\n" + DISPATCH.encode(),
    ],
)
def test_odd_but_valid_text_is_checked(source: bytes) -> None:
    assert set(_codes(source)) <= {"SES006"}


ODD_BUT_VALID = {
    "BOM": b"\xef\xbb\xbf" + BUGGY.encode(),
    "BOM and CRLF": b"\xef\xbb\xbf" + BUGGY.replace("\n", "\r\n").encode(),
    "lone CR": BUGGY.replace("\n", "\r").encode(),
    "tabs and form feeds": BUGGY.replace("    ", "\t").replace("\n\n\n", "\n\x0c\n\n").encode(),
    "latin-1 cookie": b"# -*- coding: latin-1 -*-\nNAME = '\xe9t\xe9'\n" + BUGGY.encode(),
    "cp1252 cookie after a shebang": b"#!/usr/bin/env python\n# coding=cp1252\nQ = '\x93'\n"
    + BUGGY.encode(),
    "shift_jis cookie": "# vim: set fileencoding=shift_jis :\nN = '名前'\n".encode("shift_jis")
    + BUGGY.encode(),
    "no newline at the end": BUGGY.rstrip("\n").encode(),
}


@pytest.mark.parametrize("source", ODD_BUT_VALID.values(), ids=ODD_BUT_VALID)
def test_odd_but_valid_text_is_checked_for_findings(source: bytes) -> None:
    assert _codes(source) == ["SES001"]


def _newlines(data: bytes) -> tuple[int, int, int]:
    crlf = data.count(b"\r\n")
    return crlf, data.count(b"\r") - crlf, data.count(b"\n") - crlf


@pytest.mark.parametrize("source", ODD_BUT_VALID.values(), ids=ODD_BUT_VALID)
def test_fix_keeps_encoding_bom_and_newlines(tmp_path: Path, source: bytes) -> None:
    path = tmp_path / "odd.py"
    path.write_bytes(source)
    result = session_lint("--fix", "odd.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    fixed = path.read_bytes()
    assert fixed != source and _codes(fixed) == []
    assert fixed.startswith(b"\xef\xbb\xbf") == source.startswith(b"\xef\xbb\xbf")
    encoding = tokenize.detect_encoding(io.BytesIO(source).readline)[0]
    assert tokenize.detect_encoding(io.BytesIO(fixed).readline)[0] == encoding
    for line in source.split(b"from runtime")[0].splitlines(keepends=True):
        assert line in fixed  # the cookie and the non-ASCII text, byte for byte
    crlf, cr, lf = _newlines(source)
    assert [bool(n) for n in _newlines(fixed)] == [bool(crlf), bool(cr), bool(lf)]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (b"x = '\xe9'\n" + DISPATCH.encode(), "cannot decode"),
        (b"# coding: no-such-codec\n" + DISPATCH.encode(), "cannot decode"),
        # codecs that raise a bare UnicodeError crashed the prefilter and the diff
        (b"# coding: undefined\n" + DISPATCH.encode(), "cannot decode"),
        (b"# coding: punycode\n" + DISPATCH.encode(), "cannot decode"),
        (b"# coding: zlib_codec\n" + DISPATCH.encode(), "not a text encoding"),
        (("x = 1\n" + DISPATCH).encode("utf-16"), "cannot decode"),
        (DISPATCH.encode() + b"def (:\n", "syntax error"),
        (b"\x00\x01binary" + DISPATCH.encode(), ""),
        (DISPATCH.encode() + b"x = " + b"(" * 15000 + b"1" + b")" * 15000 + b"\n", "nested"),
        (DISPATCH.encode() + b"x = " + b"-" * 30000 + b"1\n", "nested"),
    ],
)
def test_unreadable_text_is_one_ses000(source: bytes, reason: str) -> None:
    (diagnostic,) = lint_source(source, path="odd.py")
    assert diagnostic.code == "SES000" and reason in diagnostic.message


# every codec Python knows, including the odd ones: binary-to-binary codecs, codecs that
# raise a bare UnicodeError (`undefined`, `punycode`) or decode but cannot encode back
# (`idna`, which crashed --fix), escape codecs, EBCDIC, UTF-7, UTF-16
CODECS = sorted(
    set(encodings.aliases.aliases.values())
    | {"undefined", "punycode", "idna", "unicode_escape", "raw_unicode_escape", "utf_8_sig"}
)


def test_every_coding_cookie_is_checked_or_ses000() -> None:
    for codec in CODECS:
        source = f"# -*- coding: {codec} -*-\n".encode() + BUGGY.encode()
        diagnostics = lint_source(source, path="odd.py")
        assert [d.code for d in diagnostics] in (["SES000"], ["SES001"]), codec
        fixed, why = fix_source_or_reason(source, path="odd.py")
        assert fixed == source or (why is None and _codes(fixed) == []), codec


def test_a_file_that_cannot_hold_a_finding_is_not_parsed() -> None:
    # no sink and no session source: skipped from the bytes, syntax errors included
    assert lint_source(b"def (:\n") == []


SYNTAX = {
    "3.8 walrus, positional-only": "def g(a, /, b):\n    return (n := a)\n",
    "3.9 any decorator expression": "@buttons[0].clicked.connect\ndef g():\n    pass\n",
    # a module-level `match` used to crash the engine (AttributeError on Match.body)
    "3.10 match at module level": 'match command:\n    case ["go", where] if where:\n'
    '        pass\n    case {"k": v, **rest}:\n        pass\n    case P(x=0) | None:\n'
    "        pass\n    case _:\n        pass\n",
    "3.10 match in the dispatching function": None,
    "3.10 parenthesised context managers": "with (open('a') as a, open('b') as b):\n    pass\n",
    "3.11 except*": "try:\n    pass\nexcept* ValueError as group:\n    pass\n",
    "3.11 starred index": "x = a[*b]\n",
    "3.12 type parameters and aliases": "def first[T](items: list[T]) -> T:\n    return items[0]\n"
    "class Box[T]:\n    pass\ntype Pair[T] = tuple[T, T]\n",
    "3.12 nested f-string quotes": "x = f\"{'a' + f'{\"b\"}'}\"\ny = f'{x!r:>{10}}'\n",
    "3.13 type parameter defaults": "def g[T = int](x: T) -> T:\n    return x\n",
    "3.14 except without brackets": "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n",
    "3.14 template strings": "greeting = t'hello {name}'\n",
}
MATCH_DISPATCH = (
    "from runtime import current_session_id, resolve_session_id\n"
    "def f(client, command):\n"
    "    match command:\n"
    "        case {'session': sid}:\n"
    "            pass\n"
    "        case _:\n"
    "            sid = current_session_id()\n"
    '    return client.execute("t", {"session_id": sid}, {"session_id": sid})\n'
)


@pytest.mark.parametrize("code", SYNTAX.values(), ids=SYNTAX)
def test_python_3_8_to_3_14_syntax_is_checked(code: str | None) -> None:
    # libcst parses 3.0 to 3.14 whatever the running interpreter
    for source in [MATCH_DISPATCH] if code is None else [code + BUGGY, BUGGY + code]:
        assert _codes(source) == ["SES001"], source
        fixed = fix_source(source)
        assert fixed != source and _codes(fixed) == []


DEPTH = 3000
DEEP = {
    "brackets": "x = " + "(" * DEPTH + "1" + ")" * DEPTH,
    "lists": "x = " + "[" * DEPTH + "]" * DEPTH,
    "dicts": "x = " + "{1: " * DEPTH + "1" + "}" * DEPTH,
    "unary minus": "x = " + "-" * DEPTH + "1",
    "not": "x = " + "not " * DEPTH + "y",
    "power": "x = " + "2**" * DEPTH + "2",
    "additions": "x = " + "1 + " * DEPTH + "1",
    "attributes": "x = a" + ".b" * DEPTH,
    "subscripts": "x = a" + "[0]" * DEPTH,
    "calls": "x = f" + "()" * DEPTH,
    "conditionals": "x = " + "a if b else " * DEPTH + "c",
    "lambdas": "x = " + "lambda: " * DEPTH + "1",
    "elifs": "if a:\n    pass\n" + "elif a:\n    pass\n" * DEPTH,
    "in the payload": "def g(client):\n    return client.execute('t', {'session_id': "
    + "-" * DEPTH
    + "current_session_id()}, {})",
    # syntax too new for CPython 3.11's parser: the byte scan stands in for it
    "brackets after 3.12 syntax": "type X = int\nx = " + "[" * DEPTH + "]" * DEPTH,
    "prefix operators after 3.12 syntax": "type X = int\nx = " + "~" * 5 * DEPTH + "1",
}


@pytest.mark.parametrize("code", DEEP.values(), ids=DEEP)
def test_thousands_of_nesting_levels(code: str) -> None:
    # Before CPython's parser guarded every file, a few thousand levels of brackets took
    # libcst minutes and gigabytes (quadratic); deep analysis raised RecursionError.
    source = BUGGY + code + "\n"
    for text in (source, source.encode()):
        diagnostics = lint_source(text, path="deep.py")
        assert [d.code for d in diagnostics] in (["SES000"], ["SES001"])
        if diagnostics[0].code == "SES000":
            assert "nested too deeply" in diagnostics[0].message
    assert fix_source(source) in (source, fix_source(source))


def _peak_memory_mib(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run the CLI from a fresh parent whose only child it is: the parent's view of its
    children's peak RSS is then the CLI's own."""
    probe = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stdout.write(r.stdout)\n"
        "sys.stderr.write(r.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(r.returncode)\n"
    )
    command = [sys.executable, "-c", probe, sys.executable, "-m", "session_lint", *args]
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=300)
    *rest, peak = result.stderr.rstrip("\n").split("\n")
    result.stderr = "\n".join(rest)
    return result, int(peak) / 1024


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux only")
def test_deep_nesting_stays_in_bounded_memory(tmp_path: Path) -> None:
    for name, code in DEEP.items():
        (tmp_path / f"{name.replace(' ', '_')}.py").write_text(BUGGY + code + "\n")
    result, peak = _peak_memory_mib("--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(json.loads(result.stdout)) == len(DEEP)
    assert peak < 1024, f"{peak:.0f} MiB"  # was 13 GiB for the bracket cases alone


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux only")
def test_very_large_files(tmp_path: Path) -> None:
    # ~3 MB of comments and data around two dispatches: parsed and analysed
    comment = "# " + "generated data, " * 6 + "\n"
    padding = comment * (3_000_000 // len(comment))
    second = BUGGY.replace("def f", "def g").split("\n", 1)[1]
    (tmp_path / "three_mb.py").write_text(BUGGY + padding + second)
    # ~50 MB that cannot hold a finding: skipped from a byte scan, in linear time
    (tmp_path / "fifty_mb.py").write_text("".join(f"VALUE_{i} = {i}\n" for i in range(2_200_000)))
    # over the size bound and may hold a finding: refused before parsing, not parsed
    (tmp_path / "five_mb.py").write_text(BUGGY + comment * (5_000_000 // len(comment)))
    result, peak = _peak_memory_mib("--format", "json", ".", cwd=tmp_path)
    rows = json.loads(result.stdout)
    assert [(r["path"], r["code"]) for r in rows] == [
        ("five_mb.py", "SES000"),
        ("three_mb.py", "SES001"),
        ("three_mb.py", "SES001"),
    ]
    assert f"the limit is {MAX_SOURCE_BYTES // 2**20} MiB" in rows[0]["message"]
    assert result.returncode == 1 and peak < 1024, f"{peak:.0f} MiB"


def test_binary_files(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 64
    (tmp_path / "logo.png").write_bytes(png)
    (tmp_path / "blob.py").write_bytes(png + b"execute session_id")
    (tmp_path / "elf.py").write_bytes(
        b"\x7fELF\x02\x01\x01" + b"\xff\xfe" * 500 + b"execute session_id"
    )
    (tmp_path / "ok.py").write_text(BUGGY)
    result = session_lint("--format", "json", "logo.png", ".", cwd=tmp_path)
    rows = {r["path"]: r for r in json.loads(result.stdout)}
    assert {path: row["code"] for path, row in rows.items()} == {
        "blob.py": "SES000",
        "elf.py": "SES000",
        "logo.png": "SES000",  # named explicitly: checked whatever its suffix
        "ok.py": "SES001",
    }
    assert "cannot decode" in rows["elf.py"]["message"]
    assert "cannot decode" in rows["logo.png"]["message"]
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_empty_files(tmp_path: Path) -> None:
    (tmp_path / "empty.py").write_bytes(b"")
    (tmp_path / "__init__.py").write_bytes(b"")
    result = session_lint("empty.py", ".", cwd=tmp_path)
    assert result.returncode == 0 and "No dispatch recognised in 2 files" in result.stdout


def test_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "a.py").symlink_to("b.py")
    (tmp_path / "b.py").symlink_to("a.py")
    (tmp_path / "loop").symlink_to(tmp_path)
    (tmp_path / "ok.py").write_text(BUGGY)
    # --exclude used to resolve every path, and a loop raised RuntimeError from pathlib
    for args in ([], ["--exclude", "nothing"], ["a.py", "ok.py"]):
        result = session_lint(
            "--format", "json", *args, *([] if args[:1] == ["a.py"] else ["."]), cwd=tmp_path
        )
        rows = json.loads(result.stdout)
        assert ("a.py", "SES000") in {(r["path"], r["code"]) for r in rows}, args
        assert ("ok.py", "SES001") in {(r["path"], r["code"]) for r in rows}, args
        assert "Too many levels of symbolic links" in rows[0]["message"]
        assert result.returncode == 1 and "Traceback" not in result.stderr


def test_pipes_and_devices_are_never_read(tmp_path: Path) -> None:
    # a named pipe would block a reader for ever, /dev/zero would fill its memory
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "ok.py").write_text(BUGGY)
    result = session_lint(
        "--format", "json", ".", os.devnull, "/dev/zero", cwd=tmp_path, timeout=60
    )
    rows = {r["path"]: r["message"] for r in json.loads(result.stdout)}
    assert "not a regular file: it is a named pipe" in rows["pipe.py"]
    assert "not a regular file: it is a character device" in rows["/dev/zero"]
    assert "ok.py" in rows and result.returncode == 1


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
def test_a_file_even_root_cannot_read(tmp_path: Path) -> None:
    # reading /proc/self/mem at offset 0 fails with EIO for any user, root included
    (tmp_path / "memory.py").symlink_to("/proc/self/mem")
    (tmp_path / "ok.py").write_text(BUGGY)
    result = session_lint("--format", "json", ".", cwd=tmp_path)
    rows = {r["path"]: r["message"] for r in json.loads(result.stdout)}
    assert rows["memory.py"] == "cannot check this file: cannot read: Input/output error"
    assert "ok.py" in rows and result.returncode == 1


def test_a_folder_even_root_cannot_list(tmp_path: Path) -> None:
    # a folder deeper than PATH_MAX cannot be listed by path, root or not
    (tmp_path / "ok.py").write_text(BUGGY)
    top = os.open(tmp_path, os.O_RDONLY)
    try:
        folder = os.dup(top)
        for _ in range(20):
            os.mkdir("d" * 250, dir_fd=folder)
            inner = os.open("d" * 250, os.O_RDONLY, dir_fd=folder)
            os.close(folder)
            folder = inner
        handle = os.open("lost.py", os.O_WRONLY | os.O_CREAT, dir_fd=folder)
        os.write(handle, BUGGY.encode())
        os.close(handle)
        os.close(folder)
    finally:
        os.close(top)
    result = session_lint("--format", "json", ".", cwd=tmp_path)
    rows = json.loads(result.stdout)
    assert [r["code"] for r in rows] == ["SES000", "SES001"]
    assert rows[0]["path"].startswith("d" * 250) and len(rows[0]["path"]) > 4096, rows[0]["path"]
    assert rows[0]["message"] == "cannot check this file: cannot list folder: File name too long"
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Found 2 findings in 2 of 2 files" in session_lint(".", cwd=tmp_path).stdout


def test_awkward_paths(tmp_path: Path) -> None:
    folder = tmp_path / "dossier à espaces"
    folder.mkdir()
    (folder / "modulé un.py").write_text(
        "from runtime import current_session_id\n" + DISPATCH.replace("s}", "current_session_id()}")
    )
    (folder / "notes.txt").write_text("not python")
    (folder / "loop").symlink_to(folder)
    (folder / "broken.py").symlink_to(tmp_path / "missing.py")
    result = session_lint("--format", "json", ".", cwd=tmp_path)
    rows = json.loads(result.stdout)
    assert {(Path(r["path"]).name, r["code"]) for r in rows} == {
        ("modulé un.py", "SES001"),
        ("broken.py", "SES000"),
    }
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_non_python_file_named_explicitly_is_checked(tmp_path: Path) -> None:
    (tmp_path / "script").write_text(
        "from runtime import current_session_id\n" + DISPATCH.replace("s}", "current_session_id()}")
    )
    assert session_lint("script", cwd=tmp_path).returncode == 1


@pytest.mark.skipif(unprivileged_problem() is not None, reason=str(unprivileged_problem()))
def test_unreadable_files_and_folders_are_ses000(tmp_path: Path) -> None:
    # as root, the command runs without the capabilities that bypass permission bits
    (tmp_path / "secret.py").write_text(BUGGY)
    (tmp_path / "secret.py").chmod(0)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "inner.py").write_text(BUGGY)
    (tmp_path / "locked").chmod(0)
    (tmp_path / "unsearchable").mkdir()
    (tmp_path / "unsearchable" / "inner.py").write_text(BUGGY)
    (tmp_path / "unsearchable").chmod(0o600)  # listable, but nothing in it can be opened
    (tmp_path / "ok.py").write_text(BUGGY)
    try:
        result = session_lint("--format", "json", ".", cwd=tmp_path, preexec_fn=unprivileged())
        named = session_lint(
            "--format", "json", "unsearchable/inner.py", cwd=tmp_path, preexec_fn=unprivileged()
        )
    finally:
        for folder in ("locked", "unsearchable"):
            (tmp_path / folder).chmod(0o755)
    rows = {r["path"]: (r["code"], r["message"]) for r in json.loads(result.stdout)}
    denied = "Permission denied"
    assert rows == {
        "locked": ("SES000", f"cannot check this file: cannot list folder: {denied}"),
        "ok.py": rows["ok.py"],
        "secret.py": ("SES000", f"cannot check this file: cannot read: {denied}"),
        "unsearchable/inner.py": ("SES000", f"cannot check this file: cannot read: {denied}"),
    }
    assert rows["ok.py"][0] == "SES001"
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert json.loads(named.stdout)[0]["message"].endswith(f"cannot read: {denied}")


def _limit_memory(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is enforced on Linux")
def test_a_file_that_kills_its_worker_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    # Under a 1 GiB memory limit, libcst's parser aborts the whole process (a Rust
    # allocation failure) on this file, which CPython accepts and which nests less than
    # the depth bound (24 chains of 950 powers: libcst's memory grows with the square of
    # the depth). The worker dies; its files are checked again one by one, so only this
    # one is lost. (Should Python's allocator fail first, the MemoryError is caught in the
    # worker: the same file is reported, as an internal error.)
    (tmp_path / "heavy.py").write_text(BUGGY + ("x = " + "2**" * 950 + "2\n") * 24)
    for index in range(40):
        (tmp_path / f"m{index:02d}.py").write_text(BUGGY if index % 5 == 0 else "x = 1\n")
    args = ("--format", "json", "-j", "2", ".")
    limit = lambda: _limit_memory(2**30)  # noqa: E731
    result = session_lint(*args, cwd=tmp_path, preexec_fn=limit)
    rows = {r["path"]: (r["code"], r["message"]) for r in json.loads(result.stdout)}
    code, message = rows.pop("heavy.py")
    assert code == "SES000"
    assert message in (
        "cannot check this file: the process checking this file died "
        "(out of memory, or a crash in native code)",
        "cannot check this file: internal error in session-lint: MemoryError: ",
    )
    assert rows == {f"m{i:02d}.py": rows[f"m{i:02d}.py"] for i in range(0, 40, 5)}
    assert {code for code, _ in rows.values()} == {"SES001"}
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "internal error while checking heavy.py" in result.stderr
    assert "--verbose" in result.stderr
    verbose = session_lint("--verbose", *args, cwd=tmp_path, preexec_fn=limit)
    assert verbose.returncode == 2 and "heavy.py:\n" in verbose.stderr


def test_an_internal_error_in_one_file_does_not_end_the_run(tmp_path: Path) -> None:
    # `class` as the resolver's name (imported from its configured module `pkg`) makes the
    # fix planner build code that does not parse, a genuine failure in the engine, for
    # every file that has a finding; `Config` refuses that name, so the test forces it past
    # validation. The failure stays with that file.
    with pytest.raises(ConfigError, match="resolver"):
        Config(resolver="class")
    broken = Config()
    object.__setattr__(broken, "resolver", "pkg.class")
    (tmp_path / "buggy.py").write_text(BUGGY)
    (tmp_path / "clean.py").write_text(
        DISPATCH.replace("s}", "sid}").replace("{}", "{'session_id': sid}")
    )
    (tmp_path / "unparsable.py").write_text(BUGGY + "def (:\n")
    with pytest.raises(cst.ParserSyntaxError):  # per source, the library does not catch it
        lint_source(BUGGY, config=broken)
    result = check_file(str(tmp_path / "buggy.py"), broken)
    (diagnostic,) = result.diagnostics
    assert diagnostic.code == "SES000" and diagnostic.path.endswith("buggy.py")
    assert diagnostic.message.startswith("cannot check this file: internal error in session-lint: ")
    assert result.internal_error is not None and "Traceback" in result.internal_error
    codes = {Path(d.path).name: d.code for d in lint_paths([tmp_path], config=broken)}
    assert codes == {"buggy.py": "SES000", "unparsable.py": "SES000"}


def test_paths_the_terminal_cannot_print(tmp_path: Path) -> None:
    # a file name that is not UTF-8, and one an ASCII terminal cannot show
    (tmp_path / os.fsdecode(b"caf\xe9.py")).write_text(BUGGY)
    (tmp_path / "modulé.py").write_text(BUGGY)
    for encoding in ("ascii", "utf-8:strict", "cp1252"):
        for output in ("text", "json", "sarif", "github"):
            result = subprocess.run(
                [sys.executable, "-m", "session_lint", "--format", output, "."],
                cwd=tmp_path,
                capture_output=True,
                env={**os.environ, "PYTHONIOENCODING": encoding},
                timeout=120,
            )
            assert result.returncode == 1, (encoding, output, result.stderr)
            assert b"Traceback" not in result.stderr
            assert result.stdout.count(b"SES001") >= 2 or output == "sarif"
            if output == "text":
                assert b"caf\xe9.py:5:11: SES001" in result.stdout
                codec = encoding.split(":")[0]
                assert "modulé.py".encode(codec, "backslashreplace") in result.stdout


def _many_findings(count: int) -> str:
    function = BUGGY.split("\n\n\n", 1)[1]
    return (
        BUGGY.split("\n", 1)[0]
        + "\n"
        + "".join("\n\n" + function.replace("def f(", f"def f{i}(") for i in range(count))
    )


def test_many_findings_in_one_file_cost_linear_time(tmp_path: Path) -> None:
    # the fix planner scanned the whole module for every finding: 2,000 findings took a
    # minute; now a few seconds (the bound leaves room for a loaded machine)
    source = _many_findings(2000)
    started = time.monotonic()
    assert _codes(source) == ["SES001"] * 2000
    assert time.monotonic() - started < 30


def test_a_reader_that_goes_away_ends_the_run_quietly(tmp_path: Path) -> None:
    # `session-lint . | head`: far more output than a pipe holds, and nobody reads it
    for index in range(8):
        (tmp_path / f"m{index}.py").write_text(_many_findings(100))
    for output in ("text", "json"):
        process = subprocess.Popen(
            [sys.executable, "-m", "session_lint", "--format", output, "."],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        assert process.wait(timeout=300) == 2
        assert process.stderr.read() == b""


def test_noqa_semantics() -> None:
    assert suppressed_codes("x") is None
    assert suppressed_codes("x  # noqa") == frozenset()
    assert suppressed_codes("x  # NOQA:ses001,SES002") == frozenset({"SES001", "SES002"})
    d1 = Diagnostic("p", 1, 1, 1, 1, "SES001", "m")
    d0 = Diagnostic("p", 1, 1, 1, 1, "SES000", "m")
    assert filter_noqa([d1, d0], ["x  # noqa"]) == [d0]
    assert filter_noqa([d1], ["x  # noqa: SES002"]) == [d1]
    assert filter_noqa([d1], ["x  # noqa: SES"]) == []


@pytest.mark.parametrize(
    "code",
    [
        "x = " + "a if b else " * 1_500 + "c",  # CPython 3.11 to 3.13 all accept it
        "x = " + "-" * 1_500 + "1",
        "x = a" + ".b" * 1_500,
    ],
)
def test_nesting_is_bounded_the_same_in_every_python(code: str) -> None:
    # CPython's own bound moves between versions; libcst's cost is quadratic below it
    diagnostics = lint_source(BUGGY + code + "\n", path="deep.py")
    assert [(d.code, d.message) for d in diagnostics] == [
        (
            "SES000",
            f"cannot check this file: nested too deeply: more than {MAX_DEPTH} levels of nesting",
        )
    ]


def test_long_flat_code_is_not_refused() -> None:
    flat = "x = [" + ", ".join(str(i) for i in range(20_000)) + "]\n"
    for code in (flat, "x = " + " + ".join(["1"] * 300) + "\n"):
        assert [d.code for d in lint_source(BUGGY + code, path="flat.py")] == ["SES001"]
