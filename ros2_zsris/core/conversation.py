"""What a robot remembers between commands: the last answer, its ranking and its frame.

"no, the other one" is answered with the next-best candidate of the previous command's
ranking on the same frame; "the one left of it" uses the previous answer as the anchor.
The memory is bounded in time (``command.context_timeout``) and in size (one turn), so a
follow-up spoken long after the answer is refused rather than guessed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .results import FrameFeatures, Result


@dataclass
class Turn:
    """One answered command: enough to answer "the other one" on the same frame."""

    features: FrameFeatures
    expression: str
    target_phrase: str
    ranking: list[int]  # candidate indices, best first
    scores: list[float]
    shown: list[int]  # candidates already given as answers, in order
    time_s: float
    frame: object = None  # the caller's handle on the frame (the node keeps its EncodedFrame here)
    notes: list[str] = field(default_factory=list)

    @property
    def answer(self) -> int:
        return self.shown[-1]

    def next_candidate(self) -> int | None:
        return next((i for i in self.ranking if i not in self.shown), None)


class Conversation:
    """Per-node context: the last answered turn, forgotten after ``timeout_s`` seconds."""

    def __init__(self, timeout_s: float = 30.0, clock: Callable[[], float] = time.monotonic):
        if timeout_s < 0:
            raise ValueError("timeout_s must be >= 0")
        self.timeout_s = timeout_s
        self._clock = clock
        self._turn: Turn | None = None
        self._lock = threading.Lock()

    def remember(self, features: FrameFeatures, result: Result, frame: object = None) -> None:
        """Keep an answered command (a candidate was chosen) as the context of the next one."""
        if result.index < 0 or not result.scores:
            return
        ranking = sorted(range(len(result.scores)), key=lambda i: -result.scores[i])
        with self._lock:
            self._turn = Turn(features, result.expression, result.target_phrase, ranking, list(result.scores),
                              [result.index], self._clock(), frame)

    def current(self) -> Turn | None:
        """The last turn if it is younger than the timeout, else None (and it is forgotten)."""
        with self._lock:
            if self._turn is not None and self._clock() - self._turn.time_s > self.timeout_s:
                self._turn = None
            return self._turn

    def age_s(self) -> float:
        with self._lock:
            return float("inf") if self._turn is None else self._clock() - self._turn.time_s

    def show(self, turn: Turn, index: int) -> None:
        """Record that a follow-up answered with ``index``; the turn stays (a second "other" goes on)."""
        with self._lock:
            turn.shown.append(index)
            turn.time_s = self._clock()

    def clear(self) -> None:
        with self._lock:
            self._turn = None
