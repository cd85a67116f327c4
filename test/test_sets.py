"""Sets, numbers, lists and counts (issue 20): how many objects an expression asks for (real
spaCy model), the membership and picking rules on planted layouts (each case has one right set
that a wrong threshold, order or grouping misses), and the engine on generated scenes with set
truth (the embedded default)."""

from __future__ import annotations

import numpy as np
import pytest

from ros2_zsris.core import Status, ZsrisEngine
from ros2_zsris.core.grounding import region_geometry
from ros2_zsris.core.grounding.sets import MEMBER_BELIEF, ground_set, same_object
from ros2_zsris.core.language import analyse, normalise_expression
from ros2_zsris.core.language.text import load_spacy
from ros2_zsris.evaluation.metrics import exact_set, matched_ious
from ros2_zsris.tabletop.evaluate import embedded_engine_config
from ros2_zsris.tabletop.scenes import make_scenes
from ros2_zsris.tabletop.set_eval import evaluate_sets

H, W = 120, 200


@pytest.fixture(scope="module")
def nlp():
    return load_spacy("auto")


def read(nlp, text):
    return analyse(nlp(normalise_expression(text)))


# expression -> (number asked for: "all" for every one that fits, None for a single object, target text)
QUANTITIES = {
    "the cups": ("all", "the cup"),
    "all the red cubes": ("all", "the red cube"),
    "every ball": ("all", "the ball"),
    "each of the cones": ("all", "the cone"),
    "all of the blue things": ("all", "the blue object"),
    "everything that is red": ("all", "the red object"),
    "the blue ones": ("all", "the blue object"),
    "every one of the balls": ("all", "the ball"),
    "everything that is a cube": ("all", "the cube"),
    "both bottles": (2, "the bottle"),
    "both of the bottles": (2, "the bottle"),
    "the two balls on the left": (2, "the ball"),
    "the three biggest cubes": (3, "the cube"),
    "the 2 balls on the right": (2, "the ball"),
    "two of the cups": (2, "the cup"),
    "the two on the left": (2, "the object"),
    "all three cubes": (3, "the cube"),
    "a couple of cups": (2, "the cup"),
    "the leftmost two cups": (2, "the cup"),
    "every single cup": ("all", "the cup"),
    "each and every cup": ("all", "the cup"),
    "any cups": ("all", "the cup"),
    "cups": ("all", "the cup"),  # "how many cups are there": the parser's expression
    # one object: a singular selector, a group named first, a number that is no set, plural-only nouns
    "the cup": (None, "the cup"),
    "the larger of the two balls": (None, "the ball"),
    "the bigger of the pair of cups": (None, "the cup"),
    "the left one of the cups": (None, "the cup"),
    "of the cups, the left one": (None, "the cup"),
    "of all the cups, the one on the far left": (None, "the cup"),
    "among the cups the biggest": (None, "the cup"),
    "the cup between the other two": (None, "the cup"),
    "the cup behind all the others": (None, None),
    "two door fridge": (None, None),
    "all of the pizza": (None, "the pizza"),
    "the scissors": (None, None),
    "the man with glasses": (None, None),
}


@pytest.mark.parametrize("text", list(QUANTITIES))
def test_how_many_objects_an_expression_asks_for(nlp, text):
    number, target = QUANTITIES[text]
    structure = read(nlp, text)
    quantity = structure.quantity
    assert (None if quantity is None else quantity.number or "all") == number, structure.describe()
    if target is not None:
        assert structure.target.text == target, structure.describe()


def test_a_set_keeps_its_spatial_words_and_the_number_is_no_comparison_group(nlp):
    two_left = read(nlp, "the two balls on the left")
    assert two_left.location == "left" and two_left.count is None and two_left.quantity.number == 2
    assert read(nlp, "the three biggest cubes").extreme == ("area", "max")
    relation = read(nlp, "the cups left of the bowl")
    assert relation.quantity.number is None and relation.relation.kind == "left_of"
    assert read(nlp, "two door fridge").count == 2  # as before sets: the number stays where it was
    assert read(nlp, "two of the cups").quantity.partitive and not read(nlp, "both cups").quantity.partitive
    assert read(nlp, "the two leftmost cups").describe() == "2: target 'the cup' | leftmost"


