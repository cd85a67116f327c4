"""Follow mode: one answer kept on the object across frames, corrected by re-grounding.

Data flow: every camera frame goes through :meth:`Follower.observe` (cheap: grey conversion,
optical flow, a colour check), which moves the object's shape by the flow's transform and keeps
its visible part. The full pipeline (proposals + CLIP + grounding, seconds on a CPU) answers the
same expression again on frames it finishes now and then; :meth:`Follower.correct` places that
answer on the frame it was computed for, compares it with where the track said the object was
then, and

- **confirms** it (same object: the track's shape is refined from the new mask),
- **keeps** the track when they disagree but the track is healthy (CLIP picking another object
  must not switch identities), until ``switch_after`` re-groundings in a row disagree, or
- **re-acquires** from the new answer when the track is weak or repeatedly contradicted
  (the flow is re-run from that frame over the kept frames, to the present).

A track ends as ``lost`` after ``lost_after_frames`` frames in a row without the object (left the
image, hidden, or no flow), with the reason; or when it is stopped. Frames are kept
(``history_frames``, grey only) so a track can start from an answer computed on an older frame and
catch up to the present, and so corrections land on the frame they belong to.
"""

from __future__ import annotations

import collections
import itertools
from dataclasses import dataclass, field

import numpy as np

from ..config import FollowConfig
from ..geometry import mask_box, mask_centroid
from .appearance import ColourModel
from .flow import FlowTracker, Motion, Region, crop, grow, place, to_grey

FLOW_SUPPORT_POINTS = 20  # agreeing points for full confidence in the flow
MIN_VISIBLE_PX = 12


@dataclass
class TrackUpdate:
    """The followed object on one frame."""

    track_id: int
    stamp: float
    status: str  # "ok" (object found), "lost" (track ended), "stopped"
    mask: np.ndarray | None = field(repr=False, default=None)  # (H, W) bool: its visible pixels
    box: tuple[int, int, int, int] | None = None
    centroid_px: tuple[float, float] | None = None
    confidence: float = 0.0  # [0, 1]: flow agreement x visible share x share in view
    source: str = "flow"  # "start", "flow", "confirmed", "kept", "reacquired"
    reason: str = ""
    expression: str = ""


@dataclass
class _Kept:
    """One past frame: its grey image, and where the track's shape was then (anchor -> frame)."""

    stamp: float
    grey: np.ndarray = field(repr=False)
    placement: np.ndarray | None = None  # 3x3 anchor->frame; None: no track on this frame
    track_id: int = -1


@dataclass
class _Track:
    track_id: int
    expression: str
    size: tuple[int, int]  # (H, W) of the frames
    anchor: Region = field(repr=False, default=None)  # the object's full shape on the anchor frame
    support: Region = field(repr=False, default=None)  # the shape grown: where features are looked for
    placement: np.ndarray = field(default_factory=lambda: np.eye(3))  # anchor -> current frame
    colours: ColourModel = field(default_factory=ColourModel)
    surround: ColourModel = field(default_factory=ColourModel)  # the table right around the object
    flow: FlowTracker | None = None
    bad_frames: int = 0
    disagreements: int = 0
    last_reground_s: float = float("-inf")
    confidence: float = 1.0
    last_source: str = "start"
    hidden: Region | None = field(repr=False, default=None)  # the shape's pixels hidden on the last frame
    seen: float = 1.0  # share of the shape visible on the last frame

    def set_anchor(self, mask: np.ndarray) -> None:
        self.anchor = crop(mask)
        self.support = grow(self.anchor)
        self.placement = np.eye(3)

    def ring(self) -> Region:
        """The support without the object: where the table around it is seen on the anchor frame."""
        support = place(self.support, np.eye(3), self.size)
        height, width = support.mask.shape
        inside = self.anchor.full(self.size)[support.y0:support.y0 + height, support.x0:support.x0 + width]
        return Region(support.x0, support.y0, support.mask & ~inside)

    def shape(self) -> Region:
        return place(self.anchor, self.placement, self.size)


