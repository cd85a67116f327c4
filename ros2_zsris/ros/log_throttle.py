"""Log each distinct problem once per period, with a count of the repeats in between.

rclpy's ``throttle_duration_sec`` throttles per call site, so two different problems on one
line hide each other and repeats vanish without trace. Here every problem has its own key;
the first occurrence is logged at once, later ones are counted and summarised when the
period has passed (``flush``, called from a timer), so nothing disappears from the log.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_NUMBERS = re.compile(r"\d+(\.\d+)?")


def problem_key(text: str) -> str:
    """Messages that differ only in their numbers (sizes, byte counts) are one problem."""
    return _NUMBERS.sub("#", text)


@dataclass
class _Entry:
    last_logged_s: float
    repeats: int = 0  # occurrences since the last line
    last_text: str = ""


class ProblemLog:
    def __init__(self, log: Callable[[str], None], period_s: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self._log = log
        self.period_s = period_s
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def report(self, text: str, key: str | None = None) -> None:
        key = key or problem_key(text)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self._entries[key] = _Entry(now, 0, text)
                line = text
            else:
                entry.repeats += 1
                entry.last_text = text
                if now - entry.last_logged_s < self.period_s:
                    return
                line = self._summary(entry, now)
        self._log(line)

    def flush(self) -> None:
        """Log the repeats of every problem whose period has passed."""
        now = self._clock()
        with self._lock:
            lines = [self._summary(entry, now) for entry in self._entries.values()
                     if entry.repeats and now - entry.last_logged_s >= self.period_s]
        for line in lines:
            self._log(line)

    def _summary(self, entry: _Entry, now: float) -> str:
        line = f"{entry.last_text} (x{entry.repeats} in the last {now - entry.last_logged_s:.0f} s)"
        entry.last_logged_s, entry.repeats = now, 0
        return line
