"""Side-by-side timings of session-lint against its baselines, in one run.

    python benchmarks/run.py [--rounds N] [--quick] [--only 1|2|3|4|5 ...]

Each pair of commands is run alternately (A, B, B, A, ...) so that machine noise hits
both sides alike; the script prints each side's median wall time and the ratio A/B:

1. ``session-lint`` vs ``ruff check --no-cache --select F`` over the running interpreter's
   standard library;
2. ``flake8 --select F,SES`` with session-lint installed vs the same command in a second
   virtualenv that has the same flake8 but no session-lint (made once, cached under the
   temporary folder), over the standard library's top-level modules plus the project's
   dispatching fixture modules; with the floor an analysis on libcst trees cannot go
   below there (one process importing libcst and parsing the dispatching modules);
3. the same two flake8 commands on the worst case: copies of the top-level modules that
   each end with a clean dispatch function, so that no prefilter can skip them;
4. ``session-lint -j 2`` on that worst case vs a bare ``libcst.parse_module`` and vs a bare
   ``ast.parse`` of every file, each with 2 processes;
5. peak RSS of one worker process on that worst-case corpus and on four copies of it.

Every side is a whole process, start-up included, as a user or CI runs it. session-lint is
byte-compiled first, as ``pip install`` does: a checkout installed in editable mode on a
machine that sets ``PYTHONDONTWRITEBYTECODE`` (this one does) would otherwise compile its
modules again in every process, and each flake8 worker.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
FLAKE8_PACKAGES = ("flake8", "pyflakes", "pycodestyle", "mccabe")

CLEAN_DISPATCH = """

def _benchmark_dispatch(client, function, runtime_opts):
    session_id = resolve_session_id(runtime_opts)
    payload = {"function": function, "session_id": session_id}
    return client.execute("snakebridge.call", payload, {**runtime_opts, "session_id": session_id})
"""

PARSE_ONLY = """
import sys
from concurrent.futures import ProcessPoolExecutor
import {module}

def parse(path):
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        {module}.{function}(data)
    except Exception:
        pass
    return 0

if __name__ == "__main__":
    paths = sys.argv[1:]
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(parse, paths, chunksize=8))
"""

# what one flake8 worker cannot avoid while session-lint analyses with libcst: importing
# it and parsing the files that dispatch (timed inside the process: start-up excluded)
LIBCST_FLOOR = """
import sys, time
start = time.perf_counter()
import libcst
for path in sys.argv[1:]:
    with open(path, "rb") as handle:
        libcst.parse_module(handle.read())
