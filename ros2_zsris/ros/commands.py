"""A command as the node received it: the record passed from the subscription to the answer
thread, the ~/segment service and follow mode."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .frame_cache import FrameRequest


@dataclass
class PendingCommand:
    index: int
    text: str
    arrival_s: float
    frame_request: FrameRequest  # which frame the command refers to, fixed on arrival
    deadline_monotonic: float  # command_timeout on the wall clock (sim time may pause or jump)
    published_s: float = math.nan  # when its publisher sent it (DDS source timestamp, system clock)

    def since_s(self, max_frame_age: float) -> float:
        """The stamp from which the frames the command may refer to begin, for follow mode: when it
        was published (camera stamps on the same clock; a busy node takes the command up later than
        it came, so the newest frame received by then is too late), but never later than the newest
        frame received when it was taken up, nor more than max_frame_age before it (other clocks, sim
        time)."""
        wanted = self.frame_request.wanted_s
        if math.isfinite(self.published_s) and wanted - max_frame_age <= self.published_s <= wanted:
            return self.published_s
        return wanted
