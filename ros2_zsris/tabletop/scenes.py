"""Seeded procedural tabletop scenes with exact instance masks and referring expressions.

Six object kinds, eight colours, three sizes, textured backgrounds, a lighting gradient and
occlusion, seen by a pinhole camera tilted down at the table: objects further back are
drawn smaller, and every scene has an aligned depth image (``Scene.depth``, float32 metres)
and intrinsics (``Scene.camera_k``). Expressions are generated only when they identify
exactly one object, with margins so that the truth is clear to a person, in eight types:
kind ("the cup"), colour ("the red cup"), size ("the biggest ball"), position ("the cup on
the left", "the cup in the middle"), distance ("the closest cup", "the cup at the back"),
ordinal ("the second cup from the left"), relation ("the ball right of the yellow cup",
"the cup next to the red ball", "the cup between the red ball and the blue cone") and
comparative ("the larger of the two balls"); and referrals to several objects at once (sets,
numbers, lists, counts: set_referrals.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from .set_referrals import SetReferral, set_referrals_for

KINDS = ("cube", "ball", "cup", "bottle", "cone", "ring")
COLOURS = {
    "red": (210, 30, 30), "green": (40, 170, 60), "blue": (40, 70, 210), "yellow": (235, 215, 40),
    "orange": (240, 130, 20), "purple": (130, 50, 170), "pink": (240, 130, 190), "white": (240, 240, 240),
}
SIZES = {"small": 0.09, "medium": 0.13, "large": 0.18}  # object height as a share of image height
TABLES = ((150, 110, 75), (120, 120, 125), (200, 185, 160), (90, 70, 55), (70, 90, 80), (175, 160, 140))
EXPRESSION_TYPES = ("kind", "colour", "size", "position", "distance", "ordinal", "relation", "comparative")
CAMERA_HEIGHT_M, CAMERA_PITCH_DEG, FOCAL_SHARE = 0.7, 40.0, 0.9  # the pinhole camera looking at the table


@dataclass
class SceneObject:
    kind: str
    colour: str
    size: str
    centre: tuple[float, float]  # (x, y) pixels
    mask: np.ndarray = field(repr=False, default=None)  # visible pixels, bool
    depth_m: float = float("nan")  # distance of its front surface from the camera (optical z)
    size_m: float = float("nan")  # height in metres

    @property
    def area(self) -> int:
        return int(self.mask.sum())

    def describe(self) -> str:
        return f"{self.colour} {self.kind}"


@dataclass
class Referral:
    expression: str
    target: int  # index into Scene.objects
    kind: str  # one of EXPRESSION_TYPES


@dataclass
class Scene:
    image: np.ndarray  # RGB uint8
    objects: list[SceneObject]
    referrals: list[Referral]
    depth: np.ndarray | None = field(repr=False, default=None)  # (H, W) float32 metres, aligned
    camera_k: np.ndarray | None = field(repr=False, default=None)  # (3, 3) intrinsics
    set_referrals: list[SetReferral] = field(default_factory=list)  # several objects each (set_referrals.py)


def draw_object(draw: ImageDraw.ImageDraw, kind: str, cx: float, cy: float, h: float, fill, shade) -> None:
    """One object as filled shapes; ``shade`` is a darker tone for depth cues."""
    w = h
    if kind == "cube":
        draw.rectangle([cx - w / 2, cy - h / 2 + h * 0.2, cx + w / 2 - w * 0.2, cy + h / 2], fill=fill)
        draw.polygon([(cx - w / 2, cy - h / 2 + h * 0.2), (cx - w / 2 + w * 0.2, cy - h / 2),
                      (cx + w / 2, cy - h / 2), (cx + w / 2 - w * 0.2, cy - h / 2 + h * 0.2)], fill=shade)
        draw.polygon([(cx + w / 2 - w * 0.2, cy - h / 2 + h * 0.2), (cx + w / 2, cy - h / 2),
                      (cx + w / 2, cy + h / 2 - h * 0.2), (cx + w / 2 - w * 0.2, cy + h / 2)], fill=shade)
    elif kind == "ball":
        draw.ellipse([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], fill=fill)
        highlight = tuple(min(255, c + 40) for c in fill) if isinstance(fill, tuple) else fill
        draw.ellipse([cx - w / 5, cy - h / 3, cx, cy - h / 6], fill=highlight)
    elif kind == "cup":
        draw.polygon([(cx - w * 0.4, cy - h / 2), (cx + w * 0.3, cy - h / 2), (cx + w * 0.22, cy + h / 2),
                      (cx - w * 0.32, cy + h / 2)], fill=fill)
        draw.ellipse([cx + w * 0.18, cy - h * 0.3, cx + w * 0.55, cy + h * 0.15], outline=fill,
                     width=max(2, int(w / 9)))
        draw.ellipse([cx - w * 0.4, cy - h / 2 - h * 0.06, cx + w * 0.3, cy - h / 2 + h * 0.06], fill=shade)
    elif kind == "bottle":
        draw.rectangle([cx - w * 0.22, cy - h * 0.15, cx + w * 0.22, cy + h / 2], fill=fill)
        draw.rectangle([cx - w * 0.09, cy - h / 2, cx + w * 0.09, cy - h * 0.15], fill=fill)
        draw.rectangle([cx - w * 0.11, cy - h / 2 - h * 0.05, cx + w * 0.11, cy - h * 0.4], fill=shade)
    elif kind == "cone":
        draw.polygon([(cx, cy - h / 2), (cx + w * 0.45, cy + h / 2), (cx - w * 0.45, cy + h / 2)], fill=fill)
        draw.ellipse([cx - w * 0.45, cy + h / 2 - h * 0.08, cx + w * 0.45, cy + h / 2 + h * 0.08], fill=shade)
    elif kind == "ring":
        draw.ellipse([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], outline=fill, width=max(3, int(w / 4)))
    else:  # pragma: no cover - KINDS is closed
        raise ValueError(kind)


def _background(rng: np.random.Generator, height: int, width: int) -> tuple[np.ndarray, int]:
    base = np.array(TABLES[rng.integers(len(TABLES))], dtype=np.float32)
    grain = rng.normal(0, 6, (height, 1, 1)) + rng.normal(0, 4, (height, width, 1))  # wood-like rows
    image = base[None, None, :] + grain
    horizon = int(height * rng.uniform(0.15, 0.35))  # a wall behind the table
    wall = np.array(rng.integers(150, 235, 3), dtype=np.float32)
    image[:horizon] = wall + rng.normal(0, 3, (horizon, width, 1))
    return image, horizon


def camera_matrix(height: int, width: int) -> np.ndarray:
    focal = FOCAL_SHARE * width
    return np.array([[focal, 0.0, (width - 1) / 2.0], [0.0, focal, (height - 1) / 2.0], [0.0, 0.0, 1.0]])


def table_depth(rows: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Optical-frame z of the table plane seen at image row v (camera pitched down)."""
    pitch = np.radians(CAMERA_PITCH_DEG)
    slope = (np.asarray(rows, dtype=np.float64) - k[1, 2]) / k[1, 1]
    return CAMERA_HEIGHT_M / (np.sin(pitch) + np.cos(pitch) * slope)


