"""Depth and camera_info matched to colour frames by stamp, and 3D centroids from them.

Depth and colour travel as separate topics, so each colour frame looks for the kept depth
frame nearest in stamp, within ``depth_max_stamp_diff`` (an approximate-time synchroniser
without message_filters, which is not on PyPI). Depth must be registered to the colour image:
it is never resized; a size mismatch is reported, not guessed around (REP-118).

The depth frame an encoded colour frame was paired with is kept with it (the last
PAIRED_DEPTH_FRAMES pairs), so its 3D centroid is found however long the encoding took or the
command waited, after newer depth frames pushed it out of the KEPT_DEPTH_FRAMES recent ones.
A colour frame whose depth never came (best-effort transport drops messages) is marked
``missing``: commands prefer a frame that has its depth (frame_cache.py).
"""

from __future__ import annotations

import collections
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from sensor_msgs.msg import CameraInfo, Image

from ..core import ZsrisError
from ..core.geometry import CameraIntrinsics, back_project, depth_in_metres, robust_mask_depth
from .conversions import depth_to_array
from .log_throttle import ProblemLog, problem_key

DEPTH_WAIT_S = 1.0  # longest wait of a colour frame for its depth frame before encoding
KEPT_DEPTH_FRAMES = 30
PAIRED_DEPTH_FRAMES = 16  # depth frames kept with the colour frames they were encoded with


def stamp_seconds(stamp) -> float:
    return float(stamp.sec) + float(stamp.nanosec) * 1e-9


class FrameDepth(NamedTuple):
    """What a colour frame is encoded with."""

    depth: np.ndarray | None  # registered depth in stamp tolerance, or None (2D reasoning)
    camera_k: np.ndarray | None  # 3x3 intrinsics, with the depth
    missing: bool  # depth is in use, but none came within depth_max_stamp_diff of this frame


@dataclass
class Point3D:
    point: tuple[float, float, float] | None
    depth_m: float
    reason: str


class DepthSync:
    """Keeps the latest depth frames and camera_info; answers for a colour frame's stamp."""

    def __init__(self, max_stamp_diff: Callable[[], float], problems: ProblemLog, running: Callable[[], bool]):
        self._max_stamp_diff = max_stamp_diff  # read at each use: a run-time parameter
        self._problems = problems
        self._running = running
        self._depths: collections.deque = collections.deque(maxlen=KEPT_DEPTH_FRAMES)
        self._paired: collections.OrderedDict[float, tuple[float, np.ndarray]] = collections.OrderedDict()
        self._camera_info: CameraInfo | None = None
        self._arrived = threading.Condition()
        self.depth_received = 0  # for /diagnostics: is the depth stream getting through at all?
        self.camera_info_received = 0

    # ------------------------------------------------------------------ subscriptions
    def on_depth(self, msg: Image) -> None:
        try:
            with self._arrived:
                self._depths.append((stamp_seconds(msg.header.stamp), depth_to_array(msg)))
                self.depth_received += 1
                self._arrived.notify_all()
        except ZsrisError as error:
            self._problems.report(f"dropping depth images: {error}", key=f"depth:{problem_key(str(error))}")

    def on_camera_info(self, msg: CameraInfo) -> None:
        with self._arrived:
            self._camera_info = msg
            self.camera_info_received += 1
            self._arrived.notify_all()

    def keep(self, frames: int) -> None:
        """Keep at least ``frames`` depth frames (follow mode answers frames from before its command's
        answer, each with its 3D centroid); memory: one depth image each."""
        with self._arrived:
            if frames > (self._depths.maxlen or 0):
                self._depths = collections.deque(self._depths, maxlen=frames)

    def settled(self, stamp_s: float) -> bool:
        """Whether the depth frame a colour frame stamped ``stamp_s`` gets is known by now: no depth
        stream is in use, or a depth frame stamped at or after it has arrived (depth arrives in stamp
        order, so no nearer one can come)."""
        with self._arrived:
            return not self._depths or max(stamp for stamp, _ in self._depths) >= stamp_s - 1e-6

    def wake(self) -> None:
        """Shutdown: a frame waiting for its depth stops waiting."""
        with self._arrived:
            self._arrived.notify_all()

    # ------------------------------------------------------------------ answers
    def for_encoding(self, stamp_s: float, size: tuple[int, int]) -> FrameDepth:
        """The depth frame and K that spatial words may use ("closest", "behind"): only when
        depth is in stamp tolerance and registered to the image; otherwise 2D reasoning.
        Once a depth stream is in use, a colour frame waits up to DEPTH_WAIT_S for its depth
        and camera_info, as an approximate-time synchroniser would (they travel separately)."""
        def matching():
            if not self._depths or self._camera_info is None:
                return None
            stamp, depth = self._nearest(stamp_s)
            return (stamp, depth) if abs(stamp - stamp_s) <= self._max_stamp_diff() else None

        with self._arrived:
            in_use = bool(self._depths)
            if in_use:
                self._arrived.wait_for(lambda: matching() is not None or not self._running(), DEPTH_WAIT_S)
            pair, info = matching(), self._camera_info
            if pair is not None:  # kept with the frame for its 3D centroid
                self._paired[stamp_s] = pair
                while len(self._paired) > PAIRED_DEPTH_FRAMES:
                    self._paired.popitem(last=False)
        missing = in_use and pair is None and self._running()
        depth = pair[1] if pair is not None else None
        if depth is None or info is None or depth.shape != size or (info.height, info.width) != size:
            return FrameDepth(None, None, missing)
        return FrameDepth(depth, np.asarray(info.k, dtype=np.float64).reshape(3, 3), False)

    def locate(self, mask: np.ndarray, centroid_px: tuple[float, float], stamp_s: float) -> Point3D:
        """3D centroid from the depth image nearest in stamp, or the reason there is none."""
        if not self._depths:
            return Point3D(None, math.nan, "")  # depth not in use: documented, not an error
        info = self._camera_info
        if info is None:
            return Point3D(None, math.nan, "no camera_info received")
        stamp, depth = self._nearest(stamp_s)
        height, width = mask.shape
        limit = self._max_stamp_diff()
        if abs(stamp - stamp_s) > limit:
            return Point3D(None, math.nan, f"nearest depth stamp differs by {abs(stamp - stamp_s):.3f} s "
                                           f"> depth_max_stamp_diff={limit}")
        if depth.shape != (height, width) or (info.width, info.height) != (width, height):
            return Point3D(None, math.nan, (
                f"depth {depth.shape[1]}x{depth.shape[0]} / camera_info {info.width}x{info.height} do not match "
                f"the image {width}x{height}: publish depth registered to the colour camera"))
        intrinsics = CameraIntrinsics.from_k(info.k)
        if not intrinsics.is_valid():
            return Point3D(None, math.nan, "camera_info K is not a valid pinhole matrix")
        z = robust_mask_depth(depth_in_metres(depth), mask)
        if z is None:
            return Point3D(None, math.nan, "too few valid depth pixels under the mask")
        return Point3D(back_project(*centroid_px, z, intrinsics), z, "")

    def _nearest(self, stamp_s: float) -> tuple[float, np.ndarray]:
        """(stamp, depth) of the depth frame this colour frame was encoded with, else of the kept
        depth frame nearest in stamp; the deque must not be empty."""
        with self._arrived:  # re-entrant: for_encoding holds it already
            paired = self._paired.get(stamp_s)
            return paired if paired is not None else min(self._depths, key=lambda item: abs(item[0] - stamp_s))
