"""Which objects a set expression names: every object that fits, or that many of them.

Membership ("all the cups"): an object belongs to the set when CLIP's belief w that it is the
thing the phrase names (beliefs.py, the same w the ranking uses) is at least MEMBER_BELIEF = 0.5.
With a vocabulary (``grounding.vocabulary``) w is a zero-shot classification of the object
between the phrase's kind, the other known names and background, so 0.5 means "more likely this
kind than anything else it could be"; words beyond the kind ("the red cups") multiply in their
belief relative to the frame's best match (beliefs.phrase_belief). Without a vocabulary w is relative to
the frame: exp(scale * (s_i - max s)) at the model's logit scale (tempered, beliefs.py), so an
object is a member when its cosine with the phrase is within ln(2) / scale of the best object's.
Masks of one object (intersection over the smaller > 0.6) are one object, led by its most likely
mask (ranking.object_groups), so an object is counted once; masks with w under the ranking's
RIVAL_FLOOR (0.1) are background and not grouped.

Then the spatial words, each as a plain rule over the members:
* a number with an ordering word ("the two leftmost cups", "the three biggest cubes", "the two
  cups closest to the bowl"): the first n members in that order, answered in that order;
* a number alone ("both bottles", "two of the cups"): the n most likely members;
* an extreme without a number ("the biggest cups"): every member, in that order;
* a location without a number ("the cups on the left"): the members on that half of the image
  (middle: its central third; front/back: nearer/farther than the members' median distance);
* a relation ("the cups left of the bowl"): the members whose relation score to the anchor (the
  ranking's predicate times the anchor's w) is at least MEMBER_BELIEF; "next to" / "near": within
  predicates.NEAR_SCALE * ln(2) of the anchor (the 'near' score >= 0.5).
Unordered sets are answered left to right. ``exclude``: proposals already answered (a list's
earlier items), never answered again, nor any mask of the same object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..language import ExpressionStructure
from . import predicates
from .ranking import (
    RIVAL_FLOOR,
    SAME_OBJECT_SHARE,
    _Context,
    _direction_key,
    _extreme_key,
    _leaders,
    _relation,
    object_groups,
)
from .regions import RegionGeometry

MEMBER_BELIEF = 0.5
_HALF = {"left": (0, 1), "right": (0, -1), "top": (1, 1), "bottom": (1, -1)}  # axis, sign of "before the middle"


@dataclass
class SetGrounding:
    indices: list[int]  # the objects answered (leading masks), in answer order
    members: int  # objects that fit the description before a number picks some
    weights: np.ndarray  # (N,) membership belief w
    margin: float  # weakest answered w minus the strongest unanswered object's w
    anchor_indices: list[int] = field(default_factory=list)
    ordered_by: str = "left to right"


def ground_set(structure: ExpressionStructure, number: int | None, weights: np.ndarray, regions: RegionGeometry,
               masks: np.ndarray, anchor_beliefs: list[np.ndarray] | None = None,
               exclude: np.ndarray | None = None) -> SetGrounding:
    """The set an expression names (module docstring); ``number`` None = every member."""
    w = np.array(weights, dtype=np.float64)
    w[regions.area == 0] = 0.0
    if exclude is not None:
        w[exclude] = 0.0
    groups, leader = _objects(w, regions, masks)
    fits = leader & (w >= MEMBER_BELIEF)
    context = _Context(regions, groups, leader, np.where(fits, w, 0.0))
    anchors: list[int] = []
    if structure.relation and anchor_beliefs:
        passed, anchors, distance = _relation_filter(structure, context, anchor_beliefs, fits)
        fits &= passed
    else:
        distance = None
    key, ordered_by = _order(structure, regions, number, distance)
    if number is None and structure.location:
        fits &= _on_side(structure.location, regions, fits)
    candidates = [int(i) for i in np.flatnonzero(fits)]
    if number is not None and ordered_by == "left to right":  # "both cups": the n most likely
        candidates = sorted(candidates, key=lambda i: -w[i])[:number]
    candidates = sorted(candidates, key=lambda i: key[i])[:number]
    chosen = np.zeros(len(w), dtype=bool)
    chosen[candidates] = True
    unanswered = w[leader & ~chosen]
    margin = float((w[chosen].min() if candidates else 0.0) - (unanswered.max() if unanswered.size else 0.0))
    return SetGrounding(candidates, int(fits.sum()), w, margin, anchors, ordered_by)


def _objects(w: np.ndarray, regions: RegionGeometry, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Object groups and their leading masks (ranking.object_groups). Grouping goes from the most
    likely mask down, so the groups of the masks with w >= RIVAL_FLOOR do not depend on the
    fainter ones; those are left as objects of their own (background, anchors), which keeps a
    set query cheap on a frame of many proposals."""
    considered = np.flatnonzero(w >= RIVAL_FLOOR)
    groups = np.arange(len(w)) + len(w)  # each faint mask alone
    leader = np.ones(len(w), dtype=bool)
    if considered.size:
        share = regions.overlap[np.ix_(considered, considered)] if regions.overlap is not None else None
        own = object_groups(masks[considered], np.argsort(-w[considered], kind="stable"), share=share)
        groups[considered] = own
        leader[considered] = _leaders(own, w[considered])
    return groups, leader


