"""Is a re-grounded answer the followed object? Used to confirm an uncertain first answer and to
find a lost object again, never by CLIP's ranking alone.

A re-grounding ranks every proposal of a newly encoded frame by the track's expression
(:class:`Grounding`). The followed object has one more thing no other object has: where it is.
The follower keeps placing the object's shape on every frame, moved by the object's own flow
while it is seen and by the whole view's motion while it is out of sight or hidden (a still
object moves with the view), so on the re-grounded frame it is known where the object must be.
A candidate is the followed object when it lies there (overlap with the predicted shape) and has
its colours and size; a look-alike elsewhere in the view fails the first test, however well CLIP
ranks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .appearance import ColourModel
from .flow import crop

RANKS_SEARCHED = 3  # a lost object is looked for among the expression's best few proposals
LOOKS_LIKE_SHARE = 0.6  # share of a candidate's pixels with the object's colours and brightness
SIZE_RATIO = (0.4, 2.5)  # a candidate's area over the predicted shape's in-view area
SAME_SHAPE_IOU = 0.5  # a proposal this close to the predicted shape (IoU) is the followed object's own
NEAR_SIZES = 1.0  # a weak track takes a disagreeing answer only within this many object sizes of it


@dataclass
class Grounding:
    """The track's expression answered again on one encoded frame."""

    mask: np.ndarray | None  # the answer's mask; None when the answer was not ok
    margin: float = float("inf")  # its score minus the next candidate's
    masks: np.ndarray | None = field(repr=False, default=None)  # (N, H, W) bool: every proposal
    scores: np.ndarray | None = None  # (N,) the expression's score of each proposal (NaN: empty)

    @classmethod
    def of(cls, answer) -> Grounding:
        """From a mask (or None), or a Grounding as it is."""
        return answer if isinstance(answer, Grounding) else cls(answer)

    def ranked(self, count: int) -> list[np.ndarray]:
        """The ``count`` best proposals, best first (the answer alone without the ranking)."""
        if self.masks is None or self.scores is None:
            return [self.mask] if self.mask is not None else []
        scores = np.nan_to_num(np.asarray(self.scores, dtype=np.float64), nan=-np.inf)
        order = np.argsort(-scores, kind="stable")[:count]
        return [self.masks[i] for i in order if np.isfinite(scores[i])]

    def best_at(self, predicted: np.ndarray, min_iou: float = SAME_SHAPE_IOU) -> float:
        """The best score of a proposal that is the followed object's shape where it is predicted
        (IoU); NaN when none is (no proposal of its own on this frame: a fragment of it or a region
        holding it and more says nothing about how CLIP scores the object)."""
        if self.masks is None or self.scores is None or not predicted.any():
            return float("nan")
        scores = [float(s) for mask, s in zip(self.masks, self.scores, strict=True)
                  if np.isfinite(s) and _iou(predicted, mask) >= min_iou]
        return max(scores) if scores else float("nan")

    @property
    def top_score(self) -> float:
        if self.scores is None or not np.isfinite(np.asarray(self.scores, dtype=np.float64)).any():
            return float("nan")
        return float(np.nanmax(np.asarray(self.scores, dtype=np.float64)))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = int((a | b).sum())
    return float((a & b).sum()) / union if union else 0.0


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over the smaller area: a partly hidden view of the same object still agrees."""
    smaller = min(int(a.sum()), int(b.sum()))
    return float((a & b).sum()) / smaller if smaller else 0.0


def near(predicted: np.ndarray, mask: np.ndarray, sizes: float = NEAR_SIZES) -> bool:
    """The mask's centre lies within ``sizes`` of the predicted shape's size from its centre: a
    track that drifted off its object is corrected from an answer near it, not from one across the
    table (a look-alike there is another object)."""
    if not predicted.any() or not mask.any():
        return False
    points = np.argwhere(predicted)
    extent = float(np.ptp(points, axis=0).max()) + 1.0
    return float(np.linalg.norm(points.mean(axis=0) - np.argwhere(mask).mean(axis=0))) <= sizes * extent


def returning(grounding: Grounding, predicted: np.ndarray, colours: ColourModel, rgb: np.ndarray,
              agree_overlap: float) -> np.ndarray | None:
    """The first of the expression's best proposals that is the lost object: where the object is
    predicted to be, with its colours and about its size; None when none is."""
    in_view = int(predicted.sum())
    if in_view == 0:
        return None
    for mask in grounding.ranked(RANKS_SEARCHED):
        area = int(mask.sum())
        if not area or overlap(predicted, mask) < agree_overlap:
            continue
        if not SIZE_RATIO[0] <= area / in_view <= SIZE_RATIO[1]:
            continue
        if looks_like(colours, rgb, mask) >= LOOKS_LIKE_SHARE:
            return mask
    return None


def looks_like(colours: ColourModel, rgb: np.ndarray, mask: np.ndarray) -> float:
    """Share of the mask's pixels that have the object's colours and brightness."""
    region = crop(mask)
    total = int(region.mask.sum())
    return float(colours.visible(rgb, region).mask.sum()) / total if total else 0.0
