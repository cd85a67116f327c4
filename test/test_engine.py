"""The engine on real photos with random-weight real architectures: what must hold
whatever the weights."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ros2_zsris.core import InputError, Status, ZsrisEngine
from ros2_zsris.core.results import FrameFeatures


def test_result_mask_is_image_sized_and_is_the_argmax(vit_engine, vit_book_features, book_photo):
    assert vit_book_features.num_proposals >= 2, "the test needs several proposals to choose from"
    result = vit_engine.query(vit_book_features, "right book page")
    assert result.status is Status.OK
    assert result.mask.shape == book_photo.shape[:2] and result.mask.dtype == bool
    assert np.all(np.isfinite(result.scores)) and len(result.scores) == vit_book_features.num_proposals
    assert result.index == int(np.argmax(result.scores))
    assert result.score == pytest.approx(max(result.scores))
    runner_up = sorted(result.scores)[-2]
    assert result.margin == pytest.approx(result.score - runner_up)
    assert np.array_equal(result.mask, vit_book_features.masks[result.index])
    x0, y0, x1, y1 = result.box
    ys, xs = np.nonzero(result.mask)
    assert (x0, y0, x1, y1) == (xs.min(), ys.min(), xs.max(), ys.max())
    assert result.centroid_px == pytest.approx((xs.mean(), ys.mean()))
    assert result.target_phrase == "the book page"  # spatial: target without "right" ...
    assert result.interpretation == "target 'the book page' | rightmost"  # ... which the ranking handles


def _text(engine: ZsrisEngine, texts: list[str]) -> torch.Tensor:
    return F.normalize(engine.text_encoder.encode(texts), dim=-1)


def test_alpha_one_is_global_only_and_alpha_zero_local_only(vit_engine, vit_book_features):
    expression = "the smiling man with glasses"
    sentence, phrase = _text(vit_engine, [expression, vit_engine.query(vit_book_features, expression).target_phrase])
    text = F.normalize(0.5 * sentence + 0.5 * phrase, dim=-1)
    for alpha, visual in ((1.0, vit_book_features.global_embeddings), (0.0, vit_book_features.local_embeddings)):
        expected = (F.normalize(visual, dim=-1) @ text).numpy()
        result = vit_engine.query(vit_book_features, expression, alpha=alpha)
        np.testing.assert_allclose(result.scores, expected, rtol=0, atol=1e-5)
    mixed = vit_engine.query(vit_book_features, expression, alpha=0.5).scores
    assert not np.allclose(mixed, vit_engine.query(vit_book_features, expression, alpha=1.0).scores, atol=1e-4)


def test_beta_one_is_sentence_only(vit_engine, vit_book_features):
    expression = "man wearing flame shirt"
    result = vit_engine.query(vit_book_features, expression, beta=1.0)
    assert result.target_phrase == "man"
    (sentence,) = _text(vit_engine, [expression])
    visual = F.normalize(0.95 * vit_book_features.global_embeddings + 0.05 * vit_book_features.local_embeddings, dim=-1)
    np.testing.assert_allclose(result.scores, (visual @ sentence).numpy(), atol=1e-5)
    phrase_only = vit_engine.query(vit_book_features, expression, beta=0.0).scores
    assert not np.allclose(phrase_only, result.scores, atol=1e-4)


@pytest.mark.parametrize("engine_name", ["vit_engine", "rn50_engine"])
def test_batched_global_features_equal_per_mask(request, engine_name, book_photo, vit_book_features):
    engine = request.getfixturevalue(engine_name)
    encoder = engine.region_encoder
    pixels = encoder.image_tensor(book_photo)
    masks = torch.from_numpy(vit_book_features.masks[:5])
    batched = encoder.global_embeddings(pixels, masks)
    single = torch.cat([encoder.global_embeddings(pixels, m[None]) for m in masks])
    torch.testing.assert_close(batched, single, rtol=0, atol=1e-5)
    assert not torch.allclose(batched[0], batched[1], atol=1e-3), "masks must change the global feature"


def test_vit_global_feature_with_full_mask_is_the_plain_image_embedding(vit_engine, book_photo):
    """A mask covering everything multiplies tokens by 1: the plain CLIP image embedding."""
    encoder = vit_engine.region_encoder
    pixels = encoder.image_tensor(book_photo)
    full = torch.ones((1,) + book_photo.shape[:2], dtype=torch.bool)
    whole = encoder._normalise(encoder._resize(pixels, 224))
    torch.testing.assert_close(encoder.global_embeddings(pixels, full),
                               vit_engine.clip.model.encode_image(whole).float(), rtol=0, atol=1e-4)


def test_local_crop_follows_the_box(vit_engine, book_photo):
    encoder = vit_engine.region_encoder
    mask = np.zeros(book_photo.shape[:2], dtype=bool)
    mask[40:140, 300:420] = True  # a rectangle: the crop is exactly that region
    crops = encoder.local_crops(encoder.image_tensor(book_photo), torch.from_numpy(mask)[None])
    region = encoder.image_tensor(book_photo[40:140, 300:420])
    expected = encoder._normalise(encoder._resize(region, 224))
    torch.testing.assert_close(crops, expected, rtol=0, atol=1e-5)
    # outside the mask the constant fill: the CLIP mean in normalised space
    mask[40:90, 360:420] = False  # an L shape: same box, top-right quarter is background
    crops = encoder.local_crops(encoder.image_tensor(book_photo), torch.from_numpy(mask)[None])
    torch.testing.assert_close(crops[0, :, 30, 200], torch.tensor(vit_engine.clip.mean), rtol=0, atol=1e-5)
    torch.testing.assert_close(crops[0, :, 180, 30], expected[0, :, 180, 30], rtol=0, atol=1e-5)


def test_second_query_runs_neither_sam_nor_the_image_encoder(sam_engine, book_photo):
    vit_engine = sam_engine
    calls = {"sam": 0, "clip_visual": 0}
    hooks = [
        vit_engine.propose.generator.predictor.model.image_encoder.register_forward_hook(
            lambda *_: calls.__setitem__("sam", calls["sam"] + 1)),
        vit_engine.clip.model.visual.register_forward_hook(
            lambda *_: calls.__setitem__("clip_visual", calls["clip_visual"] + 1)),
        vit_engine.clip.model.visual.transformer.resblocks[0].register_forward_hook(
            lambda *_: calls.__setitem__("clip_visual", calls["clip_visual"] + 1)),
    ]
    try:
        features = vit_engine.encode_frame(book_photo)
        after_encode = dict(calls)
        assert after_encode["sam"] == 1 and after_encode["clip_visual"] >= 2
        first = vit_engine.query(features, "left guy")
        second = vit_engine.query(features, "the open book on the right")
        assert calls == after_encode
        assert first.status is second.status is Status.OK
        assert features.num_proposals >= 1 and first.mask.shape == book_photo.shape[:2]
    finally:
        for hook in hooks:
            hook.remove()


def test_frame_without_proposals_is_reported_not_raised(vit_engine, book_photo):
    engine = vit_engine
    saved = engine.propose.config.min_area_px
    engine.propose.config.min_area_px = book_photo.shape[0] * book_photo.shape[1] + 1
    try:
        features = engine.encode_frame(book_photo)
    finally:
        engine.propose.config.min_area_px = saved
    assert features.num_proposals == 0
    result = engine.query(features, "the book")
    assert result.status is Status.NO_PROPOSALS and result.mask is None and "no mask proposals" in result.message
    assert result.to_json_dict()["score"] is None
    assert result.timings_ms["query_total"] >= result.timings_ms["parse"] > 0


@pytest.mark.parametrize("command, fragment", [
    ("", "empty command"), ("   ", "empty command"), ("x" * 1001, "too long"), (None, "must be text"),
])
def test_unanswerable_commands_get_an_error_status(vit_engine, vit_book_features, command, fragment):
    result = vit_engine.query(vit_book_features, command)
    assert result.status is Status.ERROR and fragment in result.message


def test_non_ascii_command_is_answered(vit_engine, vit_book_features):
    result = vit_engine.query(vit_book_features, "die Tasse links ☕ café")
    assert result.status is Status.OK and result.mask is not None


@pytest.mark.parametrize("image, fragment", [
    (np.zeros((10, 10), dtype=np.uint8), "shape (H, W, 3)"),
    (np.zeros((10, 10, 4), dtype=np.uint8), "shape (H, W, 3)"),
    (np.zeros((10, 10, 3), dtype=np.float32), "uint8"),
    (np.zeros((0, 10, 3), dtype=np.uint8), "too small"),
    ("photo.jpg", "numpy array"),
])
def test_bad_images_raise_a_clear_input_error(vit_engine, image, fragment):
    with pytest.raises(InputError, match="image") as error:
        vit_engine.encode_frame(image)
    assert fragment in str(error.value)


def test_min_score_gives_below_threshold_with_the_candidate(vit_engine, vit_book_features):
    saved = vit_engine.config.fusion.min_score
    vit_engine.config.fusion.min_score = 1.0
    try:
        result = vit_engine.query(vit_book_features, "the book")
    finally:
        vit_engine.config.fusion.min_score = saved
    assert result.status is Status.BELOW_THRESHOLD and result.mask is not None and "below min_score" in result.message


def test_resnet_engine_answers_on_a_real_photo(rn50_engine, refcoco_samples):
    from conftest import read_rgb

    photo = read_rgb(refcoco_samples[1].image_path)
    result = rn50_engine.segment(photo, refcoco_samples[1].expression)
    assert result.status is Status.OK and result.mask.shape == photo.shape[:2]
    assert result.index == int(np.argmax(result.scores)) and np.all(np.isfinite(result.scores))
    assert {"proposals", "global_features", "local_features", "text_features", "match"} <= set(result.timings_ms)


def test_frame_features_report_their_memory(vit_book_features: FrameFeatures):
    assert vit_book_features.nbytes() >= vit_book_features.masks.nbytes > 0


def test_classical_proposals_are_distinct_real_regions(vit_book_features, book_photo):
    masks = vit_book_features.masks
    assert masks.shape[1:] == book_photo.shape[:2] and 3 <= len(masks) <= 50
    areas = masks.reshape(len(masks), -1).sum(axis=1)
    assert areas.min() >= 500 and areas.max() < masks[0].size
    flat = masks.reshape(len(masks), -1).astype(np.float32)
    inter = flat @ flat.T
    iou = inter / (areas[:, None] + areas[None, :] - inter)  # a segmentation hierarchy: parts and
    np.fill_diagonal(iou, 0)  # wholes both stay (objects are parts of coarse regions), duplicates go
    assert iou.max() <= 0.4 + 1e-6


@pytest.fixture(scope="module")
def given_masks(vit_book_features):
    """Three real regions with an empty mask between them, as a user's segmenter may send."""
    real = vit_book_features.masks[:3]
    return np.stack([real[0], np.zeros_like(real[0]), real[1], real[2]])


