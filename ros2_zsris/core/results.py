"""The engine's two data products: per-frame features and per-command results."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import numpy as np
import torch

from .grounding.regions import RegionGeometry


class Status(StrEnum):
    """Why a command got the answer it got; every command ends in exactly one of these."""

    OK = "ok"
    NO_FRAME = "no_frame"
    NO_PROPOSALS = "no_proposals"
    NO_REFERENT = "no_referent"
    BELOW_THRESHOLD = "below_threshold"
    ERROR = "error"
    LOST = "lost"  # follow mode: the followed object was not seen for follow.lost_after_frames frames
    STOPPED = "stopped"  # follow mode: the track was ended (stop command, new follow command, deactivate)
    SEARCHING = "searching"  # follow mode: a lost object looked for again (follow.search_seconds), per frame
    REACQUIRED = "reacquired"  # follow mode: a lost object found again, same track_id (then ok)


@dataclass
class FrameFeatures:
    """Everything a query needs about one frame, so queries never touch the vision models.

    ``global_embeddings``/``local_embeddings`` are the raw (unnormalised) CLIP image
    embeddings of each proposal; fusion with alpha happens per query, so alpha can
    change without re-encoding.
    """

    image_size: tuple[int, int]  # (height, width)
    masks: np.ndarray  # (N, H, W) bool
    proposal_scores: np.ndarray  # (N,) SAM predicted IoU (1.0 for classical proposals)
    global_embeddings: torch.Tensor  # (N, D) float32, CPU
    local_embeddings: torch.Tensor  # (N, D) float32, CPU
    normalise_before_fusion: bool
    timings_ms: dict[str, float] = field(default_factory=dict)
    depth: np.ndarray | None = None  # (H, W) float32 metres, NaN where unknown; None without depth
    regions: RegionGeometry | None = None  # per-proposal geometry for spatial grounding

    @property
    def num_proposals(self) -> int:
        return int(self.masks.shape[0])

    @cached_property
    def nonempty(self) -> np.ndarray:
        """(N,) bool: proposals with at least one pixel. Empty ones (user-given masks) keep
        their index but are never chosen; computed once per frame, not per query."""
        return self.masks.any(axis=(1, 2))

    def nbytes(self) -> int:
        """Memory held, for bounding caches by bytes as well as by count."""
        return int(
            self.masks.nbytes
            + self.proposal_scores.nbytes
            + self.global_embeddings.element_size() * self.global_embeddings.nelement()
            + self.local_embeddings.element_size() * self.local_embeddings.nelement()
            + (self.depth.nbytes if self.depth is not None else 0)
        )


@dataclass
class ObjectAnswer:
    """One object of an answer: a list item, a member of a set ("all the cups"), or the one referent."""

    mask: np.ndarray  # (H, W) bool, image size
    index: int  # proposal index
    score: float  # the item's value for it: its ranking or match score; for a set member, its membership belief
    box: tuple[int, int, int, int]
    centroid_px: tuple[float, float]
    expression: str  # the item of the command it answers ("the ball", "all the cups")

    def to_json_dict(self) -> dict:
        return {"index": self.index, "score": _finite_or_none(self.score), "box": list(self.box),
                "centroid_px": [round(c, 3) for c in self.centroid_px], "mask_area": int(self.mask.sum()),
                "expression": self.expression}


@dataclass
class Result:
    """The answer to one command on one frame. ``objects`` holds every object the command names, in
    the order named (a set left to right unless its words order it); the single-object fields
    (mask, index, score, box, centroid_px) are the first of them."""

    status: Status
    command: str
    expression: str = ""
    target_phrase: str = ""
    action: str = ""
    mask: np.ndarray | None = None  # (H, W) bool, image size
    index: int = -1
    score: float = float("nan")
    margin: float = float("nan")
    scores: list[float] = field(default_factory=list)  # per proposal, by index; NaN for an empty mask
    box: tuple[int, int, int, int] | None = None  # x_min, y_min, x_max, y_max (inclusive)
    centroid_px: tuple[float, float] | None = None  # (u, v)
    message: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    interpretation: str = ""  # what was understood, e.g. "target 'cup' | rightmost"
    anchor_indices: list[int] = field(default_factory=list)  # proposals used as relation anchors
    # issue 12: commands as people say them
    action_verb: str = ""  # the verb as spoken ("nab", "pick up"); ``action`` is its normalised form
    destination: str = ""  # where the object should go, words as spoken ("in the basket", "to me")
    destination_expression: str = ""  # the object the destination names ("the basket"); "" for a direction
    destination_status: str = ""  # "" no destination; "text" direction/person; else a Status value
    destination_mask: np.ndarray | None = None
    destination_index: int = -1
    destination_score: float = float("nan")
    destination_box: tuple[int, int, int, int] | None = None
    destination_centroid_px: tuple[float, float] | None = None
    context: str = ""  # how the previous answer was used ("other", "same", "anchor", "kind"); "" when it was not
    unanswered: str = ""  # words naming a second object or action that were not answered
    # issue 20: every object the command names
    objects: list[ObjectAnswer] = field(default_factory=list)
    count: int = 0  # objects that fit the description: len(objects) when ok; a counting question's answer

    @property
    def mask_area(self) -> int:
        return int(self.mask.sum()) if self.mask is not None else 0

    def to_json_dict(self) -> dict:
        """JSON-safe summary (no mask pixels) for the CLI and the logs."""
        return {
            "status": self.status.value,
            "command": self.command,
            "action": self.action,
            "expression": self.expression,
            "target_phrase": self.target_phrase,
            "score": _finite_or_none(self.score),
            "margin": _finite_or_none(self.margin),
            "index": self.index,
            "num_candidates": len(self.scores),
            "scores": [_finite_or_none(s) for s in self.scores],
            "box": list(self.box) if self.box else None,
            "centroid_px": [round(c, 3) for c in self.centroid_px] if self.centroid_px else None,
            "mask_area": self.mask_area,
            "message": self.message,
            "interpretation": self.interpretation,
            "anchor_indices": list(self.anchor_indices),
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            "action_verb": self.action_verb,
            "destination": self.destination,
            "destination_expression": self.destination_expression,
            "destination_status": self.destination_status,
            "destination_index": self.destination_index,
            "destination_score": _finite_or_none(self.destination_score),
            "destination_box": list(self.destination_box) if self.destination_box else None,
            "destination_centroid_px": [round(c, 3) for c in self.destination_centroid_px]
            if self.destination_centroid_px else None,
            "context": self.context,
            "unanswered": self.unanswered,
            "count": self.count,
            "objects": [o.to_json_dict() for o in self.objects],
        }


def _finite_or_none(value: float) -> float | None:
    return round(float(value), 6) if np.isfinite(value) else None
