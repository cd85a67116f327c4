"""Frame-to-frame motion of a tracked region with OpenCV's pyramidal Lucas-Kanade flow.

Why a similarity transform of corners and not per-pixel flow: objects on a table are mostly
uniform colour, so the trackable points are their outlines and the textured table right around
them; those move together with the object when the camera moves. RANSAC
(``cv2.estimateAffinePartial2D``) keeps the points that agree on one rotation + scale +
translation and drops the ones on a passing occluder, and the forward-backward check drops
points the flow could not follow. A hand sweeping across the object can still carry more points
than the object keeps, so points are first gated by the last frame's motion (a camera moves
smoothly; an occluder crossing the object does not move with it); a few points that pass give a
shift; when none do, a new motion is believed only if most points agree on it (the camera
jerked) and the object was visible, else the last motion is repeated. Points bunched in one
corner, or a zoom/turn no camera makes in 1/30 s, give a translation only. The transform then
moves the object's whole shape, so a part hidden for a while comes back in the right place.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WINDOW, LEVELS = (21, 21), 3
LK_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.03)
FORWARD_BACKWARD_PX = 1.0  # a point whose backward flow misses its start by more is dropped
RANSAC_PX = 2.0
MIN_POINTS = 6  # fewer agreeing points: no motion estimate this frame
MAX_STEP_ZOOM, MAX_STEP_TURN = 0.08, 0.08  # per frame: scale change, rotation (rad)
SPREAD_SHARE = 0.2  # points spread less than this share of the region's size: translation only
GATE_PX = 1.5  # points further than this from where the last frame's motion would put them are set aside
MIN_SHIFT_POINTS = 3  # fewer points than MIN_POINTS but at least these, agreeing with the last motion: a shift
JUMP_AGREEMENT = 0.6  # a motion unlike any prediction is believed when this share of the followed points agrees
JUMP_SHARE = 0.3  # ... and they are at least this share of all points (not a few left on an occluder)
SCENE_AGREEMENT = 0.5  # the view's motion counts when this share of its points agrees on it
GRID = 4  # the view's motion must be agreed on all over the image: cells of a GRID x GRID grid
SCENE_CELLS = 6  # ... a motion whose points cover this many cells is the view's even when they are few


@dataclass
class Region:
    """A mask on the part of the image it occupies: ``mask`` covers rows y0.., columns x0.."""

    x0: int
    y0: int
    mask: np.ndarray  # bool

    @property
    def extent(self) -> float:
        return float(max(self.mask.shape))

    def full(self, size: tuple[int, int]) -> np.ndarray:
        out = np.zeros(size, bool)
        height, width = self.mask.shape
        out[self.y0:self.y0 + height, self.x0:self.x0 + width] = self.mask
        return out


@dataclass
class Motion:
    """One frame step: ``affine`` (3x3) maps the previous frame's pixels to this frame's."""

    affine: np.ndarray | None  # None: no reliable estimate (too few agreeing points)
    inliers: int
    tracked: int  # points the flow followed (forward-backward consistent)
    coasting: bool = False  # the last motion, repeated: the object was hidden and its points disagreed

    @property
    def inlier_ratio(self) -> float:
        return self.inliers / self.tracked if self.tracked else 0.0


class FlowTracker:
    """Follows feature points in and around a region from one grey frame to the next, and the
    whole view's motion (the camera's, when the object stands still) as a second prediction."""

    def __init__(self, max_points: int = 200):
        self.max_points = max_points
        self.points = np.empty((0, 1, 2), np.float32)
        self.previous: np.ndarray | None = None
        self.velocity = np.eye(3)  # the last frame's motion: this frame's prediction
        self.scene = SceneMotion()
        self.view = np.eye(3)  # the view's last measured motion per frame (repeated while it gives none)
        self.view_step = np.eye(3)  # the view's motion over the last step

    def reset(self, grey: np.ndarray, support: Region) -> None:
        """New features on ``grey`` inside ``support``."""
        self.previous = grey
        self.points = _corners(grey, support, self.max_points)
        self.velocity = np.eye(3)
        self.scene.reset(grey, support)
        self.view_step = np.eye(3)

    def step(self, grey: np.ndarray, support: Region, trust_jumps: bool = True, span: int = 1) -> Motion:
        """The motion from the previous frame to ``grey``; features are topped up inside ``support``
        (the region's place in the previous frame) when too few are left. ``trust_jumps`` False (the
        object is mostly hidden): when the points disagree with every prediction, the view's motion
        (or the last motion) is used instead of following whatever covers the object. ``span``: camera
        frames between the two (frames skipped when the follower fell behind): the last motion is
        predicted that many times over."""
        if self.previous is None:
            raise RuntimeError("FlowTracker.step before reset")
        if len(self.points) < self.max_points // 2:
            fresh = _corners(self.previous, support, self.max_points)
            self.points = np.concatenate([self.points, fresh]) if len(self.points) else fresh
        self.scene.top_up(self.previous, support)
        both = np.concatenate([self.points, self.scene.points])  # one flow call for both: one pyramid
        forward, good = _lucas_kanade(self.previous, grey, both) if len(both) else (both, np.zeros(0, bool))
        count = len(self.points)
        scene = self.scene.update(forward[count:], good[count:])
        self._saw_view(scene, span)
        motion, kept = self._object_motion(forward[:count], good[:count], scene, trust_jumps, support.extent, span)
        self.previous, self.points = grey, kept
        self.velocity = fraction(motion.affine, 1.0 / span) if motion.affine is not None else np.eye(3)
        return motion

    def step_view(self, grey: np.ndarray, avoid: Region) -> np.ndarray:
        """The view's motion alone, from the previous frame to ``grey`` (3x3): where a still object
        that is out of sight has gone (a lost track is searched for there). When the view gives no
        estimate the last motion is repeated (a camera moves smoothly)."""
        if self.previous is None:
            raise RuntimeError("FlowTracker.step_view before reset")
        self.scene.top_up(self.previous, avoid)
        points = self.scene.points
        forward, good = _lucas_kanade(self.previous, grey, points) if len(points) else (points, np.zeros(0, bool))
        self._saw_view(self.scene.update(forward, good), 1)
        self.previous, self.points = grey, np.empty((0, 1, 2), np.float32)
        self.velocity = self.view
        return self.view_step.copy()

    def _saw_view(self, scene: np.ndarray | None, span: int) -> None:
        if scene is not None:
            self.view = fraction(scene, 1.0 / span)
        self.view_step = scene if scene is not None else np.linalg.matrix_power(self.view, span)

    def _object_motion(self, forward: np.ndarray, good: np.ndarray, scene: np.ndarray | None, trust_jumps: bool,
                       extent: float, span: int = 1) -> tuple[Motion, np.ndarray]:
        points = self.points
        if len(points) < MIN_POINTS:
            return (Motion(scene, 0, len(points), coasting=True) if scene is not None
                    else Motion(None, 0, len(points))), forward[good]
        velocity = np.linalg.matrix_power(self.velocity, span)
        predictions = [velocity] + ([scene] if scene is not None else [])
        agreeing = [good & (np.linalg.norm((forward - cv2.transform(points, h[:2])).reshape(-1, 2), axis=1)
                            < GATE_PX) for h in predictions]
        best = int(np.argmax([a.sum() for a in agreeing]))
        gated, prediction = agreeing[best], predictions[best]
        if gated.sum() >= MIN_POINTS:
            return _similarity(points[gated], forward[gated], prediction, extent)
        if gated.sum() >= MIN_SHIFT_POINTS:  # a few points still move as predicted: the rest is an occluder
            return _translation(points[gated], forward[gated], prediction)
        if good.sum() >= MIN_POINTS and trust_jumps:
            jump, kept = _similarity(points[good], forward[good], velocity, extent)
            if jump.inliers >= JUMP_AGREEMENT * good.sum() and jump.inliers >= JUMP_SHARE * len(points):
                return jump, kept  # the object's points all moved at once, unlike any prediction
        coast = scene if scene is not None else velocity  # hidden: move with the view
        return Motion(coast.copy(), 0, int(good.sum()), coasting=True), forward[gated]


class SceneMotion:
    """The view's motion from corners spread over the whole image away from the object: what a
    still object does when the camera moves (or jolts), whatever covers the object itself."""

    def __init__(self, max_points: int = 120):
        self.max_points = max_points
        self.points = np.empty((0, 1, 2), np.float32)
        self.size = (1, 1)  # (H, W) of the frames

    def reset(self, grey: np.ndarray, avoid: Region) -> None:
        self.points = self._detect(grey, avoid)

    def top_up(self, previous: np.ndarray, avoid: Region) -> None:
        if len(self.points) < self.max_points // 2:
            fresh = self._detect(previous, avoid)
            self.points = np.concatenate([self.points, fresh]) if len(self.points) else fresh

    def update(self, forward: np.ndarray, good: np.ndarray) -> np.ndarray | None:
        """3x3 similarity of the view from where its points were to ``forward`` (the flow's answer),
        or None when the view gives no clear answer. The view's motion is the one the whole view
        agrees on, not the largest group of points: a textured arm moving across the view can carry
        more points than the table, but the table's points lie all over the image. So the largest
        motion and the largest among the other points are both estimated (RANSAC), and the one whose
        points cover more of the image (cells of a grid) is the view's."""
        if good.sum() < MIN_POINTS:
            self.points = forward[good]
            return None
        before, after = self.points[good], forward[good]
        best, best_cells, remaining = None, 0, np.ones(len(before), bool)
        for _ in range(2):
            if remaining.sum() < MIN_POINTS:
                break
            affine, flags = cv2.estimateAffinePartial2D(before[remaining], after[remaining], method=cv2.RANSAC,
                                                        ransacReprojThreshold=RANSAC_PX)
            if affine is None:
                break
            inliers = np.zeros(len(before), bool)
            inliers[np.flatnonzero(remaining)[flags.ravel().astype(bool)]] = True
            remaining &= ~inliers
            cells = self._cells(after[inliers])
            if inliers.sum() >= MIN_POINTS and _plausible(affine) and cells > best_cells:
                best, best_cells, kept = affine, cells, inliers
        if best is None or kept.sum() < SCENE_AGREEMENT * len(before) and best_cells < SCENE_CELLS:
            self.points = after
            return None
        self.points = after[kept]
        return np.vstack([best, [0.0, 0.0, 1.0]])

    def _cells(self, points: np.ndarray) -> int:
        """Cells of a GRID x GRID grid over the image that hold at least one of the points."""
        height, width = self.size
        xy = points.reshape(-1, 2)
        cols = np.clip((xy[:, 0] * GRID / max(width, 1)).astype(int), 0, GRID - 1)
        rows = np.clip((xy[:, 1] * GRID / max(height, 1)).astype(int), 0, GRID - 1)
        return len(set(zip(rows.tolist(), cols.tolist(), strict=True)))

    def _detect(self, grey: np.ndarray, avoid: Region) -> np.ndarray:
        self.size = grey.shape
        mask = np.full(grey.shape, 255, np.uint8)
        height, width = avoid.mask.shape
        mask[avoid.y0:avoid.y0 + height, avoid.x0:avoid.x0 + width][avoid.mask] = 0
        found = cv2.goodFeaturesToTrack(grey, maxCorners=self.max_points, qualityLevel=0.01, minDistance=12,
                                        mask=mask, blockSize=5)
        return np.empty((0, 1, 2), np.float32) if found is None else found.astype(np.float32)


def _corners(grey: np.ndarray, support: Region, count: int) -> np.ndarray:
    """Corner features inside ``support`` (searched on its box only)."""
    height, width = support.mask.shape
    if not support.mask.any():
        return np.empty((0, 1, 2), np.float32)
    patch = grey[support.y0:support.y0 + height, support.x0:support.x0 + width]
    found = cv2.goodFeaturesToTrack(patch, maxCorners=count, qualityLevel=0.01, minDistance=4,
                                    mask=support.mask.astype(np.uint8) * 255, blockSize=5)
    if found is None:
        return np.empty((0, 1, 2), np.float32)
    return (found + np.array([support.x0, support.y0], np.float32)).astype(np.float32)


def _lucas_kanade(previous: np.ndarray, grey: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points moved to ``grey``, and which of them the backward flow brings back to their start."""
    forward, status, _ = cv2.calcOpticalFlowPyrLK(previous, grey, points, None, winSize=WINDOW, maxLevel=LEVELS,
                                                  criteria=LK_CRITERIA)
    backward, status_back, _ = cv2.calcOpticalFlowPyrLK(grey, previous, forward, None, winSize=WINDOW,
                                                        maxLevel=LEVELS, criteria=LK_CRITERIA)
    error = np.linalg.norm((backward - points).reshape(-1, 2), axis=1)
    return forward, ((status.ravel() == 1) & (status_back.ravel() == 1) & (error < FORWARD_BACKWARD_PX)
                     & _inside(points, grey.shape) & _inside(forward, grey.shape))


def _inside(points: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Points whose flow window lies in the image: at the border the window is cut and a point
    there sticks to the edge (an object leaving the view would stay at the border)."""
    xy = points.reshape(-1, 2)
    margin = WINDOW[0] // 2
    return ((xy[:, 0] >= margin) & (xy[:, 0] < size[1] - margin) & (xy[:, 1] >= margin)
            & (xy[:, 1] < size[0] - margin))


def _similarity(before: np.ndarray, after: np.ndarray, velocity: np.ndarray,
                extent: float) -> tuple[Motion, np.ndarray]:
    """RANSAC rotation + scale + shift of agreeing points, or a shift when that is all they pin down."""
    if _spread(before) < SPREAD_SHARE * extent:
        return _translation(before, after, velocity)
    affine, inlier_flags = cv2.estimateAffinePartial2D(before, after, method=cv2.RANSAC,
                                                       ransacReprojThreshold=RANSAC_PX)
    if affine is None or not _plausible(affine):
        return _translation(before, after, velocity)
    inliers = inlier_flags.ravel().astype(bool)
    return Motion(np.vstack([affine, [0.0, 0.0, 1.0]]), int(inliers.sum()), len(before)), after[inliers]


def _plausible(affine: np.ndarray) -> bool:
    """A camera or an object does not zoom or turn by more than a few percent between frames
    at camera rate; such an estimate comes from a few points on the wrong thing."""
    scale = float(np.sqrt(abs(np.linalg.det(affine[:2, :2]))))
    angle = float(np.arctan2(affine[1, 0], affine[0, 0]))
    return abs(scale - 1.0) < MAX_STEP_ZOOM and abs(angle) < MAX_STEP_TURN


def _spread(points: np.ndarray) -> float:
    """How far apart the points lie (mean distance from their centre), pixels."""
    flat = points.reshape(-1, 2)
    return float(np.linalg.norm(flat - flat.mean(axis=0), axis=1).mean())


def _translation(before: np.ndarray, after: np.ndarray, velocity: np.ndarray) -> tuple[Motion, np.ndarray]:
    """Points that pin down a shift, not a zoom or a turn: those are carried over from the last
    frame and only the translation is measured (the median of the points' shifts)."""
    linear = velocity[:2, :2]
    shifts = after.reshape(-1, 2) - before.reshape(-1, 2) @ linear.T
    shift = np.median(shifts, axis=0)
    inliers = np.linalg.norm(shifts - shift, axis=1) < RANSAC_PX
    affine = np.eye(3)
    affine[:2, :2], affine[:2, 2] = linear, shift
    return Motion(affine, int(inliers.sum()), len(before)), after[inliers]


def fraction(affine: np.ndarray, share: float) -> np.ndarray:
    """A share of a similarity motion (3x3): its scale, turn and shift taken ``share`` of the way
    (frames between two measured ones; the motion of one frame out of several)."""
    scale = float(np.sqrt(abs(np.linalg.det(affine[:2, :2]))))
    angle = float(np.arctan2(affine[1, 0], affine[0, 0]))
    scale, angle = scale ** share, angle * share
    out = np.eye(3)
    out[:2, :2] = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    out[:2, 2] = affine[:2, 2] * share
    return out


GREY_LEVEL = 110.0  # every frame's mean grey level before the flow


def to_grey(rgb: np.ndarray) -> np.ndarray:
    """Grey with the frame's mean brought to one level: Lucas-Kanade assumes constant brightness,
    and a dimming lamp otherwise pulls every edge point towards the dark side (a shrinking zoom)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    mean = float(cv2.mean(grey)[0])
    return cv2.convertScaleAbs(grey, alpha=GREY_LEVEL / mean) if mean > 1.0 else grey


def place(anchor: Region, placement: np.ndarray, size: tuple[int, int], margin: int = 0) -> Region:
    """``anchor`` moved by the 3x3 ``placement`` into an image of ``size``, computed on the box it
    lands in (grown by ``margin``) only; nearest-neighbour, clipped to the image."""
    height, width = anchor.mask.shape
    corners = np.array([[anchor.x0, anchor.y0], [anchor.x0 + width, anchor.y0], [anchor.x0, anchor.y0 + height],
                        [anchor.x0 + width, anchor.y0 + height]], np.float64)
    moved = corners @ placement[:2, :2].T + placement[:2, 2]
    x0, y0 = np.floor(moved.min(axis=0)).astype(int) - margin
    x1, y1 = np.ceil(moved.max(axis=0)).astype(int) + margin + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, size[1]), min(y1, size[0])
    if x1 <= x0 or y1 <= y0:
        return Region(0, 0, np.zeros((0, 0), bool))
    # anchor-patch pixel -> image pixel -> box pixel
    shift_in = np.array([[1.0, 0.0, anchor.x0], [0.0, 1.0, anchor.y0], [0.0, 0.0, 1.0]])
    shift_out = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0], [0.0, 0.0, 1.0]])
    affine = (shift_out @ placement @ shift_in)[:2]
    patch = cv2.warpAffine(anchor.mask.astype(np.uint8), affine, (x1 - x0, y1 - y0), flags=cv2.INTER_NEAREST)
    return Region(int(x0), int(y0), patch > 0)


def crop(mask: np.ndarray, margin: int = 0) -> Region:
    """The part of a full-image mask that holds it (plus ``margin``)."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return Region(0, 0, np.zeros((0, 0), bool))
    y0, x0 = max(ys.min() - margin, 0), max(xs.min() - margin, 0)
    y1, x1 = min(ys.max() + margin + 1, mask.shape[0]), min(xs.max() + margin + 1, mask.shape[1])
    return Region(int(x0), int(y0), mask[y0:y1, x0:x1].copy())


def grow(region: Region, margin_share: float = 0.15, min_margin: int = 4) -> Region:
    """The region grown by a margin: its outline's corners and the table right around it (the
    support in which features are looked for)."""
    height, width = region.mask.shape
    if not region.mask.any():
        return region
    margin = max(min_margin, int(max(height, width) * margin_share))
    padded = np.pad(region.mask.astype(np.uint8), margin)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1))
    return Region(region.x0 - margin, region.y0 - margin, cv2.dilate(padded, kernel) > 0)
