"""Pick-and-place commands on generated tabletop scenes: "put the red cup next to the blue cube".

Built on the scene generator as it is (``make_scenes``, ``Scene.objects``, ``Scene.referrals``):
the target and the destination are both named by a kind or colour referral that identifies
exactly one object, so the ground truth of both is an exact instance mask.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ..evaluation.metrics import score_mask
from .scenes import Scene, make_scenes

# (command template, destination template): {t} the target, {d} the destination object.
TEMPLATES = (
    ("put {t} next to {d}", "next to {d}"),
    ("place {t} on {d}", "on {d}"),
    ("could you move {t} in front of {d} please", "in front of {d}"),
    ("robot, pick up {t} and put it behind {d}", "behind {d}"),
    ("drop {t} onto {d}", "onto {d}"),
    ("um put {t} beside {d}", "beside {d}"),
)
NAMING_KINDS = ("kind", "colour")


@dataclass(frozen=True)
class DestinationEpisode:
    scene: int  # index into the scene list
    command: str
    target: int  # index into Scene.objects
    destination: int
    target_expression: str
    destination_words: str  # the destination as spoken
    destination_expression: str


def destination_episodes(scenes: list[Scene], per_scene: int = 2) -> list[DestinationEpisode]:
    """Up to ``per_scene`` commands per scene, templates in rotation, target != destination."""
    episodes: list[DestinationEpisode] = []
    for index, scene in enumerate(scenes):
        naming = {}
        for referral in scene.referrals:
            if referral.kind in NAMING_KINDS:
                naming.setdefault(referral.target, referral.expression)
        objects = sorted(naming)
        pairs = [(t, d) for t in objects for d in objects if t != d]
        for t, d in pairs[:: max(1, len(pairs) // per_scene)][:per_scene]:
            command, words = TEMPLATES[len(episodes) % len(TEMPLATES)]
            episodes.append(DestinationEpisode(index, command.format(t=naming[t], d=naming[d]), t, d, naming[t],
                                               words.format(d=naming[d]), naming[d]))
    return episodes


def evaluate_destinations(engine, seed: int, count: int, per_scene: int = 2) -> dict:
    """Prec@0.5 of the destination mask, of the target mask, and destination text exactness."""
    scenes = make_scenes(seed, count)
    by_scene: dict[int, list[DestinationEpisode]] = defaultdict(list)
    for episode in destination_episodes(scenes, per_scene):
        by_scene[episode.scene].append(episode)
    hits: dict[str, list[bool]] = defaultdict(list)
    for index, episodes in by_scene.items():
        scene = scenes[index]
        features = engine.encode_frame(scene.image)
        for episode in episodes:
            result = engine.query(features, episode.command)
            hits["destination_text_exact"].append(result.destination == episode.destination_words)
            hits["destination_expression_exact"].append(result.destination_expression == episode.destination_expression)
            hits["target_expression_exact"].append(result.expression == episode.target_expression)
            hits["target_prec50"].append(_hit(result.mask, scene.objects[episode.target].mask))
            hits["destination_prec50"].append(_hit(result.destination_mask, scene.objects[episode.destination].mask))
            bare = engine.query(features, episode.destination_expression)  # the destination said on its own
            hits["destination_alone_prec50"].append(_hit(bare.mask, scene.objects[episode.destination].mask))
    report = {name: float(np.mean(values)) for name, values in hits.items()}
    report["episodes"] = len(hits["destination_prec50"])
    report["scenes"] = len(by_scene)
    return report


def _hit(mask, truth) -> bool:
    return mask is not None and score_mask(mask, truth).iou > 0.5
