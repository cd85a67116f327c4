"""Camera sequences over a tabletop scene, with exact ground truth per frame, for follow mode.

A scene is rendered once on a canvas larger than the camera's view; each frame is the view of
a virtual camera that pans and zooms over it (an affine warp, so every object's mask, the depth
image and the intrinsics follow exactly). Four events happen in every sequence, as on a robot:
the camera translates and zooms (the arm moves, speeding up and slowing down), it jolts once (a
quick correction), an occluder (an arm, a sleeve) passes in front of the target, and the
lighting changes (a lamp is switched off). ``leave=True`` pans the target
out of the view in the last 40% of the frames, so a follower must report it lost.

Ground truth per frame: the target's visible pixels (the occluder removed) and every other
object's, so identity switches can be counted.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from .scenes import Scene, make_scene

JERK_FRAMES = 3
LEAVE_AT = 0.6  # with leave=True: the camera pans the target out of view from this share of the frames on
OCCLUDER_COLOURS = ((205, 160, 130), (90, 95, 110), (60, 70, 150))  # skin, grey sleeve, blue sleeve


@dataclass
class SequenceFrame:
    image: np.ndarray  # (H, W, 3) uint8 RGB
    masks: np.ndarray = field(repr=False)  # (M, H, W) bool: each scene object's visible pixels
    depth: np.ndarray = field(repr=False)  # (H, W) float32 metres
    occluded: float = 0.0  # share of the target's pixels hidden by the occluder in this frame


@dataclass
class Sequence:
    frames: list[SequenceFrame]
    scene: Scene  # the rendered canvas scene (objects: kind, colour, size)
    target: int  # index into scene.objects and into each frame's masks
    expression: str  # a referring expression that picks out the target on the canvas
    camera_k: np.ndarray  # (3, 3) intrinsics of the first view (the zoom is read as the camera moving closer)
    events: dict[str, tuple[int, int]]  # event -> (first frame, last frame)
    views: list[np.ndarray] = field(repr=False, default_factory=list)  # per frame: 2x3 canvas -> view affine

    def truth(self, index: int) -> np.ndarray:
        return self.frames[index].masks[self.target]


def make_sequences(seed: int, count: int, frames: int = 90, height: int = 480, width: int = 640,
                   leave: bool = False, canvas_scale: float = 1.5) -> list[Sequence]:
    """``count`` sequences of ``frames`` frames at (height, width); see the module docstring."""
    return list(itertools.islice(iter_sequences(seed, frames, height, width, leave, canvas_scale), count))


def iter_sequences(seed: int, frames: int = 90, height: int = 480, width: int = 640, leave: bool = False,
                   canvas_scale: float = 1.5) -> Iterator[Sequence]:
    """The same sequences as ``make_sequences``, made one at a time (stop at the one you need)."""
    rng = np.random.default_rng(seed)
    while True:
        sequence = _make_sequence(rng, frames, height, width, leave, canvas_scale)
        if sequence is not None:
            yield sequence


def _make_sequence(rng, frames: int, height: int, width: int, leave: bool, scale: float) -> Sequence | None:
    canvas_h, canvas_w = int(round(height * scale)), int(round(width * scale))
    scene = make_scene(rng, height=canvas_h, width=canvas_w, objects=(3, 5))
    choice = _pick_target(scene)
    if choice is None:
        return None
    target, expression = choice
    jerk_at = int(frames * rng.uniform(0.2, 0.5))
    events = {"pan_zoom": (0, frames - 1), "occluder": _window(rng, frames, 0.15, 0.55),
              "lighting": _window(rng, frames, 0.45, 0.85), "jerk": (jerk_at, jerk_at + JERK_FRAMES)}
    path = _camera_path(rng, scene, target, frames, (height, width), scale, leave, events["jerk"])
    if path is None:
        return None
    if leave:
        events["leave"] = (int(np.ceil(frames * LEAVE_AT)), frames - 1)
    occluder = _occluder_path(rng, events["occluder"], frames)
    light = _lighting(rng, events["lighting"], frames)
    cv2.setRNGSeed(int(rng.integers(2 ** 31)))
    # The view samples the canvas at 0.67-0.9x: without a low-pass (a real lens has one) the table's
    # one-pixel grain aliases into moire that moves unlike the table.
    scene.image = cv2.GaussianBlur(scene.image, (0, 0), 0.5 * scale)
    table = empty_table(scene)
    rendered = [_render(scene, target, a, (height, width), occluder[t], light[t], rng, path[0][0, 0], table)
                for t, a in enumerate(path)]
    camera_k = _view_intrinsics(scene.camera_k, path[0])
    return Sequence(rendered, scene, target, expression, camera_k, events, path)


def _pick_target(scene: Scene) -> tuple[int, str] | None:
    """A large-enough object with a kind or colour expression (the sequence tests following,
    not the spatial words; those have their own benches)."""
    minimum = 0.004 * scene.image.shape[0] * scene.image.shape[1]
    for referral in scene.referrals:
        if referral.kind in ("kind", "colour") and scene.objects[referral.target].area >= minimum:
            return referral.target, referral.expression
    return None


def _window(rng, frames: int, start: float, end: float) -> tuple[int, int]:
    first = int(frames * rng.uniform(start, start + 0.1))
    return first, min(frames - 1, int(frames * rng.uniform(end - 0.1, end)))


def _camera_path(rng, scene: Scene, target: int, frames: int, size: tuple[int, int], scale: float,
                 leave: bool, jerk: tuple[int, int]) -> list[np.ndarray] | None:
    """2x3 canvas->view affine per frame: zoom from ~1/scale (the whole canvas) towards ~1/scale*1.3
    and a pan that keeps the target in view (or takes it out, with ``leave``), both easing in and
    out, plus a quick jolt of 3% of the view over ``JERK_FRAMES`` frames from ``jerk[0]``."""
    height, width = size
    ys, xs = np.nonzero(scene.objects[target].mask)
    centre = np.array([xs.mean(), ys.mean()])
    ease = (1.0 - np.cos(np.linspace(0.0, np.pi, frames))) / 2.0  # an arm speeds up, then slows down
    zoom = 1.0 / scale + (min(1.0, 1.3 / scale) * rng.uniform(0.9, 1.0) - 1.0 / scale) * ease
    start = centre + rng.uniform(-0.15, 0.15, 2) * np.array([width, height]) * scale * 0.5
    drift = rng.uniform(-0.12, 0.12, 2) * np.array([width, height]) * scale
    jerk_at = jerk[0]
    jolt = rng.choice([-1.0, 1.0], 2) * np.array([width, height]) * scale * 0.03  # a quick correction
    path = []
    for t in range(frames):
        look = start + drift * ease[t]  # the canvas point at the view's centre
        look = look + jolt * np.clip((t - jerk_at) / JERK_FRAMES, 0.0, 1.0)
        if leave and t >= frames * LEAVE_AT:
            away = (t - frames * LEAVE_AT) / (frames * (1 - LEAVE_AT))
            look = look + np.array([2.0 * width * scale * away, 0.0])  # out of view a quarter of the way
        z = zoom[t]
        path.append(np.array([[z, 0.0, width / 2 - z * look[0]], [0.0, z, height / 2 - z * look[1]]]))
    first_view = _warp_mask(scene.objects[target].mask, path[0], size)
    if first_view.sum() < 0.8 * scene.objects[target].area * path[0][0, 0] ** 2:
        return None  # the target must start fully in view
    return path


def _occluder_path(rng, window: tuple[int, int], frames: int) -> list[tuple | None]:
    """A rounded bar (an arm) sweeping across the target's place in view during ``window``."""
    first, last = window
    colour = OCCLUDER_COLOURS[rng.integers(len(OCCLUDER_COLOURS))]
    thickness = rng.uniform(0.35, 0.55)  # of the target's size
    direction = 1 if rng.random() < 0.5 else -1
    out: list[tuple | None] = []
    for t in range(frames):
        if not first <= t <= last:
            out.append(None)
            continue
        progress = (t - first) / max(last - first, 1)
        out.append((direction * (progress * 2.4 - 1.2), thickness, colour))  # offset in target sizes
    return out


