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

A first answer that leads the next candidate by less than ``confirm_margin`` starts a
*tentative* track: the next re-grounding confirms it, or moves it to another object when that
object leads over both frames together (identity.py), and the updates say which.

A track is ``lost`` after ``lost_after_frames`` frames in a row without the object (left the
image, hidden, or no flow), with the reason; it is then *searched for* during ``search_seconds``
(frame stamps): its shape keeps moving with the view; on each camera frame where that place is back
in view the object's colours are looked for around it (cv2.meanShift, shapes.py), and
:meth:`Follower.reacquire` looks for it among each re-grounding's best proposals, where it must be
and with its colours (identity.py).
Found, the same track resumes with status ``reacquired`` on that frame; else it ends ``lost``
for good. Frames are kept (``history_frames``, grey only) so a track can start from an answer
computed on an older frame, answer the frames back to its command's and catch up to the present,
and so corrections land on the frame they belong to.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..config import FollowConfig
from .flow import FlowTracker, Motion, Region, fraction, place, to_grey
from .identity import LOOKS_LIKE_SHARE, Grounding, looks_like, near, overlap, returning
from .shapes import back_in_view, carry, drop_covered_points, flow_quality, nearby, seen_at, support
from .track import MIN_VISIBLE_PX, History, KeptFrame, Search, Track, TrackUpdate

WHOLE_VIEW = 0.8  # a re-grounded mask this share of the predicted shape is a whole view: it refines the shape


