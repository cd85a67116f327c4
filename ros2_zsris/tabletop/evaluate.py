"""The full pipeline with the embedded default on held-out tabletop scenes.

Prec@0.5 by expression type, for a grid of alpha (global vs local) and beta (sentence vs
target phrase): alpha and beta are query-time settings, so each scene is encoded once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import numpy as np

from ..core.config import EngineConfig, FusionConfig, ModelConfig, ProposalConfig
from ..embedded import EMBEDDED_ALPHA, EMBEDDED_MODEL
from ..evaluation.datasets_to_bag import LabelledFrame
from ..evaluation.metrics import score_mask
from .scenes import EXPRESSION_TYPES, make_scenes

HELD_OUT_SEED = 20261123  # never used for training (training uses seeds 0..)


def embedded_engine_config(device: str = "auto") -> EngineConfig:
    """The embedded default: tiny CLIP + classical proposals, sized for tabletop objects."""
    return EngineConfig(
        models=ModelConfig(clip_model=EMBEDDED_MODEL, clip_weights="embedded", device=device),
        proposals=ProposalConfig(backend="classical", min_area_px=60, max_proposals=40),
        fusion=FusionConfig(alpha=EMBEDDED_ALPHA),
    )


def evaluate(engine, scenes: int, seed: int = HELD_OUT_SEED, alphas=(None,), betas=(None,)) -> dict:
    """{(alpha, beta): {type: Prec@0.5, ..., "kind+colour": ..., "all": ...}} plus counts."""
    hits: dict[tuple, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for scene in make_scenes(seed, scenes):
        features = engine.encode_frame(scene.image)
        for referral in scene.referrals:
            truth = scene.objects[referral.target].mask
            for alpha in alphas:
                for beta in betas:
                    result = engine.query(features, referral.expression, alpha=alpha, beta=beta)
                    ok = result.mask is not None and score_mask(result.mask, truth).iou > 0.5
                    hits[(alpha, beta)][referral.kind].append(ok)
    table = {}
    for key, by_type in hits.items():
        row = {t: float(np.mean(by_type[t])) for t in EXPRESSION_TYPES if by_type[t]}
        row["kind+colour"] = float(np.mean(by_type["kind"] + by_type["colour"]))
        row["all"] = float(np.mean([h for values in by_type.values() for h in values]))
        row["count"] = {t: len(by_type[t]) for t in EXPRESSION_TYPES}
        table[key] = row
    return table


def tabletop_frames(seed: int, count: int) -> Iterator[LabelledFrame]:
    for index, scene in enumerate(make_scenes(seed, count)):
        yield LabelledFrame(scene.image, [(r.expression, scene.objects[r.target].mask) for r in scene.referrals],
                            f"tabletop_{seed}_{index}")
