"""Which pixels of a tracked object's shape are the object itself, and which are hidden.

The flow moves the object's whole shape; a hand passing in front covers part of it. Inside the
moved shape the only alternative to the object is whatever stands in front, so a pixel is kept
when its colour is common on the object: an OpenCV histogram of the object's chromaticity
(r, g of r+g+b: unchanged when a lamp dims), back-projected on the frame (``cv2.calcBackProject``),
and its brightness is within a band around the object's own (a grey sleeve in front of a white
cup has the cup's chromaticity, not its brightness). Both adapt slowly to the pixels kept, so a
dimming, warmer light carries them along. Very dark pixels carry no colour and are kept.
"""

from __future__ import annotations

import cv2
import numpy as np

from .flow import Region

BINS = 32
DARK = 40  # r+g+b below this: chromaticity is noise
KEEP_SHARE = 0.004  # a colour bin holding at least this share of the object's (blurred) pixels is "object"
ADAPT = 0.05  # share of the histogram renewed from each frame's kept pixels
BRIGHTNESS_BAND = (0.5, 1.8)  # kept: brightness within this factor of the object's median (shading, highlights)


def chromaticity(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(r, g) chromaticity as uint8 0..255 planes, and the dark-pixel mask."""
    pixels = rgb.astype(np.float32)
    total = pixels.sum(axis=2)
    safe = np.maximum(total, 1.0)
    planes = np.stack([pixels[..., 0] / safe, pixels[..., 1] / safe], axis=2) * 255.0
    return np.clip(planes, 0, 255).astype(np.uint8), total < DARK


class ColourModel:
    """The object's chromaticity histogram and brightness; ``visible`` keeps the pixels that look
    like it. Works on regions (a mask on its box), so a frame costs the object's size, not the image's."""

    def __init__(self) -> None:
        self.histogram: np.ndarray | None = None
        self.brightness = 0.0  # median r+g+b of the object's pixels

    def fit(self, rgb: np.ndarray, region: Region, weight: float = 1.0) -> None:
        """(Re)learn from the object's pixels; ``weight`` < 1 blends with what was known."""
        patch = _patch(rgb, region)
        fresh = self._histogram(patch, region.mask)
        if fresh is None:
            return
        brightness = float(np.median(patch[region.mask].astype(np.float32).sum(axis=1)))
        if self.histogram is None or weight >= 1.0:
            self.histogram, self.brightness = fresh, brightness
        else:
            self.histogram = (1.0 - weight) * self.histogram + weight * fresh
            self.brightness = (1.0 - weight) * self.brightness + weight * brightness

    def visible(self, rgb: np.ndarray, shape: Region) -> Region:
        """The pixels of ``shape`` whose colour and brightness are the object's."""
        if self.histogram is None or not shape.mask.any():
            return Region(shape.x0, shape.y0, shape.mask.copy())
        patch = _patch(rgb, shape)
        planes, dark = chromaticity(patch)
        total = patch.astype(np.float32).sum(axis=2)
        low, high = BRIGHTNESS_BAND
        likely = self._lookup(planes) & (total >= low * self.brightness) & (total <= high * self.brightness)
        keep = (likely | dark) & shape.mask
        keep = cv2.morphologyEx(keep.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0
        return Region(shape.x0, shape.y0, keep)

    def likelihood(self, patch: np.ndarray) -> np.ndarray:
        """uint8 0/255 image: which pixels of an RGB patch have the object's colour and brightness
        (dark pixels, which carry no colour, are not counted): a back-projection to search in."""
        if self.histogram is None:
            return np.zeros(patch.shape[:2], np.uint8)
        planes, dark = chromaticity(patch)
        total = patch.astype(np.float32).sum(axis=2)
        low, high = BRIGHTNESS_BAND
        likely = self._lookup(planes) & (total >= low * self.brightness) & (total <= high * self.brightness) & ~dark
        return likely.astype(np.uint8) * 255

    def adapt(self, rgb: np.ndarray, visible: Region) -> None:
        self.fit(rgb, visible, ADAPT)

    def matches(self, pixels: np.ndarray) -> np.ndarray:
        """(N,) bool: which of these (N, 3) RGB pixels have the model's colour and brightness."""
        if self.histogram is None or len(pixels) == 0:
            return np.ones(len(pixels), bool)
        planes, dark = chromaticity(pixels[:, None, :])
        total = pixels.astype(np.float32).sum(axis=1)
        low, high = BRIGHTNESS_BAND
        likely = self._lookup(planes)[:, 0] & (total >= low * self.brightness) & (total <= high * self.brightness)
        return likely | dark[:, 0]

    def _lookup(self, planes: np.ndarray) -> np.ndarray:
        table = (self.histogram >= KEEP_SHARE).astype(np.float32) * 255.0
        projected = cv2.calcBackProject([planes], [0, 1], table, [0, 256, 0, 256], 1)
        return projected > 0

    @staticmethod
    def _histogram(patch: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
        inner = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8))
        if inner.sum() < 10:
            inner = mask.astype(np.uint8)
        planes, dark = chromaticity(patch)
        inner[dark] = 0
        if inner.sum() == 0:
            return None
        histogram = cv2.calcHist([planes], [0, 1], inner, [BINS, BINS], [0, 256, 0, 256])
        histogram = cv2.GaussianBlur(histogram, (3, 3), 0.8)  # neighbouring colours: light and noise
        return histogram / max(float(histogram.sum()), 1e-6)


def _patch(rgb: np.ndarray, region: Region) -> np.ndarray:
    height, width = region.mask.shape
    return rgb[region.y0:region.y0 + height, region.x0:region.x0 + width]
