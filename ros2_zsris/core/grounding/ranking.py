"""One ranking for spatial expressions: CLIP says *what*, geometry says *where*.

Every proposal i gets w_i, CLIP's belief that i is the kind of thing the target phrase names
(beliefs.py: a zero-shot classification against the other names the model knows and background
when a vocabulary is configured, else exp(scale * (s_i - max_j s_j)) with s the cosine with the
target phrase and the model's logit scale, tempered so the least likely proposal gets exp(-4)).
Proposals that cover the same object (intersection over the smaller mask > 0.6) are one
object, led by its most likely mask, so objects are counted once. Each spatial word then
becomes a probability over objects, with every other object j a rival weighted by w_j
instead of being filtered in or out (beliefs under RIVAL_FLOOR = 0.1 are background and do
not compete):

    leftmost        P_i = w_i * prod_{j left of i} (1 - w_j)        (no target further left)
                          * (f + (1 - f) * P(some target right of i))  (one is there: f = 0.3)
    n-th from left  P_i = w_i * P(exactly n-1 targets left of i)      (Poisson-binomial)
    middle          P_i = w_i * P(as many targets on each side, >= 1)
    biggest, closest, ... : as leftmost, on size (metric with depth) or camera distance
    "of the two X"  only the `count` most likely objects take part
    relation        P_i = w_i * max_j a_j * relation(i, j)            (a_j: the anchor's own w)
    closest to X    P_i = w_i * a_x * prod_{j nearer X than i} (1 - w_j)
    between X and Y P_i = w_i * a_x * a_y * on_segment(i; x, y)
The answer is the argmax of the product of the parts. "Left of" comparisons are soft (a
sigmoid over a few hundredths of the image) so near-ties stay near-ties.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..language import ExpressionStructure
from . import predicates
from .beliefs import relative_belief
from .regions import RegionGeometry

SAME_OBJECT_SHARE = 0.6  # intersection over the smaller mask
ORDER_SOFTNESS = 0.01  # share of the image (or of the value range) over which "before" turns 0 -> 1
MAX_COUNT = 8
RIVAL_FLOOR = 0.1  # fainter beliefs are background, not rivals
PRESUPPOSITION_FLOOR = 0.3  # weight of an extreme ("leftmost", "biggest") with no other likely target


@dataclass
class Grounding:
    index: int
    ranking: np.ndarray  # (N,) the value the answer maximises
    target_weights: np.ndarray  # (N,) w_i
    spatial: np.ndarray  # (N,) ranking / w (the spatial part)
    anchor_indices: list[int] = field(default_factory=list)
    candidates: list[int] = field(default_factory=list)  # objects (leading masks) with w >= 0.5


def object_groups(masks: np.ndarray, order: np.ndarray, min_share: float = SAME_OBJECT_SHARE,
                  share: np.ndarray | None = None) -> np.ndarray:
    """Group id per proposal: a mask lying mostly inside (or around) a group's leading mask is
    that object again (a part, the whole, a blob around it). Proposals are visited in ``order``
    (best first), so each group's leader is its most likely mask and a blob that spans two
    objects joins the first of them instead of merging them."""
    count = masks.shape[0]
    if share is None:  # computed once per frame in RegionGeometry.overlap when available
        flat = masks.reshape(count, int(np.prod(masks.shape[1:])))
        areas = flat.sum(axis=1).astype(np.float64)
        inter = flat.astype(np.float32) @ flat.astype(np.float32).T
        share = inter / np.maximum(np.minimum(areas[:, None], areas[None, :]), 1.0)
    inside = (share > min_share).tolist()  # Python lists: the loop below is per proposal and per leader
    group = [-1] * count
    leaders: list[int] = []
    for i in np.asarray(order).tolist():
        row = inside[i]
        match = next((g for g, leader in enumerate(leaders) if row[leader]), None)  # the first leader it lies in
        if match is None:
            leaders.append(i)
            match = len(leaders) - 1
        group[i] = match
    return np.array(group)


def ground(structure: ExpressionStructure, target_scores: np.ndarray, anchor_scores: list[np.ndarray],
           regions: RegionGeometry, masks: np.ndarray, logit_scale: float, *,
           target_belief: np.ndarray | None = None, anchor_beliefs: list[np.ndarray] | None = None,
           exclude: np.ndarray | None = None) -> Grounding:
    """Rank every proposal for a spatial expression (see the module docstring). The beliefs w
    are ``target_belief`` / ``anchor_beliefs`` when given (beliefs.phrase_belief), else the
    frame-relative reading of the cosine scores. ``exclude`` (N,) bool: proposals that may not be
    the answer (a list's earlier items); they still count as rivals and anchors."""
    weights = np.array(target_belief if target_belief is not None else relative_belief(target_scores, logit_scale),
                       dtype=np.float64)
    weights[regions.area == 0] = 0.0
    if anchor_beliefs is None:
        anchor_beliefs = [relative_belief(a, logit_scale) for a in anchor_scores]
    groups = object_groups(masks, np.argsort(-weights, kind="stable"), share=regions.overlap)
    leader = _leaders(groups, weights)
    context = _Context(regions, groups, leader, _others_weights(weights, leader, structure.count))
    spatial, anchors = _spatial(structure, context, anchor_beliefs)
    ranking = weights * spatial
    ranking[~leader] *= 0.999  # ties between masks of one object go to its leading mask
    best = int(np.argmax(ranking if exclude is None or exclude.all() else np.where(exclude, -1.0, ranking)))
    anchor_indices = [int(a[best]) for a in anchors if a[best] >= 0]
    candidates = [int(i) for i in np.flatnonzero(leader & (weights >= 0.5))]
    return Grounding(best, ranking, weights, spatial, anchor_indices, candidates)


@dataclass
class _Context:
    regions: RegionGeometry
    groups: np.ndarray
    leader: np.ndarray
    others: np.ndarray  # w_j of each object's leader as a competitor (0 for non-leaders)

    def competitors(self) -> np.ndarray:
        """(N, N) weight of j as a rival target of i: other objects only."""
        return self.others[None, :] * (self.groups[:, None] != self.groups[None, :])


def _leaders(groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each group's most likely mask (the first of equals)."""
    order = np.lexsort((np.arange(groups.shape[0]), -weights, groups))  # by group, then w descending
    first = np.ones(order.shape[0], dtype=bool)
    first[1:] = groups[order][1:] != groups[order][:-1]
    leader = np.zeros(groups.shape[0], dtype=bool)
    leader[order[first]] = True
    return leader


def _others_weights(weights: np.ndarray, leader: np.ndarray, count: int | None) -> np.ndarray:
    """Rival weights; with "of the two", only the `count` most likely objects compete."""
    others = np.where(leader & (weights >= RIVAL_FLOOR), weights, 0.0)
    if count and count >= 2:
        order = [i for i in np.argsort(-weights, kind="stable") if leader[i]]
        others[order[count:]] = 0.0
    return others


def _spatial(structure: ExpressionStructure, context: _Context, anchor_weights: list[np.ndarray]):
    """The product of every spatial part, and per relation anchor the anchor used for each i."""
    regions = context.regions
    spatial = np.ones(regions.count)
    anchors: list[np.ndarray] = []
    if structure.location:
        spatial *= _location(context, structure.location)
    if structure.extreme:
        spatial *= _first_by(context, *_extreme_key(regions, *structure.extreme))
    if structure.ordinal:
        n, direction = structure.ordinal
        key, softness = _direction_key(regions, direction)
        spatial *= _preceding_counts(context, key, softness, n)[:, n - 1]
    if structure.relation and anchor_weights:
        score, anchors = _relation(structure.relation.kind, context, anchor_weights)
        spatial *= score
    return spatial, anchors


def _direction_key(regions: RegionGeometry, direction: str) -> tuple[np.ndarray, float]:
    """Smaller key = earlier when counting from ``direction``."""
    u = regions.centroid[:, 0] / regions.image_size[1]
    v = regions.centroid[:, 1] / regions.image_size[0]
    if direction in ("front", "back"):
        distance = regions.camera_distance()
        spread = float(np.nanmax(distance) - np.nanmin(distance)) or 1.0
        return (distance if direction == "front" else -distance), ORDER_SOFTNESS * spread
    key = {"left": u, "right": -u, "top": v, "bottom": -v}[direction]
    return key, ORDER_SOFTNESS


def _extreme_key(regions: RegionGeometry, measure: str, direction: str) -> tuple[np.ndarray, float]:
    if measure == "distance":
        return _direction_key(regions, "front" if direction == "min" else "back")
    log_size = np.log(regions.size(measure) + 1e-12)
    return (-log_size if direction == "max" else log_size), 0.05  # 5% size differences are near-ties


def _location(context: _Context, where: str) -> np.ndarray:
    if where != "middle":
        return _first_by(context, *_direction_key(context.regions, where))
    left = _preceding_counts(context, *_direction_key(context.regions, "left"), MAX_COUNT)
    right = _preceding_counts(context, *_direction_key(context.regions, "right"), MAX_COUNT)
    balanced = (left[:, 1:] * right[:, 1:]).sum(axis=1)
    alone = left[:, 0] * right[:, 0]  # the only one: "in the middle" of the picture, then
    centred = np.exp(-np.abs(context.regions.centroid[:, 0] / context.regions.image_size[1] - 0.5) / 0.1)
    return balanced + alone * centred


def _first_by(context: _Context, key: np.ndarray, softness: float) -> np.ndarray:
    """P(no rival target comes before i by ``key``), times the presupposition that one comes after
    it: "the leftmost cup" is said where there is more than one cup, so a sure cup with no other
    likely cup beside it is a worse answer than a doubted cup that has one (the doubt is CLIP's,
    the other cup's existence is the speaker's). Soft (PRESUPPOSITION_FLOOR), so a lone cup still
    answers."""
    before = _sigmoid((key[:, None] - key[None, :]) / softness)  # (i, j): j before i
    rivals = context.competitors()
    first = np.prod(1.0 - rivals * before, axis=1)
    another = 1.0 - np.prod(1.0 - rivals * (1.0 - before), axis=1)
    return first * (PRESUPPOSITION_FLOOR + (1.0 - PRESUPPOSITION_FLOOR) * another)


def _preceding_counts(context: _Context, key: np.ndarray, softness: float, max_count: int) -> np.ndarray:
    """(N, max_count + 1): P(exactly k rival targets before i), the last column k >= max_count."""
    probability = context.competitors() * _sigmoid((key[:, None] - key[None, :]) / softness)
    counts = np.zeros((key.shape[0], max_count + 1))
    counts[:, 0] = 1.0
    for j in np.flatnonzero(context.others > 0):
        p = probability[:, j:j + 1]
        shifted = np.zeros_like(counts)
        shifted[:, 1:] = counts[:, :-1]
        shifted[:, -1] += counts[:, -1]
        counts = counts * (1.0 - p) + shifted * p
    return counts


def _relation(kind: str, context: _Context, anchor_weights: list[np.ndarray]):
    """Spatial part of a relation, and the anchor proposal used for each i (-1: none)."""
    regions = context.regions
    other = context.groups[:, None] != context.groups[None, :]  # an object is never its own anchor
    weights = [np.where(context.leader, a, 0.0) for a in anchor_weights]
    if kind == "between" and len(weights) >= 2:
        return _between(regions, weights, other)
    if kind in ("closest_to", "farthest_from", "near", "between"):  # "next to X": no rival target nearer X;
        # "between" with one anchor found: the best that can be said is "near it"
        return _distance_order(kind, context, weights[0], other)
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


def _distance_order(kind, context: _Context, weights, other):
    """closest_to / farthest_from / next to: the most likely anchor that is not i itself; no
    rival target lies nearer to (farther from) it than i."""
    regions = context.regions
    anchor = np.argmax(weights[None, :] * other, axis=1)
    distance = predicates.pairwise_distances(regions)
    to_anchor = distance[np.arange(regions.count), anchor]  # each i's distance to its anchor
    rival = distance[:, anchor].T  # (i, j): j's distance to i's anchor
    sign = -1.0 if kind == "farthest_from" else 1.0
    scale = ORDER_SOFTNESS * 5 * (float(np.nanmax(distance)) or 1.0)
    before = _sigmoid(sign * (to_anchor[:, None] - rival) / scale)
    rivals = context.competitors() * (context.groups[None, :] != context.groups[anchor][:, None])
    score = np.prod(1.0 - rivals * before, axis=1) * weights[anchor]
    return score, [anchor]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))
