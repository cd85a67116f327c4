"""proposals.backend: sam2 -- official SAM 2 / 2.1 checkpoint format, loaded with load_sam2.

Random-weight hiera-tiny written as {"model": state_dict} (the released files' layout).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ros2_zsris.core.errors import ConfigError, WeightsError
from ros2_zsris.core.vision.sam2_backend import build_sam2_model, fast_sam2_generator, load_sam2

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
    assert len(stock) > 0 and len(fast) == len(stock)
    for ours, theirs in zip(fast, stock, strict=True):
        assert np.array_equal(ours["segmentation"], theirs["segmentation"])
        assert ours["predicted_iou"] == pytest.approx(theirs["predicted_iou"], abs=1e-6)
