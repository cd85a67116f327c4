"""Camera sequences in which the followed object leaves the view and comes back, for re-acquisition.

The scene is a wide table (``WIDTH_SHARE`` camera widths); the camera follows the target, pans
away until the target is out of view, holds there, and pans back (eased, as an arm moves: at
most ~20 px per frame at 640x480, a view width in 1.5 s), with
the lamp dimming and one jolt as in tabletop/sequences.py. With ``lookalike`` a copy of the target
(same kind, colour, size and shading: the target's own pixels) stands on the table where the
camera looks while the target is away, so a follower that re-acquires by appearance alone takes
it. The copy is a scene object with its own ground-truth mask, so landing on it is counted.

Per sequence: ``events["away"]`` = (first frame with the target under half in view, first frame
with it back at least half in view: its return).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import cv2
import numpy as np

from .scenes import SceneObject, make_scene
from .sequences import JERK_FRAMES, Sequence, _lighting, _pick_target, _render, _view_intrinsics, _window, empty_table

WIDTH_SHARE = 3.2  # the table's width in camera widths (at the first view's zoom)
PHASES = (0.15, 0.4, 0.6, 0.85)  # leave from, away from, back from, returned by (share of the frames)
MARGIN = 0.1  # the target goes this share of a view width beyond the edge of the view
BACK_IN_VIEW = 0.5  # the target has returned when this share of it is in view


def iter_return_sequences(seed: int, frames: int = 200, height: int = 480, width: int = 640,
                          lookalike: bool = False, scale: float = 1.5) -> Iterator[Sequence]:
    """Sequences of ``frames`` frames at (height, width); see the module docstring."""
    rng = np.random.default_rng(seed)
    while True:
        sequence = _make(rng, frames, height, width, lookalike, scale)
        if sequence is not None:
            yield sequence


def make_return_sequences(seed: int, count: int, **kwargs) -> list[Sequence]:
    return list(itertools.islice(iter_return_sequences(seed, **kwargs), count))


def _make(rng, frames: int, height: int, width: int, lookalike: bool, scale: float) -> Sequence | None:
    canvas_h, canvas_w = int(round(height * scale)), int(round(width * scale * WIDTH_SHARE))
    scene = make_scene(rng, height=canvas_h, width=canvas_w, objects=(6, 10))
    choice = _pick_target(scene)
    if choice is None:
        return None
    target, expression = choice
    zoom = rng.uniform(1.0, 1.25) / scale  # the view: 0.67-0.83 of a canvas pixel per image pixel
    centre = np.argwhere(scene.objects[target].mask).mean(axis=0)[::-1]
    extent = float(np.ptp(np.argwhere(scene.objects[target].mask), axis=0).max())
    direction = 1.0 if centre[0] < canvas_w / 2 else -1.0
    start = centre + rng.uniform(-0.1, 0.1, 2) * np.array([width, height]) / zoom
    # out of view: half a view, half the target and the margin beyond where the view starts
    away = direction * (width / zoom * (0.5 + MARGIN) + extent / 2 + abs(start[0] - centre[0]))
    if not _inside(start, zoom, (height, width), (canvas_h, canvas_w)) or not _inside(
            start + [away, 0.0], zoom, (height, width), (canvas_h, canvas_w)):
        return None
    if lookalike and not _add_lookalike(scene, target, start + [away, 0.0]):
        return None
    jerk_at = int(frames * rng.uniform(0.05, 0.2))
    path = _path(frames, start, away, zoom, (height, width), jerk_at,
                 rng.choice([-1.0, 1.0], 2) * np.array([width, height]) / zoom * 0.03)
    events = {"lighting": _window(rng, frames, 0.45, 0.85), "jerk": (jerk_at, jerk_at + JERK_FRAMES)}
    light = _lighting(rng, events["lighting"], frames)
    cv2.setRNGSeed(int(rng.integers(2 ** 31)))
    scene.image = cv2.GaussianBlur(scene.image, (0, 0), 0.5 * scale)
    table = empty_table(scene)
    rendered = [_render(scene, target, a, (height, width), None, light[t], rng, path[0][0, 0], table)
                for t, a in enumerate(path)]
    full = scene.objects[target].area * zoom ** 2
    in_view = [frame.masks[target].sum() / full for frame in rendered]
    gone = next((t for t, share in enumerate(in_view) if share < BACK_IN_VIEW), None)
    back = next((t for t in range(gone or 0, frames) if in_view[t] >= BACK_IN_VIEW and min(in_view[gone:t]) == 0),
                None) if gone is not None else None
    if back is None or min(in_view[gone:back]) > 0:
        return None
    events["away"] = (gone, back)
    return Sequence(rendered, scene, target, expression, _view_intrinsics(scene.camera_k, path[0]), events, path)


def _path(frames: int, start: np.ndarray, away: float, zoom: float, size: tuple[int, int], jerk_at: int,
          jolt: np.ndarray) -> list[np.ndarray]:
    """2x3 canvas->view affine per frame: look at ``start``, pan by ``away``, hold, pan back."""
    height, width = size
    leave, gone, back, returned = (int(frames * share) for share in PHASES)
    path = []
    for t in range(frames):
        if t < leave or t >= returned:
            share = 0.0
        elif t < gone:
            share = _ease((t - leave) / (gone - leave))
        elif t < back:
            share = 1.0
        else:
            share = 1.0 - _ease((t - back) / (returned - back))
        look = start + np.array([away * share, 0.0]) + jolt * np.clip((t - jerk_at) / JERK_FRAMES, 0.0, 1.0)
        path.append(np.array([[zoom, 0.0, width / 2 - zoom * look[0]], [0.0, zoom, height / 2 - zoom * look[1]]]))
    return path


def _ease(share: float) -> float:
    return float((1.0 - np.cos(np.pi * np.clip(share, 0.0, 1.0))) / 2.0)


def _inside(look: np.ndarray, zoom: float, size: tuple[int, int], canvas: tuple[int, int]) -> bool:
    """The view centred on ``look`` lies on the canvas (with a jolt's margin)."""
    half = np.array([size[1], size[0]]) / (2.0 * zoom) * 1.05
    return bool(np.all(look - half >= 0) and np.all(look + half <= [canvas[1], canvas[0]]))


def _add_lookalike(scene, target: int, look: np.ndarray) -> bool:
    """Paste the target's own pixels (and depth) at the same table row, in the middle of the view
    the camera has while the target is away, where no other object stands."""
    original = scene.objects[target]
    ys, xs = np.nonzero(original.mask)
    shift = int(round(look[0] - xs.mean()))
    moved = np.zeros_like(original.mask)
    if not (xs.min() + shift >= 0 and xs.max() + shift < moved.shape[1]):
        return False
    moved[ys, xs + shift] = True
    occupied = np.any([o.mask for o in scene.objects], axis=0)
    if (cv2.dilate(moved.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0)[occupied].any():
        return False
    scene.image[ys, xs + shift] = scene.image[ys, xs]
    scene.depth[ys, xs + shift] = scene.depth[ys, xs]
    copy = SceneObject(original.kind, original.colour, original.size, (original.centre[0] + shift, original.centre[1]),
                       moved, original.depth_m, original.size_m)
    scene.objects.append(copy)
    return True
