"""The spatial ranking on planted layouts: masks and CLIP scores are set by the test, so each
case has one right answer that a wrong predicate, a wrong sign or a wrong candidate set misses."""

from __future__ import annotations

import numpy as np
import pytest

from ros2_zsris.core.grounding import ground, object_groups, region_geometry
from ros2_zsris.core.language import analyse, normalise_expression
from ros2_zsris.core.language.text import load_spacy

H, W = 120, 200
SCALE = 100.0  # OpenAI CLIP's logit scale


@pytest.fixture(scope="module")
def nlp():
    return load_spacy("auto")


def square(cx: int, cy: int, half: int = 8) -> np.ndarray:
    mask = np.zeros((H, W), dtype=bool)
    mask[max(cy - half, 0):cy + half, max(cx - half, 0):cx + half] = True
    return mask


def layout(*objects):
    """objects: (cx, cy, half, cup_score, cube_score, ball_score)."""
    masks = np.stack([square(cx, cy, half) for cx, cy, half, *_ in objects])
    scores = {name: np.array([o[3 + k] for o in objects], dtype=np.float64)
              for k, name in enumerate(("cup", "cube", "ball"))}
    return masks, scores


def answer(nlp, text, masks, scores, depth=None, k=None):
    structure = analyse(nlp(normalise_expression(text)))
    anchors = [scores[a.head] for a in structure.relation.anchors] if structure.relation else []
    regions = region_geometry(masks, depth, k)
    return ground(structure, scores[structure.target.head], anchors, regions, masks, SCALE)


# three cups in a row, a cube on the far left, a ball in the middle; CLIP likes cup #1 best
ROW = layout((60, 60, 8, 0.30, 0.20, 0.20), (100, 62, 8, 0.31, 0.20, 0.20), (140, 58, 8, 0.30, 0.20, 0.20),
             (15, 60, 8, 0.22, 0.32, 0.20), (100, 100, 8, 0.20, 0.20, 0.32))


@pytest.mark.parametrize(("text", "expected"), [
    ("the leftmost cup", 0), ("the cup on the right", 2), ("the middle cup", 1),
    ("the second cup from the left", 1), ("the second cup from the right", 1), ("the third cup from the left", 2),
    ("the leftmost cube", 3), ("the cup left of the ball", 0), ("the cup right of the ball", 2),
    ("the cup above the ball", 1), ("the cup closest to the cube", 0), ("the cup farthest from the cube", 2),
])
def test_geometry_decides_among_what_clip_finds_alike(nlp, text, expected):
    masks, scores = ROW
    assert answer(nlp, text, masks, scores).index == expected


def test_a_clearly_different_object_is_no_rival(nlp):
    """The cube is further left than every cup, but CLIP says it is no cup (w ~ e^-8), so it
    neither wins nor stops cup #0 from being the leftmost cup."""
    masks, scores = ROW
    grounding = answer(nlp, "the cup on the left", masks, scores)
    assert grounding.index == 0 and grounding.target_weights[3] < 0.05
    assert grounding.spatial[0] > 0.95 and grounding.spatial[1] < 0.5


def test_duplicate_masks_of_one_object_are_counted_once(nlp):
    masks, scores = ROW
    duplicate = masks[0].copy()
    duplicate[52:54, 52:60] = False  # a slightly smaller mask of cup #0
    masks = np.concatenate([masks, duplicate[None]])
    scores = {name: np.append(value, value[0] - 0.001) for name, value in scores.items()}
    assert answer(nlp, "the second cup from the left", masks, scores).index == 1  # not the duplicate
    groups = object_groups(masks, np.arange(len(masks)))
    assert groups[5] == groups[0] and len(set(groups)) == 5


def test_between_two_anchors(nlp):
    masks, scores = layout((30, 60, 8, 0.2, 0.32, 0.2), (170, 60, 8, 0.2, 0.2, 0.32),  # cube left, ball right
                           (100, 62, 8, 0.30, 0.2, 0.2), (100, 15, 8, 0.31, 0.2, 0.2), (190, 110, 8, 0.30, 0.2, 0.2))
    grounding = answer(nlp, "the cup between the cube and the ball", masks, scores)
    assert grounding.index == 2 and grounding.anchor_indices == [0, 1]