@pytest.fixture(scope="module")
def vit_given_features(vit_engine, book_photo, given_masks):
    return vit_engine.encode_frame(book_photo, masks=given_masks)


@pytest.mark.parametrize("engine_name", ["vit_engine", "paper_engine"])
def test_given_masks_skip_proposals_keep_their_indices_and_empty_ones_are_never_chosen(
        request, engine_name, book_photo, given_masks):
    engine = request.getfixturevalue(engine_name)
    features = (request.getfixturevalue("vit_given_features") if engine_name == "vit_engine"
                else engine.encode_frame(book_photo, masks=given_masks))
    assert "proposals" not in features.timings_ms and np.array_equal(features.masks, given_masks)
    assert features.nonempty.tolist() == [True, False, True, True]
    for expression in ("right book page", "the empty one", "left zebra"):
        result = engine.query(features, expression)
        assert result.status is Status.OK and len(result.scores) == 4 and np.isnan(result.scores[1])
        assert result.index == max((0, 2, 3), key=lambda i: result.scores[i])
        assert np.array_equal(result.mask, given_masks[result.index])
        assert result.to_json_dict()["scores"][1] is None
    alone = engine.query(engine.encode_frame(book_photo, masks=given_masks[1:2]), "the book")
    assert alone.status is Status.NO_PROPOSALS and "all 1 given masks are empty" in alone.message


