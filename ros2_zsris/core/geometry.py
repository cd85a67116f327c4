"""Mask geometry for a grasp planner: box, pixel centroid, robust depth, back-projection.

Conventions (REP-103/REP-118): pixel (u, v) with u to the right and v down, measured
at pixel centres, so a one-pixel mask at column 3, row 5 has centroid (3.0, 5.0); 3D
points in the camera's optical frame (z forward, x right, y down) in metres; depth in
metres (32FC1) or millimetres (16UC1) with 0 or non-finite values meaning "no depth".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CameraIntrinsics:
    fx: float
    fy: float
    cx: float
    cy: float

    @classmethod
    def from_k(cls, k: "np.ndarray | list[float]") -> "CameraIntrinsics":
        """From a row-major 3x3 K (sensor_msgs/CameraInfo.k)."""
        k = np.asarray(k, dtype=np.float64).reshape(3, 3)
        return cls(fx=float(k[0, 0]), fy=float(k[1, 1]), cx=float(k[0, 2]), cy=float(k[1, 2]))

    def is_valid(self) -> bool:
        return all(np.isfinite([self.fx, self.fy, self.cx, self.cy])) and self.fx > 0 and self.fy > 0


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """Tight box (x_min, y_min, x_max, y_max), inclusive pixel indices; None if empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]), int(rows[-1])


def mask_centroid(mask: np.ndarray) -> tuple[float, float] | None:
    """Mean pixel position (u, v) of the mask; None if empty.

    The mean can fall outside a non-convex mask (a ring, an L-shape); a planner that
    needs a point on the object should pick the mask pixel nearest to it.
    """
    v, u = np.nonzero(mask)
    if u.size == 0:
        return None
    return float(u.mean()), float(v.mean())


def depth_in_metres(depth: np.ndarray) -> np.ndarray:
    """float32 metres with NaN where invalid, from 32FC1 metres or 16UC1 millimetres."""
    if depth.dtype == np.uint16:
        metres = depth.astype(np.float32) / 1000.0
        metres[depth == 0] = np.nan
        return metres
    metres = depth.astype(np.float32, copy=True)
    metres[~np.isfinite(metres) | (metres <= 0)] = np.nan
    return metres


def robust_mask_depth(depth_m: np.ndarray, mask: np.ndarray, min_valid_px: int = 10) -> float | None:
    """Median valid depth over the mask: robust to flying pixels at object borders."""
    values = depth_m[mask]
    values = values[np.isfinite(values)]
    if values.size < min_valid_px:
        return None
    return float(np.median(values))


def back_project(u: float, v: float, z: float, k: CameraIntrinsics) -> tuple[float, float, float]:
    """Pinhole back-projection of pixel (u, v) at depth z into the optical frame."""
    return (u - k.cx) * z / k.fx, (v - k.cy) * z / k.fy, z
