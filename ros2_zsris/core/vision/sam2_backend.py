"""SAM 2 / SAM 2.1 (the ``sam2`` package) as a light proposal backend.

Hiera-tiny's image encoder is far cheaper than SAM vit_b's on a CPU, but the stock
SAM2AutomaticMaskGenerator then spends most of the frame in its mask decoder (64 copies of
the image embedding) and in run-length encoding and deep-copying every candidate mask before
NMS discards most of them. The generator below shares sam_fast.py's decoder (sam2's has the
same two-way transformer, plus an object-score token and high-resolution features) and
filter order, and is otherwise sam2's own code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import ConfigError, WeightsError
from .torchvision_compat import ensure_torchvision_importable

ensure_torchvision_importable()

# model name -> (SAM 2.1 config, SAM 2 config, official file names) inside the sam2 package
SAM2_MODELS: dict[str, tuple[str, str, str]] = {
    "hiera_t": ("configs/sam2.1/sam2.1_hiera_t.yaml", "configs/sam2/sam2_hiera_t.yaml",
                "sam2.1_hiera_tiny.pt / sam2_hiera_tiny.pt"),
    "hiera_s": ("configs/sam2.1/sam2.1_hiera_s.yaml", "configs/sam2/sam2_hiera_s.yaml",
                "sam2.1_hiera_small.pt / sam2_hiera_small.pt"),
    "hiera_b+": ("configs/sam2.1/sam2.1_hiera_b+.yaml", "configs/sam2/sam2_hiera_b+.yaml",
                 "sam2.1_hiera_base_plus.pt / sam2_hiera_base_plus.pt"),
    "hiera_l": ("configs/sam2.1/sam2.1_hiera_l.yaml", "configs/sam2/sam2_hiera_l.yaml",
                "sam2.1_hiera_large.pt / sam2_hiera_large.pt"),
}


def build_sam2_model(model_name: str, version: str = "2.1", device: str | torch.device = "cpu"):
    """A randomly initialised SAM 2 (version "2" or "2.1") of the named size."""
    from sam2.build_sam import build_sam2

    _check_sam2_name(model_name)
    config = SAM2_MODELS[model_name][0 if version == "2.1" else 1]
    return build_sam2(config, ckpt_path=None, device=str(device), mode="eval")


def load_sam2(model_name: str, checkpoint: str, device: torch.device):
    """Build the named SAM 2.1 (or SAM 2) model and load an official ``{"model": ...}`` checkpoint."""
    from .loading import _load_strict, _require_file, _torch_load

    _check_sam2_name(model_name)
    setting = "sam_checkpoint (--sam-checkpoint)"
    checkpoint = (checkpoint or "").strip()
    if not checkpoint:
        raise WeightsError(
            f"no SAM 2 checkpoint configured for model '{model_name}'",
            setting=setting,
            fix=f"download {SAM2_MODELS[model_name][2]} from the SAM 2 release and pass its path, "
            "or use proposals.backend: classical (no weights)",
        )
    path = Path(checkpoint).expanduser()
    _require_file(path, setting)
    loaded = _torch_load(path, setting)
    if not (isinstance(loaded, dict) and isinstance(loaded.get("model"), dict)):
        raise WeightsError(
            f"'{path}' is not a SAM 2 checkpoint: expected a dict with a 'model' state dict "
            f"(found {_describe(loaded)})",
            setting=setting,
            fix="pass an official SAM 2 / 2.1 checkpoint (e.g. sam2.1_hiera_tiny.pt); SAM 1 files "
            "(sam_vit_b_01ec64.pth) go with proposals.backend: sam",
        )
    state_dict = loaded["model"]
    failure: WeightsError | None = None
    for version in ("2.1", "2"):
        model = build_sam2_model(model_name, version, "cpu")
        try:
            _load_strict(model, state_dict, path, setting="sam_model / sam_checkpoint",
                         kind=f"SAM {version} '{model_name}'", hint=_guess_sam2_size(state_dict))
        except WeightsError as exc:
            failure = failure or exc  # report the SAM 2.1 mismatch, the more likely intent
            continue
        return model.to(device).eval()
    raise failure


def _check_sam2_name(model_name: str) -> None:
    if model_name not in SAM2_MODELS:
        raise ConfigError(
            f"unknown SAM 2 model '{model_name}'",
            setting="sam_model (--sam-model)",
            fix=f"with proposals.backend: sam2 use one of {', '.join(SAM2_MODELS)}",
        )


def _describe(value: object) -> str:
    if isinstance(value, dict):
        keys = list(value)[:3]
        return f"a dict with keys {', '.join(map(str, keys))}{'...' if len(value) > 3 else ''}"
    return type(value).__name__


def _guess_sam2_size(state_dict: dict) -> str:
    blocks = {k.split(".")[3] for k in state_dict if k.startswith("image_encoder.trunk.blocks.")}
    guess = {12: "hiera_t", 16: "hiera_s", 24: "hiera_b+", 48: "hiera_l"}.get(len(blocks))
    return f"; the file looks like a '{guess}' checkpoint" if guess else ""


def fast_sam2_generator(model, encoder_dtype: torch.dtype = torch.float32,
                        decoder_dtype: torch.dtype = torch.float32, **kwargs):
    """sam2's SAM2AutomaticMaskGenerator through sam_fast.FastCrops (the SAM 1 fast decoder and filter order).

    ``encoder_dtype`` / ``decoder_dtype`` as for FastSamAutomaticMaskGenerator.
    """
    from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator

    from .sam_fast import FastCrops, compute_in, decode_single_points

    class FastSam2AutomaticMaskGenerator(FastCrops, SAM2AutomaticMaskGenerator):
        @property
        def _mask_threshold(self) -> float:
            return self.mask_threshold

        def _decode(self, points: np.ndarray, im_size: tuple[int, ...], min_iou: float | None):
            """sam2's _process_batch (use_m2m off) prompt and decoder calls, through decode_single_points."""
            predictor, sam = self.predictor, self.predictor.model
            points = torch.as_tensor(points, dtype=torch.float32, device=predictor.device)
            in_points = predictor._transforms.transform_coords(points, normalize=True, orig_hw=im_size)
            labels = torch.ones(in_points.shape[0], 1, dtype=torch.int, device=in_points.device)
            sparse, dense = sam.sam_prompt_encoder(points=(in_points[:, None, :], labels), boxes=None, masks=None)
            features = predictor._features
            masks, ious, computed = decode_single_points(
                sam.sam_mask_decoder, features["image_embed"][-1:], sam.sam_prompt_encoder.get_dense_pe(), sparse,
                dense, high_res_features=[level[-1:] for level in features["high_res_feats"]], min_iou=min_iou,
                upscale_dtype=self.decoder_dtype)
            return masks, ious, computed, points.repeat_interleave(3, dim=0)

        def _upsample(self, low_res: torch.Tensor) -> torch.Tensor:
            return self.predictor._transforms.postprocess_masks(low_res[:, None], self.predictor._orig_hw[-1])[:, 0]

        def _reset_predictor(self) -> None:
            self.predictor.reset_predictor()

    compute_in(model.image_encoder, encoder_dtype)
    generator = FastSam2AutomaticMaskGenerator(model, **kwargs)
    generator.decoder_dtype = decoder_dtype
    return generator
