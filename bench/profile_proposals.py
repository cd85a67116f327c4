"""Where a SAM / SAM 2 automatic-mask frame spends its time: encoder, prompt decoding, post-processing.

    .venv/bin/python bench/profile_proposals.py --images 1 --open-thresholds

Random weights in the official checkpoint formats (timing needs no trained weights). Every
generator (segment_anything's and sam2's stock ones, the project's at fp32 and at the
automatic precision) runs once untimed on a small crop, then on the same photos back to
back in a rotating order, in one process, so a machine shared with other work slows them
alike. The stages are timed by wrapping the functions each generator calls (no profiler
overhead):

* encoder: ``predictor.set_image`` (resize, normalise, image encoder);
* decoder: prompt encoder + mask decoder for the 64-point batches;
* upsample: low-res logits to the photo's size (``postprocess_masks``);
* the rest of the frame (quality filters, boxes, NMS, RLE, small-region removal) is
  reported as post-processing = frame - encoder - decoder - upsample.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from ros2_zsris.core.vision.torchvision_compat import ensure_torchvision_importable

ensure_torchvision_importable()

from bench_proposals import _photos, bench_config, generators, load_average  # noqa: E402

STAGES = ("encoder", "decoder", "upsample")


class StageClock:
    """Seconds spent inside wrapped callables, per stage."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(STAGES, 0.0)

    def wrap(self, owner: object, name: str, stage: str) -> None:
        original: Callable = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - start

        setattr(owner, name, timed)


def instrument(generator) -> StageClock:
    """Wrap the encoder, decoder and upsampling calls of a SAM or SAM 2 generator."""
    clock = StageClock()
    predictor = generator.predictor
    clock.wrap(predictor, "set_image", "encoder")
    if hasattr(generator, "_decode"):  # the project's generators (sam_fast.FastCrops)
        clock.wrap(generator, "_decode", "decoder")
        clock.wrap(generator, "_upsample", "upsample")
        return clock
    model = predictor.model
    if hasattr(model, "mask_decoder"):  # segment_anything
        clock.wrap(model.prompt_encoder, "forward", "decoder")
        clock.wrap(model.mask_decoder, "forward", "decoder")
        clock.wrap(model, "postprocess_masks", "upsample")
    else:  # sam2
        clock.wrap(model.sam_prompt_encoder, "forward", "decoder")
        clock.wrap(model.sam_mask_decoder, "forward", "decoder")
        clock.wrap(predictor._transforms, "postprocess_masks", "upsample")
    return clock


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=1)
    parser.add_argument("--sam-model", default="vit_b")
    parser.add_argument("--sam2-model", default="hiera_t")
    parser.add_argument("--open-thresholds", action="store_true",
                        help="quality thresholds 0: post-processing sees all 192 candidates, as with trained weights")
    parser.add_argument("--write", action="store_true", help="append the section to bench/RESULTS.md")
    args = parser.parse_args()
    config = bench_config(args.open_thresholds, all_candidates=False)
    runs = generators(args.sam_model, args.sam2_model, torch.device("cpu"), config, Path(tempfile.mkdtemp()),
                      stock_sam2=True)
    clocks = {name: instrument(generator) for name, generator in runs.items()}
    frames: dict[str, list[float]] = {name: [] for name in runs}
    stages: dict[str, dict[str, list[float]]] = {name: {s: [] for s in STAGES} for name in runs}
    loads = [load_average()]
    names = list(runs)
    photos = list(_photos(args.images))
    for generator in runs.values():
        generator.generate(photos[0][:96, :128])  # warm-up, untimed
    for index, image in enumerate(photos):
        for name in names[index % len(names):] + names[: index % len(names)]:
            clock = clocks[name]
            clock.seconds = dict.fromkeys(STAGES, 0.0)
            start = time.perf_counter()
            runs[name].generate(image)
            frames[name].append(time.perf_counter() - start)
            for stage in STAGES:
                stages[name][stage].append(clock.seconds[stage])
            print(f"photo {index} {name}: {frames[name][-1]:.2f} s {clock.seconds}", flush=True)
        loads.append(load_average())
    report = _report(args, names, frames, stages, loads)
    print(report)
    if args.write:
        with open(Path(__file__).resolve().parent / "RESULTS.md", "a") as handle:
            handle.write("\n" + report + "\n")
    return 0


def _report(args, names, frames, stages, loads) -> str:
    command = (f".venv/bin/python bench/profile_proposals.py --images {args.images} --sam-model {args.sam_model} "
               f"--sam2-model {args.sam2_model}" + (" --open-thresholds" if args.open_thresholds else ""))
    lines = [
        f"### Stage profile: {args.sam_model} and {args.sam2_model}, cpu, {args.images} refcoco_val56 photo(s), "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average "
        f"{min(loads):.1f}-{max(loads):.1f}",
        "",
        f"command: `{command}`",
        "",
        "quality thresholds " + ("0 (--open-thresholds: all 192 candidates post-processed)" if args.open_thresholds
                                 else "0.7 (random weights: no candidate passes)")
        + "; medians in seconds; share of the frame in brackets.",
        "",
        "| generator | frame | encoder | prompt decoder | upsampling | other post-processing |",
        "|---|---|---|---|---|---|",
    ]
    for name in names:
        frame = statistics.median(frames[name])
        parts = [statistics.median(stages[name][s]) for s in STAGES]
        rest = frame - sum(parts)
        cells = [f"{v:.2f} ({100 * v / frame:.0f}%)" for v in (*parts, rest)]
        lines.append(f"| {name} | {frame:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