def make_scene(rng: np.random.Generator, height: int = 144, width: int = 192, objects: tuple[int, int] = (3, 6),
               max_tries: int = 40, repeat_kind: float = 0.5) -> Scene:
    """One scene; ``repeat_kind`` is the chance that an object repeats a kind already on the
    table, so that "which one" questions (left one, second, biggest) come up often."""
    image, horizon = _background(rng, height, width)
    k = camera_matrix(height, width)
    canvas = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    labels = Image.new("I", (width, height), 0)
    placed: list[SceneObject] = []
    count = int(rng.integers(objects[0], objects[1] + 1))
    reference_depth = float(table_depth(np.array([0.75 * height]), k)[0])
    for _ in range(max_tries):
        if len(placed) == count:
            break
        kind = KINDS[rng.integers(len(KINDS))]
        if placed and rng.random() < repeat_kind:
            kind = placed[rng.integers(len(placed))].kind
        colour = list(COLOURS)[rng.integers(len(COLOURS))]
        size = list(SIZES)[rng.integers(len(SIZES))]
        nominal = SIZES[size] * height * rng.uniform(0.9, 1.1) * 1.6
        cx, cy = rng.uniform(nominal * 0.6, width - nominal * 0.6), rng.uniform(height * 0.4, height - nominal * 0.55)
        base_depth = float(table_depth(np.array([min(cy + nominal / 2, height - 1)]), k)[0])
        h = nominal * reference_depth / base_depth  # perspective: further back, drawn smaller
        if any(abs(cx - o.centre[0]) < max(h, 1) * 0.5 and abs(cy - o.centre[1]) < max(h, 1) * 0.5 for o in placed):
            continue  # allow overlap (occlusion) but not objects on top of each other
        fill = tuple(int(c) for c in np.clip(np.array(COLOURS[colour]) * rng.uniform(0.85, 1.1), 0, 255))
        shade = tuple(int(c * 0.7) for c in fill)
        draw_object(ImageDraw.Draw(canvas), kind, cx, cy, h, fill, shade)
        draw_object(ImageDraw.Draw(labels), kind, cx, cy, h, len(placed) + 1, len(placed) + 1)
        depth = float(table_depth(np.array([min(cy + h / 2, height - 1)]), k)[0]) * 0.97
        placed.append(SceneObject(kind, colour, size, (cx, cy), depth_m=depth, size_m=h * depth / k[1, 1]))
    label_map = np.asarray(labels)
    for index, obj in enumerate(placed):
        obj.mask = label_map == index + 1
    pixels = np.asarray(canvas).astype(np.float32)
    light = np.linspace(rng.uniform(0.75, 1.0), rng.uniform(1.0, 1.2), width)[None, :, None]  # lamp on one side
    if rng.random() < 0.5:
        light = light[:, ::-1]
    pixels = np.clip(pixels * light + rng.normal(0, 2.5, pixels.shape), 0, 255).astype(np.uint8)
    visible = [o for o in placed if o.area >= 40 * (height * width) / (144 * 192)]
    depth = _depth_image(height, width, horizon, k, label_map, placed)
    referrals = referrals_for(visible)
    return Scene(pixels, visible, referrals, depth, k, set_referrals_for(visible, referrals, KINDS))


