"""zsris-segment IMAGE "EXPRESSION": the engine on one photo, from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..core.errors import InputError
from .cli import run_tool


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zsris-segment",
        description="Zero-shot referring segmentation: find the object an expression describes.",
    )
    parser.add_argument("image", help="RGB photo (JPEG, PNG, ...)")
    parser.add_argument("expression", help='referring expression or command, e.g. "the red mug"')
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--out", help="write the chosen mask (the first object's) as a 0/255 PNG")
    parser.add_argument("--overlay", help="write the photo with the answer drawn on it, objects numbered (PNG)")
    add_model_arguments(parser)
    return parser


# argparse dest -> the setting it gives ("section.field", the node's parameter name too)
MODEL_FLAGS = {
    "clip_model": "models.clip_model", "clip_weights": "models.clip_weights", "sam_model": "models.sam_model",
    "sam_checkpoint": "models.sam_checkpoint", "spacy_model": "models.spacy_model", "device": "models.device",
    "precision": "models.precision", "proposals": "proposals.backend",
    "points_per_side": "proposals.points_per_side", "min_area": "proposals.min_area_px",
    "alpha": "fusion.alpha", "beta": "fusion.beta",
}


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The model flags every tool shares; they map onto core.config (MODEL_FLAGS). A flag not
    typed stays None ("not given"), so the embedded default's own settings can replace it
    while a typed one is kept, whatever its value (core.config.apply_embedded_settings)."""
    from ..core.config import METHODS, EngineConfig, FusionConfig, ModelConfig, ProposalConfig

    defaults, proposals, fusion = ModelConfig(), ProposalConfig(), FusionConfig()
    group = parser.add_argument_group("models")
    group.add_argument("--method", default=EngineConfig().method, choices=METHODS,
                       help="zsris (the project's pipeline) or gl-clip-paper (the official Global-Local CLIP, "
                       "exactly; README 'Reproducing the paper')")
    group.add_argument("--clip-model", help=f"open_clip model name (default {defaults.clip_model}; RN50, ...)")
    group.add_argument("--clip-weights", help="open_clip pretrained tag, checkpoint file, 'random', or 'embedded' "
                       "(with --clip-model zsris-tiny-clip)")
    group.add_argument("--sam-model", help=f"vit_b (default {defaults.sam_model}), vit_l, vit_h (vit_tiny: tests); "
                       "with --proposals sam2: hiera_t, hiera_s, hiera_b+, hiera_l")
    group.add_argument("--sam-checkpoint", help="official SAM checkpoint file")
    group.add_argument("--proposals",
                       help=f"proposal backend: sam (default {proposals.backend}), sam2 or classical; zsris-segment "
                       "also takes a .npz file of your own masks (key 'masks', shape (N, H, W), nonzero = inside; "
                       "README)")
    group.add_argument("--points-per-side", type=int, help=f"SAM point grid (default {proposals.points_per_side})")
    group.add_argument("--min-area", type=int,
                       help=f"drop proposals under this many pixels (default {proposals.min_area_px})")
    group.add_argument("--device", help=f"auto (default {defaults.device}), cpu, cuda or cuda:N")
    group.add_argument("--precision",
                       help=f"auto (default {defaults.precision}: CLIP fp16 on GPU, SAM bf16 where the hardware has "
                       "it), fp32 (force), fp16 (GPU)")
    group.add_argument("--spacy-model", help=f"spaCy pipeline (default {defaults.spacy_model})")
    group.add_argument("--alpha", type=float,
                       help=f"global vs local weight (default {fusion.alpha}; the embedded model's own: 0.5)")
    group.add_argument("--beta", type=float, help=f"sentence vs target phrase weight (default {fusion.beta})")


def given_settings_from_args(args: argparse.Namespace) -> dict[str, object]:
    """{"section.field": value} for each model flag the user typed (MODEL_FLAGS)."""
    given = {setting: getattr(args, dest) for dest, setting in MODEL_FLAGS.items() if getattr(args, dest) is not None}
    if given_masks_path(args):
        given["proposals.backend"] = "given"
    return given


