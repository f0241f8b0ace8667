"""The language server's latency: from a didChange to the publishDiagnostics for it.

    python benchmarks/lsp.py [--lines 2000] [--edits 40] [--debounce-ms 0,150]

A generated 2,000-line module of dispatching functions (one in ten buggy) is opened in
the real ``session-lint server`` over stdio, driven by pygls's client as an editor drives
it; each edit is one keystroke-sized change that adds a bug to one function or removes it,
sent alone, and timed until the diagnostics of that version arrive. Each debounce is run
in its own server; the script prints the median, the 90th percentile and the findings.
With a debounce of 0 the figure is the check itself; with the default (150 ms) it is
what a user waits after the last keystroke.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

HEADER = "from runtime import current_session_id, resolve_session_id\n\n\n"
FUNCTION = (
    "def call_{n}(client, function, args, runtime_opts):\n"
    '    """Dispatch {n}: one resolved session for payload and routing."""\n'
    "    sid = {source}\n"
    "    payload = {{\n"
    '        "function": function,\n'
    '        "args": list(args),\n'
    '        "session_id": sid,\n'
    "    }}\n"
    '    return client.execute("snakebridge.call", payload, {{"session_id": sid}})\n'
    "\n\n"
)
GOOD, BAD = "resolve_session_id(runtime_opts)", "current_session_id()"


def module(lines: int) -> str:
    per_function = FUNCTION.count("\n")
    count = max(1, (lines - HEADER.count("\n")) // per_function)
    parts = [FUNCTION.format(n=n, source=BAD if n % 10 == 0 else GOOD) for n in range(count)]
    return HEADER + "".join(parts)


def source_line(text: str, n: int) -> int:
    """The 0-based line of function ``n``'s ``sid = ...``."""
    lines = text.splitlines()
    return lines.index(f"def call_{n}(client, function, args, runtime_opts):") + 2


async def measure(text: str, edits: int, debounce_ms: float) -> tuple[list[float], list[int]]:
    client = LanguageClient("benchmark", "1")
    arrived: dict[int | None, types.PublishDiagnosticsParams] = {}
    event = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        arrived[params.version] = params
        event.set()

    async def wait_for(version: int) -> types.PublishDiagnosticsParams:
        while version not in arrived:
            event.clear()
            await event.wait()
        return arrived[version]

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text("[tool.session-lint]\n")
        path = root / "dispatch.py"
        path.write_text(text)
        uri = path.as_uri()
        command = Path(sys.executable).parent / "session-lint"
        await client.start_io(str(command), "server", cwd=root)
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=root.as_uri(),
                initialization_options={"debounceMs": debounce_ms},
            )
        )
        client.initialized(types.InitializedParams())
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
            )
        )
        findings = [len((await wait_for(1)).diagnostics)]
        functions = text.count("def call_")
        times = []
        for version in range(2, edits + 2):
            # a bug added to one function, then removed; then the next function
            n = 1 + (version // 2 * 7) % (functions - 1)
            line = source_line(text, n)
            current = text.splitlines()[line][len("    sid = ") :]  # a bug, or none
            replacement = GOOD if current == BAD else BAD
            text_lines = text.splitlines(keepends=True)
            text_lines[line] = f"    sid = {replacement}\n"
            text = "".join(text_lines)
            started = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    # the whole text, as the server asks (textDocumentSync: Full)
                    [types.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )
            result = await wait_for(version)
            times.append(time.perf_counter() - started)
            findings.append(len(result.diagnostics))
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    return times, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--debounce-ms", default="0,150", help="comma-separated")
    options = parser.parse_args()
    text = module(options.lines)
    print(f"module: {text.count(chr(10))} lines, {text.count('def call_')} dispatching functions")
    for debounce in (float(value) for value in options.debounce_ms.split(",")):
        times, findings = asyncio.run(measure(text, options.edits, debounce))
        ordered = sorted(times)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        print(
            f"debounce {debounce:g} ms: didChange -> publishDiagnostics median "
            f"{statistics.median(times) * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms over "
            f"{len(times)} edits (findings {min(findings)}-{max(findings)})"
        )


if __name__ == "__main__":
    main()
