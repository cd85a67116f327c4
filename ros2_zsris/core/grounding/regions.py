"""Per-proposal geometry, computed once per frame and kept with its features.

Everything a spatial predicate needs: centroid, box, visible area and size in pixels and,
when an aligned depth image is given, the median depth under each mask and (with the
camera intrinsics) the 3D centroid and metric size. Coordinates follow REP-103: pixel
(u, v) with v down; 3D in the camera's optical frame (z forward), metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import CameraIntrinsics

MIN_DEPTH_PIXELS = 10


@dataclass
class RegionGeometry:
    image_size: tuple[int, int]  # (height, width)
    centroid: np.ndarray  # (N, 2) u, v pixels
    box: np.ndarray  # (N, 4) x_min, y_min, x_max, y_max (inclusive)
    area: np.ndarray  # (N,) visible pixels
    overlap: np.ndarray | None = None  # (N, N) intersection over the smaller mask
    depth: np.ndarray | None = None  # (N,) median metres, NaN where unknown
    points: np.ndarray | None = None  # (N, 3) metres in the optical frame, NaN where unknown
    intrinsics: CameraIntrinsics | None = None

    @property
    def count(self) -> int:
        return int(self.area.shape[0])

    @property
    def has_depth(self) -> bool:
        return self.depth is not None and bool(np.isfinite(self.depth).any())

    def size(self, measure: str) -> np.ndarray:
        """area / height / width: metric (m^2, m) with depth + intrinsics, else pixels."""
        height = (self.box[:, 3] - self.box[:, 1] + 1).astype(np.float64)
        width = (self.box[:, 2] - self.box[:, 0] + 1).astype(np.float64)
        values = {"area": self.area.astype(np.float64), "height": height, "width": width}[measure]
        if self.intrinsics is None or self.depth is None or not np.isfinite(self.depth).all():
            return values
        k, z = self.intrinsics, self.depth
        if measure == "area":
            return values * z * z / (k.fx * k.fy)
        return values * z / (k.fy if measure == "height" else k.fx)

    def camera_distance(self) -> np.ndarray:
        """Distance from the camera along its axis: metres when depth is known, else a proxy.

        The proxy (1 - bottom edge / image height) orders a table seen from above the way
        depth would: what stands lower in the image stands closer.
        """
        proxy = 1.0 - (self.box[:, 3] + 1) / float(self.image_size[0])
        if not self.has_depth:
            return proxy
        depth = self.depth.copy()  # optical z: "in front of" and "closest" along the view
        return np.where(np.isfinite(depth), depth, np.nanmax(depth) + proxy)

    def positions(self) -> np.ndarray:
        """(N, 2 or 3) positions for distances between objects: 3D when known, else pixels
        scaled by the image diagonal so thresholds mean the same at every resolution."""
        if self.points is not None and np.isfinite(self.points).all():
            return self.points
        return self.centroid / float(np.hypot(*self.image_size))


def region_geometry(masks: np.ndarray, depth_m: np.ndarray | None = None,
                    intrinsics: CameraIntrinsics | np.ndarray | None = None) -> RegionGeometry:
    """Geometry of (N, H, W) bool masks; depth in metres with NaN where unknown; intrinsics as
    CameraIntrinsics or a 3x3 K."""
    if intrinsics is not None and not isinstance(intrinsics, CameraIntrinsics):
        intrinsics = CameraIntrinsics.from_k(intrinsics)
    count, height, width = masks.shape
    rows_any, cols_any = masks.any(axis=2), masks.any(axis=1)
    area = masks.reshape(count, height * width).sum(axis=1)
    box = np.zeros((count, 4), dtype=np.int64)
    centroid = np.full((count, 2), np.nan)
    us, vs = np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64)
    for i in range(count):
        if area[i] == 0:
            continue
        rows, cols = np.flatnonzero(rows_any[i]), np.flatnonzero(cols_any[i])
        box[i] = (cols[0], rows[0], cols[-1], rows[-1])
        centroid[i] = (masks[i].sum(axis=0) @ us / area[i], masks[i].sum(axis=1) @ vs / area[i])
    flat = masks.reshape(count, height * width).astype(np.float32)
    overlap = (flat @ flat.T) / np.maximum(np.minimum(area[:, None], area[None, :]), 1.0)
    geometry = RegionGeometry((height, width), centroid, box, area, overlap)
    if depth_m is not None:
        geometry.depth = _median_depths(masks, depth_m)
        if intrinsics is not None and intrinsics.is_valid():
            geometry.intrinsics = intrinsics
            z = geometry.depth
            geometry.points = np.stack([(centroid[:, 0] - intrinsics.cx) * z / intrinsics.fx,
                                        (centroid[:, 1] - intrinsics.cy) * z / intrinsics.fy, z], axis=1)
    return geometry


def _median_depths(masks: np.ndarray, depth_m: np.ndarray) -> np.ndarray:
    """Median valid depth per mask (robust to flying pixels at borders), NaN when too few."""
    valid = np.isfinite(depth_m) & (depth_m > 0)
    out = np.full(masks.shape[0], np.nan)
    for i, mask in enumerate(masks):
        values = depth_m[mask & valid]
        if values.size >= MIN_DEPTH_PIXELS:
            out[i] = float(np.median(values))
    return out
