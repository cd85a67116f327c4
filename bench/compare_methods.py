"""Both methods side by side on refcoco_val56: the same photos, the same proposals, the same weights.

    .venv/bin/python bench/compare_methods.py [--images N] [--clip-weights FILE] [--write]

Each photo's proposals are computed once (classical backend, no weights) and handed to both
engines as given masks, so any difference comes from the method alone: the text rule, the
resizes, the normalisation and the fusion order. Without --clip-weights a random-weight
ViT-B-32 in OpenAI's state-dict format is written to out/ (the pipeline, not the accuracy).
--write appends the tables to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "refcoco_val56" / "refs.jsonl"
METHODS = ("zsris", "gl-clip-paper")


def random_openai_vit(path: Path) -> Path:
    """Random ViT-B-32 weights saved the way OpenAI's state dicts are (QuickGELU, meta entries)."""
    from ros2_zsris.core.vision.loading import open_clip

    if path.is_file():
        return path
    torch.manual_seed(1)
    model = open_clip.create_model("ViT-B-32", pretrained=None, force_quick_gelu=True)
    state = model.state_dict()
    state.update(input_resolution=torch.tensor(224), context_length=torch.tensor(77),
                 vocab_size=torch.tensor(49408))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return path


def build_engines(weights: Path, min_area: int) -> dict:
    from ros2_zsris.core import EngineConfig, ModelConfig, ProposalConfig, ZsrisEngine

    engines = {}
    for method in METHODS:
        config = EngineConfig(method=method, models=ModelConfig(clip_weights=str(weights), device="cpu"),
                              proposals=ProposalConfig(backend="classical", min_area_px=min_area))
        engines[method] = ZsrisEngine(config)
    return engines


def evaluate(engines: dict, samples) -> dict:
    from ros2_zsris.evaluation.metrics import score_mask, summarise
    from ros2_zsris.tools.segment_cli import read_rgb

    rows = {m: {"scores": [], "encode_ms": [], "query_ms": [], "index": [], "phrase": []} for m in METHODS}
    proposals_ms, counts = [], []
    for sample in samples:
        image, truth = read_rgb(str(sample.image_path)), sample.mask()
        start = time.perf_counter()
        masks = engines["zsris"].propose(image).masks
        proposals_ms.append((time.perf_counter() - start) * 1000)
        counts.append(len(masks))
        for method, engine in engines.items():
            features = engine.encode_frame(image, masks=masks)
            result = engine.query(features, sample.expression)
            row = rows[method]
            row["encode_ms"].append(features.timings_ms.get("encode_total", 0.0))
            row["query_ms"].append(result.timings_ms["query_total"])
            row["scores"].append(score_mask(result.mask, truth))
            row["index"].append(result.index)
            row["phrase"].append(result.target_phrase)
    same_index = np.mean([a == b for a, b in zip(rows["zsris"]["index"], rows["gl-clip-paper"]["index"], strict=True)])
    same_phrase = np.mean([a == b for a, b in zip(rows["zsris"]["phrase"], rows["gl-clip-paper"]["phrase"],
                                                   strict=True)])
    return {
        "metrics": {m: summarise(rows[m]["scores"]) for m in METHODS},
        "encode_ms": {m: statistics.median(rows[m]["encode_ms"]) for m in METHODS},
        "query_ms": {m: statistics.median(rows[m]["query_ms"]) for m in METHODS},
        "proposals_ms": statistics.median(proposals_ms),
        "proposals_per_photo": statistics.median(counts),
        "same_choice": float(same_index),
        "same_phrase": float(same_phrase),
        "photos": len(samples),
    }


def markdown(report: dict, command: str, weights: str) -> str:
    metrics = report["metrics"]
    lines = [
        f"### zsris vs gl-clip-paper, refcoco_val56, {report['photos']} photos, ViT-B-32 {weights}, "
        f"classical proposals shared by both, cpu float32, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {platform.machine()}",
        "",
        f"command: `{command}`",
        "",
        "| measure | zsris | gl-clip-paper |",
        "|---|---|---|",
    ]
    for key in ("mIoU", "oIoU", "Prec@0.5", "Prec@0.7", "Prec@0.9"):
        lines.append(f"| {key} | {metrics['zsris'][key]:.4f} | {metrics['gl-clip-paper'][key]:.4f} |")
    lines += [
        f"| encode_frame (CLIP stages, median) | {report['encode_ms']['zsris']:.0f} ms | "
        f"{report['encode_ms']['gl-clip-paper']:.0f} ms |",
        f"| query (median, text uncached) | {report['query_ms']['zsris']:.0f} ms | "
        f"{report['query_ms']['gl-clip-paper']:.0f} ms |",
        "",
        f"Shared: classical proposals {report['proposals_ms']:.0f} ms median, "
        f"{report['proposals_per_photo']:.0f} proposals per photo (median). Same proposal chosen by both methods: "
        f"{report['same_choice']:.1%}; same target phrase: {report['same_phrase']:.1%}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=56)
    parser.add_argument("--clip-weights", default="")
    parser.add_argument("--min-area", type=int, default=2000)
    parser.add_argument("--write", action="store_true", help="append the tables to bench/RESULTS.md")
    args = parser.parse_args(argv)
    from ros2_zsris.datasets.refcoco import load_refs_jsonl

    random_path = REPO / "out" / "vitb32_random_openai.pt"
    weights = Path(args.clip_weights) if args.clip_weights else random_openai_vit(random_path)
    samples = load_refs_jsonl(DATA)[: args.images]
    report = evaluate(build_engines(weights, args.min_area), samples)
    command = ".venv/bin/python bench/compare_methods.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = markdown(report, command.strip(), "random weights" if not args.clip_weights else str(weights))
    print(text)
    if args.write:
        with open(REPO / "bench" / "RESULTS.md", "a") as results:
            results.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
