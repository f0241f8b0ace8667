"""What a same-module function returns, as seen by its callers.

A builder whose returned mapping embeds the ambient session, a wrapper returning the
ambient getter's value, a helper returning a mapping whose session is one of its
parameters: each is summarised once per module and instantiated at every call.
"""

from __future__ import annotations

from session_lint.core.values import TOP, Value
from session_lint.flow.index import FunctionInfo
from session_lint.flow.interpreter import Interpreter, ModuleContext, join


class Summaries:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.done: dict[FunctionInfo, Value] = {}
        self.running: set[FunctionInfo] = set()
        ctx.summary_of = self.summary_of

    def summary_of(self, info: FunctionInfo) -> Value:
        if info in self.done:
            return self.done[info]
        if info in self.running:  # recursion: assume nothing
            return TOP
        self.running.add(info)
        try:
            interpreter = Interpreter(self.ctx, info, check=False)
            interpreter.run_function([])
            result = join(interpreter.returns)
        finally:
            self.running.discard(info)
        self.done[info] = result
        return result
