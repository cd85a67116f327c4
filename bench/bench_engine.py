"""Per-stage latency of the engine on refcoco_val56 photos (random weights: timing only).

    .venv/bin/python bench/bench_engine.py --images 4 --sam-model vit_b --clip-model ViT-B-32

Writes a markdown section to stdout and appends it to bench/RESULTS.md with --write.
Random-weight SAM passes few masks through its quality thresholds, so the CLIP stages
are also timed on a fixed number of real (classical) region masks per photo.
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

import open_clip  # noqa: E402

from ros2_zsris.core import EngineConfig, ModelConfig, ProposalConfig, ZsrisEngine  # noqa: E402
from ros2_zsris.core.results import FrameFeatures  # noqa: E402
from ros2_zsris.core.vision.classical import ClassicalProposalGenerator  # noqa: E402
from ros2_zsris.core.vision.loading import SAM_BUILDERS  # noqa: E402
from ros2_zsris.core.vision.sam2_backend import build_sam2_model  # noqa: E402
from ros2_zsris.datasets.refcoco import load_refs_jsonl  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "refcoco_val56" / "refs.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--sam-model", default="vit_b", help="vit_b, vit_h, ...; hiera_t, ... with --proposals sam2")
    parser.add_argument("--proposals", default="sam", help="proposal backend: sam or sam2")
    parser.add_argument("--clip-model", default="ViT-B-32")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--regions", type=int, default=20, help="masks per photo for the CLIP-stage timing")
    parser.add_argument("--write", action="store_true", help="append the table to bench/RESULTS.md")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp())
    clip_path, sam_path = tmp / "clip.pt", tmp / "sam.pth"
    torch.save(open_clip.create_model(args.clip_model, pretrained=None).state_dict(), clip_path)
    if args.proposals == "sam2":  # the official SAM 2 layout: {"model": state_dict}
        torch.save({"model": build_sam2_model(args.sam_model).state_dict()}, sam_path)
    else:
        torch.save(SAM_BUILDERS[args.sam_model](checkpoint=None).state_dict(), sam_path)
    config = EngineConfig(models=ModelConfig(clip_model=args.clip_model, clip_weights=str(clip_path),
                                             sam_model=args.sam_model, sam_checkpoint=str(sam_path),
                                             device=args.device, precision=args.precision),
                          proposals=ProposalConfig(backend=args.proposals))
    t0 = time.perf_counter()
    engine = ZsrisEngine(config)
    load_s = time.perf_counter() - t0
    classical = ClassicalProposalGenerator(ProposalConfig(backend="classical", max_proposals=args.regions,
                                                          min_area_px=500, overlap_thresh=1.0))
    samples = load_refs_jsonl(DATA)
    seen, photos = set(), []
    for sample in samples:
        if sample.image_path not in seen:
            seen.add(sample.image_path)
            photos.append(sample)
    stages: dict[str, list[float]] = {}
    for sample in photos[: args.images]:
        from PIL import Image

        image = np.asarray(Image.open(sample.image_path).convert("RGB"))
        features = engine.encode_frame(image)
        _add(stages, "sam_proposals", features.timings_ms["proposals"])
        regions = classical(image)
        pixels = engine.region_encoder.image_tensor(image)
        masks = torch.from_numpy(regions.masks).to(engine.device)
        embeddings = []
        for name, fn in (("clip_global_N", engine.region_encoder.global_embeddings),
                         ("clip_local_N", engine.region_encoder.local_embeddings)):
            start = time.perf_counter()
            embeddings.append(fn(pixels, masks).cpu())
            if engine.device.type == "cuda":
                torch.cuda.synchronize()
            _add(stages, name, (time.perf_counter() - start) * 1000)
        _add(stages, "regions_N", len(regions))
        region_features = FrameFeatures(image.shape[:2], regions.masks, regions.scores, *embeddings,
                                        not engine.clip.is_vit)
        start = time.perf_counter()
        classical(image)
        _add(stages, "classical_proposals", (time.perf_counter() - start) * 1000)
        engine.text_encoder._cache.clear()
        _add(stages, "sam_proposals_kept", features.num_proposals)
        for label in ("query_N_uncached_text", "query_N_cached_text"):
            result = engine.query(region_features, sample.expression)
            assert "text_features" in result.timings_ms
            _add(stages, label, result.timings_ms["query_total"])
    report = _report(args, engine, load_s, stages, min(args.images, len(photos)))
    print(report)
    if args.write:
        with open(REPO / "bench" / "RESULTS.md", "a") as handle:
            handle.write(report + "\n")
    return 0


def _add(stages: dict[str, list[float]], name: str, value: float) -> None:
    stages.setdefault(name, []).append(value)


def _sam_dtype(engine) -> str:
    """The dtype of the proposal generator's matrix products (models.precision, device.resolve_sam_dtype)."""
    return str(getattr(engine.propose, "compute_dtype", "n/a")).removeprefix("torch.")


def _report(args, engine, load_s, stages, n) -> str:
    lines = [
        f"### {args.proposals} {args.sam_model} + {args.clip_model}, {engine.device}, precision {args.precision}: "
        f"CLIP {str(engine.dtype).removeprefix('torch.')}, SAM {_sam_dtype(engine)}, "
        f"{n} refcoco_val56 photos, torch {torch.__version__}, {torch.get_num_threads()} threads",
        "",
        f"command: `.venv/bin/python bench/bench_engine.py --images {args.images} --proposals {args.proposals} "
        f"--sam-model {args.sam_model} "
        f"--clip-model {args.clip_model} --device {args.device} --precision {args.precision} "
        f"--regions {args.regions}`",
        "",
        f"model load: {load_s:.1f} s",
        "",
        "| stage | median | min | max |",
        "|---|---|---|---|",
    ]
    for name, values in stages.items():
        unit = "" if name in ("regions_N", "sam_proposals_kept") else " ms"
        lines.append(f"| {name} | {statistics.median(values):.0f}{unit} | {min(values):.0f}{unit} | "
                     f"{max(values):.0f}{unit} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
