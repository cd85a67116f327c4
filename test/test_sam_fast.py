"""The project's fast SAM path gives segment-anything's own masks (sam_fast.py).

Random-weight vit_tiny (2 blocks: one windowed, one global attention) written in the
official checkpoint format and loaded with load_sam, on a real RefCOCO photo. Small grids
keep this quick; the full vit_b comparison and the speed ratio are in bench/RESULTS.md.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ros2_zsris.core import device as device_module
from ros2_zsris.core.device import resolve_sam_dtype
from ros2_zsris.core.errors import ConfigError
from ros2_zsris.core.vision.loading import load_sam
from ros2_zsris.core.vision.sam_fast import (
    FastSamAutomaticMaskGenerator,
    accelerate_image_encoder,
    decode_single_points,
)

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def stock_and_fast(sam_tiny_checkpoint):
    return load_sam("vit_tiny", str(sam_tiny_checkpoint), CPU), load_sam("vit_tiny", str(sam_tiny_checkpoint), CPU)


def mask_ious(reference: list[np.ndarray], candidate: list[np.ndarray]) -> list[float]:
    """For each reference mask, the best IoU among the candidates."""
    best = []
    for ref in reference:
        ious = [np.logical_and(ref, c).sum() / max(np.logical_or(ref, c).sum(), 1) for c in candidate]
        best.append(max(ious, default=0.0))
    return best


def test_decoder_matches_segment_anything(stock_and_fast):
    sam = stock_and_fast[0]
    torch.manual_seed(3)
    embedding = torch.randn(1, 256, 64, 64)
    coords = torch.rand(10, 1, 2) * 1024
    labels = torch.ones(10, 1, dtype=torch.int)
    with torch.no_grad():
        sparse, dense = sam.prompt_encoder(points=(coords, labels), boxes=None, masks=None)
        pe = sam.prompt_encoder.get_dense_pe()
        expected, expected_iou = sam.mask_decoder(image_embeddings=embedding, image_pe=pe,
                                                  sparse_prompt_embeddings=sparse,
                                                  dense_prompt_embeddings=dense, multimask_output=True)
        masks, iou, computed = decode_single_points(sam.mask_decoder, embedding, pe, sparse, dense, chunk=3)
    assert masks.shape == expected.shape == (10, 3, 256, 256)
    assert computed.all()
    torch.testing.assert_close(masks, expected, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(iou, expected_iou, atol=1e-5, rtol=1e-5)
    # min_iou: only prompts with an IoU prediction above it are upscaled, and those exactly
    best = expected_iou.max(dim=1).values.sort().values
    threshold = float(best[4] + best[5]) / 2  # half the prompts have no IoU prediction above it
    some, _, chosen = decode_single_points(sam.mask_decoder, embedding, pe, sparse, dense, min_iou=threshold)
    torch.testing.assert_close(chosen, (expected_iou > threshold).any(dim=1))
    assert 0 < len(some) < len(expected)
    torch.testing.assert_close(some, expected[chosen], atol=1e-4, rtol=1e-4)


def test_encoder_attention_matches_segment_anything(stock_and_fast, book_photo):
    stock, fast = stock_and_fast
    accelerate_image_encoder(fast)
    patched = ["forward" in vars(block.attn) for block in fast.image_encoder.blocks]
    assert patched == [False, True]  # vit_tiny: block 0 windowed (library code), block 1 global (SDPA)
    image = torch.from_numpy(book_photo.copy()).permute(2, 0, 1)[None].float()
    image = torch.nn.functional.interpolate(image, (1024 * 243 // 500, 1024), mode="bilinear")
    with torch.no_grad():
        pixels = stock.preprocess(image)
        torch.testing.assert_close(fast.image_encoder(pixels), stock.image_encoder(pixels), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("settings", [
    # every candidate survives: 3 masks per point compared one by one
    dict(pred_iou_thresh=0.0, stability_score_thresh=0.0, box_nms_thresh=1.0, min_mask_region_area=0),
    # the project's filters (quality thresholds lowered so random weights keep some masks)
    dict(pred_iou_thresh="median", stability_score_thresh=0.0, box_nms_thresh=0.7, min_mask_region_area=800),
    # no candidate passes (as with random weights at the default 0.7): nothing is upscaled, no mask
    dict(pred_iou_thresh=0.999, stability_score_thresh=0.7, box_nms_thresh=0.7, min_mask_region_area=800),
])
def test_generator_gives_the_stock_masks(stock_and_fast, book_photo, settings):
    stock_model, fast_model = stock_and_fast
    from segment_anything import SamAutomaticMaskGenerator

    settings = dict(settings, points_per_side=4, points_per_batch=16, output_mode="binary_mask")
    if settings["pred_iou_thresh"] == "median":
        everything = SamAutomaticMaskGenerator(stock_model, **dict(settings, pred_iou_thresh=0.0, box_nms_thresh=1.0,
                                                                   min_mask_region_area=0))
        ious = [r["predicted_iou"] for r in everything.generate(book_photo)]
        settings["pred_iou_thresh"] = float(np.median(ious))
    stock = SamAutomaticMaskGenerator(stock_model, **settings).generate(book_photo)
    fast = FastSamAutomaticMaskGenerator(fast_model, **settings).generate(book_photo)
    assert len(fast) == len(stock)
    if settings["pred_iou_thresh"] > 0.99:
        assert stock == fast == []
        return
    assert len(stock) >= 1
    stock_masks = [r["segmentation"] for r in stock]
    fast_masks = [r["segmentation"] for r in fast]
    assert min(mask_ious(stock_masks, fast_masks)) >= 0.98
    assert min(mask_ious(fast_masks, stock_masks)) >= 0.98
    np.testing.assert_allclose([r["predicted_iou"] for r in fast], [r["predicted_iou"] for r in stock], atol=1e-4)


def test_bf16_gives_the_stock_masks(sam_tiny_checkpoint, book_photo):
    """precision auto on a CPU with AMX / AVX512-BF16: bf16 encoder and upscaler, the stock fp32 masks.

    Every candidate of every point is kept (no filter), so each mask is compared with its own.
    Runs on any CPU (emulated bf16 where there is no native support): it checks the masks, not the speed.
    """
    from segment_anything import SamAutomaticMaskGenerator

    settings = dict(points_per_side=4, points_per_batch=16, pred_iou_thresh=0.0, stability_score_thresh=0.0,
                    box_nms_thresh=1.0, min_mask_region_area=0, output_mode="binary_mask")
    stock = SamAutomaticMaskGenerator(load_sam("vit_tiny", str(sam_tiny_checkpoint), CPU), **settings)
    fast = FastSamAutomaticMaskGenerator(load_sam("vit_tiny", str(sam_tiny_checkpoint), CPU),
                                         encoder_dtype=torch.bfloat16, decoder_dtype=torch.bfloat16, **settings)
    reference, ours = stock.generate(book_photo), fast.generate(book_photo)
    assert len(ours) == len(reference) == 48
    by_point: dict[tuple, list[np.ndarray]] = {}
    for record in reference:
        by_point.setdefault(tuple(np.round(record["point_coords"][0], 3)), []).append(record["segmentation"])
    ious = [max(mask_ious([r["segmentation"]], by_point[tuple(np.round(r["point_coords"][0], 3))]))
            for r in ours]
    assert min(ious) >= 0.98
    assert min(mask_ious([r["segmentation"] for r in reference], [r["segmentation"] for r in ours])) >= 0.98


def test_precision_setting_for_sam(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(device_module, "cpu_computes_bf16", lambda: True)
    assert resolve_sam_dtype("auto", cpu) == torch.bfloat16
    assert resolve_sam_dtype("fp32", cpu) == torch.float32  # the setting that forces fp32
    monkeypatch.setattr(device_module, "cpu_computes_bf16", lambda: False)
    assert resolve_sam_dtype("auto", cpu) == torch.float32  # e.g. a CI machine without AMX
    with pytest.raises(ConfigError, match="precision"):
        resolve_sam_dtype("fp16", cpu)
    with pytest.raises(ConfigError, match="auto, fp32 or fp16"):
        resolve_sam_dtype("half", cpu)
    monkeypatch.undo()
    assert isinstance(device_module.cpu_computes_bf16(), bool)
