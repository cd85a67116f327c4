"""Checkpoint formats users actually have, loaded through the code users run; every
error path gives one clear message naming the setting."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from ros2_zsris.core import ConfigError, WeightsError
from ros2_zsris.core.device import resolve_device, resolve_dtype
from ros2_zsris.core.model_loading import RANDOM_WEIGHTS, load_clip, load_sam

CPU, FP32 = torch.device("cpu"), torch.float32


@pytest.mark.parametrize("fixture, model_name", [("vit_b32_openai", "ViT-B-32"), ("rn50_openai", "RN50")])
def test_openai_format_checkpoints_load_exactly(request, fixture, model_name):
    path = request.getfixturevalue(fixture)
    saved = torch.load(path, weights_only=True)
    bundle = load_clip(model_name, str(path), CPU, FP32)
    loaded = bundle.model.state_dict()
    for key in ("positional_embedding", "token_embedding.weight", "visual.proj" if model_name == "ViT-B-32"
                else "visual.attnpool.c_proj.weight"):
        assert torch.equal(loaded[key], saved[key])
    assert bundle.image_size == 224 and bundle.is_vit == (model_name == "ViT-B-32")
    # OpenAI releases use QuickGELU; the loader must build that variant
    assert "QuickGELU" in repr(bundle.model)


def test_open_clip_state_dict_and_training_checkpoint_load(tmp_path):
    import open_clip

    model = open_clip.create_model("RN50", pretrained=None)
    plain = tmp_path / "rn50_open_clip.pt"
    torch.save(model.state_dict(), plain)
    training = tmp_path / "epoch_3.pt"
    torch.save({"epoch": 3, "state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}}, training)
    for path in (plain, training):
        bundle = load_clip("RN50", str(path), CPU, FP32)
        assert torch.equal(bundle.model.state_dict()["visual.conv1.weight"], model.state_dict()["visual.conv1.weight"])
        assert "QuickGELU" not in repr(bundle.model)


def test_random_weights_are_an_explicit_choice():
    bundle = load_clip("RN50", RANDOM_WEIGHTS, CPU, FP32)
    assert bundle.weights == "random"


@pytest.mark.parametrize("weights, fragment", [
    ("", "no CLIP weights configured"),
    ("/nonexistent/clip.pt", "does not exist"),
    ("not_a_tag", "neither a file nor an open_clip pretrained tag"),
])
def test_clip_weight_errors(weights, fragment):
    with pytest.raises(WeightsError) as error:
        load_clip("ViT-B-32", weights, CPU, FP32)
    message = str(error.value)
    assert fragment in message and "clip_weights" in message and "how to fix" in message


def test_corrupt_clip_checkpoint(tmp_path, vit_b32_openai):
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(vit_b32_openai.read_bytes()[:100_000])
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"this is not a checkpoint" * 100)
    for path in (truncated, garbage):
        with pytest.raises(WeightsError, match="not a readable PyTorch checkpoint") as error:
            load_clip("ViT-B-32", str(path), CPU, FP32)
        assert "download it again" in str(error.value)


def test_mismatched_clip_checkpoint_names_both_sides(rn50_openai):
    with pytest.raises(WeightsError, match="does not match the CLIP 'ViT-B-32' architecture") as error:
        load_clip("ViT-B-32", str(rn50_openai), CPU, FP32)
    assert "missing" in str(error.value) and "clip_model" in str(error.value)


def test_unknown_clip_model_suggests_names():
    with pytest.raises(ConfigError, match="unknown CLIP model 'ViT-B-33'") as error:
        load_clip("ViT-B-33", "openai", CPU, FP32)
    assert "ViT-B-32" in str(error.value)


def test_offline_pretrained_tag_fails_fast_with_a_fix():
    """No network here: open_clip's download of a real tag must end in our message, no hang."""
    code = (
        "import torch\n"
        "from ros2_zsris.core.model_loading import load_clip\n"
        "from ros2_zsris.core import WeightsError\n"
        "try:\n"
        "    load_clip('ViT-B-32', 'openai', torch.device('cpu'), torch.float32)\n"
        "except WeightsError as e:\n"
        "    print('ERR', e)\n"
    )
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert "ERR could not obtain pretrained CLIP weights 'ViT-B-32/openai'" in out.stdout, out.stderr[-2000:]
    assert "offline machine" in out.stdout and "Traceback" not in out.stdout


def test_sam_official_format_loads_and_wrong_type_is_explained(sam_tiny_checkpoint):
    sam = load_sam("vit_tiny", str(sam_tiny_checkpoint), CPU)
    saved = torch.load(sam_tiny_checkpoint, weights_only=True)
    assert torch.equal(sam.state_dict()["image_encoder.patch_embed.proj.weight"],
                       saved["image_encoder.patch_embed.proj.weight"])
    with pytest.raises(WeightsError, match="does not match the SAM 'vit_b' architecture") as error:
        load_sam("vit_b", str(sam_tiny_checkpoint), CPU)
    assert "looks like a 'vit_tiny' checkpoint" in str(error.value)


@pytest.mark.parametrize("model_type, checkpoint, error_type, fragment", [
    ("vit_b", "", WeightsError, "no SAM checkpoint configured"),
    ("vit_b", "/nonexistent/sam_vit_b_01ec64.pth", WeightsError, "does not exist"),
    ("vit_x", "whatever.pth", ConfigError, "unknown SAM model type 'vit_x'"),
])
def test_sam_errors(model_type, checkpoint, error_type, fragment):
    with pytest.raises(error_type) as error:
        load_sam(model_type, checkpoint, CPU)
    assert fragment in str(error.value) and "sam_" in str(error.value)


def test_sam_missing_checkpoint_points_to_the_official_file():
    with pytest.raises(WeightsError) as error:
        load_sam("vit_h", "", CPU)
    assert "sam_vit_h_4b8939.pth" in str(error.value)


def test_device_and_precision_choices():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == CPU
    assert resolve_dtype("auto", CPU) == torch.float32
    with pytest.raises(ConfigError, match="unknown device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no usable CUDA GPU") as error:
            resolve_device("cuda:0")
        assert "device" in str(error.value)
        with pytest.raises(ConfigError, match="fp16 needs a CUDA device"):
            resolve_dtype("fp16", CPU)