print(time.perf_counter() - start)
"""

PEAK_RSS = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def stdlib_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    return sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        sys.exit(f"benchmark: `{name}` is not installed (pip install -e '.[test]')")
    return found


def wall(command: Sequence[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


class Outcome(NamedTuple):
    met: bool  # the target, if there is one
    median_a: float
    median_b: float


def compare(
    title: str, a: Sequence[str], b: Sequence[str], rounds: int, target: float | None
) -> Outcome:
    times_a: list[float] = []
    times_b: list[float] = []
    wall(a)  # warm the file cache for both
    for round_number in range(rounds):
        order = [(a, times_a), (b, times_b)]
        if round_number % 2:
            order.reverse()
        for command, times in order:
            times.append(wall(command))
    median_a, median_b = statistics.median(times_a), statistics.median(times_b)
    ratio = median_a / median_b
    print(f"\n{title}")
    print(f"  A: {median_a:7.3f} s  (median of {rounds})  {' '.join(a[:4])} ...")
    print(f"  B: {median_b:7.3f} s  (median of {rounds})  {' '.join(b[:4])} ...")
    if target is None:
        print(f"  A/B = {ratio:.2f}x   (for scale: no target)")
        return Outcome(True, median_a, median_b)
    verdict = "meets" if ratio <= target else "MISSES"
    print(f"  A/B = {ratio:.2f}x   target <= {target:.2f}x: {verdict}")
    return Outcome(ratio <= target, median_a, median_b)


def worst_case_corpus(folder: Path, copies: int) -> list[Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    sources = sorted(stdlib.glob("*.py"))
    made = []
    for copy in range(copies):
        target = folder / f"copy{copy}"
        target.mkdir(parents=True)
        for source in sources:
            destination = target / source.name
            text = source.read_bytes()
            destination.write_bytes(text + CLEAN_DISPATCH.encode())
            made.append(destination)
    return made


def peak_rss_kib(command: Sequence[str]) -> int:
    result = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *command], capture_output=True, text=True, check=True
    )
    return int(result.stdout.strip())


def whole_stdlib(files: list[str], rounds: int, quick: bool) -> bool:
    return compare(
        "1. whole standard library: session-lint vs ruff --select F (no cache)",
        [tool("session-lint"), "--quiet", *files],
        [tool("ruff"), "check", "--no-cache", "--select", "F", "--exit-zero", *files],
        rounds,
        1.0,
    ).met


def bare_flake8() -> str:
    """flake8 in a virtualenv without session-lint: the same versions of flake8 and its
    default plugins as this one, made once and kept under the temporary folder."""
    pins = [f"{name}=={metadata.version(name)}" for name in FLAKE8_PACKAGES]
    python = f"py{sys.version_info.major}{sys.version_info.minor}"
    home = Path(tempfile.gettempdir()) / "session-lint-bench" / f"{python}-{'-'.join(pins)}"
    flake8 = home / "bin" / "flake8"
    if not flake8.exists():
        print(f"making {home} (flake8 without session-lint) ...", flush=True)
        shutil.rmtree(home, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
        pip = [str(home / "bin" / "python"), "-m", "pip", "install", "-q", *pins]
        subprocess.run(pip, check=True)
    return str(flake8)


def dispatching_modules(folder: Path) -> list[str]:
    """Copies of the fixtures and of the runtime's modules that dispatch, outside this
    checkout (whose configuration excludes the fixtures), so the plugin checks them."""
    folder.mkdir(parents=True)
    sources = [*sorted((ROOT / "fixtures").rglob("*.py")), *sorted((ROOT / "runtime").glob("*.py"))]
    made = []
    for number, source in enumerate(sources):
        text = source.read_bytes()
        if b"execute" in text:
            made.append(folder / f"m{number}_{source.name}")
            made[-1].write_bytes(text)
    return [str(path) for path in made]


def flake8_pair(title: str, paths: list[str], rounds: int, target: float) -> Outcome:
    command = ["--select", "F,SES", "--exit-zero", *paths]
    return compare(
        f"{title} ({len(paths)} files): flake8 with vs without session-lint installed",
        [tool("flake8"), *command],
        [bare_flake8(), *command],
        rounds,
        target,
    )


def top_level(files: list[str]) -> list[str]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return [path for path in files if Path(path).parent == stdlib]


def flake8_stdlib(files: list[str], rounds: int, quick: bool) -> bool:
    with tempfile.TemporaryDirectory() as scratch:
        dispatching = dispatching_modules(Path(scratch) / "dispatching")
        corpus = top_level(files)[:: 2 if quick else 1] + dispatching
        title = f"2. top-level standard library + {len(dispatching)} dispatching modules"
        outcome = flake8_pair(title, corpus, rounds, 1.03)
        libcst_floor(dispatching, rounds, outcome.median_b, 1.03)
        return outcome.met


def libcst_floor(paths: list[str], rounds: int, baseline: float, target: float) -> None:
    """The share of flake8's time that importing libcst and parsing the dispatching files
    takes in one process: flake8 hands a chunk of consecutive files to each worker, so
    one worker meets them all. A floor for an analysis on libcst trees."""
    command = [sys.executable, "-c", LIBCST_FLOOR, *paths]
    runs = [
        subprocess.run(command, capture_output=True, text=True, check=True) for _ in range(rounds)
    ]
    floor = statistics.median(float(run.stdout) for run in runs)
    print(
        f"  floor: import libcst + parse the {len(paths)} dispatching files in one process:"
        f" {floor:.3f} s (median of {rounds}) = {floor / baseline:.1%} of B;"
        f" the target leaves {target - 1:.0%}"
    )


def flake8_worst(files: list[str], rounds: int, quick: bool) -> bool:
    with tempfile.TemporaryDirectory() as scratch:
        paths = [str(p) for p in worst_case_corpus(Path(scratch) / "x1", 1)]
        return flake8_pair("3. worst case, every file dispatches", paths, rounds, 1.15).met


def worst_case(files: list[str], rounds: int, quick: bool) -> bool:
    with tempfile.TemporaryDirectory() as scratch:
        paths = [str(p) for p in worst_case_corpus(Path(scratch) / "x1", 1)]
        scripts = {}
        for module, function in (("libcst", "parse_module"), ("ast", "parse")):
            scripts[module] = Path(scratch) / f"{module}_only.py"
            scripts[module].write_text(PARSE_ONLY.format(module=module, function=function))
        session_lint = [tool("session-lint"), "--quiet", "-j", "2", *paths]
        title = f"4{{}}. worst case, every file dispatches ({len(paths)} files, 2 processes)"
        against_libcst = compare(
            title.format("a") + ": session-lint vs a bare libcst parse",
            session_lint,
            [sys.executable, str(scripts["libcst"]), *paths],
            rounds,
            0.35,
        )
        compare(
            title.format("b") + ": session-lint vs a bare ast.parse",
            session_lint,
            [sys.executable, str(scripts["ast"]), *paths],
            rounds,
            None,
        )
        return against_libcst.met


def memory(files: list[str], rounds: int, quick: bool) -> bool:
    session_lint = tool("session-lint")
    with tempfile.TemporaryDirectory() as scratch:
        one = [str(p) for p in worst_case_corpus(Path(scratch) / "x1", 1)]
        four = [str(p) for p in worst_case_corpus(Path(scratch) / "x4", 4)]
        small = peak_rss_kib([session_lint, "--quiet", "-j", "2", *one])
        large = peak_rss_kib([session_lint, "--quiet", "-j", "2", *four])
    growth = large / small
    print("\n5. peak RSS of the largest process, worst-case corpus")
    print(f"  1x ({len(one)} files): {small / 1024:6.1f} MiB")
    print(f"  4x ({len(four)} files): {large / 1024:6.1f} MiB   growth {growth:.2f}x")
    return growth <= 1.25


BENCHMARKS = {
    "1": whole_stdlib,
    "2": flake8_stdlib,
    "3": flake8_worst,
    "4": worst_case,
    "5": memory,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="3 rounds, smaller subsets")
    parser.add_argument(
        "--only", choices=sorted(BENCHMARKS), action="append", help="run just these (repeatable)"
    )
    options = parser.parse_args(argv)
    rounds = 3 if options.quick else options.rounds
    files = [str(p) for p in stdlib_files()]
    compileall.compile_dir(ROOT / "session_lint", quiet=1)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"corpus: {len(files)} standard-library files")
    chosen = options.only or sorted(BENCHMARKS)
    results = [BENCHMARKS[key](files, rounds, options.quick) for key in chosen]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
