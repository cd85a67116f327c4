"""Bounded store of encoded frames, newest by stamp (no rclpy: testable on its own).

A command is answered on the frame the camera showed when it arrived: the newest image
received before it. If that image is still being encoded the command waits for it (or a
newer one); if it turns out unusable (too small, failed to encode) the command falls back
to the newest *usable* frame within ``max_frame_age`` instead of waiting for nothing. A
command that has to wait is answered as soon as an encoding finishes on a frame within
``max_frame_age`` of its arrival (or later): with an encoder slower than the camera, the frame
in the encoder when the command arrived (up to one encoding) rather than the one queued behind it
(up to two).
Stamps that jump back (a bag played with --loop, sim time reset) clear the cache, so no
command is answered on a frame from the previous timeline.

How long a command waits: ``command_timeout``, extended while a frame it can be answered on
(stamped within ``max_frame_age`` of its arrival, or later) is received and not yet encoded, to
``command_timeout + ENCODE_WAITS x the encode time`` (the slowest of the last ENCODE_SAMPLES
encodings, the one in progress included, counted up to MAX_ENCODE_ESTIMATE_S): a slow encoder
(SAM on a CPU: 10 s a frame) still answers, while a command with no camera, or only a stale
one, is answered ``no_frame`` after ``command_timeout``.

Depth: a frame encoded while depth is in use but without its depth frame (dropped by best-effort
transport) is answered on only when no frame with its depth is within ``max_frame_age``; the
cache keeps the newest frame with depth beyond its capacity for that.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.results import FrameFeatures

JUMP_BACK_TOLERANCE_S = 1.0  # stamps may be slightly out of order; a larger step back is a new timeline
ENCODE_WAITS = 3  # a command waits command_timeout + this many encode times for a frame being encoded
ENCODE_SAMPLES = 10  # the encode time is the slowest of this many recent encodings
MAX_ENCODE_ESTIMATE_S = 300.0  # an encoding in progress counts up to this (a hung model still ends the wait)
RECHECK_S = 0.5  # a waiting command re-reads the encode time this often (the one in progress grows)


@dataclass
class EncodedFrame:
    stamp_s: float  # the image's stamp (or its receipt time if the stamp was zero)
    header: Any  # std_msgs/Header of the source image
    image: Any  # RGB uint8 array, kept for overlays
    features: FrameFeatures
    depth_missing: bool = False  # depth was in use, but this frame's depth never came (encoded in 2D)


@dataclass
class FrameRequest:
    """What a command needs, fixed when it arrives."""

    wanted_s: float  # stamp of the newest image received before the command (-inf: none)
    oldest_s: float  # oldest acceptable stamp (command arrival - max_frame_age)
    generation: int  # cache generation at arrival; a clear makes both limits void
    encoded_before: int = 0  # frames the cache had taken in at arrival (FrameCache._added)


@dataclass
class FrameAnswer:
    frame: EncodedFrame | None
    failure: str = ""  # why the wanted frame is unusable, when no frame could replace it
    waited_s: float = 0.0  # how long the command waited
    encoding: bool = False  # no frame: one it could be answered on was still being encoded
    newest_received_s: float = -math.inf  # no frame: stamp of the newest image received (-inf: none)


class FrameCache:
    def __init__(self, capacity: int, clock: Callable[[], float] = time.monotonic):
        self.capacity = max(1, capacity)
        self._clock = clock  # encode times and command waits (a test's own clock)
        self._frames: list[EncodedFrame] = []
        self._in_flight: collections.Counter[float] = collections.Counter()  # received, not yet encoded
        self._failures: collections.OrderedDict[float, str] = collections.OrderedDict()
        self._newest_received_s = float("-inf")
        self._generation = 0
        self._added = 0  # frames taken in so far: which ones finished after a command arrived
        self._closed = False
        self._changed = threading.Condition()
        self._encode_started: float | None = None  # start of the encoding in progress (self._clock)
        self._encode_times: collections.deque[float] = collections.deque(maxlen=ENCODE_SAMPLES)

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

    def encoding(self) -> None:
        """The encoder starts on a frame (depth wait included): its time counts from now."""
        with self._changed:
            self._encode_started = self._clock()

    def add(self, frame: EncodedFrame) -> None:
        with self._changed:
            self._encoded()
            if not self._settle(frame.stamp_s):
                return  # received before a jump back that cleared the cache: stale
            self._frames.append(frame)
            self._added += 1
            self._frames.sort(key=lambda f: f.stamp_s)
            self._evict()
            self._changed.notify_all()

    def superseded(self, stamp_s: float) -> None:
        """A newer image replaced this one before it was encoded; commands wait for the newer."""
        with self._changed:
            self._settle(stamp_s)
            self._changed.notify_all()

    def failed(self, stamp_s: float, reason: str) -> None:
        """This image will never be encoded; commands waiting for it fall back to older frames."""
        with self._changed:
            self._encoded()
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
            return FrameRequest(self._newest_received_s, oldest_s, self._generation, self._added)

    def wait_for(self, request: FrameRequest, timeout_s: float) -> FrameAnswer:
        """The frame to answer on; waits only while a usable one may still come: up to timeout_s,
        and while one is being encoded, ENCODE_WAITS encode times longer (module docstring)."""
        start = self._clock()
        with self._changed:
            while True:
                answer = self._decide(request)
                if answer is not None:
                    answer.waited_s = self._clock() - start
                    return answer
                encoding = self._coming(request)
                limit = timeout_s + (ENCODE_WAITS * self._encode_estimate() if encoding else 0.0)
                waited = self._clock() - start
                if waited >= limit:
                    return FrameAnswer(None, self._failure_for(request), waited, encoding, self._newest_received_s)
                self._changed.wait(min(limit - waited, RECHECK_S))

    def encode_time_s(self) -> float:
        """The slowest of the last ENCODE_SAMPLES completed encodings (NaN before the first)."""
        with self._changed:
            return max(self._encode_times, default=math.nan)

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
        """Forget every frame and encode time (lifecycle cleanup: they belong to the unloaded models)."""
        with self._changed:
            self._clear_locked()
            self._encode_times.clear()

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
            return FrameAnswer(self._with_depth(newest, oldest))
        if newest is not None and newest.stamp_s >= oldest and self._added > request.encoded_before:
            return FrameAnswer(self._with_depth(newest, oldest))  # encoded since the command arrived
        if any(stamp >= wanted for stamp in self._in_flight):
            return None  # the wanted image (or a newer one) is still being encoded
        if newest is not None and newest.stamp_s >= oldest:
            return FrameAnswer(self._with_depth(newest, oldest))  # the wanted image was unusable: newest usable one
        failure = self._failure_for(request)
        return FrameAnswer(None, failure) if failure else None

    def _with_depth(self, frame: EncodedFrame, oldest_s: float) -> EncodedFrame:
        """``frame``, or when its depth never came, the newest frame within max_frame_age that has its depth."""
        if not frame.depth_missing:
            return frame
        paired = self._newest_with_depth()
        return paired if paired is not None and paired.stamp_s >= oldest_s else frame

    def _newest_with_depth(self) -> EncodedFrame | None:
        return next((f for f in reversed(self._frames) if not f.depth_missing), None)

    def _evict(self) -> None:
        """Down to capacity, oldest first, but the newest frame with its depth stays (capacity >= 2)
        while newer ones lack theirs: commands fall back to it."""
        while len(self._frames) > self.capacity:
            keep = self._newest_with_depth() if self.capacity > 1 else None
            self._frames.remove(next(f for f in self._frames if f is not keep))

    def _coming(self, request: FrameRequest) -> bool:
        """A frame this command can be answered on is received and not yet encoded."""
        stale = request.generation != self._generation
        usable_from = -math.inf if stale else max(request.wanted_s, request.oldest_s)
        return any(stamp >= usable_from for stamp in self._in_flight)

    def _encode_estimate(self) -> float:
        """Seconds one encoding takes: the slowest recent one, the one in progress included."""
        running = 0.0 if self._encode_started is None else self._clock() - self._encode_started
        return max(max(self._encode_times, default=0.0), min(running, MAX_ENCODE_ESTIMATE_S))

    def _encoded(self) -> None:
        if self._encode_started is not None:
            self._encode_times.append(self._clock() - self._encode_started)
            self._encode_started = None

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


def no_frame_message(answer: FrameAnswer, request: FrameRequest, max_frame_age: float, command_timeout: float,
                     asked: str = "command arrived") -> str:
    """Why a command got no frame: no camera, a stale camera, or an encoder that stopped keeping up."""
    text = (f"no frame stamped within max_frame_age={max_frame_age:.2f} s of the {asked} "
            f"within command_timeout={command_timeout:.2f} s")
    if answer.encoding:
        return (f"{text} + {ENCODE_WAITS} x the encode time: one was still being encoded after "
                f"{answer.waited_s:.1f} s (the encoder is stuck, or far slower than on earlier frames)")
    if answer.newest_received_s == -math.inf:
        return f"{text}: no image received (is the camera running, on the image topic, with a QoS matching image_qos?)"
    age = request.oldest_s + max_frame_age - answer.newest_received_s
    return f"{text}: the newest image is stamped {age:.2f} s before it (the camera stopped, or its clock is behind)"
