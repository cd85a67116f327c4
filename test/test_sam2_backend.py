"""proposals.backend: sam2 -- official SAM 2 / 2.1 checkpoint format, loaded with load_sam2.

Random-weight hiera-tiny written as {"model": state_dict} (the released files' layout).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ros2_zsris.core.config import ProposalConfig
from ros2_zsris.core.errors import ConfigError, WeightsError
from ros2_zsris.core.vision.sam2_backend import build_sam2_model, fast_sam2_generator, load_sam2
from ros2_zsris.core.vision.sam_fast import decode_single_points

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def hiera_t_checkpoint(checkpoint_dir):
    path = checkpoint_dir / "sam2.1_hiera_tiny_random.pt"
    torch.manual_seed(4)
    torch.save({"model": build_sam2_model("hiera_t").state_dict()}, path)
    return path


def test_official_format_loads_exactly(hiera_t_checkpoint):
    model = load_sam2("hiera_t", str(hiera_t_checkpoint), CPU)
    saved = torch.load(hiera_t_checkpoint, weights_only=True)["model"]
    for key, value in model.state_dict().items():
        assert torch.equal(value, saved[key]), key


def test_sam2_0_checkpoints_load_too(checkpoint_dir):
    path = checkpoint_dir / "sam2_hiera_tiny_random.pt"
    torch.save({"model": build_sam2_model("hiera_t", version="2").state_dict()}, path)
    assert load_sam2("hiera_t", str(path), CPU) is not None


def test_wrong_size_names_the_likely_model(hiera_t_checkpoint):
    with pytest.raises(WeightsError) as error:
        load_sam2("hiera_s", str(hiera_t_checkpoint), CPU)
    assert "looks like a 'hiera_t' checkpoint" in str(error.value)
    assert "sam_model" in str(error.value)


def test_sam1_file_and_missing_file_and_unknown_name(sam_tiny_checkpoint, tmp_path):
    with pytest.raises(WeightsError, match="not a SAM 2 checkpoint"):
        load_sam2("hiera_t", str(sam_tiny_checkpoint), CPU)
    with pytest.raises(WeightsError, match="does not exist"):
        load_sam2("hiera_t", str(tmp_path / "absent.pt"), CPU)
    with pytest.raises(WeightsError, match="sam2.1_hiera_tiny.pt"):
        load_sam2("hiera_t", "", CPU)
    with pytest.raises(ConfigError, match="hiera_t, hiera_s, hiera_b\\+, hiera_l"):
        load_sam2("vit_b", str(sam_tiny_checkpoint), CPU)


def test_generator_gives_sam2s_own_masks(hiera_t_checkpoint, book_photo):
    from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator

    settings = dict(points_per_side=2, points_per_batch=4, pred_iou_thresh=0.0, stability_score_thresh=0.0,
                    box_nms_thresh=1.0, min_mask_region_area=0, output_mode="binary_mask")
    model = load_sam2("hiera_t", str(hiera_t_checkpoint), CPU)
    stock = SAM2AutomaticMaskGenerator(model, **settings).generate(book_photo)
    fast = fast_sam2_generator(model, **settings).generate(book_photo)
    assert len(stock) == 12 and len(fast) == len(stock)  # every candidate of the 4 points, in the same order
    for ours, theirs in zip(fast, stock, strict=True):
        assert np.array_equal(ours["segmentation"], theirs["segmentation"])
        assert ours["predicted_iou"] == pytest.approx(theirs["predicted_iou"], abs=1e-6)
    # precision auto on a CPU with native bf16 (any CPU can run it; this checks masks, not speed)
    bf16 = fast_sam2_generator(load_sam2("hiera_t", str(hiera_t_checkpoint), CPU), encoder_dtype=torch.bfloat16,
                               decoder_dtype=torch.bfloat16, **settings).generate(book_photo)
    assert len(bf16) == len(stock)
    for ours, theirs in zip(bf16, stock, strict=True):
        both = np.logical_and(ours["segmentation"], theirs["segmentation"]).sum()
        assert both / max(np.logical_or(ours["segmentation"], theirs["segmentation"]).sum(), 1) >= 0.98


def test_decoder_matches_sam2s():
    """sam_fast.decode_single_points on sam2's decoder (object-score token, high-resolution features)."""
    torch.manual_seed(5)
    model = build_sam2_model("hiera_t")
    embedding, feat_s0 = torch.randn(1, 256, 64, 64), torch.randn(1, 32, 256, 256)
    feat_s1 = torch.randn(1, 64, 128, 128)
    coords, labels = torch.rand(5, 1, 2) * 1024, torch.ones(5, 1, dtype=torch.int)
    with torch.no_grad():
        sparse, dense = model.sam_prompt_encoder(points=(coords, labels), boxes=None, masks=None)
        pe = model.sam_prompt_encoder.get_dense_pe()
        expected, expected_iou, _, _ = model.sam_mask_decoder(
            image_embeddings=embedding, image_pe=pe, sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense,
            multimask_output=True, repeat_image=True, high_res_features=[feat_s0, feat_s1])
        masks, iou, _ = decode_single_points(model.sam_mask_decoder, embedding, pe, sparse, dense,
                                             high_res_features=[feat_s0, feat_s1], chunk=2)
    torch.testing.assert_close(masks, expected, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(iou, expected_iou, atol=1e-5, rtol=1e-5)


def test_sam2_is_a_valid_backend():
    ProposalConfig(backend="sam2").validate()  # the setting the README documents (a merge had dropped it)