def test_depth_decides_closest_when_given_and_the_image_proxy_otherwise(nlp):
    # cup #0 stands lower in the image (the monocular proxy says: closer) but depth says #1 is closer
    masks, scores = layout((50, 100, 8, 0.3, 0.2, 0.2), (150, 40, 8, 0.3, 0.2, 0.2))
    assert answer(nlp, "the closest cup", masks, scores).index == 0
    depth = np.full((H, W), 3.0, dtype=np.float32)
    depth[masks[0]], depth[masks[1]] = 2.0, 1.0
    k = np.array([[150.0, 0, W / 2], [0, 150.0, H / 2], [0, 0, 1]])
    assert answer(nlp, "the closest cup", masks, scores, depth, k).index == 1
    assert answer(nlp, "the cup farthest from the camera", masks, scores, depth, k).index == 0
    assert answer(nlp, "the cup in front of the ball", *layout(
        (50, 100, 8, 0.3, 0.2, 0.2), (150, 40, 8, 0.3, 0.2, 0.2), (100, 70, 8, 0.2, 0.2, 0.32))).index == 0


def test_size_is_metric_with_depth(nlp):
    """Two cups, the far one smaller in pixels but larger on the table."""
    masks, scores = layout((50, 60, 12, 0.3, 0.2, 0.2), (150, 60, 8, 0.3, 0.2, 0.2))
    assert answer(nlp, "the biggest cup", masks, scores).index == 0
    depth = np.full((H, W), 1.0, dtype=np.float32)
    depth[masks[1]] = 3.0  # 16 px at 3 m is 48 px-equivalent at 1 m: bigger than 24 px at 1 m
    k = np.array([[150.0, 0, W / 2], [0, 150.0, H / 2], [0, 0, 1]])
    assert answer(nlp, "the biggest cup", masks, scores, depth, k).index == 1


def test_count_limits_the_comparison(nlp):
    masks, scores = layout((50, 60, 12, 0.30, 0.2, 0.2), (150, 60, 6, 0.30, 0.2, 0.2), (100, 20, 20, 0.295, 0.2, 0.2))
    assert answer(nlp, "the biggest cup", masks, scores).index == 2
    assert answer(nlp, "the larger of the two cups", masks, scores).index == 0  # the two CLIP likes most


def test_clip_doubt_and_geometry_trade_off(nlp):
    """Soft, not a hard filter: each object counts as a rival by CLIP's belief that it is a cup.
    Equally cup-like: geometry decides. A left object CLIP doubts strongly: the sure cup is the
    leftmost *cup*, yet the doubted one keeps a score."""
    masks, alike = layout((40, 60, 8, 0.30, 0.2, 0.2), (60, 60, 8, 0.30, 0.2, 0.2), (150, 60, 8, 0.2, 0.3, 0.2))
    assert answer(nlp, "the leftmost cup", masks, alike).index == 0
    masks, doubted = layout((40, 60, 8, 0.24, 0.2, 0.2), (60, 60, 8, 0.30, 0.2, 0.2), (150, 60, 8, 0.2, 0.3, 0.2))
    grounding = answer(nlp, "the leftmost cup", masks, doubted)
    assert grounding.index == 1 and 0 < grounding.ranking[0] < grounding.ranking[1]


def test_between_with_one_anchor_found_means_near_it(nlp):
    """A parse that finds only one of the two anchors must not fail: "near it" is what is known."""
    from ros2_zsris.core.language import Phrase, Relation

    masks, scores = ROW
    structure = analyse(nlp("the cup between the ball"))
    structure.relation = Relation("between", (Phrase("the ball", "ball"),))
    grounding = ground(structure, scores["cup"], [scores["ball"]], region_geometry(masks), masks, SCALE)
    assert grounding.index == 1  # the cup right above the ball