def _depth_image(height: int, width: int, horizon: int, k: np.ndarray, label_map: np.ndarray,
                 placed: list[SceneObject]) -> np.ndarray:
    rows = np.arange(height, dtype=np.float64)
    table = table_depth(np.maximum(rows, horizon), k)
    wall = table_depth(np.array([horizon]), k)[0] * (1.0 + 0.3 * (horizon - rows) / height)
    column = np.where(rows < horizon, wall, table)
    depth = np.repeat(column[:, None], width, axis=1).astype(np.float32)
    for index, obj in enumerate(placed):
        depth[label_map == index + 1] = obj.depth_m
    return depth


def referrals_for(objects: list[SceneObject]) -> list[Referral]:
    """Every expression of each type that picks out exactly one object, with clear margins."""
    out: list[Referral] = []
    if not objects:
        return out
    width = objects[0].mask.shape[1]
    for i, obj in enumerate(objects):
        same_kind = [j for j, o in enumerate(objects) if o.kind == obj.kind]
        if len(same_kind) == 1:
            out.append(Referral(f"the {obj.kind}", i, "kind"))
            continue
        if sum(o.describe() == obj.describe() for o in objects) == 1:
            out.append(Referral(f"the {obj.colour} {obj.kind}", i, "colour"))
        out.extend(_size_referrals(objects, i, same_kind))
        out.extend(_position_referrals(objects, i, same_kind, width))
        out.extend(_distance_referrals(objects, i, same_kind))
        out.extend(_relation_referrals(objects, i, same_kind, width))
    return out


def _unique_extreme(values: dict[int, float], i: int, ratio: float = 0.0, gap: float = 0.0) -> str:
    """'max' / 'min' when object i holds that extreme by the margin, else ''."""
    ranked = sorted(values, key=lambda j: values[j])
    if ranked[-1] == i and values[i] > values[ranked[-2]] * (1 + ratio) + gap:
        return "max"
    if ranked[0] == i and values[ranked[1]] > values[i] * (1 + ratio) + gap:
        return "min"
    return ""


