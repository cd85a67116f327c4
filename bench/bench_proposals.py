"""SAM proposals per frame: segment-anything's own generator vs the project's, and SAM 2.

    .venv/bin/python bench/bench_proposals.py --images 3

Random weights in the official checkpoint formats, loaded with the project's loaders
(timing needs no trained weights). Generators, each on its own copy of the same weights:

* stock vit_b: segment_anything's SamAutomaticMaskGenerator, fp32 (the reference);
* project vit_b at fp32 (``precision fp32``, what a CPU without bf16 instructions runs);
* project vit_b at the automatic precision (``precision auto``: bf16 matrix products on a CPU
  with AMX / AVX512-BF16, else fp32);
* project sam2 hiera_t at the automatic precision.

Each generator first runs once on a small crop (untimed: one-off allocations and kernel
set-up). On each refcoco_val56 photo they then run back to back in a rotating order, so
a machine shared with other work slows them alike; ratios are taken photo by photo and
their median reported, with the 1-minute load average before and after. Mask agreement:
each project vit_b mask's best IoU among the stock masks of the same photo, and the other
way round. ``--open-thresholds`` sets the two quality thresholds to 0 so random weights keep
masks and post-processing sees every candidate (with 0.7 a random SAM passes none);
``--all-candidates`` also turns NMS and small-region removal off, so all 192 candidates of
the 64 points come out and each is compared with the stock candidates of its own point.
"""

from __future__ import annotations

import argparse
import os
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
from ros2_zsris.core.device import resolve_device, resolve_sam_dtype  # noqa: E402
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
    parser.add_argument("--open-thresholds", action="store_true", help="quality thresholds 0")
    parser.add_argument("--all-candidates", action="store_true",
                        help="quality thresholds 0, no NMS, no small-region removal: every candidate compared")
    parser.add_argument("--write", action="store_true", help="append the section to bench/RESULTS.md")
    args = parser.parse_args()
    device = resolve_device(args.device)
    config = bench_config(args.open_thresholds, args.all_candidates)
    runs = generators(args.sam_model, args.sam2_model, device, config, Path(tempfile.mkdtemp()))
    names = list(runs)
    photos = list(_photos(args.images))
    for generator in runs.values():
        _time_encoder(generator)
        generator.generate(photos[0][:96, :128])  # warm-up, untimed
    total: dict[str, list[float]] = {name: [] for name in names}
    encoder: dict[str, list[float]] = {name: [] for name in names}
    agreement: dict[str, list[float]] = {name: [] for name in names[1:3]}
    counts: list[tuple[int, ...]] = []
    loads = [load_average()]
    for index, image in enumerate(photos):
        records = {}
        for name in names[index % len(names):] + names[: index % len(names)]:
            generator = runs[name]
            generator.encoder_s = 0.0
            _sync(device)
            start = time.perf_counter()
            records[name] = generator.generate(image)
            _sync(device)
            total[name].append(time.perf_counter() - start)
            encoder[name].append(generator.encoder_s)
        loads.append(load_average())
        counts.append(tuple(len(records[name]) for name in names[:3]))
        for name in agreement:
            agreement[name].extend(_agreement(records[names[0]], records[name], args.all_candidates))
        print(f"photo {index}: " + ", ".join(f"{n} {total[n][-1]:.2f} s" for n in names)
              + f"; load {loads[-1]:.1f}", flush=True)
    report = _report(args, device, names, total, encoder, agreement, counts, loads)
    print(report)
    if args.write:
        with open(REPO / "bench" / "RESULTS.md", "a") as handle:
            handle.write("\n" + report + "\n")
    return 0


def bench_config(open_thresholds: bool, all_candidates: bool) -> ProposalConfig:
    """The project's proposal settings (points_per_side 8, ...), optionally with the filters opened."""
    config = ProposalConfig()
    if open_thresholds or all_candidates:
        config.pred_iou_thresh = config.stability_score_thresh = 0.0
    if all_candidates:
        config.box_nms_thresh, config.min_mask_region_area = 1.0, 0
    return config