# ---------------------------------------------------------------------------- planted layouts
def square(cx: int, cy: int, half: int = 8) -> np.ndarray:
    mask = np.zeros((H, W), dtype=bool)
    mask[max(cy - half, 0):cy + half, max(cx - half, 0):cx + half] = True
    return mask


def planted(*objects):
    """objects: (cx, cy, half, w) -> masks, beliefs."""
    return np.stack([square(cx, cy, half) for cx, cy, half, _ in objects]), np.array([o[3] for o in objects])


# cups at x = 150, 30, 90 (beliefs 0.9, 0.8, 0.6), a doubted cup (0.45) at x = 60, a ball (0.1) at x = 10
TABLE = planted((150, 60, 8, 0.9), (30, 60, 12, 0.8), (90, 60, 6, 0.6), (60, 60, 8, 0.45), (10, 100, 8, 0.1))


def choose(nlp, text, masks, weights, anchors=None, exclude=None):
    structure = read(nlp, text)
    number = structure.quantity.number if structure.quantity else None
    return ground_set(structure, number, weights, region_geometry(masks), masks, anchors, exclude)


def test_membership_is_a_belief_of_at_least_one_half_and_sets_go_left_to_right(nlp):
    masks, weights = TABLE
    found = choose(nlp, "all the cups", masks, weights)
    assert MEMBER_BELIEF == 0.5 and found.indices == [1, 2, 0] and found.members == 3
    assert found.margin == pytest.approx(0.6 - 0.45)


def test_numbers_and_extremes_pick_that_many_in_their_own_order(nlp):
    masks, weights = TABLE
    assert choose(nlp, "the two leftmost cups", masks, weights).indices == [1, 2]
    assert choose(nlp, "the two cups on the right", masks, weights).indices == [0, 2]  # right to left
    assert choose(nlp, "the two biggest cups", masks, weights).indices == [1, 0]  # biggest first
    assert choose(nlp, "the two smallest cups", masks, weights).indices == [2, 0]
    both = choose(nlp, "both cups", masks, weights)
    assert both.indices == [1, 0] and both.members == 3  # the two most likely, left to right
    few = choose(nlp, "the four cups", masks, weights)
    assert few.indices == [1, 2, 0] and few.members == 3  # fewer than asked: what was found


def test_overlapping_masks_of_one_object_count_once(nlp):
    masks, weights = TABLE
    part = square(150, 60, 6)  # a smaller mask inside cup #0, nearly as likely
    found = choose(nlp, "the cups", np.concatenate([masks, part[None]]), np.append(weights, 0.85))
    assert found.indices == [1, 2, 0] and found.members == 3


def test_a_location_without_a_number_keeps_that_half(nlp):
    masks, weights = TABLE
    assert choose(nlp, "the cups on the left", masks, weights).indices == [1, 2]
    assert choose(nlp, "the cups on the right", masks, weights).indices == [0]


def test_a_relation_keeps_the_members_it_holds_for(nlp):
    # a bowl (the anchor) at x = 120: cups #1 and #2 are left of it, #0 is right of it
    masks, weights = planted((150, 60, 8, 0.9), (30, 60, 12, 0.8), (95, 60, 6, 0.6), (120, 60, 8, 0.05))
    bowl = np.array([0.05, 0.05, 0.05, 0.95])
    assert choose(nlp, "the cups left of the bowl", masks, weights, [bowl]).indices == [1, 2]
    found = choose(nlp, "the cups right of the bowl", masks, weights, [bowl])
    assert found.indices == [0] and found.anchor_indices == [3]
    assert choose(nlp, "the two cups closest to the bowl", masks, weights, [bowl]).indices == [2, 0]


def test_answered_objects_are_never_answered_again(nlp):
    masks, weights = TABLE
    regions = region_geometry(masks)
    taken = same_object(regions, [1])
    assert taken.tolist() == [False, True, False, False, False]
    assert choose(nlp, "all the cups", masks, weights, exclude=taken).indices == [2, 0]


