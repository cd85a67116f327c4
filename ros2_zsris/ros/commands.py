"""A command as the node received it: the record passed from the subscription to the answer
thread, the ~/segment service and follow mode."""

from __future__ import annotations

from dataclasses import dataclass

from .frame_cache import FrameRequest


@dataclass
class PendingCommand:
    index: int
    text: str
    arrival_s: float
    frame_request: FrameRequest  # which frame the command refers to, fixed on arrival
    deadline_monotonic: float  # command_timeout on the wall clock (sim time may pause or jump)
