"""Follow mode on generated camera sequences (tabletop/sequences.py): mean IoU per frame, identity
switches, frames answered and the follower's CPU cost per frame, with the camera panning and
zooming, an occluder passing in front of the target and the light dimming in every sequence.

    .venv/bin/python bench/eval_follow.py --sequences 12 --start truth     # tracking alone
    .venv/bin/python bench/eval_follow.py --sequences 12 --start engine    # embedded default end to end
    .venv/bin/python bench/eval_follow.py --sequences 6 --leave            # the target leaves: lost?

Development used seeds 11-14; FINAL_SEED is for the figures in bench/FOLLOW.md only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FINAL_SEED = 4711


def main() -> int:
    from ros2_zsris.tabletop.follow_eval import follow_sequence
    from ros2_zsris.tabletop.sequences import make_sequences

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sequences", type=int, default=12)
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--seed", type=int, default=FINAL_SEED)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--start", choices=("truth", "engine"), default="truth")
    parser.add_argument("--reground-every", type=int, default=30, help="frames between re-groundings (engine)")
    parser.add_argument("--delay", type=int, default=36, help="frames until a re-grounding's answer arrives")
    parser.add_argument("--depth", action="store_true", help="the engine gets the depth image")
    parser.add_argument("--leave", action="store_true", help="the target leaves the view in the last third")
    parser.add_argument("--json", type=Path, help="write the per-sequence figures here")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    engine = _engine() if args.start == "engine" else None
    began = time.perf_counter()
    sequences = make_sequences(args.seed, args.sequences, frames=args.frames, height=height, width=width,
                               leave=args.leave)
    rows = []
    for sequence in sequences:
        start = sequence.truth(0) if args.start == "truth" else None
        score = follow_sequence(sequence, start, engine, reground_every=args.reground_every, delay=args.delay,
                                use_depth=args.depth)
        rows.append(score)
        print(f"{sequence.expression:24} mIoU {score.mean_iou:.3f} start {score.start_iou:.2f} "
              f"switches {score.switches} answered {score.answered}/{score.frames} {score.ended} "
              f"{score.corrections}", flush=True)
    print(_table(args, rows, sequences, time.perf_counter() - began))
    if args.json:
        args.json.write_text(json.dumps([{"expression": s.expression, "mean_iou": r.mean_iou, "switches": r.switches,
                                          "answered": r.answered, "frames": r.frames, "ended": r.ended}
                                         for s, r in zip(sequences, rows, strict=True)], indent=1))
    return 0


def _engine():
    from ros2_zsris.core import ZsrisEngine
    from ros2_zsris.tabletop.evaluate import embedded_engine_config

    return ZsrisEngine(embedded_engine_config("cpu"))


def _table(args, rows, sequences, seconds: float) -> str:
    costs = np.concatenate([r.costs_ms for r in rows])
    cpu = np.concatenate([r.cpu_ms for r in rows])
    occluded = [np.mean([r.ious[t - 1] for t, f in enumerate(s.frames) if t and f.occluded > 0.05 and t <= len(r.ious)])
                for r, s in zip(rows, sequences, strict=True)]
    lit = [np.mean([r.ious[t - 1] for t in range(max(1, s.events["lighting"][1]), len(s.frames))])
           for r, s in zip(rows, sequences, strict=True)]
    command = "`.venv/bin/python bench/eval_follow.py " + " ".join(sys.argv[1:]) + "`"
    lost = sum(1 for r in rows if r.ended.startswith("lost"))
    return "\n".join([
        f"command: {command} ({seconds:.0f} s)", "",
        "| sequences | frames each | size | start | mean IoU | mean IoU while occluded | mean IoU after the light "
        "change | min sequence mIoU | identity switches | frames answered | tracks lost | CPU/frame p50 | p95 | "
        "wall/frame p50 | p95 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {len(rows)} | {args.frames} | {args.size} | {args.start} | {np.mean([r.mean_iou for r in rows]):.3f} | "
        f"{np.nanmean(occluded):.3f} | {np.mean(lit):.3f} | {min(r.mean_iou for r in rows):.3f} | "
        f"{sum(r.switches for r in rows)} | {sum(r.answered for r in rows)}/{sum(r.frames for r in rows)} | "
        f"{lost}/{len(rows)} | {np.percentile(cpu, 50):.1f} ms | {np.percentile(cpu, 95):.1f} ms | "
        f"{np.percentile(costs, 50):.1f} ms | {np.percentile(costs, 95):.1f} ms |",
    ])


if __name__ == "__main__":
    sys.exit(main())