def engine_config_from_args(args: argparse.Namespace):
    from ..core.config import EngineConfig, FusionConfig, ModelConfig, ProposalConfig

    sections: dict[str, dict] = {"models": {}, "proposals": {}, "fusion": {}}
    for setting, value in given_settings_from_args(args).items():
        section, name = setting.split(".")
        sections[section][name] = value
    return EngineConfig(method=args.method, models=ModelConfig(**sections["models"]),
                        proposals=ProposalConfig(**sections["proposals"]), fusion=FusionConfig(**sections["fusion"]))


def given_masks_path(args: argparse.Namespace) -> Path | None:
    """--proposals names a mask file (not a backend) when it ends in .npz."""
    return Path(args.proposals) if str(args.proposals or "").lower().endswith(".npz") else None


def read_masks_npz(path: Path, size: tuple[int, int]) -> np.ndarray:
    """(N, H, W) bool from key 'masks' (or the file's only array); nonzero = inside."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            name = "masks" if "masks" in names else names[0] if len(names) == 1 else None
            if name is None:
                raise InputError(f"'{path}' has no array named 'masks' (it has {', '.join(names) or 'none'})",
                                 setting="--proposals", fix="save with np.savez(path, masks=masks)")
            masks = archive[name]
    except FileNotFoundError:
        raise InputError(f"mask file '{path}' does not exist", setting="--proposals") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"'{path}' is not a readable .npz file ({exc})", setting="--proposals",
                         fix="save with np.savez(path, masks=masks)") from None
    if masks.ndim == 2:
        masks = masks[None]
    if masks.ndim != 3 or masks.shape[1:] != size:
        raise InputError(f"masks in '{path}' have shape {masks.shape}, the photo is {size[0]}x{size[1]}",
                         setting="--proposals", fix="one (H, W) mask per proposal, at the photo's resolution")
    return masks != 0


def read_rgb(path: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except FileNotFoundError:
        raise InputError(f"image file '{path}' does not exist") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"'{path}' is not a readable image ({exc})") from None


def write_png(path: str, pixels: np.ndarray) -> None:
    from PIL import Image

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, format="PNG")


def run(args: argparse.Namespace) -> int:
    from ..core import Status, ZsrisEngine
    from ..core.overlay import draw_overlay

    image = read_rgb(args.image)
    masks_path = given_masks_path(args)
    masks = read_masks_npz(masks_path, image.shape[:2]) if masks_path else None
    engine = ZsrisEngine(engine_config_from_args(args))
    features = engine.encode_frame(image, masks=masks)
    result = engine.query(features, args.expression)
    result.timings_ms = {**features.timings_ms, **result.timings_ms}
    if args.out:
        mask = result.mask if result.mask is not None else np.zeros(image.shape[:2], dtype=bool)
        write_png(args.out, mask.astype(np.uint8) * 255)
    if args.overlay:
        write_png(args.overlay, draw_overlay(image, result, [features.masks[i] for i in result.anchor_indices]))
    summary = result.to_json_dict()
    models = engine.config.models
    summary.update(image=args.image, clip_model=models.clip_model, clip_weights=models.clip_weights,
                   device=str(engine.device), method=args.method)
    if args.json:
        print(json.dumps(summary))
    else:
        print(describe(summary))
    return 0 if result.status in (Status.OK, Status.BELOW_THRESHOLD) else 1


def describe(summary: dict) -> str:
    lines = [f"status: {summary['status']}  target phrase: '{summary['target_phrase']}'",
             f"understood: {summary['interpretation']}"]
    if summary["box"]:
        lines.append(f"score {summary['score']:.4f}  margin {summary['margin'] or 0:.4f}  box {summary['box']}  "
                     f"centroid {summary['centroid_px']}  area {summary['mask_area']} px  "
                     f"({summary['num_candidates']} candidates)")
    if len(summary["objects"]) > 1 or summary["action"] == "count":
        lines.append(f"{summary['count']} object(s):")
        lines += [f"  {k}. '{o['expression']}' #{o['index']}  box {o['box']}  centroid {o['centroid_px']}  "
                  f"score {o['score'] if o['score'] is not None else float('nan'):.4f}"
                  for k, o in enumerate(summary["objects"], start=1)]
    if summary["message"]:
        lines.append(summary["message"])
    lines.append("timings ms: " + ", ".join(f"{k} {v:.0f}" for k, v in summary["timings_ms"].items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return run_tool(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
