"""The full pipeline with the embedded default on held-out tabletop scenes.

Prec@0.5 by expression type, for a grid of alpha (global vs local) and beta (sentence vs
target phrase): alpha and beta are query-time settings, so each scene is encoded once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import numpy as np

from ..core.config import EngineConfig, ModelConfig, apply_embedded_settings
from ..embedded import EMBEDDED_MODEL
from ..evaluation.datasets_to_bag import LabelledFrame
from ..evaluation.episodes import set_truth_image
from ..evaluation.metrics import score_mask
from .scenes import make_scenes

HELD_OUT_SEED = 20261123  # never used for training (training uses seeds 0..)


def embedded_engine_config(device: str = "auto", clip_weights: str = "embedded") -> EngineConfig:
    """The embedded default's settings (embedded.EMBEDDED_SETTINGS), also with other weights of
    its architecture (controls)."""
    config = EngineConfig(models=ModelConfig(clip_model=EMBEDDED_MODEL, clip_weights=clip_weights, device=device))
    apply_embedded_settings(config, force=True)
    return config


def evaluate(engine, scenes: int, seed: int = HELD_OUT_SEED, alphas=(None,), betas=(None,), *,
             use_depth: bool = False, rewrite=None, **scene_args) -> dict:
    """{(alpha, beta): {type: Prec@0.5, ..., "kind+colour": ..., "all": ...}} plus counts.

    ``rewrite(referral, scene) -> [expressions]`` replaces each generated expression by
    other wordings of the same meaning (held-out paraphrases); ``use_depth`` gives the
    engine the scene's depth image and intrinsics.
    """
    hits: dict[tuple, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    correct_ious: dict[tuple, list[float]] = defaultdict(list)
    for scene in make_scenes(seed, scenes, **scene_args):
        features = (engine.encode_frame(scene.image, scene.depth, camera_k=scene.camera_k) if use_depth
                    else engine.encode_frame(scene.image))
        for referral in scene.referrals:
            truth = scene.objects[referral.target].mask
            expressions = rewrite(referral, scene) if rewrite else [(referral.kind, referral.expression)]
            for kind, expression in expressions:
                for alpha in alphas:
                    for beta in betas:
                        result = engine.query(features, expression, alpha=alpha, beta=beta)
                        iou = score_mask(result.mask, truth).iou if result.mask is not None else 0.0
                        hits[(alpha, beta)][kind].append(iou > 0.5)
                        if iou > 0.5:
                            correct_ious[(alpha, beta)].append(iou)
    table = {}
    for key, by_type in hits.items():
        types = [t for t in by_type if by_type[t]]
        row = {t: float(np.mean(by_type[t])) for t in types}
        row["kind+colour"] = float(np.mean(by_type["kind"] + by_type["colour"])) if (
            by_type["kind"] or by_type["colour"]) else float("nan")
        row["all"] = float(np.mean([h for values in by_type.values() for h in values]))
        row["count"] = {t: len(by_type[t]) for t in types}
        row["median_iou_correct"] = float(np.median(correct_ious[key])) if correct_ious[key] else float("nan")
        table[key] = row
    return table


def tabletop_frames(seed: int, count: int, sets: bool = False) -> Iterator[LabelledFrame]:
    """Scenes with their single-object referrals, and with ``sets`` their referrals to several
    objects too (a label image each: evaluation/episodes.py; a count of none has no truth image)."""
    for index, scene in enumerate(make_scenes(seed, count)):
        expressions = [(r.expression, scene.objects[r.target].mask) for r in scene.referrals]
        if sets:
            expressions += [(r.expression, set_truth_image([scene.objects[i].mask for i in r.targets]))
                            for r in scene.set_referrals if r.targets]
        yield LabelledFrame(scene.image, expressions, f"tabletop_{seed}_{index}")
