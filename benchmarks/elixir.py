"""The Elixir front end's speed, beside the Python front end's, on generated corpora.

    python benchmarks/elixir.py [--modules N] [--rounds N]

Generates N Elixir modules in SnakeBridge's style (builders piping into
`maybe_put_session_id`, call paths splitting options, resolving once, dispatching inside
`execute_with_telemetry` fns; one in four call paths seeded with a bug) and the same N
modules written in Python, then times, alternately and as whole processes as a user or CI
runs them:

1. `session-lint` over the Elixir corpus;
2. `session-lint` over the Python corpus (the same functions);
3. a bare tree-sitter parse of every Elixir file in one process (the parse's floor).

Prints each side's median wall time, files per second and the findings counted (which
must be equal for both languages).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FUNCTIONS_PER_MODULE = 12

ELIXIR_PATH = """
  def call_{n}(module, function, args, opts) when is_atom(module) do
    {{kwargs, idempotent, extra_args, runtime_opts}} = split_opts(opts)
    session_id = {resolver}
    payload =
      module
      |> base_payload(function, encode_args(args ++ extra_args), kwargs, idempotent)
      |> Map.put("call_type", "function"){put}
    runtime_opts = ensure_session_opt(runtime_opts, session_id)

    execute_with_telemetry(%{{module: module, function: function}}, fn ->
      runtime_client().execute("snakebridge.call", payload, runtime_opts)
    end)
  end
"""
ELIXIR_MODULE = """defmodule Generated.Runtime{m} do
  @moduledoc "Generated for the benchmark."
{paths}
  defp base_payload(module, function, args, kwargs, idempotent) do
    %{{"python_module" => module, "function" => function, "args" => args, "kwargs" => kwargs,
      "idempotent" => idempotent}}
    |> maybe_put_session_id(current_session_id())
  end

  defp maybe_put_session_id(payload, nil), do: payload
  defp maybe_put_session_id(payload, session_id), do: Map.put(payload, "session_id", session_id)

  defp split_opts(opts) do
    {{runtime_opts, opts}} = Keyword.pop(opts, :__runtime__, [])
    {{opts, false, [], runtime_opts}}
  end
end
"""
PYTHON_PATH = """

def call_{n}(client, module, function, args, **opts):
    kwargs, idempotent, extra_args, runtime_opts = split_opts(opts)
    session_id = {resolver}
    payload = base_payload(module, function, encode_args(args + extra_args), kwargs, idempotent)
    payload["call_type"] = "function"{put}
    runtime_opts = ensure_session_opt(runtime_opts, session_id)
    with telemetry(module, function):
        return client.execute("snakebridge.call", payload, runtime_opts)
"""
PYTHON_MODULE = '''"""Generated for the benchmark."""
from runtime import current_session_id, ensure_session_opt, resolve_session_id


def base_payload(module, function, args, kwargs, idempotent):
    payload = {{"python_module": module, "function": function, "args": args, "kwargs": kwargs,
               "idempotent": idempotent}}
    payload["session_id"] = current_session_id()
    return payload
{paths}
'''


def _corpora(root: Path, modules: int) -> tuple[Path, Path]:
    elixir, python = root / "elixir", root / "python"
    elixir.mkdir()
    python.mkdir()
    for m in range(modules):
        ex_paths, py_paths = [], []
        for n in range(FUNCTIONS_PER_MODULE):
            buggy = (m * FUNCTIONS_PER_MODULE + n) % 4 == 0
            ex_paths.append(
                ELIXIR_PATH.format(
                    n=n,
                    resolver="resolve_session_id(runtime_opts)",
                    put="" if buggy else '\n      |> Map.put("session_id", session_id)',
                )
            )
            py_paths.append(
                PYTHON_PATH.format(
                    n=n,
                    resolver="resolve_session_id(runtime_opts)",
                    put="" if buggy else '\n    payload["session_id"] = session_id',
                )
            )
        (elixir / f"runtime_{m}.ex").write_text(ELIXIR_MODULE.format(m=m, paths="".join(ex_paths)))
        (python / f"runtime_{m}.py").write_text(PYTHON_MODULE.format(paths="".join(py_paths)))
    return elixir, python


PARSE_ONLY = """
import sys, pathlib, tree_sitter, tree_sitter_elixir
parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_elixir.language()))
for path in pathlib.Path(sys.argv[1]).glob("*.ex"):
    parser.parse(path.read_bytes())
"""


def _run(command: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    return time.perf_counter() - start, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    lint = [sys.executable, "-m", "session_lint", "--format", "json", "-j", "1"]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        elixir, python = _corpora(root, options.modules)
        sides = {
            "session-lint, Elixir corpus": [*lint, str(elixir)],
            "session-lint, Python corpus": [*lint, str(python)],
            "tree-sitter parse only, Elixir": [sys.executable, "-c", PARSE_ONLY, str(elixir)],
        }
        times: dict[str, list[float]] = {name: [] for name in sides}
        findings: dict[str, int] = {}
        for round_number in range(options.rounds):
            order = list(sides) if round_number % 2 == 0 else list(reversed(sides))
            for name in order:
                elapsed, out = _run(sides[name], root)
                times[name].append(elapsed)
                if name.startswith("session-lint"):
                    findings[name] = len(json.loads(out))
        files = options.modules
        functions = files * FUNCTIONS_PER_MODULE
        print(f"{files} modules per corpus, {functions} dispatching functions, ", end="")
        print(f"{options.rounds} rounds, Python {sys.version.split()[0]}")
        for name, samples in times.items():
            median = statistics.median(samples)
            found = f", {findings[name]} findings" if name in findings else ""
            print(f"{name}: {median:.2f} s median, {files / median:.0f} files/s{found}")


if __name__ == "__main__":
    main()
