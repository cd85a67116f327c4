"""Shared fixtures: random-weight checkpoints of the real architectures, written to disk
in their real formats and loaded through the code users run; real photos and data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from ros2_zsris.core.vision.torchvision_compat import ensure_torchvision_importable

ensure_torchvision_importable()  # before any test imports open_clip or segment_anything

REPO = Path(__file__).resolve().parents[1]
REFCOCO = Path(os.environ.get("ZSRIS_REFCOCO", REPO.parent / "shared" / "data" / "refcoco_val56"))


def pytest_configure(config):
    from ros2_zsris.ros.dds import use_large_data_profile

    use_large_data_profile()  # before any participant exists: Fast DDS reads it once per process
    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))


def write_openai_clip(path: Path, model_name: str) -> Path:
    """An OpenAI-release-style state dict: QuickGELU weights plus the three meta entries."""
    import open_clip

    torch.manual_seed(1)
    model = open_clip.create_model(model_name, pretrained=None, force_quick_gelu=True)
    state = model.state_dict()
    state["input_resolution"] = torch.tensor(model.visual.image_size[0]
                                             if isinstance(model.visual.image_size, tuple)
                                             else model.visual.image_size)
    state["context_length"] = torch.tensor(model.context_length)
    state["vocab_size"] = torch.tensor(model.vocab_size)
    torch.save(state, path)
    return path


def write_sam(path: Path, model_type: str) -> Path:
    """The official SAM checkpoint format: a plain state dict of the Sam module."""
    from ros2_zsris.core.vision.loading import SAM_BUILDERS

    torch.manual_seed(2)
    torch.save(SAM_BUILDERS[model_type](checkpoint=None).state_dict(), path)
    return path


@pytest.fixture(scope="session")
def checkpoint_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("checkpoints")


@pytest.fixture(scope="session")
def vit_b32_openai(checkpoint_dir) -> Path:
    return write_openai_clip(checkpoint_dir / "ViT-B-32-openai-random.pt", "ViT-B-32")


@pytest.fixture(scope="session")
def rn50_openai(checkpoint_dir) -> Path:
    return write_openai_clip(checkpoint_dir / "RN50-openai-random.pt", "RN50")


@pytest.fixture(scope="session")
def sam_tiny_checkpoint(checkpoint_dir) -> Path:
    return write_sam(checkpoint_dir / "sam_vit_tiny_random.pth", "vit_tiny")


@pytest.fixture(scope="session")
def sam_vit_b_checkpoint(checkpoint_dir) -> Path:
    """The full-size SAM vit_b (375 MB, official format): written once for the tests that need a
    real-size encoder (the whole pipeline once; a node whose encoder is slower than its timings)."""
    return write_sam(checkpoint_dir / "sam_vit_b_random.pth", "vit_b")


def fast_engine_config(clip_weights: Path, sam_checkpoint: Path | None = None, clip_model: str = "ViT-B-32"):
    """Real architectures, random weights. Without a SAM checkpoint: classical proposals
    (distinct real regions, so there is a choice to make). With one: SAM's quality
    thresholds mean nothing untrained, so they are opened up; 4x4 points keep CPU time low."""
    from ros2_zsris.core import EngineConfig, ModelConfig, ProposalConfig

    models = ModelConfig(clip_model=clip_model, clip_weights=str(clip_weights), device="cpu")
    if sam_checkpoint is None:
        return EngineConfig(models=models, proposals=ProposalConfig(backend="classical", min_area_px=500))
    models.sam_model, models.sam_checkpoint = "vit_tiny", str(sam_checkpoint)
    return EngineConfig(
        models=models,
        proposals=ProposalConfig(points_per_side=4, pred_iou_thresh=0.0, stability_score_thresh=0.0,
                                 min_mask_region_area=0, min_area_px=100, max_proposals=12),
    )


@pytest.fixture(scope="session")
def vit_engine(vit_b32_openai):
    from ros2_zsris.core import ZsrisEngine

    return ZsrisEngine(fast_engine_config(vit_b32_openai))


@pytest.fixture(scope="session")
def paper_engine(vit_b32_openai):
    """method gl-clip-paper: the official Global-Local CLIP computation."""
    from ros2_zsris.core import ZsrisEngine

    config = fast_engine_config(vit_b32_openai)
    config.method = "gl-clip-paper"
    return ZsrisEngine(config)


@pytest.fixture(scope="session")
def sam_engine(vit_b32_openai, sam_tiny_checkpoint):
    from ros2_zsris.core import ZsrisEngine

    return ZsrisEngine(fast_engine_config(vit_b32_openai, sam_tiny_checkpoint))


@pytest.fixture(scope="session")
def rn50_engine(rn50_openai):
    from ros2_zsris.core import ZsrisEngine

    return ZsrisEngine(fast_engine_config(rn50_openai, clip_model="RN50"))


@pytest.fixture(scope="session")
def refcoco_samples():
    from ros2_zsris.datasets.refcoco import load_refs_jsonl

    refs = REFCOCO / "refs.jsonl"
    if not refs.is_file():
        pytest.fail(f"real test data missing: {refs} (CI clones shared/ beside the repo)")
    return load_refs_jsonl(refs)


def rect(height: int, width: int, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    """A bool mask with rows y0..y1-1 and columns x0..x1-1 set."""
    mask = np.zeros((height, width), bool)
    mask[y0:y1, x0:x1] = True
    return mask


def read_rgb(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


@pytest.fixture(scope="session")
def book_photo(refcoco_samples) -> np.ndarray:
    """A real RefCOCO photo (500x243)."""
    return read_rgb(refcoco_samples[0].image_path)


@pytest.fixture(scope="session")
def vit_book_features(vit_engine, book_photo):
    """One encoded frame shared by the engine tests (SAM runs once for all of them)."""
    return vit_engine.encode_frame(book_photo)
