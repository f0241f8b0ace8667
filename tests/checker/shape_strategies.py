"""Hypothesis strategies for dispatches in the shapes of issue 14 (gRPC, HTTP, Celery, a
call target), with carriers beyond dicts and ambient sources beyond getter calls. Which
finding each module holds, and where, follows from the choices alone."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from session_lint.config import Config
from session_lint.shapes import Place, SinkShape

SHAPED = Config(
    sink=(
        SinkShape("ExecuteTool", payload=Place(0), routing=Place(keyword="metadata")),
        SinkShape("post", payload=Place(keyword="json"), routing=Place(keyword="headers")),
        SinkShape("apply_async", payload=Place(1, "kwargs"), routing=Place(keyword="headers")),
        SinkShape("requests.post", call=True, payload=Place(keyword="json"), routing=Place(1)),
    ),
    session_headers=("x-session-id",),
    ambient_attributes=("flask.g.session_id",),
    ambient_context_vars=("_current_session",),
    ambient_env=("X_SESSION_ID",),
)

IMPORTS = (
    "import os\n"
    "import requests\n"
    "from flask import g\n"
    "from runtime import current_session_id, resolve_session_id\n"
    "from .context import _current_session\n"
    "from . import tools_pb2 as pb2\n"
)

# (how the session is read, the code it is reported under); None: clean
_SOURCES = {
    "resolved": ("resolve_session_id(runtime_opts)", None),
    "getter": ("current_session_id()", "SES001"),
    "attribute": ("g.session_id", "SES001"),
    "context_var": ("_current_session.get()", "SES001"),
    "environ_get": ('os.environ.get("X_SESSION_ID")', "SES001"),
    "environ_item": ('os.environ["X_SESSION_ID"]', "SES001"),
    "getenv": ('os.getenv("X_SESSION_ID")', "SES001"),
    "dropped": ("resolve_session_id()", "SES004"),
}


@dataclass(frozen=True)
class ShapedDispatch:
    source: str
    expected: tuple[tuple[int, str], ...]  # (line, code) of every finding


def _header(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(["x-session-id", "X-Session-Id", "X-SESSION-ID"]))
    return f'"{name}"'


@st.composite
def shaped_dispatches(draw: st.DrawFn) -> ShapedDispatch:
    source_kind = draw(st.sampled_from(sorted(_SOURCES)))
    read, code = _SOURCES[source_kind]
    split = code is None and draw(st.booleans())  # routing given another session
    sink = draw(st.sampled_from(["grpc", "http", "celery", "requests"]))
    payload_style = draw(st.sampled_from(["constructor", "field", "dict", "replace"]))
    routing_style = draw(st.sampled_from(["pairs", "append", "plus", "dict", "subscript"]))
    if sink == "grpc" and routing_style == "subscript":
        routing_style = "pairs"

    body = [f"sid = {read}"]
    if payload_style == "constructor":
        body.append("request = pb2.Request(session_id=sid, tool=tool)")
    elif payload_style == "field":
        body += ["request = pb2.Request(tool=tool)", "request.session_id = sid"]
    elif payload_style == "dict":
        body.append('request = {"tool": tool, "session_id": sid}')
    else:
        body.append("request = template._replace(session_id=sid)")
    routed = "session_id" if split else "sid"
    header = _header(draw)
    if routing_style == "pairs":
        body.append(f'md = [("trace", tool), ({header}, {routed})]')
    elif routing_style == "append":
        body += ['md = [("trace", tool)]', f"md.append(({header}, {routed}))"]
    elif routing_style == "plus":
        body.append(f'md = [("trace", tool)] + [({header}, {routed})]')
    elif routing_style == "dict":
        body.append(f'md = {{"Accept": "json", {header}: {routed}}}')
    else:
        body += ['md = {"Accept": "json"}', f"md[{header}] = {routed}"]
    dispatch = {
        "grpc": "self._stub.ExecuteTool(request, metadata=md, timeout=5)",
        "http": "self._client.post(url, json=request, headers=md)",
        "celery": "task.apply_async((tool,), request, headers=md)",
        "requests": "requests.post(url, md, json=request)",
    }[sink]
    body.append(f"return {dispatch}")

    lines = [IMPORTS, "", "class Client:"]
    lines.append("    def call(self, task, url, tool, template, session_id, runtime_opts=None):")
    first = len(IMPORTS.splitlines()) + 5  # the line of `sid = ...`
    lines += [f"        {line}" for line in body]
    lines.append("")
    expected: tuple[tuple[int, str], ...] = ()
    if code is not None:
        expected = ((first, code),)
    elif split:
        expected = ((first + len(body) - 1, "SES005"),)
    return ShapedDispatch("\n".join(lines), expected)