def test_given_masks_give_the_same_features_as_proposals(vit_book_features, vit_given_features):
    """Skipping proposal generation changes nothing else: same masks, same embeddings."""
    features = vit_given_features
    for row, source in ((0, 0), (2, 1), (3, 2)):
        assert torch.allclose(features.global_embeddings[row], vit_book_features.global_embeddings[source], atol=1e-4)
        assert torch.allclose(features.local_embeddings[row], vit_book_features.local_embeddings[source], atol=1e-4)


def test_local_crops_of_an_empty_mask_are_pure_fill(vit_engine, book_photo):
    pixels = vit_engine.region_encoder.image_tensor(book_photo)
    empty = torch.zeros(book_photo.shape[:2], dtype=torch.bool)[None]
    crop = vit_engine.region_encoder.local_crops(pixels, empty)
    fill = vit_engine.region_encoder._mean.expand_as(crop)
    assert crop.shape == (1, 3, 224, 224) and torch.allclose(crop, fill)


@pytest.mark.parametrize("masks, fragment", [
    (np.zeros((243, 500), bool), "must have shape (N, 243, 500)"),
    (np.zeros((2, 100, 500), bool), "must have shape (N, 243, 500)"),
    (np.zeros((2, 243, 500), np.uint8), "masks must be bool"),
    ([[[True]]], "must be a numpy array"),
])
def test_bad_given_masks_raise_a_clear_input_error(vit_engine, book_photo, masks, fragment):
    with pytest.raises(InputError, match=re.escape(fragment)) as error:
        vit_engine.encode_frame(book_photo, masks=masks)
    assert "how to fix" in str(error.value)


