"""Generated Elixir dispatch functions, correct or seeded with one bug each, with the exact
(line, code) findings they must produce."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from hypothesis import strategies as st

PAYLOADS = ("resolved", "pipe_fixed", "update_fixed", "ambient", "builder_ambient", "hand_rolled")
ROUTINGS = ("helper", "keyword", "put", "read_back", "raw", "ambient", "other")
WRAPPERS = ("plain", "telemetry", "case", "with")
RECEIVERS = ("runtime_client()", "Client", "SnakeBridge.RuntimeClient")
SINKS = ("execute", "execute_stream")


@dataclass(frozen=True)
class GeneratedModule:
    source: str
    expected: Counter[tuple[int, str]]


@st.composite
def elixir_dispatch_modules(draw: st.DrawFn) -> GeneratedModule:
    payload_kind = draw(st.sampled_from(PAYLOADS))
    routing_kind = draw(st.sampled_from(ROUTINGS))
    wrapper = draw(st.sampled_from(WRAPPERS))
    receiver = draw(st.sampled_from(RECEIVERS))
    sink = draw(st.sampled_from(SINKS))
    drops_override = draw(st.booleans())
    atom_key = draw(st.booleans())
    key = ":session_id" if atom_key else '"session_id"'
    pair = "session_id: " if atom_key else '"session_id" => '

    lines = [
        "defmodule Generated.Runtime do",
        "  defp base_payload(tool) do",
        f'    %{{"tool" => tool}} |> Map.put({key}, current_session_id())',
        "  end",
        "",
        "  def call(tool, opts, other_session, mode) do",
        "    {_kwargs, _idempotent, _extra, runtime_opts} = split_opts(opts)",
    ]
    expected: Counter[tuple[int, str]] = Counter()

    def add(line: str, *codes: str) -> None:
        lines.append(line)
        for code in codes:
            expected[(len(lines), code)] += 1

    resolver_line = len(lines) + 1
    add(f"    session_id = resolve_session_id({'[]' if drops_override else 'runtime_opts'})")
    payload_bug = payload_kind in ("ambient", "builder_ambient", "hand_rolled")
    if payload_kind == "resolved":
        add(f'    payload = %{{"tool" => tool, {pair}session_id}}')
    elif payload_kind == "pipe_fixed":
        add(f"    payload = base_payload(tool) |> Map.put({key}, session_id)")
    elif payload_kind == "update_fixed":
        add(f"    payload = %{{base_payload(tool) | {pair}session_id}}")
    elif payload_kind == "ambient":
        add(f'    payload = %{{"tool" => tool, {pair}current_session_id()}}', "SES001")
    elif payload_kind == "hand_rolled":
        guess = "Keyword.get(runtime_opts, :session_id) || current_session_id()"
        add(f'    payload = %{{"tool" => tool, {pair}{guess}}}', "SES007")
    else:
        add("    payload = base_payload(tool)", "SES002")

    read_back_bug = routing_kind == "read_back" and payload_bug
    routing = {
        "helper": "ensure_session_opt(runtime_opts, session_id)",
        "keyword": "[session_id: session_id]",
        "put": "Keyword.put(runtime_opts, :session_id, session_id)",
        "read_back": "ensure_session_opt(runtime_opts, read_back)",
        "raw": "runtime_opts",
        "ambient": "ensure_session_opt(runtime_opts, current_session_id())",
        "other": "ensure_session_opt(runtime_opts, other_session)",
    }[routing_kind]
    if routing_kind == "read_back":
        add(f"    read_back = Map.get(payload, {key})", *(["SES003"] if read_back_bug else []))
    middle = ", callback" if sink == "execute_stream" else ""
    call = f'{receiver}.{sink}("tool", payload{middle}, {routing})'
    routing_ambient = routing_kind == "ambient"
    at_dispatch: list[str] = ["SES001"] if routing_ambient else []
    found_ambient = payload_bug or routing_ambient or read_back_bug
    if not found_ambient:
        if routing_kind == "raw":
            at_dispatch.append("SES006")
        elif routing_kind == "other":
            at_dispatch.append("SES005")
    payload_resolved = not payload_bug
    routing_resolved = routing_kind in ("helper", "keyword", "put") or (
        routing_kind == "read_back" and payload_resolved
    )
    if drops_override and (payload_resolved or routing_resolved):
        expected[(resolver_line, "SES004")] += 1
    if wrapper == "plain":
        add(f"    {call}", *at_dispatch)
    elif wrapper == "telemetry":
        add("    execute_with_telemetry(%{tool: tool}, fn ->")
        add(f"      {call}", *at_dispatch)
        add("    end)")
    elif wrapper == "case":
        add("    case mode do")
        add(f"      :run -> {call}", *at_dispatch)
        add("      _ -> {:error, :skipped}")
        add("    end")
    else:
        add("    with {:ok, callback} <- fetch_callback(mode) do")
        add(f"      {call}", *at_dispatch)
        add("    end")
    lines += ["  end", "end", ""]
    return GeneratedModule("\n".join(lines), expected)
