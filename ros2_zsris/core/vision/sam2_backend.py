"""SAM 2 / SAM 2.1 (the ``sam2`` package) as a light proposal backend.

Hiera-tiny's image encoder is far cheaper than SAM vit_b's on a CPU, but the stock
SAM2AutomaticMaskGenerator then spends as long again run-length encoding and deep-copying
every candidate mask before NMS discards most of them. The generator below keeps the
candidates as tensors until NMS has chosen (the same post-processing fix as sam_fast.py)
and is otherwise sam2's own code.
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


def fast_sam2_generator(model, **kwargs):
    """sam2's SAM2AutomaticMaskGenerator with the candidates kept as tensors until NMS."""
    from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator
    from sam2.utils.amg import (
        MaskData,
        batch_iterator,
        batched_mask_to_box,
        calculate_stability_score,
        is_box_near_crop_edge,
        mask_to_rle_pytorch,
        uncrop_boxes_xyxy,
        uncrop_masks,
        uncrop_points,
    )
    from torchvision.ops.boxes import batched_nms

    class FastSam2AutomaticMaskGenerator(SAM2AutomaticMaskGenerator):
        def _process_crop(self, image: np.ndarray, crop_box: list[int], crop_layer_idx: int,
                          orig_size: tuple[int, ...]) -> MaskData:
            x0, y0, x1, y1 = crop_box
            cropped = image[y0:y1, x0:x1, :]
            size = cropped.shape[:2]
            self.predictor.set_image(cropped)
            points_for_image = self.point_grids[crop_layer_idx] * np.array(size)[None, ::-1]
            parts = [self._process_batch_masks(points, size, crop_box, orig_size)
                     for (points,) in batch_iterator(self.points_per_batch, points_for_image)]
            self.predictor.reset_predictor()
            data = MaskData(**{key: torch.cat([part[key] for part in parts]) for key, _ in parts[0].items()})
            keep = batched_nms(data["boxes"].float(), data["iou_preds"], torch.zeros_like(data["boxes"][:, 0]),
                               iou_threshold=self.box_nms_thresh)
            data.filter(keep)
            data["boxes"] = uncrop_boxes_xyxy(data["boxes"], crop_box)
            data["points"] = uncrop_points(data["points"], crop_box)
            data["crop_boxes"] = torch.tensor([crop_box for _ in range(len(data["boxes"]))])
            data["rles"] = mask_to_rle_pytorch(uncrop_masks(data["masks"], crop_box, *orig_size))
            del data["masks"]
            return data

        def _process_batch_masks(self, points, im_size, crop_box, orig_size) -> MaskData:
            """sam2's _process_batch (use_m2m off) up to, not including, uncrop + RLE."""
            orig_h, orig_w = orig_size
            points = torch.as_tensor(points, dtype=torch.float32, device=self.predictor.device)
            in_points = self.predictor._transforms.transform_coords(points, normalize=True, orig_hw=im_size)
            in_labels = torch.ones(in_points.shape[0], dtype=torch.int, device=in_points.device)
            masks, iou_preds, _ = self.predictor._predict(in_points[:, None, :], in_labels[:, None],
                                                          multimask_output=self.multimask_output,
                                                          return_logits=True)
            data = MaskData(masks=masks.flatten(0, 1), iou_preds=iou_preds.flatten(0, 1),
                            points=points.repeat_interleave(masks.shape[1], dim=0))
            del masks
            if self.pred_iou_thresh > 0.0:
                data.filter(data["iou_preds"] > self.pred_iou_thresh)
            data["stability_score"] = calculate_stability_score(data["masks"], self.mask_threshold,
                                                                self.stability_score_offset)
            if self.stability_score_thresh > 0.0:
                data.filter(data["stability_score"] >= self.stability_score_thresh)
            data["masks"] = data["masks"] > self.mask_threshold
            data["boxes"] = batched_mask_to_box(data["masks"])
            keep_mask = ~is_box_near_crop_edge(data["boxes"], crop_box, [0, 0, orig_w, orig_h])
            if not torch.all(keep_mask):
                data.filter(keep_mask)
            return data

    return FastSam2AutomaticMaskGenerator(model, **kwargs)
