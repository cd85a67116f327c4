"""One ranking for spatial expressions: CLIP says *what*, geometry says *where*.

For each proposal i:
    w_i = exp(logit_scale * (s_i - max_j s_j))      CLIP's confidence that i is the target
                                                     (s = cosine with the target phrase, scaled
                                                     by the model's own logit scale)
    g_i = spatial score in (0, 1]                   location / extreme / ordinal / relation
    rank_i = w_i * g_i                              the answer is the argmax
Proposals that cover the same object (IoU > 0.5) are one object, led by its best-scoring
mask: ordinals and extremes count objects, not masks. Candidates (the objects the spatial
words compare) are the objects CLIP ranks above the largest confidence drop among those with
w >= CANDIDATE_FLOOR (a "natural break": two cups at w 1.0 and 0.4 above a cube at 0.01), or
the top `count` when the expression gives one ("the larger of the two balls"). Within the
candidates, rank_i = w_i ** CANDIDATE_CLIP_POWER * g_i, so geometry decides among things CLIP
finds alike while a clearly better CLIP match still counts; outside them rank_i is scaled by
OUTSIDE_FACTOR. Anchors are weighted by their own phrase in the same way; a relation scores
g_i = max_j a_j * relation(i, j) over anchor objects j other than i's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..language import ExpressionStructure
from . import predicates
from .regions import RegionGeometry

CANDIDATE_FLOOR = 0.02
MIN_BREAK = 5.0  # a confidence drop by this factor separates candidates from the rest
CANDIDATE_CLIP_POWER = 1.0
OUTSIDE_FACTOR = 1e-3
SAME_OBJECT_IOU = 0.5
MAX_CANDIDATES = 12


@dataclass
class Grounding:
    index: int
    ranking: np.ndarray  # (N,) rank_i, the value the answer maximises
    target_weights: np.ndarray  # (N,) w_i
    spatial: np.ndarray  # (N,) g_i
    anchor_indices: list[int] = field(default_factory=list)
    candidates: list[int] = field(default_factory=list)


def object_groups(masks: np.ndarray, order: np.ndarray, min_iou: float = SAME_OBJECT_IOU) -> np.ndarray:
    """Group id per proposal; proposals are visited in ``order`` (best first), so each group's
    first member is its most likely mask."""
    count = masks.shape[0]
    flat = masks.reshape(count, -1)
    areas = flat.sum(axis=1).astype(np.float64)
    inter = flat.astype(np.float32) @ flat.astype(np.float32).T
    share = inter / np.maximum(areas[:, None] + areas[None, :] - inter, 1.0)
    group = np.full(count, -1)
    leaders: list[int] = []
    for i in order:
        match = next((g for g, leader in enumerate(leaders) if share[i, leader] > min_iou), None)
        if match is None:
            leaders.append(int(i))
            match = len(leaders) - 1
        group[i] = match
    return group


def ground(structure: ExpressionStructure, target_scores: np.ndarray, anchor_scores: list[np.ndarray],
           regions: RegionGeometry, masks: np.ndarray, logit_scale: float) -> Grounding:
    """Rank every proposal for a spatial expression (see the module docstring)."""
    weights = _confidence(target_scores, logit_scale)
    weights[regions.area == 0] = 0.0
    groups = object_groups(masks, np.argsort(-weights, kind="stable"))
    leader = _leaders(groups, weights)
    candidates = _candidates(weights, leader, structure.count)
    spatial, anchors = _spatial_scores(structure, regions, candidates, leader, groups, anchor_scores, logit_scale)
    ranking = np.where(candidates, weights ** CANDIDATE_CLIP_POWER, weights * OUTSIDE_FACTOR) * spatial
    ranking[~leader] *= 0.999  # ties between masks of one object go to its leading mask
    best = int(np.argmax(ranking))
    anchor_indices = [int(a[best]) for a in anchors if a[best] >= 0]
    return Grounding(best, ranking, weights, spatial, anchor_indices, [int(i) for i in np.flatnonzero(candidates)])


def _confidence(scores: np.ndarray, logit_scale: float) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    return np.exp(logit_scale * (scores - scores.max()))


def _leaders(groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    leader = np.zeros(groups.shape[0], dtype=bool)
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        leader[members[np.argmax(weights[members])]] = True
    return leader


def _candidates(weights: np.ndarray, leader: np.ndarray, count: int | None) -> np.ndarray:
    """Leading masks of the objects the spatial words compare."""
    order = [i for i in np.argsort(-weights, kind="stable") if leader[i]]
    if count and count >= 2 and len(order) >= count:
        chosen = order[:count]
    else:
        chosen = [i for i in order if weights[i] >= CANDIDATE_FLOOR][:MAX_CANDIDATES]
        ranked = order[: len(chosen) + 1]  # the first object below the floor closes the last gap
        if len(ranked) >= 2:
            drops = np.log(weights[ranked[:-1]] + 1e-300) - np.log(weights[ranked[1:]] + 1e-300)
            cut = int(np.argmax(drops[: len(chosen)]))
            if drops[cut] >= np.log(MIN_BREAK):
                chosen = chosen[: cut + 1]
    mask = np.zeros_like(leader)
    mask[chosen] = True
    return mask


def _spatial_scores(structure, regions, candidates, leader, groups, anchor_scores, logit_scale):
    """g_i (product of every spatial part) and, per relation anchor, the anchor used per i."""
    spatial = np.ones(regions.count)
    anchors: list[np.ndarray] = []
    if structure.location:
        spatial *= predicates.location(regions, candidates, structure.location)
    if structure.extreme:
        measure, direction = structure.extreme
        values = regions.camera_distance() if measure == "distance" else np.log(regions.size(measure) + 1e-12)
        spatial *= predicates.extreme(values, candidates, direction)
    if structure.ordinal:
        spatial *= predicates.ordinal(regions, candidates, *structure.ordinal)
    if structure.relation and anchor_scores:
        score, anchors = _relation(structure.relation.kind, regions, candidates, leader, groups,
                                   [_confidence(a, logit_scale) for a in anchor_scores])
        spatial *= score
    return spatial, anchors


def _relation(kind, regions, candidates, leader, groups, anchor_weights):
    """g_i for a relation, and the anchor proposal it used for each i (-1: none)."""
    other = groups[:, None] != groups[None, :]  # an object is never its own anchor
    weights = [np.where(leader, a, 0.0) for a in anchor_weights]
    if kind == "between" and len(weights) >= 2:
        return _between(regions, weights, other)
    if kind in ("closest_to", "farthest_from"):
        return _distance_extreme(kind, regions, candidates, weights[0], other)
    pair = predicates.pairwise(regions, kind) * other * weights[0][None, :]
    best = np.argmax(pair, axis=1)
    return pair[np.arange(regions.count), best], [best]


def _between(regions, weights, other):
    first = np.argmax(weights[0][None, :] * other, axis=1)
    second_weights = weights[1][None, :] * other
    second_weights[np.arange(regions.count), first] = 0.0
    second = np.argmax(second_weights, axis=1)
    score = np.empty(regions.count)
    for i in range(regions.count):
        on_segment = predicates.between(regions, int(first[i]), int(second[i]))[i]
        score[i] = on_segment * weights[0][first[i]] * weights[1][second[i]]
    return score, [first, second]


def _distance_extreme(kind, regions, candidates, weights, other):
    """closest_to / farthest_from: each candidate's distance to the most likely anchor that is
    not itself, compared across the candidates."""
    anchor = np.argmax(weights[None, :] * other, axis=1)
    distance = predicates.pairwise_distances(regions)[np.arange(regions.count), anchor]
    direction = "min" if kind == "closest_to" else "max"
    score = predicates.extreme(distance, candidates, direction) * weights[anchor]
    return score, [anchor]
