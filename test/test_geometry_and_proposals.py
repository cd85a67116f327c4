"""Pure functions with hand-computed answers: geometry, proposal filtering, NMS fallback."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import rect

from ros2_zsris.core.config import ProposalConfig
from ros2_zsris.core.geometry import (
    CameraIntrinsics,
    back_project,
    depth_in_metres,
    mask_box,
    mask_centroid,
    robust_mask_depth,
)
from ros2_zsris.core.vision.proposals import Proposals, filter_proposals
from ros2_zsris.core.vision.torchvision_compat import ensure_torchvision_importable, nms_reference


def test_box_and_centroid_of_a_rectangle():
    mask = np.zeros((10, 20), dtype=bool)
    mask[2:5, 6:10] = True  # rows 2..4, cols 6..9
    assert mask_box(mask) == (6, 2, 9, 4)
    assert mask_centroid(mask) == pytest.approx((7.5, 3.0))
    assert mask_box(np.zeros((3, 3), bool)) is None and mask_centroid(np.zeros((3, 3), bool)) is None


def test_depth_units_and_invalid_values():
    millimetres = np.array([[0, 1500], [2000, 65535]], dtype=np.uint16)
    metres = depth_in_metres(millimetres)
    assert np.isnan(metres[0, 0]) and metres[0, 1] == pytest.approx(1.5) and metres[1, 0] == pytest.approx(2.0)
    floats = depth_in_metres(np.array([[np.nan, -1.0], [0.0, 0.75]], dtype=np.float32))
    assert np.isnan(floats[:1]).all() and np.isnan(floats[1, 0]) and floats[1, 1] == pytest.approx(0.75)


def test_robust_depth_ignores_flying_pixels_and_needs_enough_support():
    depth = np.full((10, 10), 1.0, dtype=np.float32)
    depth[0, :3] = 9.0  # three outliers at the border
    mask = np.zeros((10, 10), bool)
    mask[:4, :] = True
    assert robust_mask_depth(depth, mask) == pytest.approx(1.0)
    sparse = np.full((10, 10), np.nan, dtype=np.float32)
    sparse[0, 0] = 1.0
    assert robust_mask_depth(sparse, mask) is None


def test_back_projection_matches_the_pinhole_model():
    k = CameraIntrinsics.from_k([500.0, 0, 320.0, 0, 400.0, 240.0, 0, 0, 1])
    assert back_project(320.0, 240.0, 2.0, k) == pytest.approx((0.0, 0.0, 2.0))
    assert back_project(420.0, 140.0, 2.0, k) == pytest.approx((100 * 2 / 500, -100 * 2 / 400, 2.0))
    assert not CameraIntrinsics.from_k([0.0] * 9).is_valid()


def test_filter_drops_small_masks_and_parts_of_larger_ones():
    whole = rect(100, 100, 0, 60, 0, 60)  # 3600 px
    part = rect(100, 100, 10, 40, 10, 40)  # 900 px, fully inside whole
    other = rect(100, 100, 70, 100, 70, 100)  # 900 px, separate
    tiny = rect(100, 100, 0, 5, 90, 100)  # 50 px
    touching = rect(100, 100, 50, 80, 50, 80)  # 900 px, overlaps whole by 100 px (0.11 of itself)
    scores = np.array([0.9, 0.5, 0.8, 0.99, 0.7], np.float32)
    proposals = Proposals(np.stack([part, whole, other, tiny, touching]), scores)
    kept = filter_proposals(proposals, ProposalConfig(min_area_px=100, overlap_thresh=0.4))
    # survivors ordered by score: other (0.8), touching (0.7), whole (0.5); part and tiny gone
    assert kept.scores.tolist() == pytest.approx([0.8, 0.7, 0.5])
    assert np.array_equal(kept.masks[2], whole)
    capped = filter_proposals(proposals, ProposalConfig(min_area_px=100, max_proposals=2))
    assert len(capped) == 2 and capped.scores.tolist() == pytest.approx([0.8, 0.7])
    none = filter_proposals(proposals, ProposalConfig(min_area_px=10_000))
    assert len(none) == 0 and none.masks.shape == (0, 100, 100)


def test_nms_reference_on_hand_made_boxes():
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10.5]], dtype=torch.float32)
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95])
    assert nms_reference(boxes, scores, 0.5).tolist() == [3, 2]
    assert nms_reference(boxes, scores, 0.99).tolist() == [3, 0, 1, 2]
    assert nms_reference(boxes[:0], scores[:0], 0.5).numel() == 0


def test_torchvision_nms_works_through_whichever_path_is_active():
    ensure_torchvision_importable()
    import torchvision

    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], dtype=torch.float32)
    scores = torch.tensor([0.9, 0.8, 0.7])
    assert torchvision.ops.nms(boxes, scores, 0.5).tolist() == [0, 2]
    assert torchvision.ops.batched_nms(boxes, scores, torch.tensor([0, 1, 0]), 0.5).tolist() == [0, 1, 2]


def _touching_cube_and_ball():
    """A red cube (lit front, two shaded faces) touching a blue ball on a grey-brown table."""
    from PIL import Image, ImageDraw

    from ros2_zsris.tabletop.scenes import draw_object

    canvas = Image.new("RGB", (192, 144), (150, 110, 75))
    labels = Image.new("I", (192, 144), 0)
    for value, (kind, cx, fill) in enumerate((("cube", 80, (210, 30, 30)), ("ball", 117, (40, 70, 210))), start=1):
        shade = tuple(int(c * 0.7) for c in fill)
        draw_object(ImageDraw.Draw(canvas), kind, cx, 80, 40, fill, shade)
        draw_object(ImageDraw.Draw(labels), kind, cx, 80, 40, value, value)
    labels = np.asarray(labels)
    return np.asarray(canvas), labels == 1, labels == 2


def test_classical_proposals_join_a_cubes_shaded_faces_but_not_its_neighbour():
    from ros2_zsris.core.vision.classical import ClassicalProposalGenerator, merge_shaded_parts

    image, cube, ball = _touching_cube_and_ball()
    proposals = ClassicalProposalGenerator(ProposalConfig(backend="classical", min_area_px=60))(image)
    best = max(_iou(m, cube) for m in proposals.masks)
    assert best > 0.95, best  # one proposal is the whole cube, shaded faces included
    assert max(_iou(m, ball) for m in proposals.masks) > 0.95
    from skimage.segmentation import felzenszwalb

    labels = felzenszwalb(image, scale=100.0, sigma=0.8, min_size=20)
    merged = merge_shaded_parts(image, labels)
    assert _largest_share(labels, cube) < 0.8  # the faces are separate regions before ...
    assert _largest_share(merged, cube) > 0.95  # ... and one region after,
    region = np.bincount(merged[cube]).argmax()
    assert (merged[ball] == region).mean() < 0.01  # which does not take in the touching ball


def _largest_share(labels: np.ndarray, mask: np.ndarray) -> float:
    return float(np.bincount(labels[mask]).max() / mask.sum())


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def _white_scene(second: tuple[str, int] | None):
    """A white cube (white front, grey shaded faces) on a brown table, and maybe a white object
    beside it touching it."""
    from PIL import Image, ImageDraw

    from ros2_zsris.tabletop.scenes import draw_object

    canvas = Image.new("RGB", (192, 144), (150, 110, 75))
    labels = Image.new("I", (192, 144), 0)
    objects = [("cube", 80)] + ([second] if second else [])
    for value, (kind, cx) in enumerate(objects, start=1):
        draw_object(ImageDraw.Draw(canvas), kind, cx, 80, 40, (240, 240, 240), (168, 168, 168))
        draw_object(ImageDraw.Draw(labels), kind, cx, 80, 40, value, value)
    labels = np.asarray(labels)
    return np.asarray(canvas), [labels == k for k in range(1, len(objects) + 1)]


EMBEDDED_LIKE = ProposalConfig(backend="classical", min_area_px=60, overlap_thresh=0.9)


def test_a_white_cubes_grey_faces_join_it_and_a_touching_white_ball_keeps_its_own_proposal():
    """Grey and white share one chromaticity with each other (and with grey tables), so they join
    only as a small compact group: the cube's three faces, never the table. A white ball touching
    the cube makes a compact group with it (two overlapping convex shapes), so the joined layer
    holds both; the finer layers still propose the ball alone."""
    from skimage.segmentation import felzenszwalb

    from ros2_zsris.core.vision.classical import ClassicalProposalGenerator, merge_shaded_parts

    image, (cube,) = _white_scene(None)
    labels = felzenszwalb(image, scale=100.0, sigma=0.4, min_size=20)
    assert _largest_share(labels, cube) < 0.8  # white front and grey faces are separate regions
    merged = merge_shaded_parts(image, labels)
    assert _largest_share(merged, cube) > 0.95
    assert (merged[~cube] == np.bincount(merged[cube]).argmax()).mean() < 0.01  # the table stays out
    proposals = ClassicalProposalGenerator(EMBEDDED_LIKE)(image)
    assert max(_iou(m, cube) for m in proposals.masks) > 0.95

    image, (cube, ball) = _white_scene(("ball", 117))
    proposals = ClassicalProposalGenerator(EMBEDDED_LIKE)(image)
    assert max(_iou(m, ball) for m in proposals.masks) > 0.85  # its highlight may be a region apart


def test_classical_selection_from_label_counts_equals_filtering_the_masks():
    """The classical backend picks its proposals from label co-occurrence counts without building
    every mask; the result must be what filtering all the masks themselves gives."""
    from PIL import Image

    from ros2_zsris.core.vision.classical import ClassicalProposalGenerator
    from ros2_zsris.tabletop.scenes import make_scenes

    config = ProposalConfig(backend="classical", min_area_px=60, max_proposals=25, overlap_thresh=0.9)
    generator = ClassicalProposalGenerator(config)
    for scene in make_scenes(5, 2, height=144, width=192) + make_scenes(6, 1, height=240, width=400):
        height, width = scene.image.shape[:2]
        masks = []
        for layer in generator.label_layers(scene.image):
            full = np.asarray(Image.fromarray(layer.astype(np.int32)).resize((width, height), Image.NEAREST))
            masks.extend(full == label for label in np.unique(full))
        stacked = np.stack(masks)
        areas = stacked.reshape(len(stacked), -1).sum(axis=1).astype(np.float32) / (height * width)
        expected = filter_proposals(Proposals(stacked, areas), config, overlap_of="union")
        got = generator(scene.image)
        assert got.masks.shape == expected.masks.shape and np.array_equal(got.masks, expected.masks)
        assert np.allclose(got.scores, expected.scores)
