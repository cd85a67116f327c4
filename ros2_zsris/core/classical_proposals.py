"""Mask proposals without learned weights: multi-scale graph-based segmentation.

Felzenszwalb's algorithm at a few scales gives parts (small scale) and wholes (large
scale) of objects, which is the shape of what SAM's automatic generator returns. It
needs no checkpoint, so the engine can run on a machine with no SAM weights; SAM
stays the choice whenever its checkpoint is given. Runs on a copy downscaled to
``work_size`` on the long side, then labels are scaled back to full resolution.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .config import ProposalConfig
from .proposals import Proposals, filter_proposals

SCALES = (100.0, 300.0, 1000.0)


class ClassicalProposalGenerator:
    def __init__(self, config: ProposalConfig, work_size: int = 320, scales: tuple[float, ...] = SCALES):
        self.config = config
        self.work_size = work_size
        self.scales = scales

    def __call__(self, image: np.ndarray) -> Proposals:
        from skimage.segmentation import felzenszwalb

        height, width = image.shape[:2]
        small = _downscale(image, self.work_size)
        masks = []
        for scale in self.scales:
            labels = felzenszwalb(small, scale=scale, sigma=0.8, min_size=max(20, small.size // 3 // 400))
            full = np.asarray(Image.fromarray(labels.astype(np.int32)).resize((width, height), Image.NEAREST))
            masks.extend(full == label for label in np.unique(full))
        if not masks:
            return Proposals.empty(height, width)
        stacked = np.stack(masks)
        # no learned quality score: prefer larger regions, which referring targets mostly are
        areas = stacked.reshape(len(stacked), -1).sum(axis=1).astype(np.float32)
        return filter_proposals(Proposals(stacked, areas / float(height * width)), self.config)


def _downscale(image: np.ndarray, long_side: int) -> np.ndarray:
    height, width = image.shape[:2]
    factor = long_side / max(height, width)
    if factor >= 1.0:
        return image
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR))
