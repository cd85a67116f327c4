"""Load CLIP (open_clip) and SAM (segment-anything) the way users supply them.

CLIP weights may be
  * an open_clip pretrained tag ("openai", "laion2b_s34b_b79k", ...), downloaded by
    open_clip on a networked machine;
  * a local file: an OpenAI release (TorchScript archive or state dict, QuickGELU) or an
    open_clip state dict / training checkpoint ({"state_dict": ...});
  * the word "random", an explicit opt-in to untrained weights (timing, plumbing);
  * the word "embedded" with model "zsris-tiny-clip": the small model that ships with
    the package, trained on procedural tabletop scenes (a narrow domain, see MODEL_CARD.md).
SAM needs a model type (vit_b, vit_l, vit_h) and an official checkpoint file.

Every failure becomes a WeightsError/ConfigError naming the setting and the fix:
weights are never fetched silently and a bad file never ends in a stack dump.
"""

from __future__ import annotations

import difflib
import logging
import os
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import ConfigError, WeightsError
from .torchvision_compat import ensure_torchvision_importable

ensure_torchvision_importable()

import open_clip  # noqa: E402
from segment_anything import sam_model_registry  # noqa: E402
from segment_anything.build_sam import _build_sam  # noqa: E402
from segment_anything.modeling import Sam  # noqa: E402

from ...embedded import EMBEDDED_DIR, EMBEDDED_MODEL, EMBEDDED_WEIGHTS  # noqa: E402

LOG = logging.getLogger(__name__)
RANDOM_WEIGHTS = "random"
EMBEDDED = "embedded"
open_clip.add_model_config(EMBEDDED_DIR / f"{EMBEDDED_MODEL}.json")
_OPENAI_META_KEYS = ("input_resolution", "context_length", "vocab_size")
_CLIP_FIX = (
    "pass an open_clip pretrained tag (e.g. --clip-weights openai on a networked machine), "
    "a local checkpoint file, or 'random' for untrained weights"
)
SAM_DOWNLOADS = {
    "vit_b": "sam_vit_b_01ec64.pth",
    "vit_l": "sam_vit_l_0b3195.pth",
    "vit_h": "sam_vit_h_4b8939.pth",
}


@dataclass
class ClipBundle:
    """A CLIP model with what the encoders need to feed it."""

    model: torch.nn.Module
    tokenizer: Callable
    model_name: str
    weights: str
    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    device: torch.device
    dtype: torch.dtype

    @property
    def is_vit(self) -> bool:
        return hasattr(self.model.visual, "transformer")


def _build_sam_tiny(checkpoint: str | None = None) -> Sam:
    """A 2-block, 256-wide SAM image encoder with SAM's real prompt encoder and decoder.

    No pretrained weights exist for it: it runs the full segment-anything code path
    many times faster than vit_b on CPU, for tests and plumbing checks.
    """
    return _build_sam(
        encoder_embed_dim=256,
        encoder_depth=2,
        encoder_num_heads=4,
        encoder_global_attn_indexes=[1],
        checkpoint=checkpoint,
    )


SAM_BUILDERS: dict[str, Callable[..., Sam]] = {
    "vit_b": sam_model_registry["vit_b"],
    "vit_l": sam_model_registry["vit_l"],
    "vit_h": sam_model_registry["vit_h"],
    "vit_tiny": _build_sam_tiny,
}


