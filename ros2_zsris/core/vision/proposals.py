"""Class-agnostic mask proposals: segment-anything automatic masks, then filtering.

The filters are those of later SAM-based zero-shot RIS work (METHOD.md section 1):
referring targets are rarely tiny, and SAM returns parts and wholes of one object,
so tiny masks go and, of two heavily overlapping masks, the larger one stays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..config import ProposalConfig
from .sam_fast import FastSamAutomaticMaskGenerator
from .torchvision_compat import ensure_torchvision_importable

ensure_torchvision_importable()

from segment_anything.modeling import Sam  # noqa: E402


@dataclass
class Proposals:
    masks: np.ndarray  # (N, H, W) bool
    scores: np.ndarray  # (N,) float32 quality score from the generator

    @classmethod
    def empty(cls, height: int, width: int) -> "Proposals":
        return cls(np.zeros((0, height, width), dtype=bool), np.zeros((0,), dtype=np.float32))

    def __len__(self) -> int:
        return int(self.masks.shape[0])


class SamProposalGenerator:
    """SAM's automatic mask generator with the project's defaults and filters.

    The generator is segment-anything's own with a faster encoder attention, decoder and
    filter order (sam_fast.py); its masks match the stock generator's (test_sam_fast.py).
    ``generator_class`` takes the same keywords; sam2_backend.fast_sam2_generator is one.
    ``compute_dtype`` (device.resolve_sam_dtype): the dtype of the image encoder's and the
    prompt decoder's matrix products.
    """

    def __init__(self, sam: Sam, config: ProposalConfig, generator_class=FastSamAutomaticMaskGenerator,
                 compute_dtype: torch.dtype = torch.float32):
        self.config = config
        self.compute_dtype = compute_dtype
        self.generator = generator_class(
            sam,
            encoder_dtype=compute_dtype,
            decoder_dtype=compute_dtype,
            points_per_side=config.points_per_side,
            points_per_batch=config.points_per_batch,
            pred_iou_thresh=config.pred_iou_thresh,
            stability_score_thresh=config.stability_score_thresh,
            box_nms_thresh=config.box_nms_thresh,
            min_mask_region_area=config.min_mask_region_area,
            output_mode="binary_mask",
        )

    def __call__(self, image: np.ndarray) -> Proposals:
        records = self.generator.generate(image)
        height, width = image.shape[:2]
        if not records:
            return Proposals.empty(height, width)
        masks = np.stack([r["segmentation"] for r in records]).astype(bool)
        scores = np.array([r["predicted_iou"] for r in records], dtype=np.float32)
        return filter_proposals(Proposals(masks, scores), self.config)


def filter_proposals(proposals: Proposals, config: ProposalConfig, overlap_of: str = "smaller") -> Proposals:
    """Drop small masks, resolve overlaps in favour of the larger mask, cap the count
    (``select_proposals`` on the masks' own areas and pairwise intersections)."""
    masks, scores = proposals.masks, proposals.scores
    flat = masks.reshape(len(masks), -1)
    areas = flat.sum(axis=1)
    as_float = flat.astype(np.float32)
    chosen = select_proposals(areas, lambda rows: as_float[rows] @ as_float[rows].T, scores, config,
                              overlap_of)  # one BLAS call instead of N^2 mask ANDs
    return Proposals(masks[chosen], scores[chosen])


def select_proposals(areas: np.ndarray, intersections, scores: np.ndarray, config: ProposalConfig,
                     overlap_of: str = "smaller") -> np.ndarray:
    """Indices of the proposals kept: area >= min_area_px, larger first, overlapping ones dropped.

    ``intersections(rows)`` gives the pairwise intersection areas of those candidates, so a
    backend that knows them without the masks (label images) never builds the masks it drops.
    Overlap is intersection over the smaller area by default (METHOD.md, for SAM), so a part
    inside a whole (a shirt inside a person) is removed even when its IoU with the whole is low.
    ``overlap_of="union"`` (IoU) removes only near-duplicates: for a segmentation hierarchy, whose
    coarse levels merge neighbouring objects into one region, parts are the objects.
    """
    candidates = np.flatnonzero(areas >= max(config.min_area_px, 1))
    candidates = candidates[np.argsort(-areas[candidates], kind="stable")]
    if candidates.size == 0:
        return candidates
    inter = np.asarray(intersections(candidates), dtype=np.float64)
    sizes = areas[candidates].astype(np.float64)
    if overlap_of == "union":
        overlap = inter / (sizes[:, None] + sizes[None, :] - inter)
    else:
        overlap = inter / np.minimum.outer(sizes, sizes)
    kept: list[int] = []
    for rank in range(candidates.size):  # larger masks first, so a survivor beats its parts
        if all(overlap[rank, other] <= config.overlap_thresh for other in kept):
            kept.append(rank)
    chosen = candidates[kept]
    return chosen[np.argsort(-scores[chosen], kind="stable")][: config.max_proposals]
