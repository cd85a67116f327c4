"""Follow mode in the node: "follow the red cup" keeps answering on every camera frame.

A thread of its own runs the core Follower (core/tracking) on every image the node receives,
so a track is moved at camera rate while the encoder thread takes seconds per frame. The
answer thread starts a track from a follow command's answer (on the frame it was answered on;
the follower answers the frames kept since the command backwards from it and catches up to the
present) and stops it on "stop" / "stop following"; a new follow command replaces it. Whenever
the encoder finishes a newer frame and a re-grounding is due (``follow.reground_period``, at
once when the track's confidence drops under ``follow.reground_below``, and on every encoded frame
while a first answer awaits confirmation or a lost object is searched for), the track's expression
is answered again on it and the track is corrected, confirmed or found again from that answer.

Every followed frame is published on ``~/track`` (ZsrisResult, ``tracking`` true, the same
``track_id``), with the 3D centroid when depth is in use (the update waits, up to
``DEPTH_WAIT_S``, until the depth frame of its stamp is known), and with the centroids also on
``~/centroid_px`` and ``~/centroid``. The track ends with one last ``~/track`` message:
``stopped``, or ``lost`` (with the reason) once a lost object was not found again within
``follow.search_seconds``.

Work shed under load, in this order, and counted on /diagnostics (never silently):

1. ``~/mask`` and ``~/markers`` are published for the newest frame waiting only
   (``plain_outputs_skipped``); ``~/track``, ``~/centroid_px`` and ``~/centroid`` carry every frame;
2. frames that waited while the follower was busy are answered with their share of the motion the
   flow measures to the newest of them, not a flow step each (``track_frames_interpolated``,
   ``track_source`` "interpolated");
3. beyond ``FRAME_QUEUE`` frames waiting (two seconds), the oldest are dropped (``track_frames_dropped``).
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import threading
import time
from dataclasses import dataclass

import numpy as np
from rclpy.duration import Duration
from std_msgs.msg import Header

from ..core import Result, Status
from ..core.config import FollowConfig
from ..core.tracking import Follower, Grounding, TrackUpdate
from ..core.tracking.track import HOLD_LIMIT
from .frame_cache import EncodedFrame

FRAME_QUEUE = 60  # frames waiting for the follower (two seconds at 30 fps: a long catch-up); beyond, the oldest go
MAX_SPAN = 6  # frames answered by one flow step at most when the follower fell behind
BURST = 10  # ~/track messages published at once before waiting for the readers' acknowledgements
BURST_ACK_WAIT_S = 2.0  # longest wait for them: a reader that does not acknowledge is waited for no longer
COST_WINDOW = 300  # frames (and messages) the cost percentiles on /diagnostics are taken over
REGROUND_POLL_S = 0.02  # how often the re-grounding thread looks for a newly encoded frame
DEPTH_WAIT_S = 1.0  # longest wait of an update for its frame's depth (then published without 3D), as the encoder's


@dataclass
class _Start:
    track_id: int
    frame: EncodedFrame
    mask: np.ndarray
    answer: object  # the ZsrisResult that started it: command, index, action, expression
    since_s: float | None  # the command's frame: answered from there on
    margin: float  # the first answer's lead over the next candidate


@dataclass
class _Stop:
    reason: str


@dataclass
class _Regrounded:
    track_id: int
    frame: EncodedFrame
    grounding: Grounding


@dataclass
class _NewTimeline:
    reason: str


@dataclass
class Following:
    """What is being followed, as the answer thread sees it."""

    track_id: int
    expression: str
    answer: object


@dataclass
class _Outgoing:
    update: TrackUpdate
    header: object
    answer: object  # the ZsrisResult that started the track
    newest: bool  # the newest frame waiting: the plain image outputs go with it
    since: float  # monotonic time it was made (the depth wait)


class FollowWorker:
    """Owns the Follower; only its own thread touches it."""

    def __init__(self, node, outputs):
        self._node = node
        self._outputs = outputs
        self._changed = threading.Condition()
        self._frames: collections.deque = collections.deque()  # (header, rgb, stamp_s)
        self._requests: collections.deque = collections.deque()
        self._headers: collections.OrderedDict[float, object] = collections.OrderedDict()
        self._outbox: collections.deque[_Outgoing] = collections.deque()  # updates waiting to be published
        self._out_changed = threading.Condition()  # guards the outbox
        self._follower: Follower | None = None
        self._ids = itertools.count(1)
        self._current: Following | None = None
        self._answers: dict[int, object] = {}  # track id -> the answer that started it, until it ends
        self._last_regrounded_s = float("-inf")
        self._last_confidence = float("nan")
        self._wants_frames = False  # the follower wants every newly encoded frame (tentative, searching)
        self._reground_wanted = False  # the follower wants the next newly encoded frame re-grounded
        self._held: list[float] = []  # frames of follow commands waiting for their answer: kept from there on
        self.stats: collections.Counter = collections.Counter()
        # CPU time (its thread's) per camera frame in the follower and per ~/track message published: the
        # follower stage's cost in the node, on /diagnostics as p95 of the last COST_WINDOW
        self._costs = {name: collections.deque(maxlen=COST_WINDOW) for name in ("frame", "publish")}
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="zsris-follow", daemon=True)
        self._publisher = threading.Thread(target=self._publish_loop, name="zsris-follow-publish", daemon=True)
        self._regrounder = threading.Thread(target=self._reground_loop, name="zsris-follow-reground", daemon=True)
        for thread in (self._thread, self._publisher, self._regrounder):
            thread.start()

    # ------------------------------------------------------------------ other threads
    def configure(self, config: FollowConfig) -> None:
        with self._changed:
            self._follower = Follower(config)
            self._frames.clear()
            self._requests.clear()
            self._current = None
            self._answers.clear()
        self._node.depth.keep(config.history_frames + FRAME_QUEUE)  # catch-up frames get their 3D too

    def offer(self, header, rgb: np.ndarray, stamp_s: float) -> None:
        """Every received image (from the subscription callback: never blocks)."""
        with self._changed:
            if self._follower is None:
                return
            if len(self._frames) >= FRAME_QUEUE:
                self._frames.popleft()  # a frame a track or a waiting follow command wanted: counted as such
                self.stats["track_frames_dropped" if self._current or self._held else "idle_frames_dropped"] += 1
            self._frames.append((header, rgb, stamp_s))
            self._changed.notify()

    def start(self, answer, result: Result, frame: EncodedFrame, since_s: float | None = None) -> int:
        """Follow the object of an answer; returns the new track's id (its updates follow).
        ``since_s``: the stamp of the command's frame (the newest received when it arrived): the
        frames from there on are answered too. An uncertain answer says so in ``answer.message``."""
        follower = self._follower
        margin = float(result.margin)
        if follower is not None and margin < follower.config.confirm_margin:
            answer.message = _join(answer.message, (
                f"uncertain: the answer leads the next candidate by {margin:.3f} (follow.confirm_margin="
                f"{follower.config.confirm_margin:g}); it is followed and confirmed on the next encoded frame"))
        with self._changed:
            track_id = next(self._ids)
            self._current = Following(track_id, result.expression, answer)
            self._answers[track_id] = answer
            self._wants_frames = True  # until the follow thread knows better
            since = since_s if since_s is not None and np.isfinite(since_s) else None
            self._requests.append(_Start(track_id, frame, result.mask, answer, since, margin))
            self._changed.notify()
        return track_id

    @contextlib.contextmanager
    def frames_kept_for(self, command: str, since_s: float, follow: bool = False):
        """While a follow command (or ``follow``) waits for its frame and answer, every frame from its
        command's frame (``since_s``) on is kept, so its track answers them all however long the
        encoder takes (core/tracking/track.py HOLD_LIMIT at most)."""
        engine = self._node.engine
        held = np.isfinite(since_s) and (follow or (engine is not None and _is_follow(engine, command)))
        if held:
            with self._changed:
                self._held.append(since_s)
        try:
            yield
        finally:
            if held:
                with self._changed:
                    self._held.remove(since_s)

    def new_timeline(self, reason: str) -> None:
        """Stamps jumped back (a looped bag, a sim time reset): frames of the old timeline must not
        be caught up on, so the kept frames go and a running track ends as lost."""
        with self._changed:
            self._frames.clear()
            self._requests.append(_NewTimeline(reason))
            self._changed.notify()

    def stop(self, reason: str) -> Following | None:
        """End the track (if any, also while its object is searched for); returns what was followed."""
        with self._changed:
            current, self._current = self._current, None
            if current is not None:
                self._requests.append(_Stop(reason))
                self._changed.notify()
        return current

    @property
    def current(self) -> Following | None:
        return self._current

    def wants_every_frame_encoded(self) -> bool:
        """Nothing followed (commands want fresh frames), a first answer to confirm or a lost object
        to look for: the encoder encodes every newest frame, not one per reground_period."""
        return self._current is None or self._wants_frames

    def health(self) -> dict[str, str]:
        current, follower = self._current, self._follower
        state = " (searching)" if follower is not None and follower.searching else ""
        costs = {f"follow_{name}_cpu_ms_p95": f"{np.percentile(list(values), 95):.1f}"
                 for name, values in self._costs.items() if values}
        return {"following": f"track {current.track_id}: {current.expression}{state}" if current else "none",
                "track_confidence": f"{self._last_confidence:.2f}", **costs,
                **{name: str(count) for name, count in sorted(self.stats.items())}}

    def close(self, timeout_s: float = 0.5) -> None:
        with self._changed:
            self._running = False
            self._changed.notify_all()
        with self._out_changed:
            self._out_changed.notify_all()
        for thread in (self._thread, self._publisher, self._regrounder):
            thread.join(timeout=timeout_s)

    # ------------------------------------------------------------------ the follow thread
    def _loop(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._frames or self._requests or not self._running, timeout=0.5)
                if not self._running:
                    return
                requests, frames = list(self._requests), list(self._frames)
                self._requests.clear()
                self._frames.clear()
                follower = self._follower
                held = min(self._held, default=None)
            if follower is None:
                continue
            follower.hold(held)
            try:
                for request in requests:
                    self._handle(follower, request)
                for first in range(0, len(frames), MAX_SPAN):
                    self._observe(follower, frames[first:first + MAX_SPAN], newest=first + MAX_SPAN >= len(frames))
                self._wants_frames = follower.searching or follower.tentative
                self._reground_wanted = follower.reground_due(time.monotonic())
            except Exception as error:  # noqa: BLE001 - a tracking failure must not stop the node
                self._node.problems.report(f"follow mode: {type(error).__name__}: {error}")
                self._end_after_error(follower, error)

    def _handle(self, follower: Follower, request) -> None:
        if isinstance(request, _NewTimeline):
            ended = follower.clear(time.monotonic(), f"{request.reason}: the track cannot be carried over")
            self._headers.clear()
            self._last_regrounded_s = float("-inf")
            if ended is not None:
                self._send(ended, None)
            return
        if isinstance(request, _Regrounded):
            self._apply(follower, request)
            return
        if isinstance(request, _Stop):
            ended = follower.stop(time.monotonic(), request.reason)
            if ended is not None:
                self._send(ended, None)
            return
        if follower.active or follower.searching:  # a new follow command replaces the running track
            replaced = follower.stop(request.frame.stamp_s, f"replaced by track {request.track_id}")
            self._send(replaced, None)
        self._remember_header(request.frame.stamp_s, request.frame.header)
        updates = follower.start(request.frame.stamp_s, request.frame.image, request.mask,
                                 self._expression(request.answer), request.track_id, since=request.since_s,
                                 margin=request.margin)
        self._last_regrounded_s = request.frame.stamp_s
        self.stats["tracks_started"] += 1
        self.stats["track_frames_caught_up"] += len(updates) - 1
        behind = sum(update.stamp < request.frame.stamp_s for update in updates)
        self._node.get_logger().info(
            f"track {request.track_id} started on the frame stamped {request.frame.stamp_s:.3f}: answered "
            f"{behind} frame(s) before it (from the command's, {request.since_s or float('nan'):.3f}) and "
            f"{len(updates) - behind - 1} after it")
        for update in updates:
            self._send(update, self._headers.get(update.stamp))

    def _observe(self, follower: Follower, frames: list, newest: bool) -> None:
        """Frames in arrival order; more than one: the follower fell behind (module docstring)."""
        for header, _, stamp_s in frames:
            self._remember_header(stamp_s, header)
        began = time.thread_time()
        updates = follower.observe_many([(stamp_s, rgb) for _, rgb, stamp_s in frames])
        self._costs["frame"].append((time.thread_time() - began) * 1000.0 / len(frames))
        self.stats["track_frames_interpolated"] += sum(update.source == "interpolated" for update in updates)
        for update in updates:
            self._send(update, self._headers.get(update.stamp), newest=newest and update is updates[-1])

    def _apply(self, follower: Follower, request: _Regrounded) -> None:
        """A re-grounded answer corrects the track (or, while its object is searched for, is looked
        through for it)."""
        frame, grounding = request.frame, request.grounding
        if request.track_id != follower.track_id:
            return  # the track it was for has ended
        if follower.searching:
            found = follower.reacquire(frame.stamp_s, frame.image, grounding, time.monotonic())
            self.stats["search_regroundings"] += 1
            for update in found:
                self._send(update, self._headers.get(update.stamp) or frame.header)
            return
        outcome = follower.correct(frame.stamp_s, frame.image, grounding, time.monotonic())
        self.stats[f"reground_{outcome}"] += 1

    # ------------------------------------------------------------------ the re-grounding thread
    def _reground_loop(self) -> None:
        """Answers the track's expression again on each newly encoded frame the follower wants one
        for, apart from the follow thread (a query takes tens of milliseconds, more on a busy
        machine: camera frames must not wait behind it); the answer goes to the follow thread."""
        while self._running:
            with self._changed:
                self._changed.wait_for(lambda: not self._running, timeout=REGROUND_POLL_S)
                current, wanted = self._current, self._reground_wanted
            node = self._node
            newest, engine = node.frames.newest(), node.engine
            if (current is None or not wanted or newest is None or engine is None
                    or newest.stamp_s <= self._last_regrounded_s):
                continue
            self._last_regrounded_s = newest.stamp_s
            try:
                with node.engine_lock:
                    result = engine.query(newest.features, current.expression)
            except Exception as error:  # noqa: BLE001 - a failed re-grounding only skips that frame
                self._node.problems.report(f"follow mode, re-grounding: {type(error).__name__}: {error}")
                continue
            ok = result.status is Status.OK
            grounding = Grounding(result.mask if ok else None, float(result.margin), newest.features.masks,
                                  np.asarray(result.scores, dtype=np.float64) if result.scores else None)
            with self._changed:
                self._requests.append(_Regrounded(current.track_id, newest, grounding))
                self._changed.notify()

    def _send(self, update: TrackUpdate, header, newest: bool = True) -> None:
        """Counted and queued for publishing (once its frame's depth is known)."""
        with self._changed:
            answer = self._answers.get(update.track_id)
            if not update.found and not update.searching:
                self._answers.pop(update.track_id, None)
                if self._current is not None and self._current.track_id == update.track_id:
                    self._current = None
        if answer is None:
            return
        if update.found:
            self.stats["track_frames"] += 1
            self._last_confidence = update.confidence
            if update.status == "reacquired":
                self.stats["tracks_reacquired"] += 1
                self._node.get_logger().info(f"track {update.track_id} reacquired: {update.reason}")
        elif update.status == "searching":
            self.stats["search_frames"] += 1
        else:
            self.stats[f"tracks_{update.status}" + ("_then_searched" if update.searching else "")] += 1
            self._node.get_logger().info(f"track {update.track_id} {update.status}: {update.reason}")
        header = header if header is not None else self._headers.get(update.stamp) or _header(update.stamp, answer)
        with self._out_changed:
            self._outbox.append(_Outgoing(update, header, answer, newest, time.monotonic()))
            self._out_changed.notify()

    # ------------------------------------------------------------------ the publishing thread
    def _publish_loop(self) -> None:
        """Publishes the updates in order, apart from the follow thread: an update waiting for its
        frame's depth, or a catch-up waiting for a slow reader's acknowledgements, never holds up
        the tracking of the frames arriving meanwhile."""
        while self._running:
            with self._out_changed:
                self._out_changed.wait_for(lambda: self._outbox or not self._running, timeout=0.5)
            try:
                self._flush()
            except Exception as error:  # noqa: BLE001 - publishing must not stop (the context may be shutting down)
                self._node.problems.report(f"follow mode, publishing: {type(error).__name__}: {error}")

    def _flush(self) -> None:
        """Publish the updates whose frame's depth is known (all of them without depth), in order."""
        depth = self._node.depth
        published = 0
        while self._running:
            with self._out_changed:
                if not self._outbox:
                    return
                out = self._outbox[0]
                waiting = time.monotonic() - out.since < DEPTH_WAIT_S
                if out.update.found and waiting and not depth.settled(out.update.stamp):
                    self._out_changed.wait(0.01)  # its depth frame is on its way
                    continue
                self._outbox.popleft()
                full = out.newest and not any(later.update.found for later in self._outbox)
                more = bool(self._outbox)
            if not full and out.update.found:
                self.stats["plain_outputs_skipped"] += 1
            began = time.thread_time()
            self._outputs.track(out.update, out.header, out.update.stamp, out.answer, full=full)
            self._costs["publish"].append((time.thread_time() - began) * 1000.0)
            published += 1
            burst = published % BURST == 0 and more  # a catch-up: let reliable readers take it in
            if burst and not self._outputs.track_pub.wait_for_all_acked(Duration(seconds=BURST_ACK_WAIT_S)):
                self.stats["track_burst_ack_timeouts"] += 1

    def _end_after_error(self, follower: Follower, error: Exception) -> None:
        ended = follower.stop(time.monotonic(), f"follow mode failed: {type(error).__name__}: {error}")
        if ended is not None:
            ended.status = "lost"
            self._send(ended, None)

    def _remember_header(self, stamp_s: float, header) -> None:
        self._headers[stamp_s] = header
        limit = max(self._follower.config.history_frames if self._follower else 0, HOLD_LIMIT) + FRAME_QUEUE
        while len(self._headers) > limit:
            self._headers.popitem(last=False)

    @staticmethod
    def _expression(answer) -> str:
        return answer.expression


def _header(stamp_s: float, answer) -> Header:
    """A header for a frame whose own is no longer kept: its stamp, the answer's frame id."""
    header = Header(frame_id=answer.header.frame_id)
    header.stamp.sec, header.stamp.nanosec = divmod(int(round(stamp_s * 1e9)), 1_000_000_000)
    return header


def _is_follow(engine, command: str) -> bool:
    """The command starts a track (the parse is cached: the answer does not parse it again)."""
    try:
        return engine.command_parser.parse(command).action == "follow"
    except Exception:  # noqa: BLE001 - a command the parser cannot read is answered with its error
        return False


def _join(message: str, more: str) -> str:
    return f"{message}; {more}" if message else more
