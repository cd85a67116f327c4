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

from ..config import ProposalConfig
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
        for index, scale in enumerate(self.scales):
            labels = felzenszwalb(small, scale=scale, sigma=0.8, min_size=max(20, small.size // 3 // 400))
            layers = [labels, merge_shaded_parts(small, labels)] if index == 0 else [labels]
            for layer in layers:
                full = np.asarray(Image.fromarray(layer.astype(np.int32)).resize((width, height), Image.NEAREST))
                masks.extend(full == label for label in np.unique(full))
        if not masks:
            return Proposals.empty(height, width)
        stacked = np.stack(masks)
        # no learned quality score: prefer larger regions, which referring targets mostly are
        areas = stacked.reshape(len(stacked), -1).sum(axis=1).astype(np.float32)
        return filter_proposals(Proposals(stacked, areas / float(height * width)), self.config,
                                overlap_of="union")


def merge_shaded_parts(image: np.ndarray, labels: np.ndarray, max_chroma_distance: float = 0.12,
                       min_saturation: float = 0.25) -> np.ndarray:
    """Join adjacent regions of one coloured surface seen under different light.

    A cube's lit and shaded faces differ in brightness, not in chromaticity (colour divided by
    brightness), so adjacent saturated regions whose mean chromaticities are closer than
    ``max_chroma_distance`` become one region (connected components of such edges: skimage's
    rag_mean_color + cut_threshold rule); neighbours of another colour, and grey or white regions
    (whose chromaticity says nothing, and which the table shares), are left apart. Written with
    numpy bincounts instead of skimage's RAG, which held the GIL for ~0.4 s per VGA frame and
    starved the node's image callback.
    """
    pixels = image.astype(np.float64) + 1.0
    chroma = pixels / pixels.mean(axis=2, keepdims=True) - 1.0  # zero for grey, length = saturation
    flat = labels.ravel()
    count = int(flat.max()) + 1
    sizes = np.maximum(np.bincount(flat, minlength=count), 1)
    means = np.stack([np.bincount(flat, chroma[..., c].ravel(), minlength=count) for c in range(3)], 1)
    means /= sizes[:, None]
    first = np.concatenate([labels[:, :-1].ravel(), labels[:-1, :].ravel()])
    second = np.concatenate([labels[:, 1:].ravel(), labels[1:, :].ravel()])
    touching = first != second
    pairs = np.unique(np.stack([np.minimum(first, second)[touching], np.maximum(first, second)[touching]], 1),
                      axis=0)
    saturation = np.linalg.norm(means, axis=1)
    close = np.linalg.norm(means[pairs[:, 0]] - means[pairs[:, 1]], axis=1) < max_chroma_distance
    coloured = np.minimum(saturation[pairs[:, 0]], saturation[pairs[:, 1]]) >= min_saturation
    parent = list(range(count))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in pairs[close & coloured]:
        parent[root(int(b))] = root(int(a))
    return np.array([root(node) for node in range(count)])[labels]


def _downscale(image: np.ndarray, long_side: int) -> np.ndarray:
    height, width = image.shape[:2]
    factor = long_side / max(height, width)
    if factor >= 1.0:
        return image
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR))
