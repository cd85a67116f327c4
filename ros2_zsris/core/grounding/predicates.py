"""Soft spatial predicates over candidate objects: every score lies in (0, 1].

Scores are soft so that the ranking can trade them against CLIP's confidence: a candidate
that is almost as far left as the leftmost one keeps some weight, and a clearly better CLIP
match can still win. Scales are relative (to the image diagonal, or to the spread of the
candidates' values) so the same settings hold at 192x144 and at 1920x1080.
"""

from __future__ import annotations

import numpy as np

from .regions import RegionGeometry

RELATIVE_SOFTNESS = 0.15  # share of the candidates' spread that costs a factor e
DIRECTION_SOFTNESS = 0.02  # share of the image size over which "left of" turns from 0 to 1
NEAR_SCALE = 0.35  # share of the image diagonal (or metres with depth) that halves "near"


def extreme(values: np.ndarray, candidates: np.ndarray, direction: str) -> np.ndarray:
    """How close each value is to the max (or min) over the candidates."""
    pool = values[candidates]
    pool = pool[np.isfinite(pool)]
    if pool.size == 0:
        return np.ones_like(values, dtype=np.float64)
    best = pool.max() if direction == "max" else pool.min()
    spread = float(pool.max() - pool.min())
    scale = max(RELATIVE_SOFTNESS * spread, 1e-9)
    gap = (best - values) if direction == "max" else (values - best)
    scores = np.exp(-np.clip(np.nan_to_num(gap, nan=spread * 10 + 1.0), 0.0, None) / scale)
    return scores


def location(regions: RegionGeometry, candidates: np.ndarray, where: str) -> np.ndarray:
    """left / right / top / bottom / middle of the candidates; front / back = camera distance."""
    u = regions.centroid[:, 0] / regions.image_size[1]
    v = regions.centroid[:, 1] / regions.image_size[0]
    if where == "left":
        return extreme(u, candidates, "min")
    if where == "right":
        return extreme(u, candidates, "max")
    if where == "top":
        return extreme(v, candidates, "min")
    if where == "bottom":
        return extreme(v, candidates, "max")
    if where == "front":
        return extreme(regions.camera_distance(), candidates, "min")
    if where == "back":
        return extreme(regions.camera_distance(), candidates, "max")
    # middle: of the candidates' row when there are several, else of the image
    centre = float(np.median(u[candidates])) if candidates.sum() >= 3 else 0.5
    return extreme(np.abs(u - centre), candidates, "min")


def ordinal(regions: RegionGeometry, candidates: np.ndarray, n: int, direction: str) -> np.ndarray:
    """1 for the n-th candidate counted from ``direction``, falling off with rank distance."""
    key = {"left": regions.centroid[:, 0], "right": -regions.centroid[:, 0], "top": regions.centroid[:, 1],
           "bottom": -regions.centroid[:, 1], "front": regions.camera_distance(),
           "back": -regions.camera_distance()}[direction]
    order = np.flatnonzero(candidates)[np.argsort(key[candidates], kind="stable")]
    scores = np.full(regions.count, 1e-3)
    for rank, index in enumerate(order):
        scores[index] = 0.1 ** abs(rank - (n - 1))
    return scores


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
    if kind == "near":
        return near
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