def test_exact_set_matches_one_to_one_and_lists_in_order():
    a, b, c = square(30, 60), square(90, 60), square(150, 60)
    assert exact_set([b, a], [a, b]) and not exact_set([b, a], [a, b], ordered=True)
    assert not exact_set([a], [a, b]) and not exact_set([a, b, c], [a, b])
    assert not exact_set([a, a], [a, b])  # one prediction cannot match two objects
    assert matched_ious([a], [a, b]) == [1.0, 0.0]


# ---------------------------------------------------------------------------- the engine
@pytest.fixture(scope="module")
def engine():
    return ZsrisEngine(embedded_engine_config("cpu"))


@pytest.fixture(scope="module")
def scene_and_features(engine):
    """A development scene (seed 7) with two balls, three rings and no cube."""
    for scene in make_scenes(7, 20):
        kinds = [o.kind for o in scene.objects]
        if kinds.count("ball") == 2 and "cube" not in kinds:
            return scene, engine.encode_frame(scene.image)
    pytest.fail("no scene of seed 7 has exactly two balls and no cube")


def test_a_plural_answers_every_member_and_a_count_counts_them(engine, scene_and_features):
    scene, features = scene_and_features
    balls = [o.mask for o in scene.objects if o.kind == "ball"]
    result = engine.query(features, "hand me both balls")
    assert result.status is Status.OK and exact_set([o.mask for o in result.objects], balls)
    assert result.count == 2 and result.index == result.objects[0].index
    assert result.objects[0].centroid_px[0] < result.objects[1].centroid_px[0]  # left to right
    assert np.array_equal(result.mask, result.objects[0].mask) and result.box == result.objects[0].box
    counted = engine.query(features, "how many balls are there")
    assert counted.action == "count" and counted.count == 2 and "counted 2" in counted.message
    none = engine.query(features, "how many cubes do you see")
    assert none.status is Status.OK and none.count == 0 and none.objects == [] and none.mask is None
    summary = result.to_json_dict()
    assert summary["count"] == 2 and [o["index"] for o in summary["objects"]] == [o.index for o in result.objects]


def test_fewer_than_asked_and_a_lone_member_are_said(engine, scene_and_features):
    _, features = scene_and_features
    three = engine.query(features, "the three balls")
    assert len(three.objects) == 2 and "asked for 3 ('the three balls'), found 2" in three.message
    missing = engine.query(features, "all the cubes")
    assert missing.status is Status.BELOW_THRESHOLD and missing.count == 0 and len(missing.objects) == 1
    assert "no object is a likely 'the cube'" in missing.message


def test_a_single_referent_is_one_entry_equal_to_the_single_fields(engine, scene_and_features):
    scene, features = scene_and_features
    for referral in scene.referrals:
        result = engine.query(features, referral.expression)
        (only,) = result.objects
        assert result.count == 1 and only.index == result.index and only.expression == result.expression
        assert np.array_equal(only.mask, result.mask) and only.box == result.box and only.score == result.score


def test_list_items_one_by_one_never_the_same_object_twice(engine, scene_and_features):
    scene, features = scene_and_features
    result = engine.query(features, "pick up the ring and the ring")
    first, second = result.objects
    assert first.index != second.index and result.count == 2
    assert not (features.regions.overlap[first.index, second.index] > 0.6)
    single = engine.query(features, "the ring")
    assert first.index == single.index  # the first item is answered as it would be alone


def test_exact_set_accuracy_on_generated_scenes_and_a_control(engine):
    """Development seed 7 (bench/SETS.md has the held-out figures): floors well under the measured
    values; with the set words ignored (each referral asked as its first object alone), every set
    form falls far below them."""
    table = evaluate_sets(engine, 12, 7)
    assert table["plural"]["exact"] >= 0.6 and table["count"]["count_exact"] >= 0.7, table
    assert table["list"]["exact"] >= 0.6 and table["both"]["n"] >= 2, table

    def as_single(referral):
        return [(referral.form, f"the {referral.slots['kind']}")] if "kind" in referral.slots else []
    control = evaluate_sets(engine, 12, 7, rewrite=as_single)
    assert control["plural"]["exact"] < 0.2, control