class Follower:
    """Keeps at most one track (a new follow command replaces it); not thread-safe: one caller."""

    def __init__(self, config: FollowConfig | None = None):
        self.config = config or FollowConfig()
        self._frames = History(self.config.history_frames)
        self._track: Track | None = None
        self._search: Search | None = None
        self._notice = ""  # a re-acquisition the expression did not confirm: said on the next frame
        self._ids = itertools.count(1)

    @property
    def active(self) -> bool:
        """A track runs: every frame gets an update."""
        return self._track is not None

    @property
    def searching(self) -> bool:
        """The track was lost and its object is looked for on re-grounded frames."""
        return self._search is not None

    @property
    def track_id(self) -> int:
        track = self._track or (self._search.track if self._search else None)
        return track.track_id if track else 0

    @property
    def expression(self) -> str:
        track = self._track or (self._search.track if self._search else None)
        return track.expression if track else ""

    @property
    def tentative(self) -> bool:
        return self._track is not None and self._track.tentative

    def hold(self, since: float | None) -> None:
        """Keep every frame from ``since`` on (a follow command's frame, until its answer starts the
        track; track.HOLD_LIMIT at most); None: back to the newest ``history_frames``."""
        self._frames.held_from = since

    # ------------------------------------------------------------------ frames
    def observe(self, stamp: float, rgb: np.ndarray) -> TrackUpdate | None:
        """Every camera frame, in order; the track's update for it ('searching' while a lost object
        is looked for), or None without a track."""
        grey = to_grey(rgb)
        if self._search is not None:
            update = self._look_on(stamp, rgb, grey)
            if update.status == "searching":
                update.reason, self._notice = _join(self._notice, update.reason), ""
            return update
        track = self._track
        if track is not None and grey.shape != track.size:
            self._frames.append(KeptFrame(stamp, grey))
            return self._end("lost", stamp, "the image size changed: the object's shape cannot be carried over")
        if track is None:
            self._frames.append(KeptFrame(stamp, grey))
            return None
        update = self._advance(track, stamp, rgb, grey)
        self._frames.append(KeptFrame(stamp, grey, track.placement.copy(), track.track_id))
        return update

    def observe_many(self, frames: list[tuple[float, np.ndarray]]) -> list[TrackUpdate]:
        """Several camera frames at once, in order (the caller fell behind): the flow measures the
        motion from the last frame handled to the newest of them only, and each frame between is
        answered with its share of that motion by stamp (source 'interpolated': the whole moved
        shape, without the colour check). One flow step instead of several: this is how a busy
        follower keeps answering every frame. Without a running track each frame is observed."""
        track = self._track
        if len(frames) == 1 or track is None or not self._frames or any(
                rgb.shape[:2] != track.size for _, rgb in frames):
            return [update for stamp, rgb in frames if (update := self.observe(stamp, rgb)) is not None]
        *between, (stamp, rgb) = frames
        before, previous = track.placement.copy(), self._frames[-1].stamp
        greys = [to_grey(image) for _, image in between]
        grey = to_grey(rgb)
        motion = self._move(track, rgb, grey, len(frames))
        moved = track.placement @ np.linalg.inv(before)
        updates = []
        for (when, _), grey_between in zip(between, greys, strict=True):
            share = (when - previous) / (stamp - previous) if stamp > previous else 0.5
            placement = fraction(moved, min(max(share, 0.0), 1.0)) @ before
            self._frames.append(KeptFrame(when, grey_between, placement, track.track_id))
            updates.append(track.update(when, "ok", track.shape(placement), track.confidence, "interpolated"))
        last = self._measure(track, stamp, rgb, motion)
        self._frames.append(KeptFrame(stamp, grey, track.placement.copy(), track.track_id))
        return updates + [last]

    def start(self, stamp: float, rgb: np.ndarray, mask: np.ndarray, expression: str,
              track_id: int | None = None, since: float | None = None,
              margin: float = float("inf")) -> list[TrackUpdate]:
        """A new track from an answer on the frame ``stamp`` (``rgb``: that frame); replaces any
        track. Returns its updates, in order: on every kept frame from ``since`` (the command's
        frame; the flow runs backwards from the answer's frame), on that frame, and on every kept
        frame after it (the kept frames are grey: their updates carry the whole moved shape).
        ``margin``: the answer's lead over the next candidate (under ``confirm_margin``: tentative).
        ``track_id``: the caller's numbering (else 1, 2, ...)."""
        if not mask.any():
            raise ValueError("a track needs a non-empty mask to start from")
        self._search = None
        track = Track(track_id if track_id is not None else next(self._ids), expression, mask.shape)
        track.lead = margin
        track.tentative = margin < self.config.confirm_margin
        self._track = track
        updates = self._replay(track, stamp, rgb, mask, source="start")
        updates = self._replay_back(track, stamp, rgb, since) + updates
        if track.tentative:  # said on the first update published
            updates[0].reason = _join(f"uncertain first answer (it leads the next candidate by {margin:.3f} < "
                                      f"follow.confirm_margin={self.config.confirm_margin:g}): followed, to be "
                                      "confirmed on the next encoded frame", updates[0].reason)
        return updates

    def stop(self, stamp: float, reason: str = "stopped by a command") -> TrackUpdate | None:
        return self._end("stopped", stamp, reason) if self.active or self.searching else None

    def clear(self, stamp: float, reason: str) -> TrackUpdate | None:
        """Forget every kept frame (a new timeline: stamps jumped back); a running track is lost."""
        self._frames.clear()
        return self._end("lost", stamp, reason) if self.active or self.searching else None

    # ------------------------------------------------------------------ re-grounding
    def reground_due(self, now_s: float) -> bool:
        """A searched-for or tentative track wants every newly encoded frame; a running one, one per
        ``reground_period`` or at once when its confidence is low."""
        if self._search is not None:
            return True
        track = self._track
        return track is not None and (track.tentative or now_s - track.last_reground_s >= self.config.reground_period
                                      or track.confidence < self.config.reground_below)

    def correct(self, stamp: float, rgb: np.ndarray, answer: np.ndarray | Grounding | None, now_s: float) -> str:
        """A re-grounded answer for the frame ``stamp`` (its mask, or a :class:`Grounding` with every
        proposal's score): 'confirmed', 'kept', 'reacquired', 'corrected' or 'unconfirmed' (a
        tentative track), or 'ignored' (no track then, or that frame is no longer kept)."""
        track = self._track
        if track is None:
            return "ignored"
        grounding = Grounding.of(answer)
        if track.returned is not None and stamp < track.returned_at:
            return "ignored"  # computed on a frame from before it came back: says nothing about it
        track.last_reground_s = now_s
        then = self._kept(stamp, track.track_id)
        mask = grounding.mask
        if mask is None or not mask.any() or then is None:
            if track.tentative and then is not None and track.returned is None:
                return self._confirm(track, then, rgb, grounding, None, False)
            return "ignored"
        predicted = track.shape(then.placement).full(track.size)
        agree = overlap(predicted, mask) >= self.config.agree_overlap
        if track.returned is not None:
            return self._confirm_return(track, then, rgb, grounding, predicted, agree)
        if track.tentative:
            return self._confirm(track, then, rgb, grounding, predicted, agree)
        if agree:
            track.disagreements = 0
            if mask.sum() >= WHOLE_VIEW * predicted.sum():  # a whole view of the object: refine the shape
                self._reanchor(track, then, mask, rgb)
            track.last_source = "confirmed"
            return "confirmed"
        weak = track.confidence < self.config.reground_below or track.bad_frames > 0
        drifted = weak and near(predicted, mask) and looks_like(track.colours, rgb, mask) >= LOOKS_LIKE_SHARE
        track.disagreements += 0 if weak else 1  # a weak track (leaving, hidden) is expected to disagree
        if not drifted and track.disagreements < self.config.switch_after:
            track.last_source = "kept"
            return "kept"
        track.disagreements = 0
        self._replay(track, stamp, rgb, mask, source="reacquired", publish=False)
        track.last_source = "reacquired"
        return "reacquired"

    def reacquire(self, stamp: float, rgb: np.ndarray, answer: Grounding | np.ndarray | None,
                  now_s: float) -> list[TrackUpdate]:
        """While searching: the re-grounded frame ``stamp`` holds the lost object (where its shape
        is predicted, with its colours and size)? Then the same track resumes: an update with status
        'reacquired' on that frame and 'ok' on every kept frame since. Else nothing."""
        search = self._search
        if search is None or stamp <= search.since:
            return []  # a frame from before the loss (encoded while it left) says nothing new
        track = search.track
        then = self._kept(stamp, track.track_id)
        if then is None:
            return []
        predicted = track.shape(then.placement).full(track.size)
        found = returning(Grounding.of(answer), predicted, track.colours, rgb, self.config.agree_overlap)
        if found is None:
            return []
        self._search, self._track = None, track
        track.last_reground_s, track.disagreements, track.tentative = now_s, 0, False
        expected = track.anchor.mask.sum() * abs(np.linalg.det(then.placement[:2, :2]))
        whole = predicted.sum() >= 0.9 * expected and found.sum() >= WHOLE_VIEW * predicted.sum()
        updates = self._replay(track, stamp, rgb, found if whole else None, source="reacquired",
                               placement=then.placement, status="reacquired", refit=0.5)
        updates[0].reason = (f"found again {stamp - search.since:.1f} s after it was lost ({search.reason}), where "
                             "its shape was expected and with its colours")
        return updates

    # ------------------------------------------------------------------ internals
    def _confirm(self, track: Track, then: KeptFrame, rgb: np.ndarray, grounding: Grounding,
                 predicted: np.ndarray | None, agree: bool) -> str:
        """An uncertain first answer meets the next re-grounding. The two frames' evidence is added:
        the followed object led by ``track.lead`` on its frame; another object must lead it here by
        more than that to take the track over."""
        track.checks += 1
        if predicted is None:  # nothing found on that frame: neither confirmed nor contradicted
            return self._kept_unconfirmed(track)
        if agree:
            track.tentative = False
            if grounding.mask.sum() >= WHOLE_VIEW * predicted.sum():
                self._reanchor(track, then, grounding.mask, rgb)
            track.last_source = "confirmed"
            track.note = "uncertain first answer confirmed by the next encoded frame's answer"
            return "confirmed"
        here = grounding.top_score - grounding.best_at(predicted)
        if np.isfinite(here) and here > track.lead:  # (no proposal of the followed object here: look again)
            lead = here - track.lead
            self._replay(track, then.stamp, rgb, grounding.mask, source="corrected", publish=False)
            track.last_source = "corrected"
            track.tentative, track.lead = lead < self.config.confirm_margin, lead
            track.note = (f"uncertain first answer corrected: another object led it by {here:.3f} on the next "
                          f"encoded frame (more than its own lead); now following that one"
                          + (", to be confirmed on the next encoded frame" if track.tentative else ""))
            return "corrected"
        return self._kept_unconfirmed(track)

    def _kept_unconfirmed(self, track: Track) -> str:
        """A tentative track not confirmed yet: after switch_after re-groundings it is kept as it is."""
        if track.checks < self.config.switch_after:
            return "unconfirmed"
        track.tentative = False
        track.note = (f"uncertain first answer kept: {track.checks} re-groundings neither confirmed it nor led "
                      "over it by more than its own lead")
        return "kept"

    def _advance(self, track: Track, stamp: float, rgb: np.ndarray, grey: np.ndarray) -> TrackUpdate:
        return self._measure(track, stamp, rgb, self._move(track, rgb, grey))

    def _move(self, track: Track, rgb: np.ndarray, grey: np.ndarray, span: int = 1) -> Motion | None:
        """The flow step to ``grey`` (``span`` camera frames on): the shape moves with the object, and
        where the object was last seen moves with the view."""
        motion = track.flow.step(grey, support(track), trust_jumps=track.seen >= 0.5, span=span)
        if motion.affine is not None:
            track.placement = motion.affine @ track.placement
        track.seen_placement = track.flow.view_step @ track.seen_placement
        if track.bad_frames and seen_at(track, rgb, track.seen_placement):
            # while it was hidden the flow followed something else; it is back where it was last seen
            track.placement = track.seen_placement.copy()
            track.flow.reset(grey, support(track))
            track.hidden, motion = None, None
        return motion

    def _look_on(self, stamp: float, rgb: np.ndarray, grey: np.ndarray) -> TrackUpdate:
        """A frame while the lost object is searched for: its shape moves with the view, and once it
        is back in view with the object's colours there, the track resumes on this frame."""
        search = self._search
        track = search.track
        if grey.shape != track.size:
            self._frames.append(KeptFrame(stamp, grey))
            return self._end("lost", stamp, "the image size changed while the lost object was searched for")
        track.placement = track.flow.step_view(grey, support(track)) @ track.placement
        self._frames.append(KeptFrame(stamp, grey, track.placement.copy(), track.track_id))
        if back_in_view(track, track.placement):
            there = nearby(track, rgb, track.placement)
            if seen_at(track, rgb, there):
                track.placement = there
                return self._resume(search, stamp, rgb, grey)
        seconds, away = self.config.search_seconds, stamp - search.since
        if away <= seconds:
            return TrackUpdate(track.track_id, stamp, "searching", expression=track.expression, searching=True,
                               reason=f"searching: lost {away:.1f} s ago, {seconds - away:.1f} s left "
                                      "(follow.search_seconds)")
        return self._end("lost", stamp, f"not found again within follow.search_seconds={seconds:g} s after it was "
                                        f"lost ({search.reason}): the track has ended")

    def _resume(self, search: Search, stamp: float, rgb: np.ndarray, grey: np.ndarray) -> TrackUpdate:
        """The lost object seen again on a camera frame: the same track resumes ('reacquired'),
        tentative until the next encoded frame's answer to its expression confirms it."""
        track = search.track
        self._search, self._track = None, track
        track.flow = FlowTracker(self.config.max_points)
        track.flow.reset(grey, support(track))
        track.bad_frames, track.hidden, track.seen = 0, None, 1.0
        track.tentative, track.returned, track.returned_at, track.checks = True, search, stamp, 0
        track.last_reground_s, track.disagreements = float("-inf"), 0
        update = self._measure(track, stamp, rgb, None, "reacquired", status="reacquired")
        update.reason = _join(f"found again {stamp - search.since:.1f} s after it was lost ({search.reason}): its "
                              "colours where its shape was expected; to be confirmed by its expression on the next "
                              "encoded frame", update.reason)
        return update

    def _confirm_return(self, track: Track, then: KeptFrame, rgb: np.ndarray, grounding: Grounding,
                        predicted: np.ndarray, agree: bool) -> str:
        """A track found again on a camera frame meets the next re-grounding: one of the expression's
        best proposals must be there with its colours; else it is lost again and searched on."""
        search, track.returned, track.tentative = track.returned, None, False
        found = returning(grounding, predicted, track.colours, rgb, self.config.agree_overlap)
        if agree or found is not None:
            mask = grounding.mask if agree else found
            if mask.sum() >= WHOLE_VIEW * predicted.sum():
                self._reanchor(track, then, mask, rgb)
            track.last_source = "confirmed"
            track.note = "re-acquisition confirmed by the next encoded frame's answer to the expression"
            return "confirmed"
        self._track, self._search = None, search
        self._notice = (f"the object found again was not among the expression's best answers on the next encoded "
                        f"frame: lost again, searched for until {self.config.search_seconds:g} s after it was lost")
        return "unconfirmed"

    def _measure(self, track: Track, stamp: float, rgb: np.ndarray, motion: Motion | None,
                 source: str | None = None, status: str = "ok") -> TrackUpdate:
        shape = track.shape()
        shape_px = int(shape.mask.sum())
        expected = track.anchor.mask.sum() * abs(np.linalg.det(track.placement[:2, :2]))
        in_view = min(1.0, shape_px / expected) if expected > 0 else 0.0
        visible = track.colours.visible(rgb, shape)
        visible_px = int(visible.mask.sum())
        track.seen = seen = min(1.0, visible_px / max(shape_px, 1))
        flow = 1.0 if motion is None else flow_quality(motion)
        track.confidence = float(flow * in_view * min(1.0, 2.0 * seen))
        found = visible_px >= MIN_VISIBLE_PX and track.confidence >= self.config.lost_below
        track.bad_frames = 0 if found else track.bad_frames + 1
        track.hidden = Region(shape.x0, shape.y0, shape.mask & ~visible.mask)
        if found:
            track.colours.adapt(rgb, visible)
            track.seen_placement = track.placement.copy()
        drop_covered_points(track, rgb, shape, visible)
        if track.bad_frames >= self.config.lost_after_frames:
            return self._lose(track, stamp, self._why_lost(in_view, seen, flow))
        update = track.update(stamp, status, visible, track.confidence, source or track.last_source)
        if not found:
            update.reason = (f"object not seen for {track.bad_frames} frame(s) (confidence {track.confidence:.2f}); "
                             f"lost after {self.config.lost_after_frames}")
        update.reason, track.note = _join(track.note, update.reason), ""
        track.last_source = "flow"
        return update

    def _replay(self, track: Track, stamp: float, rgb: np.ndarray, mask: np.ndarray | None, source: str,
                publish: bool = True, placement: np.ndarray | None = None, status: str = "ok",
                refit: float = 1.0) -> list[TrackUpdate]:
        """Anchor the track on frame ``stamp`` (on ``mask``, its colours learnt anew or, ``refit`` < 1,
        blended: the same object; or where ``placement`` puts its shape) and run the flow over the
        kept frames after it."""
        grey = to_grey(rgb)
        if mask is not None:
            self._forget_placements(track.track_id)
            track.set_anchor(mask)
            track.colours.fit(rgb, track.anchor, weight=refit)
            track.surround.fit(rgb, track.ring(), weight=refit)
        else:
            track.placement = placement.copy()
        track.flow = FlowTracker(self.config.max_points)
        track.flow.reset(grey, support(track))
        track.bad_frames, track.hidden, track.seen = 0, None, 1.0
        updates = [self._measure(track, stamp, rgb, None, source, status)] if publish else []
        later = [kept for kept in self._frames if kept.stamp > stamp and kept.grey.shape == grey.shape]
        for kept, placement, quality in carry(track, track.flow, later, track.placement):
            track.placement, track.confidence = placement, quality
            kept.placement, kept.track_id = placement.copy(), track.track_id
            if publish:  # only the grey image is kept: the whole shape, without the colour check
                updates.append(track.update(kept.stamp, "ok", track.shape(), quality, source))
        track.seen_placement = track.placement.copy()
        return updates

    def _replay_back(self, track: Track, stamp: float, rgb: np.ndarray, since: float | None) -> list[TrackUpdate]:
        """Updates for the kept frames from ``since`` up to the anchor frame ``stamp``, in order: the
        flow runs backwards from the anchor frame (the command came before its answer's frame)."""
        grey = to_grey(rgb)
        if since is None:
            return []
        before = [kept.stamp for kept in self._frames if kept.stamp <= since]
        since = max(before, default=since)  # the frame that was showing at ``since`` too
        earlier = [kept for kept in self._frames if since <= kept.stamp < stamp and kept.grey.shape == grey.shape]
        if not earlier:
            return []
        flow = FlowTracker(self.config.max_points)
        flow.reset(grey, place(track.support, np.eye(3), track.size))
        updates = []
        for kept, placement, quality in carry(track, flow, earlier[::-1], np.eye(3)):
            kept.placement, kept.track_id = placement.copy(), track.track_id
            updates.append(track.update(kept.stamp, "ok", track.shape(placement), quality, "start"))
        return updates[::-1]

    def _forget_placements(self, track_id: int) -> None:
        """The track's shape is replaced: placements relative to the old one are no longer comparable."""
        for kept in self._frames:
            if kept.track_id == track_id:
                kept.placement, kept.track_id = None, -1

    def _reanchor(self, track: Track, then: KeptFrame, mask: np.ndarray, rgb: np.ndarray) -> None:
        """The re-grounded mask on frame ``then`` becomes the shape; the placement carries it to now."""
        to_now = track.placement @ np.linalg.inv(then.placement)
        seen_now = track.seen_placement @ np.linalg.inv(then.placement)
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
        track.placement, track.seen_placement = to_now, seen_now

    def _kept(self, stamp: float, track_id: int) -> KeptFrame | None:
        """The kept frame ``stamp`` if the track was placed on it."""
        then = next((kept for kept in self._frames if kept.stamp == stamp), None)
        return then if then is not None and then.track_id == track_id and then.placement is not None else None

    def _lose(self, track: Track, stamp: float, reason: str) -> TrackUpdate:
        """The object was not seen for lost_after_frames: the track is lost, and searched for where
        it was last seen (moved with the view since: the flow may have followed what hid it)."""
        self._track = None
        track.placement = track.seen_placement.copy()
        seconds = self.config.search_seconds
        if seconds <= 0:
            return TrackUpdate(track.track_id, stamp, "lost", reason=reason, expression=track.expression)
        self._search = Search(track, stamp, reason)
        return TrackUpdate(track.track_id, stamp, "lost", expression=track.expression, searching=True,
                           reason=f"{reason}; searching for it for up to {seconds:g} s (follow.search_seconds)")

    def _end(self, status: str, stamp: float, reason: str) -> TrackUpdate:
        track = self._track or (self._search.track if self._search else None)
        self._track, self._search = None, None
        return TrackUpdate(track.track_id if track else 0, stamp, status, reason=reason,
                           expression=track.expression if track else "")

    def _why_lost(self, in_view: float, seen: float, flow: float) -> str:
        frames = self.config.lost_after_frames
        if in_view < 0.3:
            return f"the object left the image ({in_view:.0%} of it in view) for {frames} frames"
        if seen < 0.15:
            return f"the object was hidden ({seen:.0%} of it visible) for {frames} frames"
        return f"the optical flow could not follow the object (agreement {flow:.2f}) for {frames} frames"



def _join(first: str, second: str) -> str:
    return f"{first}; {second}" if first and second else first or second
