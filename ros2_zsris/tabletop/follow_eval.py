"""Scoring follow mode on generated sequences (tabletop/sequences.py), with or without the engine.

Per frame: IoU of the followed mask with the target's visible pixels (a frame where the target is
entirely hidden or out of view counts as right when the follower reports nothing visible, and a
frame without any answer as IoU 0 while the target is in view); an identity switch is a frame
where the followed mask moves onto another object (its best IoU, > 0.3) than the one it was on,
starting from the object the first answer was on (a wrong first answer is a grounding error,
counted by ``start_iou``, not a switch). Cost: the follower's own time per camera frame
(:meth:`Follower.observe`), wall and CPU (the CPU time of this process, which a loaded machine
does not inflate).

With the engine, its timing is the node's: one encoder, busy ``delay`` frames per frame it
encodes, encodes a frame whenever the follower wants one (the first answer; a re-grounding every
``reground_period``, at once for a tentative or lost track) and its answer arrives ``delay``
frames after the frame it was computed on; the track starts on frame 0 and catches up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..core.config import FollowConfig
from ..core.tracking import Follower, Grounding, TrackUpdate
from ..evaluation.metrics import score_mask
from .sequences import Sequence

FPS = 30.0
SWITCH_IOU = 0.3


@dataclass
class FollowScore:
    ious: list[float] = field(default_factory=list)  # per frame after the start
    switches: int = 0
    frames: int = 0  # frames of the sequence after the start
    answered: int = 0  # frames with an update ("ok" or "reacquired")
    costs_ms: list[float] = field(default_factory=list)  # wall time per frame
    cpu_ms: list[float] = field(default_factory=list)  # CPU time of this process per frame (load-independent)
    ended: str = ""  # status and reason of the first update that was not ok
    start_iou: float = float("nan")
    corrections: dict[str, int] = field(default_factory=dict)
    updates: dict[int, TrackUpdate] = field(default_factory=dict, repr=False)  # frame -> its first update
    arrivals: dict[int, int] = field(default_factory=dict)  # frame -> frame at which its update was given
    lost_at: int = -1  # first frame of a `lost` update
    reacquired_at: int = -1  # frame of the `reacquired` update
    reacquired_given_at: int = -1  # the frame at which it was given (its answer arrived)
    final: str = ""  # the last update's status and reason when the track ended for good

    @property
    def mean_iou(self) -> float:
        return float(np.mean(self.ious)) if self.ious else 0.0


def frame_iou(mask: np.ndarray | None, truth: np.ndarray) -> float:
    if not truth.any():
        return 1.0 if mask is None or not mask.any() else 0.0
    return score_mask(mask, truth).iou if mask is not None else 0.0


def follow_sequence(sequence: Sequence, start_mask: np.ndarray | None = None, engine=None,
                    config: FollowConfig | None = None, delay: int = 15, use_depth: bool = False) -> FollowScore:
    """Follow the target from frame 0: from ``start_mask`` (e.g. the truth: tracking alone, no
    re-grounding) or from the engine's answer to the sequence's expression (end to end)."""
    follower = Follower(config)
    score = FollowScore()
    frames = sequence.frames
    encoding: tuple[int, int, Grounding] | None = None  # (arrives at frame, computed on frame, answer)
    if start_mask is not None:
        encoding = (0, 0, Grounding(start_mask))
    elif engine is not None:
        encoding = (delay, 0, _answer(engine, sequence, 0, use_depth))
    started = False
    for t in range(len(frames)):
        began, began_cpu = time.perf_counter(), time.process_time()
        update = follower.observe(t / FPS, frames[t].image)
        if t:
            score.costs_ms.append((time.perf_counter() - began) * 1000.0)
            score.cpu_ms.append((time.process_time() - began_cpu) * 1000.0)
        _record(score, [update] if update else [], t)
        if encoding is not None and encoding[0] <= t:
            _, computed, answer = encoding
            encoding = None
            if not started:
                started = _start(follower, score, sequence, computed, answer, t)
            elif follower.searching:
                _record(score, follower.reacquire(computed / FPS, frames[computed].image, answer, t / FPS), t)
            else:
                outcome = follower.correct(computed / FPS, frames[computed].image, answer, t / FPS)
                score.corrections[outcome] = score.corrections.get(outcome, 0) + 1
        if engine is not None and encoding is None and started and follower.reground_due(t / FPS):
            encoding = (t + delay, t, _answer(engine, sequence, t, use_depth))
    _score(score, sequence)
    return score


def _start(follower: Follower, score: FollowScore, sequence: Sequence, computed: int, answer: Grounding,
           now: int) -> bool:
    if answer.mask is None or not answer.mask.any():
        score.ended = "no answer on the first frame"
        return False
    score.start_iou = frame_iou(answer.mask, sequence.truth(computed))
    _record(score, follower.start(computed / FPS, sequence.frames[computed].image, answer.mask, sequence.expression,
                                  margin=answer.margin), now)
    return True


def _record(score: FollowScore, updates: list[TrackUpdate], now: int) -> None:
    for update in updates:
        frame = int(round(update.stamp * FPS))
        if update.found:
            if frame not in score.updates:
                score.updates[frame], score.arrivals[frame] = update, now
            if update.status == "reacquired" and score.reacquired_at < 0:
                score.reacquired_at, score.reacquired_given_at = frame, now
        elif update.status in ("lost", "stopped"):
            score.ended = score.ended or f"{update.status}: {update.reason}"
            if update.status == "lost" and score.lost_at < 0:
                score.lost_at = frame
            if not update.searching:
                score.final = f"{update.status}: {update.reason}"


def _score(score: FollowScore, sequence: Sequence) -> None:
    """IoU per frame after frame 0, identity switches in frame order."""
    current = None
    for t in range(1, len(sequence.frames)):
        score.frames += 1
        update = score.updates.get(t)
        mask = update.mask if update is not None else None
        score.ious.append(frame_iou(mask, sequence.truth(t)))
        if update is None:
            continue
        score.answered += 1
        if current is None:
            current = _identity(score.updates.get(0, update).mask, sequence.frames[0].masks, sequence.target)[0]
        current, switched = _identity(mask, sequence.frames[t].masks, current)
        score.switches += switched


def _answer(engine, sequence: Sequence, index: int, use_depth: bool) -> Grounding:
    frame = sequence.frames[index]
    features = engine.encode_frame(frame.image, frame.depth if use_depth else None,
                                   camera_k=sequence.camera_k if use_depth else None)
    result = engine.query(features, sequence.expression)
    ok = result.status.value == "ok"
    return Grounding(result.mask if ok else None, float(result.margin), features.masks,
                     np.asarray(result.scores, dtype=np.float64) if result.scores else None)


def _identity(mask: np.ndarray, objects: np.ndarray, current: int) -> tuple[int, int]:
    """(object the mask is on, 1 if that changed); unchanged when it overlaps nothing clearly."""
    ious = [score_mask(mask, truth).iou if truth.any() else 0.0 for truth in objects]
    best = int(np.argmax(ious))
    if ious[best] > SWITCH_IOU and best != current:
        return best, 1
    return current, 0
