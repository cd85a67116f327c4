"""The field's metrics (METHOD.md section 7): per-expression IoU, mIoU, oIoU, Prec@X.

oIoU (cIoU) = sum of intersections / sum of unions over all expressions; mIoU = mean of
per-expression IoU, where an empty union counts 0 (as in the reference evaluation).
An unanswered expression counts with an empty prediction: its intersection is 0 and its
union is the ground truth, so failures lower both numbers instead of vanishing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

THRESHOLDS = (0.5, 0.7, 0.9)


@dataclass(frozen=True)
class MaskScore:
    intersection: int
    union: int

    @property
    def iou(self) -> float:
        return self.intersection / self.union if self.union else 0.0


def score_mask(prediction: np.ndarray | None, truth: np.ndarray) -> MaskScore:
    truth = truth.astype(bool)
    if prediction is None:
        return MaskScore(0, int(truth.sum()))
    if prediction.shape != truth.shape:
        raise ValueError(f"prediction {prediction.shape} and ground truth {truth.shape} differ in size")
    prediction = prediction.astype(bool)
    return MaskScore(int(np.logical_and(prediction, truth).sum()), int(np.logical_or(prediction, truth).sum()))


def summarise(scores: list[MaskScore]) -> dict[str, float]:
    if not scores:
        return {"count": 0, "mIoU": 0.0, "oIoU": 0.0, **{f"Prec@{t}": 0.0 for t in THRESHOLDS}}
    ious = np.array([s.iou for s in scores])
    union = sum(s.union for s in scores)
    summary = {
        "count": len(scores),
        "mIoU": float(ious.mean()),
        "oIoU": float(sum(s.intersection for s in scores) / union) if union else 0.0,
    }
    summary.update({f"Prec@{t}": float((ious > t).mean()) for t in THRESHOLDS})
    return summary


def latency_summary(latencies_ms: list[float]) -> dict[str, float | None]:
    if not latencies_ms:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None}
    values = np.asarray(latencies_ms)
    return {"p50_ms": float(np.percentile(values, 50)), "p95_ms": float(np.percentile(values, 95)),
            "max_ms": float(values.max())}


def matched_ious(predictions: list[np.ndarray], truths: list[np.ndarray], ordered: bool = False) -> list[float]:
    """IoU of each true object with the predicted object matched to it, one to one: in order for
    a list ("the cup and the ball": the k-th answer is the k-th item's), else the assignment that
    maximises the total IoU (scipy's Hungarian solver). A true object left unmatched scores 0."""
    from scipy.optimize import linear_sum_assignment

    iou = np.zeros((len(truths), len(predictions)))
    for t, truth in enumerate(truths):
        for p, prediction in enumerate(predictions):
            iou[t, p] = score_mask(prediction, truth).iou
    if ordered:
        return [float(iou[k, k]) if k < len(predictions) else 0.0 for k in range(len(truths))]
    rows, columns = linear_sum_assignment(-iou)
    matched = dict(zip(rows.tolist(), columns.tolist(), strict=True))
    return [float(iou[t, matched[t]]) if t in matched else 0.0 for t in range(len(truths))]


def exact_set(predictions: list[np.ndarray], truths: list[np.ndarray], ordered: bool = False,
              threshold: float = 0.5) -> bool:
    """Exact-set accuracy of one command: as many objects as the truth, each matched one to one
    (in order for lists) with IoU > ``threshold``."""
    return len(predictions) == len(truths) and all(
        iou > threshold for iou in matched_ious(predictions, truths, ordered))
