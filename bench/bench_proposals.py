"""SAM proposals per frame: segment-anything's own generator vs the project's, and SAM 2.

    .venv/bin/python bench/bench_proposals.py --images 3

Random weights in the official checkpoint formats, loaded with the project's loaders
(timing needs no trained weights). On each refcoco_val56 photo the three generators run
back to back, in a rotating order, so a machine shared with other work slows all three
alike; ratios are taken photo by photo and their median reported. For each photo the
masks of the project's vit_b path are compared with the stock generator's (best IoU per
mask, both ways). ``--open-thresholds`` sets the two quality thresholds to 0 so random
weights keep masks and post-processing is exercised as with trained weights.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ros2_zsris.core.vision.torchvision_compat import ensure_torchvision_importable

ensure_torchvision_importable()

from segment_anything import SamAutomaticMaskGenerator  # noqa: E402

from ros2_zsris.core.config import ProposalConfig  # noqa: E402
from ros2_zsris.core.device import resolve_device  # noqa: E402
from ros2_zsris.core.vision.loading import SAM_BUILDERS, load_sam  # noqa: E402
from ros2_zsris.core.vision.proposals import SamProposalGenerator  # noqa: E402
from ros2_zsris.core.vision.sam2_backend import build_sam2_model, fast_sam2_generator, load_sam2  # noqa: E402
from ros2_zsris.datasets.refcoco import load_refs_jsonl  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "refcoco_val56" / "refs.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--sam-model", default="vit_b")
    parser.add_argument("--sam2-model", default="hiera_t")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--open-thresholds", action="store_true")
    parser.add_argument("--write", action="store_true", help="append the section to bench/RESULTS.md")
    args = parser.parse_args()
    device = resolve_device(args.device)
    config = ProposalConfig()
    if args.open_thresholds:
        config.pred_iou_thresh = config.stability_score_thresh = 0.0
    tmp = Path(tempfile.mkdtemp())
    torch.manual_seed(0)
    torch.save(SAM_BUILDERS[args.sam_model](checkpoint=None).state_dict(), tmp / "sam.pth")
    torch.save({"model": build_sam2_model(args.sam2_model).state_dict()}, tmp / "sam2.pt")
    settings = dict(points_per_side=config.points_per_side, points_per_batch=config.points_per_batch,
                    pred_iou_thresh=config.pred_iou_thresh, stability_score_thresh=config.stability_score_thresh,
                    box_nms_thresh=config.box_nms_thresh, min_mask_region_area=config.min_mask_region_area,
                    output_mode="binary_mask")
    stock = SamAutomaticMaskGenerator(load_sam(args.sam_model, str(tmp / "sam.pth"), device), **settings)
    fast = SamProposalGenerator(load_sam(args.sam_model, str(tmp / "sam.pth"), device), config)
    light = SamProposalGenerator(load_sam2(args.sam2_model, str(tmp / "sam2.pt"), device), config,
                                 fast_sam2_generator)
    runs = {
        f"stock {args.sam_model} (segment_anything)": (stock, lambda image: stock.generate(image)),
        f"project {args.sam_model}": (fast.generator, lambda image: fast.generator.generate(image)),
        f"project sam2 {args.sam2_model}": (light.generator, lambda image: light.generator.generate(image)),
    }
    for generator, _ in runs.values():
        _time_encoder(generator)
    names = list(runs)
    total: dict[str, list[float]] = {name: [] for name in names}
    encoder: dict[str, list[float]] = {name: [] for name in names}
    agreement, counts = [], []
    for index, image in enumerate(_photos(args.images)):
        order = names[index % 3:] + names[: index % 3]
        records = {}
        for name in order:
            generator, run = runs[name]
            generator.encoder_s = 0.0
            _sync(device)
            start = time.perf_counter()
            records[name] = run(image)
            _sync(device)
            total[name].append(time.perf_counter() - start)
            encoder[name].append(generator.encoder_s)
        reference = [r["segmentation"] for r in records[names[0]]]
        candidate = [r["segmentation"] for r in records[names[1]]]
        counts.append((len(reference), len(candidate)))
        agreement.extend(_best_ious(reference, candidate) + _best_ious(candidate, reference))
        print(f"photo {index}: " + ", ".join(f"{n} {total[n][-1]:.2f} s" for n in names), flush=True)
    report = _report(args, device, names, total, encoder, agreement, counts)
    print(report)
    if args.write:
        with open(REPO / "bench" / "RESULTS.md", "a") as handle:
            handle.write("\n" + report + "\n")
    return 0


def _photos(count: int):
    from PIL import Image

    seen: list[str] = []
    for sample in load_refs_jsonl(DATA):
        if sample.image_path not in seen:
            seen.append(sample.image_path)
    for path in seen[:count]:
        with Image.open(path) as image:
            yield np.asarray(image.convert("RGB"))


def _time_encoder(generator) -> None:
    """Wrap the generator's predictor.set_image (resize + normalise + image encoder)."""
    set_image = generator.predictor.set_image

    def timed(*args, **kwargs):
        start = time.perf_counter()
        result = set_image(*args, **kwargs)
        generator.encoder_s += time.perf_counter() - start
        return result

    generator.predictor.set_image = timed


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _best_ious(reference: list[np.ndarray], candidate: list[np.ndarray]) -> list[float]:
    return [max((np.logical_and(r, c).sum() / max(np.logical_or(r, c).sum(), 1) for c in candidate), default=0.0)
            for r in reference]


def _report(args, device, names, total, encoder, agreement, counts) -> str:
    stock, fast, light = names
    speedup = [s / f for s, f in zip(total[stock], total[fast], strict=True)]
    light_total = [f / s2 for f, s2 in zip(total[fast], total[light], strict=True)]
    light_encoder = [f / s2 for f, s2 in zip(encoder[fast], encoder[light], strict=True)]
    command = (f".venv/bin/python bench/bench_proposals.py --images {args.images} --sam-model {args.sam_model} "
               f"--sam2-model {args.sam2_model} --device {args.device}"
               + (" --open-thresholds" if args.open_thresholds else ""))
    lines = [
        f"### SAM proposals per frame: stock vs project vs SAM 2, {device}, {len(speedup)} refcoco_val56 photos, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads",
        "",
        f"command: `{command}`",
        "",
        "points_per_side 8, points_per_batch 64, pred_iou/stability thresholds "
        f"{'0 (--open-thresholds)' if args.open_thresholds else '0.7'}, box NMS 0.7, min region 800; "
        "the three run back to back per photo in rotating order.",
        "",
        "| generator | whole frame, median s | image encoder (set_image), median s |",
        "|---|---|---|",
    ]
    for name in names:
        lines.append(f"| {name} | {statistics.median(total[name]):.2f} | {statistics.median(encoder[name]):.2f} |")
    lines += [
        "",
        f"- project {args.sam_model} vs stock, whole frame: **{statistics.median(speedup):.2f}x** "
        f"(per photo {', '.join(f'{x:.2f}' for x in speedup)})",
        f"- sam2 {args.sam2_model} vs project {args.sam_model}, whole frame: "
        f"**{statistics.median(light_total):.2f}x**; image encoder: **{statistics.median(light_encoder):.2f}x**",
        f"- masks (stock, project) per photo: {counts}; best IoU of every mask with the other side's: "
        + (f"min {min(agreement):.4f}" if agreement else "no masks on either side"),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
