"""Spatial grounding on generated tabletop scenes: Prec@0.5 per expression type, before
(GL-CLIP alone: --no-spatial) and after, on the generator's own wordings and on held-out
paraphrases written by someone who never saw the rules (bench/heldout/).

    .venv/bin/python bench/eval_grounding.py --scenes 60 --size 192x144 --write
    .venv/bin/python bench/eval_grounding.py --scenes 20 --size 640x480 --depth --write

FINAL_SEED is used for the figures in bench/GROUNDING.md only; tuning used seed 101.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HELD_OUT = REPO / "bench" / "heldout" / "grounding_paraphrases.json"
FINAL_SEED = 90210

# generator referral -> held-out paraphrase type (the generator's own wording decides which)
HELD_OUT_TYPE = (
    ("on the left", "leftmost"), ("on the right", "rightmost"), ("in the middle", "middle"),
    ("the closest", "front"), ("at the back", "back"), ("the biggest", "biggest"), ("the smallest", "smallest"),
    ("second {kind} from the left", "ordinal_left"), ("second {kind} from the right", "ordinal_right"),
    ("left of the", "left_of"), ("right of the", "right_of"), ("next to the", "next_to"),
    ("between the", "between"), ("the larger of the two", "larger_of_two"), ("the left one", "one_left"),
)


def held_out_rewriter(paraphrases: dict[str, list[str]]):
    """referral -> [(type, expression)] in every held-out wording of its meaning."""
    def rewrite(referral, scene):
        target = scene.objects[referral.target]
        for key, kind in HELD_OUT_TYPE:
            if key.format(kind=target.kind) in referral.expression:
                anchors = _anchors(referral.expression, scene)
                slots = {"kind": target.kind, "kinds": target.kind + "s", "colour": target.colour,
                         "anchor": anchors[0] if anchors else "", "anchor2": anchors[1] if len(anchors) > 1 else ""}
                return [(referral.kind, template.format(**slots)) for template in paraphrases[kind]]
        return []
    return rewrite


def _anchors(expression: str, scene) -> list[str]:
    """The anchor descriptions in the generator's own wording, in order."""
    found = [(expression.find(" " + o.describe()), o.describe()) for o in scene.objects]
    return [text for position, text in sorted(found) if position > 0]


def run(engine, args, rewrite=None) -> dict:
    from ros2_zsris.tabletop.evaluate import evaluate

    width, height = (int(v) for v in args.size.split("x"))
    row = evaluate(engine, args.scenes, args.seed, use_depth=args.depth, rewrite=rewrite, height=height,
                   width=width)[(None, None)]
    return row


def spatial_latency(engine, scenes: int, seed: int, size: str) -> dict:
    """Per-command cost of the spatial stage (expression analysis + grounding; text encodings
    cached; the command parser's own cost is apart), median and p95."""
    from ros2_zsris.tabletop.scenes import make_scenes

    width, height = (int(v) for v in size.split("x"))
    costs = []
    for scene in make_scenes(seed, scenes, height=height, width=width):
        features = engine.encode_frame(scene.image)
        for referral in scene.referrals:
            engine.query(features, referral.expression)  # warm the text cache
            result = engine.query(features, referral.expression)
            if "spatial" in result.timings_ms:
                costs.append(result.timings_ms["spatial"] + result.timings_ms.get("analysis", 0.0))
    costs.sort()
    return {"median_ms": statistics.median(costs), "p95_ms": costs[int(0.95 * (len(costs) - 1))], "count": len(costs)}


def main() -> int:
    from ros2_zsris.core import ZsrisEngine
    from ros2_zsris.tabletop.evaluate import embedded_engine_config
    from ros2_zsris.tabletop.scenes import EXPRESSION_TYPES

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=60)
    parser.add_argument("--seed", type=int, default=FINAL_SEED)
    parser.add_argument("--size", default="192x144", help="WIDTHxHEIGHT of the rendered scenes")
    parser.add_argument("--depth", action="store_true", help="give the engine the scene's depth and K")
    parser.add_argument("--write", action="store_true", help="append the table to bench/GROUNDING.md")
    args = parser.parse_args()
    rows = {}
    started = time.time()
    for label, spatial in (("before (GL-CLIP only)", False), ("after (spatial grounding)", True)):
        config = embedded_engine_config("cpu")
        config.grounding.spatial = spatial
        engine = ZsrisEngine(config)
        rows[f"{label}, generator wording"] = run(engine, args)
        if HELD_OUT.is_file():
            rewrite = held_out_rewriter(json.loads(HELD_OUT.read_text()))
            rows[f"{label}, held-out paraphrases"] = run(engine, args, rewrite)
    latency = spatial_latency(ZsrisEngine(embedded_engine_config("cpu")), min(args.scenes, 10), args.seed, args.size)
    command = (f".venv/bin/python bench/eval_grounding.py --scenes {args.scenes} --seed {args.seed} --size {args.size}"
               + (" --depth" if args.depth else ""))
    text = _table(rows, EXPRESSION_TYPES, args, command, latency, time.time() - started)
    print(text)
    if args.write:
        with (REPO / "bench" / "GROUNDING.md").open("a") as out:
            out.write(text + "\n")
    return 0


def _table(rows: dict, types, args, command: str, latency: dict, seconds: float) -> str:
    columns = [*types, "all"]
    lines = [f"### {args.scenes} scenes at {args.size}, seed {args.seed}, depth {'on' if args.depth else 'off'}", "",
             f"command: `{command}` ({seconds:.0f} s on 2 shared cores)", "",
             "Prec@0.5 by expression type (n = expressions scored; held-out rows: every paraphrase of each "
             "generated expression):", "",
             "| run | " + " | ".join(columns) + " | median IoU of correct |", "|---|" + "---|" * (len(columns) + 1)]
    for label, row in rows.items():
        cells = [f"{row[c]:.3f} ({row['count'][c]})" if c in row.get("count", {}) else
                 (f"{row[c]:.3f}" if c in row else "-") for c in columns]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {row['median_iou_correct']:.3f} |")
    lines += ["", "spatial stage per command (expression analysis + grounding, text cached): "
              f"median {latency['median_ms']:.1f} ms, p95 {latency['p95_ms']:.1f} ms "
              f"over {latency['count']} commands", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
