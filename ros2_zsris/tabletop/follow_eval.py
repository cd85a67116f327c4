"""Scoring follow mode on generated sequences (tabletop/sequences.py), with or without the engine.

Per frame: IoU of the followed mask with the target's visible pixels (a frame where the target is
entirely hidden counts as right when the follower reports nothing visible); an identity switch is
a frame where the followed mask moves onto another object (its best IoU, > 0.3) than the one it was
on, starting from the object the first answer was on (a wrong first answer is a grounding error,
counted by ``start_iou``, not a switch). Cost: the follower's own time per frame, wall and CPU (the
CPU time of this process, which a loaded machine does not inflate).

Re-grounding as the node does it: the engine encodes one frame now and then and its answer arrives
``delay`` frames later (the encoding time at camera rate); ``reground_every`` frames apart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..core.config import FollowConfig
from ..core.tracking import Follower
from ..evaluation.metrics import score_mask
from .sequences import Sequence

FPS = 30.0
SWITCH_IOU = 0.3


@dataclass
class FollowScore:
    ious: list[float] = field(default_factory=list)  # per frame after the start
    switches: int = 0
    frames: int = 0  # frames of the sequence after the start
    answered: int = 0  # frames with an update ("ok")
    costs_ms: list[float] = field(default_factory=list)  # wall time per frame
    cpu_ms: list[float] = field(default_factory=list)  # CPU time of this process per frame (load-independent)
    ended: str = ""  # status and reason when the track ended early
    start_iou: float = float("nan")
    corrections: dict[str, int] = field(default_factory=dict)

    @property
    def mean_iou(self) -> float:
        return float(np.mean(self.ious)) if self.ious else 0.0


def frame_iou(mask: np.ndarray | None, truth: np.ndarray) -> float:
    if not truth.any():
        return 1.0 if mask is None or not mask.any() else 0.0
    return score_mask(mask, truth).iou if mask is not None else 0.0


def follow_sequence(sequence: Sequence, start_mask: np.ndarray | None = None, engine=None,
                    config: FollowConfig | None = None, reground_every: int = 30, delay: int = 36,
                    use_depth: bool = False) -> FollowScore:
    """Follow the target from frame 0: from ``start_mask`` (e.g. the truth: tracking alone) or from
    the engine's answer to the sequence's expression (end to end, with re-grounding)."""
    follower = Follower(config)
    score = FollowScore()
    frames = sequence.frames
    follower.observe(0.0, frames[0].image)
    if start_mask is None:
        start_mask = _answer(engine, sequence, 0, use_depth)
        if start_mask is None:
            score.ended, score.frames = "no answer on the first frame", len(frames) - 1
            score.ious = [0.0] * score.frames
            return score
    score.start_iou = frame_iou(start_mask, sequence.truth(0))
    follower.start(0.0, frames[0].image, start_mask, sequence.expression)
    pending: list[tuple[int, int, np.ndarray | None]] = []  # (arrives at frame, computed on frame, mask)
    current, _ = _identity(start_mask, frames[0].masks, sequence.target)
    for t in range(1, len(frames)):
        score.frames += 1
        if engine is not None and t % reground_every == 0:
            pending.append((t + delay, t, _answer(engine, sequence, t, use_depth)))
        began, began_cpu = time.perf_counter(), time.process_time()
        update = follower.observe(t / FPS, frames[t].image)
        for arrival, computed, mask in [p for p in pending if p[0] <= t]:
            outcome = follower.correct(computed / FPS, frames[computed].image, mask, t / FPS)
            score.corrections[outcome] = score.corrections.get(outcome, 0) + 1
            pending.remove((arrival, computed, mask))
        score.costs_ms.append((time.perf_counter() - began) * 1000.0)
        score.cpu_ms.append((time.process_time() - began_cpu) * 1000.0)
        if update is None or update.status != "ok":
            score.ended = f"{update.status}: {update.reason}" if update else "no track"
            score.ious.extend([frame_iou(None, sequence.truth(k)) for k in range(t, len(frames))])
            break
        score.answered += 1
        score.ious.append(frame_iou(update.mask, sequence.truth(t)))
        current, switched = _identity(update.mask, frames[t].masks, current)
        score.switches += switched
    return score


def _answer(engine, sequence: Sequence, index: int, use_depth: bool) -> np.ndarray | None:
    frame = sequence.frames[index]
    features = engine.encode_frame(frame.image, frame.depth if use_depth else None,
                                   camera_k=sequence.camera_k if use_depth else None)
    result = engine.query(features, sequence.expression)
    return result.mask if result.status.value == "ok" else None


def _identity(mask: np.ndarray, objects: np.ndarray, current: int) -> tuple[int, int]:
    """(object the mask is on, 1 if that changed); unchanged when it overlaps nothing clearly."""
    ious = [score_mask(mask, truth).iou if truth.any() else 0.0 for truth in objects]
    best = int(np.argmax(ious))
    if ious[best] > SWITCH_IOU and best != current:
        return best, 1
    return current, 0
