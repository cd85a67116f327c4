"""How sure CLIP is that each proposal is the thing a phrase names: the w of the ranking.

Two readings of the same cosine scores:

* **contrast** (``grounding.vocabulary`` set): each proposal is classified zero-shot between
  the phrase's kind ("the cup": its head noun), the other object names the model knows and
  background prompts, at the model's own logit scale: ``w_i = softmax_k(scale * cos(v_i,
  t_k))[kind]``. It is a probability per proposal, so a table patch or a cube is an unlikely cup
  however the rest of the frame looks, and two cups are both likely cups however far apart their
  cosines are. Whatever else the phrase says ("the red cup", "the cup in the corner") is weighed
  within the frame (below), since the vocabulary names kinds, not colours, and words the
  analysis left in the phrase must not turn a cup into a non-cup.
* **frame-relative** (no vocabulary, the general default): ``w_i = exp(scale * (s_i - max s))``,
  tempered so that the frame's least likely proposal sits at exp(-SPREAD_LOGITS): CLIP's cosines
  are not calibrated across objects of one kind (a 0.01 gap between two cups is noise to a
  person, e^-1 at scale 100). The best proposal is always a sure target, whatever it is.
"""

from __future__ import annotations

import numpy as np

from ..language import Phrase

BACKGROUND_PROMPTS = ("background", "the table")  # what a proposal is when it is no object
SPREAD_LOGITS = 4.0


def vocabulary_names(vocabulary: str) -> tuple[str, ...]:
    """'cube, ball,cup' -> ('cube', 'ball', 'cup')."""
    return tuple(name.strip().lower() for name in vocabulary.split(",") if name.strip())


def kind_text(phrase: Phrase) -> str:
    """The phrase's kind alone: 'the red cup on the shelf' -> 'the cup'."""
    return f"the {phrase.head}"


def contrast_prompts(phrase: Phrase, names: tuple[str, ...]) -> list[str]:
    """What else a proposal could be than ``phrase``: the other known names and background.
    A phrase whose head is not a known name is contrasted with background only (an unknown
    word may be a synonym of a known one: 'mug' and 'cup')."""
    others = [f"the {name}" for name in names if name != phrase.head] if phrase.head in names else []
    return [*others, *BACKGROUND_PROMPTS]


def contrast_belief(phrase_scores: np.ndarray, contrast_scores: np.ndarray, logit_scale: float) -> np.ndarray:
    """(N,) P(phrase) against (N, K) contrast prompts, softmax at the model's logit scale."""
    logits = logit_scale * np.column_stack([phrase_scores, contrast_scores]).astype(np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits)
    return probabilities[:, 0] / probabilities.sum(axis=1)


def relative_belief(scores: np.ndarray, logit_scale: float) -> np.ndarray:
    """w = exp(scale * (s - max s)), tempered to a spread of SPREAD_LOGITS (module docstring)."""
    scores = np.asarray(scores, dtype=np.float64)
    spread = float(np.nanmax(scores) - np.nanmin(scores))
    scale = min(logit_scale, SPREAD_LOGITS / spread) if spread > 0 else logit_scale
    return np.exp(scale * (scores - np.nanmax(scores)))


def phrase_belief(phrase: Phrase, phrase_scores: np.ndarray, kind_scores: np.ndarray | None,
                  contrast_scores: np.ndarray | None, logit_scale: float) -> np.ndarray:
    """The w of one phrase: contrast of its kind when prompts are given (times the frame-relative
    belief of the whole phrase when it says more than its kind), else frame-relative."""
    if contrast_scores is None or kind_scores is None or phrase.generic:
        return relative_belief(phrase_scores, logit_scale)
    belief = contrast_belief(kind_scores, contrast_scores, logit_scale)
    if phrase.text != kind_text(phrase):
        belief = belief * relative_belief(phrase_scores, logit_scale)
    return belief