# --------------------------------------------------------------------------- CLIP
def load_clip(model_name: str, weights: str, device: torch.device, dtype: torch.dtype) -> ClipBundle:
    """Build the named open_clip architecture and fill it from ``weights``."""
    _check_clip_model_name(model_name)
    weights = (weights or "").strip()
    if not weights:
        raise WeightsError(
            f"no CLIP weights configured for model '{model_name}'",
            setting="clip_weights (--clip-weights)",
            fix=_CLIP_FIX,
        )
    if weights == EMBEDDED:
        if model_name != EMBEDDED_MODEL:
            raise WeightsError(f"the embedded weights are for model '{EMBEDDED_MODEL}', not '{model_name}'",
                               setting="clip_model (--clip-model)", fix=f"use --clip-model {EMBEDDED_MODEL}")
        if not EMBEDDED_WEIGHTS.is_file():
            raise WeightsError(f"the embedded checkpoint {EMBEDDED_WEIGHTS} is missing from this installation",
                               setting="clip_weights", fix="reinstall ros2_zsris, or retrain it (see MODEL_CARD.md)")
        model = _clip_from_file(model_name, EMBEDDED_WEIGHTS)
    elif weights == RANDOM_WEIGHTS:
        model = open_clip.create_model(model_name, pretrained=None)
    elif _looks_like_path(weights):
        model = _clip_from_file(model_name, Path(weights).expanduser())
    else:
        model = _clip_from_tag(model_name, weights)
    model = model.to(device=device, dtype=dtype).eval()
    preprocess = open_clip.get_model_preprocess_cfg(model)
    size = preprocess.get("size", model.visual.image_size)
    size = size[0] if isinstance(size, (tuple, list)) else size
    mean = tuple(preprocess.get("mean", open_clip.OPENAI_DATASET_MEAN))
    std = tuple(preprocess.get("std", open_clip.OPENAI_DATASET_STD))
    LOG.info("CLIP '%s' (%s): %s activation; image normalisation mean %s std %s, from the model's open_clip "
             "preprocessing config (the method setting may replace it)", model_name, weights,
             "QuickGELU" if _uses_quick_gelu(model) else "GELU", _rounded(mean), _rounded(std))
    return ClipBundle(
        model=model,
        tokenizer=open_clip.get_tokenizer(model_name),
        model_name=model_name,
        weights=weights,
        image_size=int(size),
        mean=mean,
        std=std,
        device=device,
        dtype=dtype,
    )


def _rounded(values: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(round(float(v), 4) for v in values)


def _check_clip_model_name(model_name: str) -> None:
    known = open_clip.list_models()
    if model_name not in known:
        close = difflib.get_close_matches(model_name, known, n=5)
        raise ConfigError(
            f"unknown CLIP model '{model_name}'",
            setting="clip_model (--clip-model)",
            fix=f"use an open_clip model name such as {', '.join(close or ['ViT-B-32', 'RN50'])}",
        )


def _looks_like_path(weights: str) -> bool:
    return os.sep in weights or weights.startswith(".") or Path(weights).suffix in (
        ".pt", ".pth", ".bin", ".ckpt", ".safetensors"
    ) or Path(weights).expanduser().exists()


def _clip_from_tag(model_name: str, tag: str) -> torch.nn.Module:
    tags = open_clip.list_pretrained_tags_by_model(model_name)
    if tag not in tags:
        raise WeightsError(
            f"'{tag}' is neither a file nor an open_clip pretrained tag for '{model_name}'",
            setting="clip_weights (--clip-weights)",
            fix=f"use one of the tags {', '.join(tags) or '(none for this model)'} or a checkpoint file path",
        )
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "10")
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "30")
    try:
        return open_clip.create_model(model_name, pretrained=tag)
    except Exception as exc:  # network stacks raise many types; all mean "not obtainable"
        raise WeightsError(
            f"could not obtain pretrained CLIP weights '{model_name}/{tag}': "
            f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}",
            setting="clip_weights (--clip-weights)",
            fix="on an offline machine download the checkpoint elsewhere and pass its file path",
        ) from None


def _clip_from_file(model_name: str, path: Path) -> torch.nn.Module:
    checkpoint = _read_clip_checkpoint(path)
    quick_gelu, reason = choose_activation(model_name, checkpoint)
    with _quiet_random_init_warning():  # the weights are loaded right below
        model = open_clip.create_model(model_name, pretrained=None, force_quick_gelu=quick_gelu)
    _load_strict(model, checkpoint.state_dict, path, setting="clip_model / clip_weights", kind=f"CLIP '{model_name}'")
    activation = "QuickGELU" if _uses_quick_gelu(model) else "GELU"
    LOG.info("CLIP '%s' from %s (%s): activation %s because %s", model_name, path, checkpoint.layout, activation,
             reason)
    return model