def _lighting(rng, window: tuple[int, int], frames: int) -> np.ndarray:
    """Gain per frame and colour channel: a lamp dims (and warms) over ``window``, then stays."""
    first, last = window
    final = np.array([0.6, 0.58, 0.5]) * rng.uniform(0.95, 1.1)
    ramp = np.clip((np.arange(frames) - first) / max(last - first, 1), 0.0, 1.0)[:, None]
    return 1.0 + ramp * (final[None, :] - 1.0)


def _warp_mask(mask: np.ndarray, affine: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    height, width = size
    return cv2.warpAffine(mask.astype(np.uint8), affine, (width, height), flags=cv2.INTER_NEAREST) > 0


def _view_intrinsics(k: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """The canvas camera's K seen through the view affine (a zoom is a longer focal length)."""
    zoom = affine[0, 0]
    return np.array([[k[0, 0] * zoom, 0.0, k[0, 2] * zoom + affine[0, 2]],
                     [0.0, k[1, 1] * zoom, k[1, 2] * zoom + affine[1, 2]], [0.0, 0.0, 1.0]])


def _render(scene: Scene, target: int, affine: np.ndarray, size: tuple[int, int], occluder, gain: np.ndarray,
            rng, zoom0: float, table: np.ndarray) -> SequenceFrame:
    height, width = size
    image = _view(scene, affine, size, table)
    masks = np.stack([_warp_mask(o.mask, affine, size) for o in scene.objects])
    depth = cv2.warpAffine(scene.depth, affine, (width, height), flags=cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_REPLICATE) * (zoom0 / affine[0, 0])  # closer as it zooms in
    occluded = 0.0
    if occluder is not None:
        cover = _occluder_mask(masks[target], occluder[:2], size)
        before = int(masks[target].sum())
        texture = np.empty((int(cover.sum()), 1, 3), np.int16)
        cv2.randn(texture, (0.0, 0.0, 0.0), (5.0, 5.0, 5.0))  # a sleeve or skin is not flat
        texture = texture[:, 0]
        image[cover] = np.clip(np.array(occluder[2], np.int16) + texture, 0, 255).astype(np.uint8)
        depth[cover] = 0.35
        masks &= ~cover[None]
        occluded = 1.0 - masks[target].sum() / max(before, 1)
    lit = cv2.transform(image, np.diag(gain).astype(np.float32))  # the lamp: a gain per channel
    noise = np.empty(image.shape, np.int16)
    cv2.randn(noise, (0.0, 0.0, 0.0), (2.0, 2.0, 2.0))  # sensor noise (seeded per sequence: cv2.setRNGSeed)
    frame = cv2.add(lit.astype(np.int16), noise, dtype=cv2.CV_16S)
    return SequenceFrame(np.clip(frame, 0, 255).astype(np.uint8), masks, depth.astype(np.float32), occluded)


def _view(scene: Scene, affine: np.ndarray, size: tuple[int, int], table: np.ndarray) -> np.ndarray:
    """The camera's view of the canvas; beyond the canvas the table goes on without objects (its
    mirror image with the objects painted out): a mirror of the canvas itself would show a second
    copy of the objects near its edge, a look-alike that is not in the truth."""
    height, width = size
    image = cv2.warpAffine(scene.image, affine, (width, height), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    inside = cv2.warpAffine(np.ones(scene.image.shape[:2], np.float32), affine, (width, height),
                            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if inside.min() >= 1.0:
        return image
    beyond = cv2.warpAffine(table, affine, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    weight = inside[..., None]
    return (image * weight + beyond * (1.0 - weight)).round().astype(np.uint8)


def empty_table(scene: Scene) -> np.ndarray:
    """The canvas with its objects painted out (OpenCV inpainting): what lies beyond it."""
    objects = np.zeros(scene.image.shape[:2], bool)
    for obj in scene.objects:
        objects |= obj.mask
    grown = cv2.dilate(objects.astype(np.uint8), np.ones((9, 9), np.uint8))
    return cv2.inpaint(scene.image, grown, 5, cv2.INPAINT_TELEA)


def _occluder_mask(target: np.ndarray, placement: tuple[float, float], size: tuple[int, int]) -> np.ndarray:
    """A vertical rounded bar over the target's column, ``offset`` target widths from its centre."""
    height, width = size
    cover = np.zeros(size, np.uint8)
    ys, xs = np.nonzero(target)
    if xs.size == 0:
        return cover > 0
    offset, thickness = placement
    extent = max(xs.max() - xs.min(), ys.max() - ys.min(), 4)
    x = int(xs.mean() + offset * extent)
    half = max(2, int(thickness * extent / 2))
    cv2.line(cover, (x, height + 10), (x, max(0, int(ys.min() - 0.3 * extent))), 1, thickness=2 * half)
    cv2.circle(cover, (x, max(0, int(ys.min() - 0.3 * extent))), half, 1, thickness=-1)
    return cover > 0
