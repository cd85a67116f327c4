"""Follow mode in the node: "follow the red cup" keeps answering on every camera frame.

A thread of its own runs the core Follower (core/tracking) on every image the node receives,
so a track is moved at camera rate while the encoder thread takes seconds per frame. The
answer thread starts a track from a follow command's answer (on the frame it was answered on;
the follower catches up over the frames it kept since) and stops it on "stop" / "stop
following"; a new follow command replaces it. Whenever the encoder finishes a newer frame and a
re-grounding is due (``follow.reground_period``, or at once when the track's confidence drops
under ``follow.reground_below``), the track's expression is answered again on it and the track
is corrected from that answer.

Every followed frame is published on ``~/track`` (ZsrisResult, ``tracking`` true, the same
``track_id``), with the mask and centroids also on ``~/mask``, ``~/centroid_px``, ``~/centroid``
and ``~/markers``. The track ends with one last ``~/track`` message: status ``lost`` (with the
reason) or ``stopped``. Frames arriving faster than the follower handles them are dropped
oldest first, counted (``track_frames_dropped`` on /diagnostics), never silently.
"""

from __future__ import annotations

import collections
import itertools
import threading
import time
from dataclasses import dataclass

import numpy as np

from ..core import Result, Status
from ..core.config import FollowConfig
from ..core.tracking import Follower, TrackUpdate
from .frame_cache import EncodedFrame

FRAME_QUEUE = 8  # frames waiting for the follower (a quarter second at 30 fps)


@dataclass
class _Start:
    track_id: int
    frame: EncodedFrame
    mask: np.ndarray
    answer: object  # the ZsrisResult that started it: command, index, action, expression


@dataclass
class _Stop:
    reason: str


@dataclass
class _NewTimeline:
    reason: str


@dataclass
class Following:
    """What is being followed, as the answer thread sees it."""

    track_id: int
    expression: str
    answer: object


