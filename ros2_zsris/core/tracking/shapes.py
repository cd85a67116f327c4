"""Where a followed object's shape goes and whether the object is there: helpers of the Follower
(core/tracking/follower.py) that read a track, never change which object it follows."""

from __future__ import annotations

import cv2
import numpy as np

from .flow import FlowTracker, Motion, Region, fraction, place
from .identity import LOOKS_LIKE_SHARE
from .track import MIN_VISIBLE_PX, KeptFrame, Track

BACK_IN_VIEW = 0.5  # a searched-for object's shape this much in view is looked for on the camera frame
MEAN_SHIFT = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 10, 1.0)  # the search around the predicted place
CATCH_UP_STEPS = 20  # flow steps of a catch-up at most (more kept frames: one step per few frames) ...
MAX_STRIDE = 4  # ... but never more than this many frames per step
FLOW_SUPPORT_POINTS = 20  # agreeing points for full confidence in the flow


def carry(track: Track, flow: FlowTracker, frames: list[KeptFrame],
          placement: np.ndarray) -> list[tuple[KeptFrame, np.ndarray, float]]:
    """The shape carried over kept frames in the given order (forwards or backwards in time):
    (frame, placement, flow quality) each. A long catch-up (a slow first answer) takes one flow
    step per few frames, the frames between getting their share of its motion, so that the
    frames arriving meanwhile do not wait behind it."""
    stride = min(MAX_STRIDE, max(1, -(-len(frames) // CATCH_UP_STEPS)))
    carried = []
    for first in range(0, len(frames), stride):
        chunk, before = frames[first:first + stride], placement
        motion = flow.step(chunk[-1].grey, place(track.support, placement, track.size), span=len(chunk))
        if motion.affine is not None:
            placement = motion.affine @ placement
        moved, quality = placement @ np.linalg.inv(before), flow_quality(motion)
        carried += [(kept, fraction(moved, share / len(chunk)) @ before, quality)
                    for share, kept in enumerate(chunk[:-1], start=1)]
        carried.append((chunk[-1], placement, quality))
    return carried


def drop_covered_points(track: Track, rgb: np.ndarray, shape: Region, visible: Region) -> None:
    """Points now on something that is neither the object (inside its shape) nor the table around
    it (outside) sit on an occluder: an arm sliding over the object would drag them along."""
    points = track.flow.points
    if len(points) == 0:
        return
    height, width = rgb.shape[:2]
    xy = np.clip(np.rint(points.reshape(-1, 2)).astype(int), 0, [width - 1, height - 1])
    rows, cols = xy[:, 1] - shape.y0, xy[:, 0] - shape.x0
    box_h, box_w = shape.mask.shape
    in_box = (rows >= 0) & (rows < box_h) & (cols >= 0) & (cols < box_w)
    inside = np.zeros(len(xy), bool)
    inside[in_box] = shape.mask[rows[in_box], cols[in_box]]
    keep = np.empty(len(xy), bool)
    keep[inside] = visible.mask[rows[inside], cols[inside]]
    outside = ~inside
    keep[outside] = track.surround.matches(rgb[xy[outside, 1], xy[outside, 0]])
    track.flow.points = points[keep]


def support(track: Track) -> Region:
    """Where new features may be found: around the shape, but not on what hides part of it."""
    support = place(track.support, track.placement, track.size)
    hidden = track.hidden
    if hidden is not None and hidden.mask.any():
        full = support.full(track.size)
        full &= ~hidden.full(track.size)
        height, width = support.mask.shape
        support = Region(support.x0, support.y0, full[support.y0:support.y0 + height,
                                                      support.x0:support.x0 + width])
    return support


def back_in_view(track: Track, placement: np.ndarray) -> bool:
    expected = track.anchor.mask.sum() * abs(np.linalg.det(placement[:2, :2]))
    return track.shape(placement).mask.sum() >= BACK_IN_VIEW * expected


def seen_at(track: Track, rgb: np.ndarray, placement: np.ndarray) -> bool:
    """The object's shape placed there is mostly in view and mostly has the object's colours."""
    if not back_in_view(track, placement):
        return False
    shape = track.shape(placement)
    visible_px = int(track.colours.visible(rgb, shape).mask.sum())
    return visible_px >= max(MIN_VISIBLE_PX, LOOKS_LIKE_SHARE * int(shape.mask.sum()))


def nearby(track: Track, rgb: np.ndarray, placement: np.ndarray) -> np.ndarray:
    """The placement moved onto the object's colours around where it is predicted (cv2.meanShift
    of their back-projection, from the predicted box, within one object size): the view's motion
    summed over a long absence (and frames lost on the way) leaves some drift."""
    shape = track.shape(placement)
    height, width = shape.mask.shape
    if not shape.mask.any():
        return placement
    margin = max(height, width)
    x0, y0 = max(shape.x0 - margin, 0), max(shape.y0 - margin, 0)
    x1, y1 = min(shape.x0 + width + margin, track.size[1]), min(shape.y0 + height + margin, track.size[0])
    likely = track.colours.likelihood(rgb[y0:y1, x0:x1])
    window = (shape.x0 - x0, shape.y0 - y0, width, height)
    _, (moved_x, moved_y, _, _) = cv2.meanShift(likely, window, MEAN_SHIFT)
    nearby = placement.copy()
    nearby[0, 2] += moved_x - window[0]
    nearby[1, 2] += moved_y - window[1]
    return nearby

def flow_quality(motion: Motion) -> float:
    """1 when enough points agree on the motion; 0 without an estimate; low while coasting."""
    if motion.affine is None:
        return 0.0
    if motion.coasting:
        return 0.3
    return float(min(1.0, motion.inliers / FLOW_SUPPORT_POINTS) * motion.inlier_ratio)