def _order(structure: ExpressionStructure, regions: RegionGeometry, number: int | None,
           distance: np.ndarray | None) -> tuple[np.ndarray, str]:
    """The order a number picks in (and answers in): the expression's ordering word, else left to right."""
    if distance is not None:
        return distance, "distance to the anchor"
    if structure.extreme:
        return _extreme_key(regions, *structure.extreme)[0], "extreme"
    where = structure.ordinal[1] if structure.ordinal else structure.location
    if number is not None and where == "middle":
        u = regions.centroid[:, 0] / regions.image_size[1]
        return np.abs(u - 0.5), "middle out"
    if number is not None and where:
        return _direction_key(regions, where)[0], f"from the {where}"
    return _direction_key(regions, "left")[0], "left to right"


def _on_side(where: str, regions: RegionGeometry, fits: np.ndarray) -> np.ndarray:
    """'the cups on the left': the members on that half of the image (module docstring)."""
    height, width = regions.image_size
    position = regions.centroid / np.array([width, height], dtype=np.float64)
    if where in _HALF:
        axis, sign = _HALF[where]
        return sign * (position[:, axis] - 0.5) < 0
    if where == "middle":
        return np.abs(position[:, 0] - 0.5) < 1.0 / 6.0
    distance = regions.camera_distance()
    median = float(np.median(distance[fits])) if fits.any() else 0.0
    return distance <= median if where == "front" else distance >= median


def _relation_filter(structure: ExpressionStructure, context: _Context, anchor_beliefs: list[np.ndarray],
                     fits: np.ndarray) -> tuple[np.ndarray, list[int], np.ndarray | None]:
    """(which members the relation holds for, the anchors used, distances to the anchor for
    closest/farthest/near); the anchor is never a member of the set itself."""
    kind = structure.relation.kind
    not_member = [np.where(fits, 0.0, a) for a in anchor_beliefs]
    if kind in ("near", "closest_to", "farthest_from"):
        anchor = int(np.argmax(np.where(context.leader, not_member[0], 0.0)))
        distance = predicates.pairwise_distances(context.regions)[:, anchor]
        if kind == "farthest_from":
            return np.ones_like(fits), [anchor], -distance
        near = np.exp(-distance / predicates._near_scale(context.regions)) >= MEMBER_BELIEF
        return near if kind == "near" else np.ones_like(fits), [anchor], distance
    score, per_target = _relation(kind, context, not_member)
    members = np.flatnonzero(fits)
    anchors = sorted({int(a[i]) for a in per_target for i in members if a[i] >= 0})
    return score >= MEMBER_BELIEF, anchors, None


def same_object(regions: RegionGeometry, indices: list[int]) -> np.ndarray:
    """(N,) True for the proposals that are (masks of) one of ``indices``' objects: a list never
    answers an object twice."""
    taken = np.zeros(regions.count, dtype=bool)
    if indices and regions.overlap is not None:
        taken |= (regions.overlap[:, indices] > SAME_OBJECT_SHARE).any(axis=1)
    taken[indices] = True
    return taken
