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


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The model flags every tool shares; they map onto core.config.ModelConfig."""
    from ..core.config import METHODS, EngineConfig, ModelConfig, ProposalConfig

    defaults, proposals = ModelConfig(), ProposalConfig()
    group = parser.add_argument_group("models")
    group.add_argument("--method", default=EngineConfig().method, choices=METHODS,
                       help="zsris (the project's pipeline) or gl-clip-paper (the official Global-Local CLIP, "
                       "exactly; README 'Reproducing the paper')")
    group.add_argument("--clip-model", default=defaults.clip_model, help="open_clip model name (ViT-B-32, RN50, ...)")
    group.add_argument("--clip-weights", default=defaults.clip_weights,
                       help="open_clip pretrained tag, checkpoint file, or 'random'")
    group.add_argument("--sam-model", default=defaults.sam_model, help="vit_b, vit_l, vit_h (vit_tiny: tests); "
                       "with --proposals sam2: hiera_t, hiera_s, hiera_b+, hiera_l")
    group.add_argument("--sam-checkpoint", default=defaults.sam_checkpoint, help="official SAM checkpoint file")
    group.add_argument("--proposals", default=proposals.backend,
                       help="proposal backend: sam, sam2 or classical; zsris-segment also takes a .npz file of "
                       "your own masks (key 'masks', shape (N, H, W), nonzero = inside; README)")
    group.add_argument("--points-per-side", type=int, default=proposals.points_per_side)
    group.add_argument("--min-area", type=int, default=proposals.min_area_px,
                       help="drop proposals under this many pixels")
    group.add_argument("--device", default=defaults.device, help="auto, cpu, cuda or cuda:N")
    group.add_argument("--precision", default=defaults.precision,
                       help="auto (CLIP fp16 on GPU, SAM bf16 where the hardware has it), fp32 (force), fp16 (GPU)")
    group.add_argument("--spacy-model", default=defaults.spacy_model)
    group.add_argument("--alpha", type=float, default=None,
                       help="global vs local weight (default 0.95; 0.5 for the embedded model)")
    group.add_argument("--beta", type=float, default=None, help="sentence vs target phrase weight (default 0.5)")


def fusion_from_args(args: argparse.Namespace):
    """Unset alpha/beta keep the general defaults, which the engine replaces by the embedded
    model's own when the embedded weights are used (embedded.EMBEDDED_SETTINGS)."""
    from ..core.config import FusionConfig

    defaults = FusionConfig()
    return FusionConfig(alpha=defaults.alpha if args.alpha is None else args.alpha,
                        beta=defaults.beta if args.beta is None else args.beta)


def engine_config_from_args(args: argparse.Namespace):
    from ..core.config import EngineConfig, ModelConfig, ProposalConfig

    backend = "given" if given_masks_path(args) else args.proposals
    return EngineConfig(
        method=args.method,
        fusion=fusion_from_args(args),
        models=ModelConfig(
            clip_model=args.clip_model, clip_weights=args.clip_weights, sam_model=args.sam_model,
            sam_checkpoint=args.sam_checkpoint, spacy_model=args.spacy_model, device=args.device,
            precision=args.precision,
        ),
        proposals=ProposalConfig(backend=backend, points_per_side=args.points_per_side,
                                 min_area_px=args.min_area),
    )


def given_masks_path(args: argparse.Namespace) -> Path | None:
    """--proposals names a mask file (not a backend) when it ends in .npz."""
    return Path(args.proposals) if str(args.proposals).lower().endswith(".npz") else None


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
    summary.update(image=args.image, clip_model=args.clip_model, clip_weights=args.clip_weights,
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
