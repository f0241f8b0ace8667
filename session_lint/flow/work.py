"""How much work the engine did: nodes whose children a walk listed, statements
interpreted (once per path). Plain integer counters, cheap enough for the hot path; the
tests read them to check that cost grows linearly with the input, without a clock."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Work:
    nodes: int = 0
    statements: int = 0

    def total(self) -> int:
        return self.nodes + self.statements

    def reset(self) -> None:
        self.nodes = self.statements = 0


WORK = Work()