def test_depth_is_validated_and_carried(vit_engine, book_photo, given_masks, vit_given_features):
    depth = np.full(book_photo.shape[:2], 1.5, np.float64)
    depth[0, :10] = np.nan
    depth[1, :10] = 0.0
    features = vit_engine.encode_frame(book_photo, depth=depth, masks=given_masks[:1])
    assert features.depth.dtype == np.float32 and features.depth.shape == book_photo.shape[:2]
    assert np.isnan(features.depth[0, 0]) and np.isnan(features.depth[1, 0])  # NaN and 0: unknown
    assert features.depth[5, 5] == np.float32(1.5)
    millimetres = vit_engine.encode_frame(book_photo, depth=(np.nan_to_num(depth) * 1000).astype(np.uint16),
                                          masks=given_masks[:1]).depth  # REP-118 16UC1
    assert millimetres[5, 5] == np.float32(1.5) and np.isnan(millimetres[1, 0])
    assert features.nbytes() >= features.depth.nbytes + features.masks.nbytes
    assert vit_given_features.depth is None
    for bad, fragment in ((depth[:100], "depth has shape (100, 500) but the image is 243x500"),
                          (depth.astype(np.int32), "depth must be float metres or uint16 millimetres"),
                          (-depth, "negative values")):
        with pytest.raises(InputError) as error:
            vit_engine.encode_frame(book_photo, depth=bad, masks=given_masks[:1])
        assert fragment in str(error.value) and "how to fix" in str(error.value)
