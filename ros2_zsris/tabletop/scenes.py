"""Seeded procedural tabletop scenes with exact instance masks and referring expressions.

Six object kinds, eight colours, three sizes, textured backgrounds, a lighting gradient and
occlusion. Expressions are generated only when they identify exactly one object, in five
types: kind ("the cup"), colour ("the red cup"), size ("the biggest ball"), position ("the
cup on the left") and relation ("the ball right of the yellow cup").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

KINDS = ("cube", "ball", "cup", "bottle", "cone", "ring")
COLOURS = {
    "red": (210, 30, 30), "green": (40, 170, 60), "blue": (40, 70, 210), "yellow": (235, 215, 40),
    "orange": (240, 130, 20), "purple": (130, 50, 170), "pink": (240, 130, 190), "white": (240, 240, 240),
}
SIZES = {"small": 0.09, "medium": 0.13, "large": 0.18}  # object height as a share of image height
TABLES = ((150, 110, 75), (120, 120, 125), (200, 185, 160), (90, 70, 55), (70, 90, 80), (175, 160, 140))
EXPRESSION_TYPES = ("kind", "colour", "size", "position", "relation")


@dataclass
class SceneObject:
    kind: str
    colour: str
    size: str
    centre: tuple[float, float]  # (x, y) pixels
    mask: np.ndarray = field(repr=False, default=None)  # visible pixels, bool

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


def _background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    base = np.array(TABLES[rng.integers(len(TABLES))], dtype=np.float32)
    grain = rng.normal(0, 6, (height, 1, 1)) + rng.normal(0, 4, (height, width, 1))  # wood-like rows
    image = base[None, None, :] + grain
    horizon = int(height * rng.uniform(0.15, 0.35))  # a wall behind the table
    wall = np.array(rng.integers(150, 235, 3), dtype=np.float32)
    image[:horizon] = wall + rng.normal(0, 3, (horizon, width, 1))
    return image


def make_scene(rng: np.random.Generator, height: int = 144, width: int = 192, objects: tuple[int, int] = (3, 6),
               max_tries: int = 40) -> Scene:
    image = _background(rng, height, width)
    canvas = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    labels = Image.new("I", (width, height), 0)
    placed: list[SceneObject] = []
    count = int(rng.integers(objects[0], objects[1] + 1))
    for _ in range(max_tries):
        if len(placed) == count:
            break
        kind, colour = KINDS[rng.integers(len(KINDS))], list(COLOURS)[rng.integers(len(COLOURS))]
        size = list(SIZES)[rng.integers(len(SIZES))]
        h = SIZES[size] * height * rng.uniform(0.9, 1.1) * 1.6
        cx, cy = rng.uniform(h * 0.6, width - h * 0.6), rng.uniform(height * 0.4, height - h * 0.55)
        if any(abs(cx - o.centre[0]) < h * 0.5 and abs(cy - o.centre[1]) < h * 0.5 for o in placed):
            continue  # allow overlap (occlusion) but not objects on top of each other
        fill = tuple(int(c) for c in np.clip(np.array(COLOURS[colour]) * rng.uniform(0.85, 1.1), 0, 255))
        shade = tuple(int(c * 0.7) for c in fill)
        draw_object(ImageDraw.Draw(canvas), kind, cx, cy, h, fill, shade)
        draw_object(ImageDraw.Draw(labels), kind, cx, cy, h, len(placed) + 1, len(placed) + 1)
        placed.append(SceneObject(kind, colour, size, (cx, cy)))
    label_map = np.asarray(labels)
    for index, obj in enumerate(placed):
        obj.mask = label_map == index + 1
    pixels = np.asarray(canvas).astype(np.float32)
    light = np.linspace(rng.uniform(0.75, 1.0), rng.uniform(1.0, 1.2), width)[None, :, None]  # lamp on one side
    if rng.random() < 0.5:
        light = light[:, ::-1]
    pixels = np.clip(pixels * light + rng.normal(0, 2.5, pixels.shape), 0, 255).astype(np.uint8)
    visible = [o for o in placed if o.area >= 40]
    return Scene(pixels, visible, referrals_for(visible))


def referrals_for(objects: list[SceneObject]) -> list[Referral]:
    """Every expression of each type that picks out exactly one object."""
    out: list[Referral] = []
    for i, obj in enumerate(objects):
        same_kind = [j for j, o in enumerate(objects) if o.kind == obj.kind]
        if len(same_kind) == 1:
            out.append(Referral(f"the {obj.kind}", i, "kind"))
            continue
        if sum(o.describe() == obj.describe() for o in objects) == 1:
            out.append(Referral(f"the {obj.colour} {obj.kind}", i, "colour"))
        areas = {j: objects[j].area for j in same_kind}
        ranked = sorted(same_kind, key=lambda j: areas[j])
        if ranked[-1] == i and areas[i] > 1.4 * areas[ranked[-2]]:
            out.append(Referral(f"the biggest {obj.kind}", i, "size"))
        if ranked[0] == i and areas[ranked[1]] > 1.4 * areas[i]:
            out.append(Referral(f"the smallest {obj.kind}", i, "size"))
        xs = {j: objects[j].centre[0] for j in same_kind}
        order = sorted(same_kind, key=lambda j: xs[j])
        gap = (objects[0].mask.shape[1]) * 0.1
        if order[0] == i and xs[order[1]] - xs[i] > gap:
            out.append(Referral(f"the {obj.kind} on the left", i, "position"))
        if order[-1] == i and xs[i] - xs[order[-2]] > gap:
            out.append(Referral(f"the {obj.kind} on the right", i, "position"))
        for ref in objects:
            if ref.kind == obj.kind or sum(o.describe() == ref.describe() for o in objects) != 1:
                continue
            for word, side in (("left of", -1), ("right of", 1)):
                on_side = [j for j in same_kind if side * (objects[j].centre[0] - ref.centre[0]) > gap]
                if on_side == [i]:
                    out.append(Referral(f"the {obj.kind} {word} the {ref.describe()}", i, "relation"))
    return out


def make_scenes(seed: int, count: int, **kwargs) -> list[Scene]:
    rng = np.random.default_rng(seed)
    return [make_scene(rng, **kwargs) for _ in range(count)]
