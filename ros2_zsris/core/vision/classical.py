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
from .proposals import Proposals, select_proposals

SCALES = (100.0, 300.0, 1000.0)
# Light smoothing only: a stronger Gaussian (0.8) smears object borders into mixed pixels that
# join the table, costing small objects (a 4-pixel ring) their outline.
SIGMA = 0.4
MIN_REGION_SHARE = 1.0 / 1000  # smallest region, as a share of the work image (a cone's shaded base survives)


class ClassicalProposalGenerator:
    def __init__(self, config: ProposalConfig, work_size: int = 320, scales: tuple[float, ...] = SCALES):
        self.config = config
        self.work_size = work_size
        self.scales = scales

    def __call__(self, image: np.ndarray) -> Proposals:
        height, width = image.shape[:2]
        layers = [self._full_size(layer, width, height) for layer in self.label_layers(image)]
        sizes = [int(layer.max()) + 1 for layer in layers]
        offsets = np.cumsum([0, *sizes])
        areas = np.concatenate([np.bincount(layer.ravel(), minlength=n)
                                for layer, n in zip(layers, sizes, strict=True)])
        # every region is one label of one layer, so all pairwise intersections are label co-occurrence
        # counts: a bincount per pair of layers instead of building and multiplying every mask
        inter = np.zeros((offsets[-1], offsets[-1]))
        for i, (a, na) in enumerate(zip(layers, sizes, strict=True)):
            for j in range(i, len(layers)):
                joint = np.bincount((a.ravel() * sizes[j] + layers[j].ravel()), minlength=na * sizes[j])
                block = joint.reshape(na, sizes[j])
                inter[offsets[i]:offsets[i + 1], offsets[j]:offsets[j + 1]] = block
                inter[offsets[j]:offsets[j + 1], offsets[i]:offsets[i + 1]] = block.T
        scores = areas / float(height * width)  # no learned quality score: prefer larger regions
        chosen = select_proposals(areas, lambda rows: inter[np.ix_(rows, rows)], scores, self.config,
                                  overlap_of="union")
        if chosen.size == 0:
            return Proposals.empty(height, width)
        layer_of = np.searchsorted(offsets, chosen, side="right") - 1
        masks = np.stack([layers[k] == c - offsets[k] for k, c in zip(layer_of, chosen, strict=True)])
        return Proposals(masks, scores[chosen].astype(np.float32))

    def label_layers(self, image: np.ndarray) -> list[np.ndarray]:
        """Label images at the work size: one per scale, plus the finest with shaded parts joined."""
        from skimage.segmentation import felzenszwalb

        small = _downscale(image, self.work_size)
        min_size = max(20, int(small.shape[0] * small.shape[1] * MIN_REGION_SHARE))
        layers = []
        for index, scale in enumerate(self.scales):
            labels = felzenszwalb(small, scale=scale, sigma=SIGMA, min_size=min_size)
            layers.extend([labels, merge_shaded_parts(small, labels)] if index == 0 else [labels])
        return layers

    @staticmethod
    def _full_size(labels: np.ndarray, width: int, height: int) -> np.ndarray:
        """Labels renumbered 0..n-1 and scaled (nearest) to the image's size."""
        _, dense = np.unique(labels, return_inverse=True)
        dense = dense.reshape(labels.shape).astype(np.int32)
        if dense.shape == (height, width):
            return dense
        return np.asarray(Image.fromarray(dense).resize((width, height), Image.NEAREST))


def merge_shaded_parts(image: np.ndarray, labels: np.ndarray, max_chroma_distance: float = 0.12,
                       min_saturation: float = 0.25, max_object_share: float = 0.15,
                       min_solidity: float = 0.9) -> np.ndarray:
    """Join adjacent regions of one surface seen under different light.

    A cube's lit and shaded faces differ in brightness, not in chromaticity (colour divided by
    brightness), so adjacent regions whose mean chromaticities are closer than
    ``max_chroma_distance`` belong together. Saturated regions are joined on that alone
    (connected components of such edges: skimage's rag_mean_color + cut_threshold rule);
    neighbours of another colour are left apart. Grey and white regions all share one
    chromaticity, the table's and the wall's too, so they are joined only as a whole group
    that looks like one object: every part smaller than ``max_object_share`` of the image and
    the group compact (pixels / convex hull >= ``min_solidity``: a white cube's three faces
    make a hexagon, two white objects side by side do not). Written with numpy bincounts
    instead of skimage's RAG, which held the GIL for ~0.4 s per VGA frame and starved the
    node's image callback.
    """
    pixels = image.astype(np.float64) + 1.0
    chroma = pixels / pixels.mean(axis=2, keepdims=True) - 1.0  # zero for grey, length = saturation
    flat = labels.ravel()
    count = int(flat.max()) + 1
    sizes = np.bincount(flat, minlength=count)
    means = np.stack([np.bincount(flat, chroma[..., c].ravel(), minlength=count) for c in range(3)], 1)
    means /= np.maximum(sizes, 1)[:, None]
    pairs = _touching_pairs(labels)
    saturation = np.linalg.norm(means, axis=1)
    close = np.linalg.norm(means[pairs[:, 0]] - means[pairs[:, 1]], axis=1) < max_chroma_distance
    low = np.minimum(saturation[pairs[:, 0]], saturation[pairs[:, 1]])
    coloured = low >= min_saturation
    parent = _union_find(count, pairs[close & coloured])
    small = sizes < max_object_share * labels.size
    neutral = pairs[close & (np.maximum(saturation[pairs[:, 0]], saturation[pairs[:, 1]]) < min_saturation)
                    & small[pairs[:, 0]] & small[pairs[:, 1]]]
    groups = _union_find(count, neutral)
    for group in np.unique(groups[neutral[:, 0]]) if len(neutral) else ():
        members = np.flatnonzero(groups == group)
        if _solidity(np.isin(labels, members)) >= min_solidity:
            for member in members[1:]:
                parent[parent == parent[member]] = parent[members[0]]
    return parent[labels]


def _touching_pairs(labels: np.ndarray) -> np.ndarray:
    """(P, 2) label pairs (smaller first) that share a horizontal or vertical pixel edge."""
    first = np.concatenate([labels[:, :-1].ravel(), labels[:-1, :].ravel()])
    second = np.concatenate([labels[:, 1:].ravel(), labels[1:, :].ravel()])
    touching = first != second
    return np.unique(np.stack([np.minimum(first, second)[touching], np.maximum(first, second)[touching]], 1),
                     axis=0).reshape(-1, 2)


def _union_find(count: int, edges: np.ndarray) -> np.ndarray:
    """Component root per node for an undirected edge list."""
    parent = list(range(count))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in edges:
        parent[root(int(b))] = root(int(a))
    return np.array([root(node) for node in range(count)])


def _solidity(mask: np.ndarray) -> float:
    """Share of the convex hull the mask fills (1 for a convex shape)."""
    from skimage.morphology import convex_hull_image

    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    crop = mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    return float(crop.sum() / max(convex_hull_image(crop).sum(), 1))


def _downscale(image: np.ndarray, long_side: int) -> np.ndarray:
    height, width = image.shape[:2]
    factor = long_side / max(height, width)
    if factor >= 1.0:
        return image
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR))