class Follower:
    """Keeps at most one track (a new follow command replaces it); not thread-safe: one caller."""

    def __init__(self, config: FollowConfig | None = None):
        self.config = config or FollowConfig()
        self._frames: collections.deque[_Kept] = collections.deque(maxlen=self.config.history_frames)
        self._track: _Track | None = None
        self._ids = itertools.count(1)

    @property
    def active(self) -> bool:
        return self._track is not None

    @property
    def track_id(self) -> int:
        return self._track.track_id if self._track else 0

    @property
    def expression(self) -> str:
        return self._track.expression if self._track else ""

    # ------------------------------------------------------------------ frames
    def observe(self, stamp: float, rgb: np.ndarray) -> TrackUpdate | None:
        """Every camera frame, in order; the track's update for it, or None without a track."""
        grey = to_grey(rgb)
        track = self._track
        if track is not None and grey.shape != track.size:
            self._frames.append(_Kept(stamp, grey))
            return self._end("lost", stamp, "the image size changed: the object's shape cannot be carried over")
        if track is None:
            self._frames.append(_Kept(stamp, grey))
            return None
        update = self._advance(track, stamp, rgb, grey)
        self._frames.append(_Kept(stamp, grey, track.placement.copy(), track.track_id))
        return update

    def start(self, stamp: float, rgb: np.ndarray, mask: np.ndarray, expression: str,
              track_id: int | None = None) -> list[TrackUpdate]:
        """A new track from an answer on the frame ``stamp`` (``rgb``: that frame); replaces any
        track. Returns its updates on that frame and on every kept frame after it, in order (the
        kept frames are grey: their updates carry the whole moved shape). ``track_id``: the
        caller's numbering (else 1, 2, ...)."""
        if not mask.any():
            raise ValueError("a track needs a non-empty mask to start from")
        self._track = _Track(track_id if track_id is not None else next(self._ids), expression, mask.shape)
        return self._replay(self._track, stamp, rgb, mask, source="start")

    def stop(self, stamp: float, reason: str = "stopped by a command") -> TrackUpdate | None:
        return self._end("stopped", stamp, reason) if self._track else None

    def clear(self, stamp: float, reason: str) -> TrackUpdate | None:
        """Forget every kept frame (a new timeline: stamps jumped back); a running track is lost."""
        self._frames.clear()
        return self._end("lost", stamp, reason) if self._track else None

    # ------------------------------------------------------------------ re-grounding
    def reground_due(self, now_s: float) -> bool:
        track = self._track
        return track is not None and (now_s - track.last_reground_s >= self.config.reground_period
                                      or track.confidence < self.config.reground_below)

    def correct(self, stamp: float, rgb: np.ndarray, mask: np.ndarray | None, now_s: float) -> str:
        """A re-grounded answer for the frame ``stamp``: 'confirmed', 'kept', 'reacquired' or
        'ignored' (no track then, or that frame is no longer kept); see the module docstring."""
        track = self._track
        if track is None:
            return "ignored"
        track.last_reground_s = now_s
        then = next((kept for kept in self._frames if kept.stamp == stamp), None)
        if mask is None or not mask.any() or then is None or then.track_id != track.track_id:
            return "ignored"
        predicted = place(track.anchor, then.placement, track.size).full(track.size)
        if _overlap(predicted, mask) >= self.config.agree_overlap:
            track.disagreements = 0
            if mask.sum() >= 0.8 * predicted.sum():  # a whole view of the object: refine the shape
                self._reanchor(track, then, mask, rgb)
            track.last_source = "confirmed"
            return "confirmed"
        track.disagreements += 1
        weak = track.confidence < self.config.reground_below or track.bad_frames > 0
        if not weak and track.disagreements < self.config.switch_after:
            track.last_source = "kept"
            return "kept"
        track.disagreements = 0
        self._replay(track, stamp, rgb, mask, source="reacquired", publish=False)
        track.last_source = "reacquired"
        return "reacquired"

    # ------------------------------------------------------------------ internals
    def _advance(self, track: _Track, stamp: float, rgb: np.ndarray, grey: np.ndarray) -> TrackUpdate:
        motion = track.flow.step(grey, self._support(track), trust_jumps=track.seen >= 0.5)
        if motion.affine is not None:
            track.placement = motion.affine @ track.placement
        return self._measure(track, stamp, rgb, motion)

    def _measure(self, track: _Track, stamp: float, rgb: np.ndarray, motion: Motion | None,
                 source: str | None = None) -> TrackUpdate:
        shape = track.shape()
        shape_px = int(shape.mask.sum())
        expected = track.anchor.mask.sum() * abs(np.linalg.det(track.placement[:2, :2]))
        in_view = min(1.0, shape_px / expected) if expected > 0 else 0.0
        visible = track.colours.visible(rgb, shape)
        visible_px = int(visible.mask.sum())
        track.seen = seen = min(1.0, visible_px / max(shape_px, 1))
        flow = 1.0 if motion is None else _flow_quality(motion)
        track.confidence = float(flow * in_view * min(1.0, 2.0 * seen))
        found = visible_px >= MIN_VISIBLE_PX and track.confidence >= self.config.lost_below
        track.bad_frames = 0 if found else track.bad_frames + 1
        track.hidden = Region(shape.x0, shape.y0, shape.mask & ~visible.mask)
        if found:
            track.colours.adapt(rgb, visible)
        self._drop_covered_points(track, rgb, shape, visible)
        if track.bad_frames >= self.config.lost_after_frames:
            return self._end("lost", stamp, self._why_lost(in_view, seen, flow))
        mask = visible.full(track.size)
        update = TrackUpdate(track.track_id, stamp, "ok", mask, mask_box(mask), mask_centroid(mask),
                             track.confidence, source or track.last_source, expression=track.expression)
        if not found:
            update.reason = (f"object not seen for {track.bad_frames} frame(s) (confidence {track.confidence:.2f}); "
                             f"lost after {self.config.lost_after_frames}")
        track.last_source = "flow"
        return update

    def _replay(self, track: _Track, stamp: float, rgb: np.ndarray, mask: np.ndarray, source: str,
                publish: bool = True) -> list[TrackUpdate]:
        """Anchor the track on frame ``stamp`` and run the flow over the kept frames after it."""
        grey = to_grey(rgb)
        track.set_anchor(mask)
        track.colours.fit(rgb, track.anchor)
        track.surround.fit(rgb, track.ring())
        track.flow = FlowTracker(self.config.max_points)
        track.flow.reset(grey, self._support(track))
        track.bad_frames, track.hidden, track.seen = 0, None, 1.0
        updates = [self._measure(track, stamp, rgb, None, source)] if publish else []
        for kept in [kept for kept in self._frames if kept.stamp > stamp and kept.grey.shape == grey.shape]:
            motion = track.flow.step(kept.grey, self._support(track))
            if motion.affine is not None:
                track.placement = motion.affine @ track.placement
            track.confidence = _flow_quality(motion)
            kept.placement, kept.track_id = track.placement.copy(), track.track_id
            if publish:  # only the grey image is kept: the whole shape, without the colour check
                shape = track.shape().full(track.size)
                updates.append(TrackUpdate(track.track_id, kept.stamp, "ok", shape, mask_box(shape),
                                           mask_centroid(shape), track.confidence, source,
                                           expression=track.expression))
        return updates

    @staticmethod
    def _drop_covered_points(track: _Track, rgb: np.ndarray, shape: Region, visible: Region) -> None:
        """Points now on something that is neither the object (inside its shape) nor the table around
        it (outside) sit on an occluder: an arm sliding over the object would drag them along."""
        points = track.flow.points
        if len(points) == 0:
            return
        height, width = rgb.shape[:2]
        xy = np.clip(np.rint(points.reshape(-1, 2)).astype(int), 0, [width - 1, height - 1])
        rows, cols = xy[:, 1] - shape.y0, xy[:, 0] - shape.x0
        box_h, box_w = shape.mask.shape
        in_box = (rows >= 0) & (rows < box_h) & (cols >= 0) & (cols < box_w)
        inside = np.zeros(len(xy), bool)
        inside[in_box] = shape.mask[rows[in_box], cols[in_box]]
        keep = np.empty(len(xy), bool)
        keep[inside] = visible.mask[rows[inside], cols[inside]]
        outside = ~inside
        keep[outside] = track.surround.matches(rgb[xy[outside, 1], xy[outside, 0]])
        track.flow.points = points[keep]

    @staticmethod
    def _support(track: _Track) -> Region:
        """Where new features may be found: around the shape, but not on what hides part of it."""
        support = place(track.support, track.placement, track.size)
        hidden = track.hidden
        if hidden is not None and hidden.mask.any():
            full = support.full(track.size)
            full &= ~hidden.full(track.size)
            height, width = support.mask.shape
            support = Region(support.x0, support.y0, full[support.y0:support.y0 + height,
                                                          support.x0:support.x0 + width])
        return support

    def _reanchor(self, track: _Track, then: _Kept, mask: np.ndarray, rgb: np.ndarray) -> None:
        """The re-grounded mask on frame ``then`` becomes the shape; the placement carries it to now."""
        to_now = track.placement @ np.linalg.inv(then.placement)
        back = np.linalg.inv(then.placement)
        for kept in self._frames:
            if kept.track_id != track.track_id or kept.placement is None:
                continue
            if kept.stamp >= then.stamp:
                kept.placement = kept.placement @ back
            else:  # placed relative to the old shape: no longer comparable
                kept.placement, kept.track_id = None, -1
        track.set_anchor(mask)
        track.colours.fit(rgb, track.anchor, weight=0.5)
        track.surround.fit(rgb, track.ring(), weight=0.5)
        track.placement = to_now

    def _end(self, status: str, stamp: float, reason: str) -> TrackUpdate:
        track = self._track
        self._track = None
        return TrackUpdate(track.track_id if track else 0, stamp, status, reason=reason,
                           expression=track.expression if track else "")

    def _why_lost(self, in_view: float, seen: float, flow: float) -> str:
        frames = self.config.lost_after_frames
        if in_view < 0.3:
            return f"the object left the image ({in_view:.0%} of it in view) for {frames} frames"
        if seen < 0.15:
            return f"the object was hidden ({seen:.0%} of it visible) for {frames} frames"
        return f"the optical flow could not follow the object (agreement {flow:.2f}) for {frames} frames"


def _flow_quality(motion: Motion) -> float:
    """1 when enough points agree on the motion; 0 without an estimate; low while coasting."""
    if motion.affine is None:
        return 0.0
    if motion.coasting:
        return 0.3
    return float(min(1.0, motion.inliers / FLOW_SUPPORT_POINTS) * motion.inlier_ratio)


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over the smaller area: a partly hidden view of the same object still agrees."""
    smaller = min(int(a.sum()), int(b.sum()))
    return float((a & b).sum()) / smaller if smaller else 0.0
