"""A picture of an answer for people: the chosen mask tinted, its box and centroid drawn."""

from __future__ import annotations

import numpy as np

from .results import Result

ANCHOR_COLOUR = (40, 120, 255)


def draw_overlay(image: np.ndarray, result: Result, anchors: list[np.ndarray] | tuple = (),
                 colour: tuple[int, int, int] = (255, 40, 40)) -> np.ndarray:
    """RGB uint8 copy of ``image`` with the result drawn on it (unchanged if no mask); relation
    anchors are outlined in blue so a person sees what "left of X" was measured against."""
    canvas = image.copy()
    for anchor in anchors:
        outline_mask(canvas, anchor, ANCHOR_COLOUR)
    if result.mask is None:
        return canvas
    tint = np.array(colour, dtype=np.float32)
    canvas[result.mask] = (0.5 * canvas[result.mask] + 0.5 * tint).astype(np.uint8)
    if result.box:
        x0, y0, x1, y1 = result.box
        canvas[y0, x0:x1 + 1] = colour
        canvas[y1, x0:x1 + 1] = colour
        canvas[y0:y1 + 1, x0] = colour
        canvas[y0:y1 + 1, x1] = colour
    if result.centroid_px:
        u, v = (int(round(c)) for c in result.centroid_px)
        height, width = canvas.shape[:2]
        canvas[max(v - 3, 0):min(v + 4, height), min(max(u, 0), width - 1)] = (255, 255, 255)
        canvas[min(max(v, 0), height - 1), max(u - 3, 0):min(u + 4, width)] = (255, 255, 255)
    return canvas


def outline_mask(canvas: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int]) -> None:
    """Draw the mask's boundary in place (skimage's boundary finder, two pixels wide)."""
    from skimage.segmentation import find_boundaries

    canvas[find_boundaries(mask, mode="thick")] = colour