@dataclass
class ClipCheckpoint:
    """A CLIP state dict and the layout it was stored in, which is what decides the activation."""

    state_dict: dict[str, torch.Tensor]
    layout: str  # "torchscript", "training checkpoint" or "state dict"
    had_openai_meta: bool = False


def choose_activation(model_name: str, checkpoint: ClipCheckpoint) -> tuple[bool, str]:
    """QuickGELU or the config's own activation, decided from the weights, with the reason.

    The activation has no parameters, so only the file's form and the tensors' names and
    shapes can tell. OpenAI trained every released CLIP with QuickGELU; open_clip's plain
    configs (ViT-B-32, RN50) use GELU. A plain state dict whose keys and shapes are those of
    an architecture OpenAI released (checked strictly when it is loaded) is taken for OpenAI's
    weights: re-saving an OpenAI model drops the TorchScript wrapper and often the three meta
    entries, and GELU would then silently change every feature.
    """
    if model_name.endswith("-quickgelu"):
        return True, f"the model name '{model_name}' asks for it"
    if checkpoint.layout == "torchscript":
        return True, "a TorchScript archive is OpenAI's release format (trained with QuickGELU)"
    if checkpoint.had_openai_meta:
        return True, f"the {'/'.join(_OPENAI_META_KEYS)} entries mark an OpenAI state dict (trained with QuickGELU)"
    config_quick = bool((open_clip.get_model_config(model_name) or {}).get("quick_gelu", False))
    config_says = f"the '{model_name}' config's own activation ({'QuickGELU' if config_quick else 'GELU'})"
    if checkpoint.layout == "training checkpoint":
        return config_quick, f"an open_clip training checkpoint was trained with {config_says}"
    if is_openai_architecture(model_name):
        return True, (f"its keys and shapes are those of OpenAI's released '{model_name}' (trained with QuickGELU); "
                      "weights of this architecture trained with GELU must be passed as an open_clip training "
                      "checkpoint ({'state_dict': ...}) or by their pretrained tag")
    return config_quick, f"'{model_name}' is no architecture OpenAI released, so {config_says}"


def is_openai_architecture(model_name: str) -> bool:
    """True for the architectures OpenAI released weights for (open_clip tags them 'openai')."""
    return "openai" in open_clip.list_pretrained_tags_by_model(model_name)


def _uses_quick_gelu(model: torch.nn.Module) -> bool:
    return any(type(module).__name__ == "QuickGELU" for module in model.modules())


@contextmanager
def _quiet_random_init_warning():
    """open_clip warns 'Model initialized randomly' before we load the file into the model."""
    def keep(record: logging.LogRecord) -> bool:
        return "No pretrained weights loaded" not in record.getMessage()

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


def _read_clip_checkpoint(path: Path) -> ClipCheckpoint:
    _require_file(path, "clip_weights (--clip-weights)")
    layout = "state dict"
    try:
        archive = torch.jit.load(str(path), map_location="cpu")
        state_dict, layout = dict(archive.state_dict()), "torchscript"
    except (RuntimeError, ValueError, zipfile.BadZipFile):
        state_dict = _torch_load(path, "clip_weights (--clip-weights)")
    if isinstance(state_dict, dict) and isinstance(state_dict.get("state_dict"), dict):
        state_dict, layout = state_dict["state_dict"], "training checkpoint"
    if not isinstance(state_dict, dict) or not state_dict:
        raise WeightsError(
            f"'{path}' holds no state dict (found {type(state_dict).__name__})",
            setting="clip_weights (--clip-weights)",
            fix="pass an OpenAI CLIP .pt file or an open_clip checkpoint",
        )
    had_meta = any(key in state_dict for key in _OPENAI_META_KEYS)
    state_dict = {k.removeprefix("module."): v for k, v in state_dict.items() if k not in _OPENAI_META_KEYS}
    return ClipCheckpoint(state_dict, layout, had_meta)


