"""Exact-set accuracy on generated tabletop scenes, by form (set_referrals.py).

A command is exactly right when it answers as many objects as the truth and each is matched
one to one with IoU > 0.5 (lists: in the order named; evaluation.metrics.exact_set); a counting
question is also scored on its count alone ("count exact"). ``rewrite(referral) ->
[(label, command)]`` replaces the generator's wording by other wordings of the same meaning (a
held-out phrasing file, bench/heldout/README.md).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..evaluation.metrics import exact_set
from .scenes import make_scenes


def evaluate_sets(engine, scenes: int, seed: int, *, use_depth: bool = False, rewrite=None,
                  **scene_args) -> dict[str, dict]:
    """{label: {"exact": share, "n": commands, "count_exact": share (counts only)}}, labels being
    the referrals' forms (or what ``rewrite`` names), plus "all"."""
    exact: dict[str, list[bool]] = defaultdict(list)
    counts: dict[str, list[bool]] = defaultdict(list)
    for scene in make_scenes(seed, scenes, **scene_args):
        features = (engine.encode_frame(scene.image, scene.depth, camera_k=scene.camera_k) if use_depth
                    else engine.encode_frame(scene.image))
        for referral in scene.set_referrals:
            truths = [scene.objects[i].mask for i in referral.targets]
            commands = rewrite(referral) if rewrite else [(referral.form, referral.expression)]
            for label, command in commands:
                result = engine.query(features, command)
                predicted = [o.mask for o in result.objects] if result.status.value == "ok" else []
                exact[label].append(exact_set(predicted, truths, referral.ordered))
                if referral.counts:
                    counts[label].append(result.status.value == "ok" and result.count == len(truths))
    table = {label: {"exact": float(np.mean(hits)), "n": len(hits)} for label, hits in exact.items()}
    for label, hits in counts.items():
        table[label]["count_exact"] = float(np.mean(hits))
    every = [h for hits in exact.values() for h in hits]
    table["all"] = {"exact": float(np.mean(every)) if every else float("nan"), "n": len(every)}
    return table

