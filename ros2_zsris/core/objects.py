"""Every object a command names: list items one by one, sets by membership, counts.

"grab the cup and the ball" (``ParsedCommand.objects``, in the order named): each item is
grounded as a command of its own would be, except that an object an earlier item answered
(any mask of it) is never answered again. An item that names a set ("all the cups", "both
bottles", "the two leftmost cubes": ``ExpressionStructure.quantity``) is answered by
grounding/sets.py's membership rule; a counting question ("how many cups are there") answers
``count`` with every member. Fewer objects than a number asks for are answered with what was
found and a message saying both; a plural that finds one object says so; a set that finds none
gives the most likely object with status below_threshold (count 0).
"""

from __future__ import annotations

import numpy as np

from .grounding import RegionGeometry, region_geometry
from .grounding.sets import MEMBER_BELIEF, ground_set, same_object
from .language import ExpressionStructure, analyse, normalise_expression
from .results import FrameFeatures, ObjectAnswer, Result, Status


def answer_objects(engine, result: Result, parsed, features: FrameFeatures, alpha: float, beta: float) -> None:
    """Fill ``result`` with every object ``parsed`` names; the single-object fields are the first's."""
    items = parsed.objects or [parsed.expression]
    regions = features.regions or region_geometry(features.masks, features.depth)
    notes: list[str] = []
    firsts: list[Result] = []
    for k, item in enumerate(items):
        taken = [o.index for o in result.objects]
        exclude = same_object(regions, taken) if taken else None
        if exclude is not None and not (features.nonempty & ~exclude).any():
            notes.append(f"'{item}': every object was already answered for an earlier item")
            continue
        scratch = Result(Status.OK, command=item, expression=item, timings_ms=result.timings_ms)
        structure, scratch.target_phrase = engine._target(item, parsed.doc if k == 0 else None)
        if parsed.count or (structure is not None and structure.quantity is not None):
            if structure is None:  # "count the cup": counted all the same
                structure = analyse(engine.nlp(normalise_expression(item)))
                scratch.target_phrase = structure.target.text
            indices = _ground_set(engine, scratch, features, structure, regions, alpha, exclude, parsed.count)
        else:
            if structure is not None:
                engine._ground_spatial(scratch, features, structure, alpha, exclude)
            else:
                engine._match(scratch, features, item, scratch.target_phrase, alpha, beta, exclude=exclude)
            indices, scratch.count = [scratch.index], 1
        result.objects += [_object(features, regions, i, scratch.scores[i], item) for i in indices]
        firsts.append(scratch)
        if scratch.message:
            notes.append(scratch.message if len(items) == 1 else f"'{item}': {scratch.message}")
    _summarise(result, firsts, notes)


def _ground_set(engine, scratch: Result, features: FrameFeatures, structure: ExpressionStructure, regions,
                alpha: float, exclude: np.ndarray | None, count: bool) -> list[int]:
    """The members a set item names (grounding/sets.py), and the item's message when fewer or more
    fit than it asks for; the item's single-object fields are its first member's."""
    quantity = structure.quantity
    number = None if count or quantity is None else quantity.number
    phrase_scores, beliefs = engine.phrase_beliefs(features, structure, alpha, scratch.timings_ms)
    with engine._timed(scratch.timings_ms, "sets"):
        weights = np.array(beliefs[0], dtype=np.float64)
        min_score = engine.config.fusion.min_score
        if min_score > -1.0:
            weights[phrase_scores[0] < min_score] = 0.0
        grounding = ground_set(structure, number, weights, regions, features.masks, beliefs[1:], exclude)
    indices, asked = grounding.indices, scratch.expression
    scratch.scores = [float(w) for w in grounding.weights]
    scratch.anchor_indices = grounding.anchor_indices
    scratch.interpretation = f"{structure.describe(grounding.anchor_indices)} | {grounding.members} fit"
    if not indices:
        if count:
            scratch.message = f"counted 0 ('{asked}')"
            return []
        allowed = features.nonempty if exclude is None else features.nonempty & ~exclude
        best = int(np.argmax(np.where(allowed, grounding.weights, -1.0)))
        scratch.status = Status.BELOW_THRESHOLD
        scratch.message = (f"asked for '{asked}': no object is a likely '{structure.target.text}' (membership "
                           f"belief >= {MEMBER_BELIEF}); the most likely one (belief {grounding.weights[best]:.2f}) "
                           f"is given alone")
        scratch.index, scratch.score, scratch.margin = best, float(grounding.weights[best]), grounding.margin
        scratch.count = 0
        return [best]
    scratch.index, scratch.score, scratch.margin = indices[0], float(grounding.weights[indices[0]]), grounding.margin
    scratch.count = len(indices)
    if count:
        scratch.message = f"counted {len(indices)} ('{asked}')"
    elif number is not None and grounding.members < number:
        scratch.message = f"asked for {number} ('{asked}'), found {grounding.members}"
    elif number is not None and grounding.members > number and not quantity.partitive and (
            grounding.ordered_by == "left to right"):
        scratch.message = (f"asked for {number} ('{asked}'), {grounding.members} fit: answered the {number} most "
                           f"likely")
    elif number is None and len(indices) == 1:
        scratch.message = f"asked for every '{structure.target.text}' ('{asked}'): found only 1"
    return indices


def _object(features: FrameFeatures, regions: RegionGeometry, index: int, score: float,
            expression: str) -> ObjectAnswer:
    """The answer for one proposal; box and centroid from the frame's region geometry (computed once)."""
    box = tuple(int(v) for v in regions.box[index])
    u, v = (float(c) for c in regions.centroid[index])
    return ObjectAnswer(features.masks[index], index, float(score), box, (u, v), expression)


def _summarise(result: Result, items: list[Result], notes: list[str]) -> None:
    """The single-object fields are the first object's; the rest says what every item found."""
    result.message = "; ".join([m for m in (result.message, *notes) if m])
    result.count = sum(item.count for item in items)
    if not items or not result.objects:
        return
    first, top = items[0], result.objects[0]
    result.mask, result.index, result.score, result.box, result.centroid_px = (
        top.mask, top.index, top.score, top.box, top.centroid_px)
    result.margin, result.scores = first.margin, first.scores
    result.interpretation = " + ".join(item.interpretation for item in items)
    result.anchor_indices = list(dict.fromkeys(i for item in items for i in item.anchor_indices))
    result.target_phrase = first.target_phrase
    if first.status is Status.BELOW_THRESHOLD:
        result.status = Status.BELOW_THRESHOLD
