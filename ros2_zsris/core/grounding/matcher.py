"""Fuse features and pick the proposal that best matches the expression.

v_i = alpha * global_i + (1 - alpha) * local_i   (ViT: raw embeddings; ResNet: each
normalised first), t = beta * sentence + (1 - beta) * phrase, score_i = cos(v_i, t).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..results import FrameFeatures


@dataclass
class Match:
    index: int
    score: float
    margin: float
    scores: list[float]


def fuse_visual(features: FrameFeatures, alpha: float) -> torch.Tensor:
    global_, local = features.global_embeddings, features.local_embeddings
    if features.normalise_before_fusion:
        global_, local = F.normalize(global_, dim=-1), F.normalize(local, dim=-1)
    return F.normalize(alpha * global_ + (1.0 - alpha) * local, dim=-1)


def fuse_text(sentence: torch.Tensor, phrase: torch.Tensor, beta: float) -> torch.Tensor:
    sentence, phrase = F.normalize(sentence, dim=-1), F.normalize(phrase, dim=-1)
    return F.normalize(beta * sentence + (1.0 - beta) * phrase, dim=-1)


def best_match(visual: torch.Tensor, text: torch.Tensor, valid: np.ndarray | None = None) -> Match:
    """Cosine scores of every proposal; the answer is their argmax over the valid ones.

    Invalid (empty) proposals keep their place in ``scores`` as NaN, so indices stay those
    of the caller's masks. At least one proposal must be valid.
    """
    scores = (visual @ text).tolist()
    if valid is not None:
        scores = [s if ok else float("nan") for s, ok in zip(scores, valid, strict=True)]
    candidates = [i for i in range(len(scores)) if valid is None or valid[i]]
    order = sorted(candidates, key=lambda i: -scores[i])
    best = order[0]
    margin = scores[best] - scores[order[1]] if len(order) > 1 else float("inf")
    return Match(index=best, score=scores[best], margin=margin, scores=scores)