class FollowWorker:
    """Owns the Follower; only its own thread touches it."""

    def __init__(self, node, outputs):
        self._node = node
        self._outputs = outputs
        self._changed = threading.Condition()
        self._frames: collections.deque = collections.deque()  # (header, rgb, stamp_s)
        self._requests: collections.deque = collections.deque()
        self._headers: collections.OrderedDict[float, object] = collections.OrderedDict()
        self._follower: Follower | None = None
        self._ids = itertools.count(1)
        self._current: Following | None = None
        self._answers: dict[int, object] = {}  # track id -> the answer that started it, until it ends
        self._last_regrounded_s = float("-inf")
        self._last_confidence = float("nan")
        self.stats: collections.Counter = collections.Counter()
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="zsris-follow", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ other threads
    def configure(self, config: FollowConfig) -> None:
        with self._changed:
            self._follower = Follower(config)
            self._frames.clear()
            self._requests.clear()
            self._current = None
            self._answers.clear()

    def offer(self, header, rgb: np.ndarray, stamp_s: float) -> None:
        """Every received image (from the subscription callback: never blocks)."""
        with self._changed:
            if self._follower is None:
                return
            if len(self._frames) >= FRAME_QUEUE:
                self._frames.popleft()
                self.stats["track_frames_dropped" if self._current else "idle_frames_dropped"] += 1
            self._frames.append((header, rgb, stamp_s))
            self._changed.notify()

    def start(self, answer, result: Result, frame: EncodedFrame) -> int:
        """Follow the object of an answer; returns the new track's id (its updates follow)."""
        with self._changed:
            track_id = next(self._ids)
            self._current = Following(track_id, result.expression, answer)
            self._answers[track_id] = answer
            self._requests.append(_Start(track_id, frame, result.mask, answer))
            self._changed.notify()
        return track_id

    def new_timeline(self, reason: str) -> None:
        """Stamps jumped back (a looped bag, a sim time reset): frames of the old timeline must not
        be caught up on, so the kept frames go and a running track ends as lost."""
        with self._changed:
            self._frames.clear()
            self._requests.append(_NewTimeline(reason))
            self._changed.notify()

    def stop(self, reason: str) -> Following | None:
        """End the track (if any); returns what was being followed."""
        with self._changed:
            current, self._current = self._current, None
            if current is not None:
                self._requests.append(_Stop(reason))
                self._changed.notify()
        return current

    @property
    def current(self) -> Following | None:
        return self._current

    def health(self) -> dict[str, str]:
        current = self._current
        return {"following": f"track {current.track_id}: {current.expression}" if current else "none",
                "track_confidence": f"{self._last_confidence:.2f}",
                **{name: str(count) for name, count in sorted(self.stats.items())}}

    def close(self, timeout_s: float = 0.5) -> None:
        with self._changed:
            self._running = False
            self._changed.notify_all()
        self._thread.join(timeout=timeout_s)

    # ------------------------------------------------------------------ the follow thread
    def _loop(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._frames or self._requests or not self._running, timeout=0.5)
                if not self._running:
                    return
                requests, frame = list(self._requests), self._frames.popleft() if self._frames else None
                self._requests.clear()
                follower = self._follower
            if follower is None:
                continue
            try:
                for request in requests:
                    self._handle(follower, request)
                if frame is not None:
                    self._observe(follower, *frame)
                self._reground(follower)
            except Exception as error:  # noqa: BLE001 - a tracking failure must not stop the node
                self._node.problems.report(f"follow mode: {type(error).__name__}: {error}")
                self._end_after_error(follower, error)

    def _handle(self, follower: Follower, request) -> None:
        if isinstance(request, _NewTimeline):
            ended = follower.clear(time.monotonic(), f"{request.reason}: the track cannot be carried over")
            self._headers.clear()
            self._last_regrounded_s = float("-inf")
            if ended is not None:
                self._publish(ended, None)
            return
        if isinstance(request, _Stop):
            ended = follower.stop(time.monotonic(), request.reason)
            if ended is not None:
                self._publish(ended, None)
            return
        if follower.active:  # a new follow command replaces the running track
            replaced = follower.stop(request.frame.stamp_s, f"replaced by track {request.track_id}")
            self._publish(replaced, None)
        self._remember_header(request.frame.stamp_s, request.frame.header)
        updates = follower.start(request.frame.stamp_s, request.frame.image, request.mask,
                                 self._expression(request.answer), request.track_id)
        self._last_regrounded_s = request.frame.stamp_s
        self.stats["tracks_started"] += 1
        for update in updates:
            self._publish(update, self._headers.get(update.stamp))

    def _observe(self, follower: Follower, header, rgb: np.ndarray, stamp_s: float) -> None:
        self._remember_header(stamp_s, header)
        update = follower.observe(stamp_s, rgb)
        if update is not None:
            self._publish(update, header)

    def _reground(self, follower: Follower) -> None:
        """Answer the track's expression again on a newly encoded frame and correct the track."""
        node, current = self._node, self._current
        if current is None or not follower.active or not follower.reground_due(time.monotonic()):
            return
        newest = node.frames.newest()
        engine = node.engine
        if newest is None or engine is None or newest.stamp_s <= self._last_regrounded_s:
            return
        self._last_regrounded_s = newest.stamp_s
        with node.engine_lock:
            result = engine.query(newest.features, current.expression)
        mask = result.mask if result.status is Status.OK else None
        outcome = follower.correct(newest.stamp_s, newest.image, mask, time.monotonic())
        self.stats[f"reground_{outcome}"] += 1

    def _publish(self, update: TrackUpdate, header) -> None:
        with self._changed:
            answer = self._answers.get(update.track_id)
            if update.status != "ok":
                self._answers.pop(update.track_id, None)
                if self._current is not None and self._current.track_id == update.track_id:
                    self._current = None
        if answer is None:
            return
        if update.status == "ok":
            self.stats["track_frames"] += 1
            self._last_confidence = update.confidence
        else:
            self.stats[f"tracks_{update.status}"] += 1
            self._node.get_logger().info(f"track {update.track_id} {update.status}: {update.reason}")
        header = header if header is not None else self._headers.get(update.stamp) or answer.header
        self._outputs.track(update, header, update.stamp, answer)

    def _end_after_error(self, follower: Follower, error: Exception) -> None:
        ended = follower.stop(time.monotonic(), f"follow mode failed: {type(error).__name__}: {error}")
        if ended is not None:
            ended.status = "lost"
            self._publish(ended, None)

    def _remember_header(self, stamp_s: float, header) -> None:
        self._headers[stamp_s] = header
        limit = (self._follower.config.history_frames if self._follower else FRAME_QUEUE) + FRAME_QUEUE
        while len(self._headers) > limit:
            self._headers.popitem(last=False)

    @staticmethod
    def _expression(answer) -> str:
        return answer.expression