def test_contrast_beliefs_know_a_cube_is_no_cup_where_the_frame_alone_does_not(nlp):
    """Cups at x=40 and x=100 (cosine 0.30 with "the cup"); a cube further left that CLIP finds
    almost as cup-like (0.298) but far more cube-like (0.45). Relative to the frame's best, the
    cube is a likely cup and so the leftmost "cup"; classified against the names the model
    knows, it is a cube, and the leftmost cup is cup #1."""
    from ros2_zsris.core.grounding.beliefs import contrast_prompts, phrase_belief

    masks = np.stack([square(40, 60), square(100, 60), square(15, 60)])
    cup, cube, ball = np.array([0.30, 0.30, 0.298]), np.array([0.20, 0.20, 0.45]), np.full(3, 0.2)
    background = np.full(3, 0.22)
    structure = analyse(nlp(normalise_expression("the leftmost cup")))
    names = ("cube", "ball", "cup")
    prompts = contrast_prompts(structure.target, names)
    assert prompts == ["the cube", "the ball", "background", "the table"]
    contrast = np.column_stack([cube, ball, background, background])
    belief = phrase_belief(structure.target, cup, cup, contrast, SCALE)
    assert belief[2] < 0.01 and belief[0] > 0.5 and abs(belief[0] - belief[1]) < 1e-9
    regions = region_geometry(masks)
    assert ground(structure, cup, [], regions, masks, SCALE).index == 2  # the frame-relative reading
    assert ground(structure, cup, [], regions, masks, SCALE, target_belief=belief).index == 0


def test_contrast_beliefs_fall_back_where_the_vocabulary_cannot_judge(nlp):
    """A head the vocabulary does not know ('mug' may be its 'cup') is contrasted with background
    only; a generic head ("the left one") and no vocabulary keep the frame-relative belief; the
    kind ("the cup") is classified, and what else the phrase says ("the red cup") weighs the frame,
    since the vocabulary names kinds."""
    from ros2_zsris.core.grounding.beliefs import contrast_prompts, phrase_belief, relative_belief
    from ros2_zsris.core.language import Phrase

    assert contrast_prompts(Phrase("the mug", "mug"), ("cup", "ball")) == ["background", "the table"]
    scores = np.array([0.3, 0.25, 0.1])
    contrast = np.column_stack([np.full(3, 0.1)])
    relative = relative_belief(scores, SCALE)
    assert np.allclose(phrase_belief(Phrase("the one", ""), scores, scores, contrast, SCALE), relative)
    assert np.allclose(phrase_belief(Phrase("the cup", "cup"), scores, None, None, SCALE), relative)
    plain = phrase_belief(Phrase("the cup", "cup"), scores, scores, contrast, SCALE)
    red_scores = np.array([0.2, 0.3, 0.1])  # "the red cup": #1 is the red one
    red = phrase_belief(Phrase("the red cup", "cup", ("red",)), red_scores, scores, contrast, SCALE)
    assert np.allclose(red, plain * relative_belief(red_scores, SCALE)) and plain[0] > 0.9 and plain[1] > 0.9
    assert red[1] > 0.9 and red[0] < 0.2  # the other cup, by the frame-relative reading of "red"


def test_an_extreme_presupposes_another_target(nlp):
    """"the smallest cup" is said where there is more than one cup: with a sure big cup and a
    doubted small one (w ~0.4), the doubted one is the answer; "the biggest cup" is still the
    sure one, and a lone cup is still the leftmost cup."""
    masks, scores = layout((60, 60, 14, 0.300, 0.2, 0.2), (140, 60, 6, 0.291, 0.2, 0.2))
    assert answer(nlp, "the smallest cup", masks, scores).index == 1
    assert answer(nlp, "the biggest cup", masks, scores).index == 0
    masks, scores = layout((150, 60, 8, 0.30, 0.2, 0.2), (40, 60, 8, 0.20, 0.3, 0.2))
    assert answer(nlp, "the leftmost cup", masks, scores).index == 0