# --------------------------------------------------------------------------- SAM
def load_sam(model_type: str, checkpoint: str, device: torch.device) -> Sam:
    """Build a SAM of ``model_type`` and load an official checkpoint file into it."""
    if model_type not in SAM_BUILDERS:
        raise ConfigError(
            f"unknown SAM model type '{model_type}'",
            setting="sam_model (--sam-model)",
            fix=f"use one of {', '.join(SAM_BUILDERS)}",
        )
    checkpoint = (checkpoint or "").strip()
    if not checkpoint:
        official = SAM_DOWNLOADS.get(model_type, "a SAM checkpoint")
        raise WeightsError(
            f"no SAM checkpoint configured for model type '{model_type}'",
            setting="sam_checkpoint (--sam-checkpoint)",
            fix=f"download {official} from the segment-anything release and pass its path, "
            "or use the classical proposal backend (proposals.backend: classical)",
        )
    path = Path(checkpoint).expanduser()
    _require_file(path, "sam_checkpoint (--sam-checkpoint)")
    state_dict = _torch_load(path, "sam_checkpoint (--sam-checkpoint)")
    if isinstance(state_dict, dict) and isinstance(state_dict.get("model"), dict):
        state_dict = state_dict["model"]
    sam = SAM_BUILDERS[model_type](checkpoint=None)
    _load_strict(sam, state_dict, path, setting="sam_model / sam_checkpoint", kind=f"SAM '{model_type}'",
                 hint=_guess_sam_type(state_dict))
    return sam.to(device).eval()


def _guess_sam_type(state_dict: dict) -> str:
    blocks = {k.split(".")[2] for k in state_dict if k.startswith("image_encoder.blocks.")}
    depth_to_type = {12: "vit_b", 24: "vit_l", 32: "vit_h", 2: "vit_tiny"}
    guess = depth_to_type.get(len(blocks))
    return f"; the file looks like a '{guess}' checkpoint" if guess else ""


# --------------------------------------------------------------------------- shared
def _require_file(path: Path, setting: str) -> None:
    if not path.is_file():
        raise WeightsError(
            f"checkpoint file '{path}' does not exist",
            setting=setting,
            fix="check the path (it is read on this machine, relative to the working directory)",
        )


def _torch_load(path: Path, setting: str) -> dict:
    try:
        return torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch's unpicklers raise many types on a bad file; all mean "unreadable"
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise WeightsError(
            f"'{path}' is not a readable PyTorch checkpoint ({reason})",
            setting=setting,
            fix="the file is corrupt, truncated or of another format: download it again",
        ) from None


def _load_strict(model: torch.nn.Module, state_dict: dict, path: Path, *, setting: str, kind: str,
                 hint: str = "") -> None:
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    wrong_shape = sorted(
        k for k in set(expected) & set(state_dict)
        if tuple(expected[k].shape) != tuple(getattr(state_dict[k], "shape", ()))
    )
    if missing or unexpected or wrong_shape:
        details = []
        if missing:
            details.append(f"{len(missing)} missing (e.g. {', '.join(missing[:3])})")
        if unexpected:
            details.append(f"{len(unexpected)} unexpected (e.g. {', '.join(unexpected[:3])})")
        if wrong_shape:
            details.append(f"{len(wrong_shape)} of another shape (e.g. {', '.join(wrong_shape[:3])})")
        raise WeightsError(
            f"checkpoint '{path}' does not match the {kind} architecture: "
            f"{'; '.join(details)}{hint}",
            setting=setting,
            fix="choose the model type the checkpoint was saved from, or the checkpoint for this model",
        )
    model.load_state_dict(state_dict, strict=True)
