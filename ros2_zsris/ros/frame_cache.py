"""Bounded store of encoded frames, newest by stamp (no rclpy: testable on its own).

A command is answered on the frame the camera showed when it arrived: the newest image
received before it. If that image is still being encoded the command waits for it (or a
newer one); if it turns out unusable (too small, failed to encode) the command falls back
to the newest *usable* frame within ``max_frame_age`` instead of waiting for nothing.
Stamps that jump back (a bag played with --loop, sim time reset) clear the cache, so no
command is answered on a frame from the previous timeline.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from typing import Any

from ..core.results import FrameFeatures

JUMP_BACK_TOLERANCE_S = 1.0  # stamps may be slightly out of order; a larger step back is a new timeline


@dataclass
class EncodedFrame:
    stamp_s: float  # the image's stamp (or its receipt time if the stamp was zero)
    header: Any  # std_msgs/Header of the source image
    image: Any  # RGB uint8 array, kept for overlays
    features: FrameFeatures


@dataclass
class FrameRequest:
    """What a command needs, fixed when it arrives."""

    wanted_s: float  # stamp of the newest image received before the command (-inf: none)
    oldest_s: float  # oldest acceptable stamp (command arrival - max_frame_age)
    generation: int  # cache generation at arrival; a clear makes both limits void


@dataclass
class FrameAnswer:
    frame: EncodedFrame | None
    failure: str = ""  # why the wanted frame is unusable, when no frame could replace it


class FrameCache:
    def __init__(self, capacity: int):
        self.capacity = max(1, capacity)
        self._frames: list[EncodedFrame] = []
        self._in_flight: collections.Counter[float] = collections.Counter()  # received, not yet encoded
        self._failures: collections.OrderedDict[float, str] = collections.OrderedDict()
        self._newest_received_s = float("-inf")
        self._generation = 0
        self._closed = False
        self._changed = threading.Condition()

    # ------------------------------------------------------------------ the encoder's side
    def received(self, stamp_s: float) -> bool:
        """An image is on its way to the encoder. True when its stamp jumped back and the
        cache was cleared (the caller warns once)."""
        with self._changed:
            jumped = stamp_s < self._newest_received_s - JUMP_BACK_TOLERANCE_S
            if jumped:
                self._clear_locked()
                self._newest_received_s = stamp_s
            self._in_flight[stamp_s] += 1
            self._newest_received_s = max(self._newest_received_s, stamp_s)
            return jumped

    def add(self, frame: EncodedFrame) -> None:
        with self._changed:
            if not self._settle(frame.stamp_s):
                return  # received before a jump back that cleared the cache: stale
            self._frames.append(frame)
            self._frames.sort(key=lambda f: f.stamp_s)
            del self._frames[: max(0, len(self._frames) - self.capacity)]
            self._changed.notify_all()

    def superseded(self, stamp_s: float) -> None:
        """A newer image replaced this one before it was encoded; commands wait for the newer."""
        with self._changed:
            self._settle(stamp_s)
            self._changed.notify_all()

    def failed(self, stamp_s: float, reason: str) -> None:
        """This image will never be encoded; commands waiting for it fall back to older frames."""
        with self._changed:
            if self._settle(stamp_s):
                self._failures[stamp_s] = reason
            while len(self._failures) > 16:
                self._failures.popitem(last=False)
            self._changed.notify_all()

    def clear_after(self, now_s: float) -> bool:
        """The clock jumped back to now_s: forget every frame if any was received after it
        (waiting commands then take the next frame). True when the cache was cleared."""
        with self._changed:
            if self._newest_received_s <= now_s + JUMP_BACK_TOLERANCE_S:
                return False
            self._clear_locked()
            self._newest_received_s = float("-inf")
            return True

    def close(self) -> None:
        """Shutting down: every waiter returns at once."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    # ------------------------------------------------------------------ the commands' side
    def request(self, oldest_s: float) -> FrameRequest:
        with self._changed:
            return FrameRequest(self._newest_received_s, oldest_s, self._generation)

    def wait_for(self, request: FrameRequest, timeout_s: float) -> FrameAnswer:
        """The frame to answer on; waits up to timeout_s only while a usable one may still come."""
        with self._changed:
            self._changed.wait_for(lambda: self._decide(request) is not None, timeout=max(0.0, timeout_s))
            return self._decide(request) or FrameAnswer(None, self._failure_for(request))

    @property
    def closed(self) -> bool:
        return self._closed

    def newest(self) -> EncodedFrame | None:
        """The newest encoded frame, without waiting (diagnostics)."""
        with self._changed:
            return self._frames[-1] if self._frames else None

    @property
    def newest_received_s(self) -> float:
        """Stamp of the newest image received, encoded or not (encoding lag = this - newest)."""
        with self._changed:
            return self._newest_received_s

    def __len__(self) -> int:
        with self._changed:
            return len(self._frames)

    def clear(self) -> None:
        """Forget every frame (lifecycle cleanup: the features belong to the unloaded models)."""
        with self._changed:
            self._clear_locked()

    # ------------------------------------------------------------------ internals
    def _decide(self, request: FrameRequest) -> FrameAnswer | None:
        """An answer now, or None to keep waiting."""
        if self._closed:
            return FrameAnswer(None, "shutting down")
        stale = request.generation != self._generation
        wanted = float("-inf") if stale else request.wanted_s
        oldest = float("-inf") if stale else request.oldest_s
        newest = self._frames[-1] if self._frames else None
        if newest is not None and newest.stamp_s >= max(wanted, oldest):
            return FrameAnswer(newest)
        if any(stamp >= wanted for stamp in self._in_flight):
            return None  # the wanted image (or a newer one) is still being encoded
        if newest is not None and newest.stamp_s >= oldest:
            return FrameAnswer(newest)  # the wanted image was unusable: newest usable one
        failure = self._failure_for(request)
        return FrameAnswer(None, failure) if failure else None

    def _failure_for(self, request: FrameRequest) -> str:
        if request.generation != self._generation:
            return ""
        return self._failures.get(request.wanted_s, "")

    def _settle(self, stamp_s: float) -> bool:
        """No longer in flight; False when it was not (received before a clear)."""
        count = self._in_flight.get(stamp_s, 0)
        if count > 1:
            self._in_flight[stamp_s] = count - 1
        else:
            self._in_flight.pop(stamp_s, None)
        return count > 0

    def _clear_locked(self) -> None:
        self._frames.clear()
        self._in_flight.clear()
        self._failures.clear()
        self._generation += 1
        self._changed.notify_all()
