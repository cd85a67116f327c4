"""Checkpoint formats users actually have, loaded through the code users run; every
error path gives one clear message naming the setting."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from ros2_zsris.core import ConfigError, WeightsError
from ros2_zsris.core.device import resolve_device, resolve_dtype
from ros2_zsris.core.vision.loading import RANDOM_WEIGHTS, load_clip, load_sam

CPU, FP32 = torch.device("cpu"), torch.float32


@pytest.mark.parametrize("fixture, model_name", [("vit_b32_openai", "ViT-B-32"), ("rn50_openai", "RN50")])
def test_openai_format_checkpoints_load_exactly(request, caplog, fixture, model_name):
    path = request.getfixturevalue(fixture)
    saved = torch.load(path, weights_only=True)
    with caplog.at_level("INFO", logger="ros2_zsris.core.vision.loading"):
        bundle = load_clip(model_name, str(path), CPU, FP32)
    loaded = bundle.model.state_dict()
    for key in ("positional_embedding", "token_embedding.weight", "visual.proj" if model_name == "ViT-B-32"
                else "visual.attnpool.c_proj.weight"):
        assert torch.equal(loaded[key], saved[key])
    assert bundle.image_size == 224 and bundle.is_vit == (model_name == "ViT-B-32")
    # OpenAI releases use QuickGELU; the loader must build that variant
    assert "QuickGELU" in repr(bundle.model)
    assert "because the input_resolution/context_length/vocab_size entries mark an OpenAI state dict" in caplog.text


class _OpenAIArchive(torch.nn.Module):
    """The CLIP's modules and parameters under their own names, plus OpenAI's meta buffers."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        for name, child in model.named_children():
            self.add_module(name, child)
        for name, parameter in model.named_parameters(recurse=False):
            self.register_parameter(name, parameter)
        for name, value in (("input_resolution", 224), ("context_length", 77), ("vocab_size", 49408)):
            self.register_buffer(name, torch.tensor(value))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.visual(image)


def _save_layout(model: torch.nn.Module, path, layout: str):
    """One model written in each form users hand to the loader."""
    state = model.state_dict()
    if layout == "torchscript":  # OpenAI's release form: a traced archive carrying the meta entries
        torch.jit.trace(_OpenAIArchive(model), torch.zeros(1, 3, 224, 224)).save(str(path))
    elif layout == "openai state dict, meta entries dropped":
        state = {k: v.half() for k, v in state.items()}  # as re-saved from OpenAI's fp16 weights
        torch.save(state, path)
    elif layout == "open_clip state dict":
        torch.save(state, path)
    else:  # open_clip's training checkpoint, saved from a DDP-wrapped model
        torch.save({"epoch": 3, "name": "run", "state_dict": {f"module.{k}": v for k, v in state.items()}}, path)
    return state


@pytest.mark.parametrize("model_name, layout, activation, reason", [
    ("ViT-B-32", "torchscript", "QuickGELU", "TorchScript archive"),
    ("ViT-B-32", "openai state dict, meta entries dropped", "QuickGELU", "keys and shapes are those of OpenAI"),
    ("RN50", "open_clip state dict", "QuickGELU", "keys and shapes are those of OpenAI"),
    ("ViT-S-32", "open_clip state dict", "GELU", "no architecture OpenAI released"),
    ("RN50", "training checkpoint", "GELU", "open_clip training checkpoint"),
    ("RN50-quickgelu", "training checkpoint", "QuickGELU", "model name 'RN50-quickgelu' asks for it"),
])
def test_every_checkpoint_layout_gets_its_activation(tmp_path, caplog, model_name, layout, activation, reason):
    """The activation has no weights: the loader must infer it from the file's form, keys and
    shapes, and say why. An OpenAI model re-saved without its meta entries must stay QuickGELU."""
    import open_clip

    torch.manual_seed(3)
    model = open_clip.create_model(model_name, pretrained=None)
    path = tmp_path / "weights.pt"
    saved = _save_layout(model, path, layout)
    with caplog.at_level("INFO", logger="ros2_zsris.core.vision.loading"):
        bundle = load_clip(model_name, str(path), CPU, FP32)
    modules = {type(m).__name__ for m in bundle.model.modules()}
    assert ("QuickGELU" in modules) == (activation == "QuickGELU")
    assert ("GELU" in modules) == (activation == "GELU")
    key = "visual.conv1.weight"
    assert torch.equal(bundle.model.state_dict()[key], saved[key].float())
    log = caplog.text
    assert f"activation {activation} because" in log and reason in log, log
    assert "image normalisation mean (0.4815, 0.4578, 0.4082)" in log


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
        "from ros2_zsris.core.vision.loading import load_clip\n"
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
