"""Soft pairwise spatial relations between proposals: every score lies in (0, 1].

Scores are soft so that the ranking can trade them against CLIP's confidence. Scales are
relative (to the image size or diagonal, or with depth to the scene's extent) so the same
settings hold at 192x144 and at 1920x1080.
"""

from __future__ import annotations

import numpy as np

from .regions import RegionGeometry

DIRECTION_SOFTNESS = 0.02  # share of the image size over which "left of" turns from 0 to 1
NEAR_SCALE = 0.35  # share of the image diagonal (or metres with depth) that halves "near"


def pairwise(regions: RegionGeometry, kind: str) -> np.ndarray:
    """(N, N) score that region i stands in relation ``kind`` to anchor region j."""
    height, width = regions.image_size
    u = regions.centroid[:, 0] / width
    v = regions.centroid[:, 1] / height
    du = u[None, :] - u[:, None]  # anchor minus target: > 0 when the target is left of the anchor
    dv = v[None, :] - v[:, None]  # > 0 when the target is above the anchor
    distance = pairwise_distances(regions)
    near = np.exp(-distance / _near_scale(regions))
    half_width = (regions.box[:, 2] - regions.box[:, 0] + 1) / (2.0 * width)
    clear = half_width[None, :]  # "left of X": past X's middle by half X's width, not level with it
    if kind == "left_of":
        return _sigmoid((du - clear) / DIRECTION_SOFTNESS) * near ** 0.5
    if kind == "right_of":
        return _sigmoid((-du - clear) / DIRECTION_SOFTNESS) * near ** 0.5
    if kind in ("above", "on"):
        overlap = _horizontal_overlap(regions)
        return _sigmoid(dv / DIRECTION_SOFTNESS) * (0.2 + 0.8 * overlap) * near
    if kind in ("below", "under"):
        overlap = _horizontal_overlap(regions)
        return _sigmoid(-dv / DIRECTION_SOFTNESS) * (0.2 + 0.8 * overlap) * near
    if kind in ("in_front_of", "behind"):
        camera = regions.camera_distance()
        spread = max(float(np.nanmax(camera) - np.nanmin(camera)), 1e-6)
        closer = (camera[None, :] - camera[:, None]) / (DIRECTION_SOFTNESS * 5 * spread)
        side = _sigmoid(closer if kind == "in_front_of" else -closer)
        return side * np.exp(-np.abs(du) / 0.25)
    raise ValueError(f"no pairwise predicate '{kind}'")


def between(regions: RegionGeometry, first: int, second: int) -> np.ndarray:
    """How well each region lies on the segment from one anchor to the other."""
    positions = regions.centroid / np.array(regions.image_size[::-1], dtype=np.float64)
    a, b = positions[first], positions[second]
    ab = b - a
    length_sq = float(ab @ ab)
    if length_sq < 1e-12:
        return np.full(regions.count, 1e-3)
    t = ((positions - a) @ ab) / length_sq
    perpendicular = np.linalg.norm(positions - (a + np.outer(t, ab)), axis=1) / np.sqrt(length_sq)
    inside = _sigmoid((t - 0.05) / 0.05) * _sigmoid((0.95 - t) / 0.05)
    return inside * np.exp(-perpendicular / 0.35)


def pairwise_distances(regions: RegionGeometry) -> np.ndarray:
    positions = regions.positions()
    return np.linalg.norm(positions[:, None, :] - positions[None, :, :], axis=-1)


def _near_scale(regions: RegionGeometry) -> float:
    """NEAR_SCALE of the diagonal in pixel space; with 3D points, of the scene's extent."""
    if regions.points is not None and np.isfinite(regions.points).all():
        extent = float(np.linalg.norm(regions.points.max(axis=0) - regions.points.min(axis=0)))
        return max(NEAR_SCALE * extent, 1e-3)
    return NEAR_SCALE


def _horizontal_overlap(regions: RegionGeometry) -> np.ndarray:
    x0, x1 = regions.box[:, 0].astype(np.float64), regions.box[:, 2].astype(np.float64) + 1
    inter = np.clip(np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :]), 0, None)
    return inter / np.maximum((x1 - x0)[:, None], 1.0)  # share of the target's width over the anchor


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))
