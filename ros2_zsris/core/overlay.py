"""A picture of an answer for people: each object's mask tinted, its box and centroid drawn, and,
when the command named several objects, its number (1, 2, ... in the order of Result.objects)."""

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
    objects = [(o.mask, o.box, o.centroid_px) for o in result.objects] or (
        [(result.mask, result.box, result.centroid_px)] if result.mask is not None else [])
    for number, (mask, box, centroid) in enumerate(objects, start=1):
        _draw_object(canvas, mask, box, centroid, colour)
        if len(objects) > 1 and centroid:
            _number(canvas, number, centroid)
    return canvas


def _draw_object(canvas: np.ndarray, mask: np.ndarray, box, centroid, colour: tuple[int, int, int]) -> None:
    tint = np.array(colour, dtype=np.float32)
    canvas[mask] = (0.5 * canvas[mask] + 0.5 * tint).astype(np.uint8)
    if box:
        x0, y0, x1, y1 = box
        canvas[y0, x0:x1 + 1] = colour
        canvas[y1, x0:x1 + 1] = colour
        canvas[y0:y1 + 1, x0] = colour
        canvas[y0:y1 + 1, x1] = colour
    if centroid:
        u, v = (int(round(c)) for c in centroid)
        height, width = canvas.shape[:2]
        canvas[max(v - 3, 0):min(v + 4, height), min(max(u, 0), width - 1)] = (255, 255, 255)
        canvas[min(max(v, 0), height - 1), max(u - 3, 0):min(u + 4, width)] = (255, 255, 255)


def _number(canvas: np.ndarray, number: int, centroid) -> None:
    """The object's number beside its centroid, white on a dark outline, sized to the picture."""
    import cv2

    scale = max(0.35, canvas.shape[0] / 480.0)
    thickness = max(1, int(round(2 * scale)))
    origin = (int(round(centroid[0])) + 4, int(round(centroid[1])) - 4)
    cv2.putText(canvas, str(number), origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 2, cv2.LINE_AA)
    cv2.putText(canvas, str(number), origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness,
                cv2.LINE_AA)


def outline_mask(canvas: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int]) -> None:
    """Draw the mask's boundary in place (skimage's boundary finder, two pixels wide)."""
    from skimage.segmentation import find_boundaries

    canvas[find_boundaries(mask, mode="thick")] = colour