def generators(sam_model: str, sam2_model: str, device: torch.device, config: ProposalConfig,
               tmp: Path, stock_sam2: bool = False) -> dict[str, object]:
    """Stock and project generators on the same random weights, written and loaded as users' files are."""
    torch.manual_seed(0)
    torch.save(SAM_BUILDERS[sam_model](checkpoint=None).state_dict(), tmp / "sam.pth")
    torch.save({"model": build_sam2_model(sam2_model).state_dict()}, tmp / "sam2.pt")
    auto = resolve_sam_dtype("auto", device)
    auto_name = f"auto = {str(auto).removeprefix('torch.')}"
    settings = dict(points_per_side=config.points_per_side, points_per_batch=config.points_per_batch,
                    pred_iou_thresh=config.pred_iou_thresh, stability_score_thresh=config.stability_score_thresh,
                    box_nms_thresh=config.box_nms_thresh, min_mask_region_area=config.min_mask_region_area,
                    output_mode="binary_mask")

    def sam() -> torch.nn.Module:
        return load_sam(sam_model, str(tmp / "sam.pth"), device)

    def sam2() -> torch.nn.Module:
        return load_sam2(sam2_model, str(tmp / "sam2.pt"), device)

    runs = {
        f"stock {sam_model} (segment_anything, fp32)": SamAutomaticMaskGenerator(sam(), **settings),
        f"project {sam_model}, precision fp32": SamProposalGenerator(sam(), config).generator,
        f"project {sam_model}, precision {auto_name}": SamProposalGenerator(sam(), config,
                                                                             compute_dtype=auto).generator,
    }
    if stock_sam2:
        from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator

        runs[f"stock sam2 {sam2_model} (sam2, fp32)"] = SAM2AutomaticMaskGenerator(sam2(), **settings)
        runs[f"project sam2 {sam2_model}, precision fp32"] = SamProposalGenerator(sam2(), config,
                                                                                  fast_sam2_generator).generator
    runs[f"project sam2 {sam2_model}, precision {auto_name}"] = SamProposalGenerator(
        sam2(), config, fast_sam2_generator, compute_dtype=auto).generator
    return runs


def load_average() -> float:
    """The 1-minute load average (how busy the shared machine was)."""
    return os.getloadavg()[0]


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

    generator.encoder_s = 0.0
    generator.predictor.set_image = timed


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.logical_and(a, b).sum() / max(np.logical_or(a, b).sum(), 1))


def _agreement(reference: list[dict], candidate: list[dict], per_point: bool) -> list[float]:
    """Best IoU of every mask with the other side's (both ways); per_point: among the same point's masks."""
    def key(record: dict) -> tuple:
        return tuple(np.round(record["point_coords"][0], 3)) if per_point else ()

    def best(records: list[dict], others: list[dict]) -> list[float]:
        pool: dict[tuple, list[np.ndarray]] = {}
        for other in others:
            pool.setdefault(key(other), []).append(other["segmentation"])
        return [max((_iou(r["segmentation"], o) for o in pool.get(key(r), [])), default=0.0) for r in records]

    return best(reference, candidate) + best(candidate, reference)


def _report(args, device, names, total, encoder, agreement, counts, loads) -> str:
    stock, fast32, fast_auto, light = names[0], names[1], names[2], names[-1]
    flags = " --open-thresholds" if args.open_thresholds else ""
    flags += " --all-candidates" if args.all_candidates else ""
    command = (f".venv/bin/python bench/bench_proposals.py --images {args.images} --sam-model {args.sam_model} "
               f"--sam2-model {args.sam2_model} --device {args.device}{flags}")
    filters = ("thresholds 0, NMS off, min region 0 (--all-candidates: all 192 candidates)" if args.all_candidates
               else "pred_iou/stability thresholds " + ("0 (--open-thresholds)" if args.open_thresholds else "0.7")
               + ", box NMS 0.7, min region 800")

    def ratio(slow: str, fast: str, times=total) -> str:
        per_photo = [s / f for s, f in zip(times[slow], times[fast], strict=True)]
        return f"**{statistics.median(per_photo):.2f}x** (per photo {', '.join(f'{x:.2f}' for x in per_photo)})"

    lines = [
        f"### SAM proposals per frame, {device}, {len(total[stock])} refcoco_val56 photos, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, load average {min(loads):.1f}-{max(loads):.1f}",
        "",
        f"command: `{command}`",
        "",
        f"points_per_side 8, points_per_batch 64, {filters}; the generators run back to back per photo in "
        "rotating order, after one untimed warm-up each.",
        "",
        "| generator | whole frame, median s | image encoder (set_image), median s |",
        "|---|---|---|",
    ]
    for name in names:
        lines.append(f"| {name} | {statistics.median(total[name]):.2f} | {statistics.median(encoder[name]):.2f} |")
    lines += [
        "",
        f"- project vs stock, whole frame: precision fp32 {ratio(stock, fast32)}; "
        f"automatic precision {ratio(stock, fast_auto)}",
        f"- sam2 vs project {args.sam_model}, both automatic precision: whole frame {ratio(fast_auto, light)}; "
        f"image encoder {ratio(fast_auto, light, encoder)}",
        f"- masks per photo (stock, project fp32, project auto): {counts}",
    ]
    for name, values in agreement.items():
        lines.append(f"- {name} vs stock, best IoU of every mask with the other side's"
                     + (" (same point)" if args.all_candidates else "") + ": "
                     + (f"min {min(values):.4f}, median {statistics.median(values):.4f}, "
                        f"{sum(v >= 0.98 for v in values)}/{len(values)} >= 0.98" if values
                        else "no masks on either side"))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