def _size_referrals(objects, i, same_kind) -> list[Referral]:
    """Size must agree in the picture and on the table: pixel area and metric size."""
    obj, out = objects[i], []
    pixel = _unique_extreme({j: float(objects[j].area) for j in same_kind}, i, ratio=0.4)
    metric = _unique_extreme({j: objects[j].size_m ** 2 for j in same_kind}, i, ratio=0.3)
    if pixel and pixel == metric:
        out.append(Referral(f"the {'biggest' if pixel == 'max' else 'smallest'} {obj.kind}", i, "size"))
        if len(same_kind) == 2:
            word = "larger" if pixel == "max" else "smaller"
            out.append(Referral(f"the {word} of the two {obj.kind}s", i, "comparative"))
    return out


def _position_referrals(objects, i, same_kind, width) -> list[Referral]:
    obj, out = objects[i], []
    xs = {j: objects[j].centre[0] for j in same_kind}
    gap = width * 0.1
    side = _unique_extreme(xs, i, gap=gap)
    if side:
        word = "left" if side == "min" else "right"
        out.append(Referral(f"the {obj.kind} on the {word}", i, "position"))
        if len(same_kind) == 2:
            out.append(Referral(f"of the {obj.kind}s, the {word} one", i, "comparative"))
    order = sorted(same_kind, key=lambda j: xs[j])
    spaced = all(xs[b] - xs[a] > width * 0.08 for a, b in zip(order, order[1:], strict=False))
    if len(order) == 3 and spaced and order[1] == i:
        out.append(Referral(f"the {obj.kind} in the middle", i, "position"))
    if len(order) >= 3 and spaced:
        for word, ranked in (("left", order), ("right", order[::-1])):
            if ranked[1] == i:
                out.append(Referral(f"the second {obj.kind} from the {word}", i, "ordinal"))
    return out


def _distance_referrals(objects, i, same_kind) -> list[Referral]:
    obj = objects[i]
    near = _unique_extreme({j: objects[j].depth_m for j in same_kind}, i, ratio=0.08)
    if near == "min":
        return [Referral(f"the closest {obj.kind}", i, "distance")]
    if near == "max":
        return [Referral(f"the {obj.kind} at the back", i, "distance")]
    return []


def _relation_referrals(objects, i, same_kind, width) -> list[Referral]:
    obj, out = objects[i], []
    gap = width * 0.1
    anchors = [r for r, ref in enumerate(objects)
               if ref.kind != obj.kind and sum(o.describe() == ref.describe() for o in objects) == 1]
    for r in anchors:
        ref = objects[r]
        for word, side in (("left of", -1), ("right of", 1)):
            on_side = [j for j in same_kind if side * (objects[j].centre[0] - ref.centre[0]) > gap]
            if on_side == [i]:
                out.append(Referral(f"the {obj.kind} {word} the {ref.describe()}", i, "relation"))
        distance = {j: float(np.hypot(objects[j].centre[0] - ref.centre[0], objects[j].centre[1] - ref.centre[1]))
                    for j in same_kind}
        if _unique_extreme(distance, i, ratio=0.6) == "min":
            out.append(Referral(f"the {obj.kind} next to the {ref.describe()}", i, "relation"))
    for a, b in ((a, b) for a in anchors for b in anchors if a < b):
        inside = [j for j in same_kind if _between(objects[j].centre, objects[a].centre, objects[b].centre)]
        if inside == [i]:
            out.append(Referral(f"the {obj.kind} between the {objects[a].describe()} and the "
                                f"{objects[b].describe()}", i, "relation"))
    return out


def _between(point, a, b) -> bool:
    """On the segment a-b: projection well inside, close to the line."""
    p, a, b = (np.asarray(x, dtype=np.float64) for x in (point, a, b))
    ab = b - a
    length_sq = float(ab @ ab)
    if length_sq < 1.0:
        return False
    t = float((p - a) @ ab) / length_sq
    perpendicular = float(np.linalg.norm(p - (a + t * ab))) / np.sqrt(length_sq)
    return 0.2 < t < 0.8 and perpendicular < 0.25


def make_scenes(seed: int, count: int, **kwargs) -> list[Scene]:
    rng = np.random.default_rng(seed)
    return [make_scene(rng, **kwargs) for _ in range(count)]
