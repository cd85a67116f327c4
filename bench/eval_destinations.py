"""Destinations grounded on generated tabletop scenes with the embedded default.

    .venv/bin/python bench/eval_destinations.py --scenes 150 [--write]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    from ros2_zsris.core import ZsrisEngine
    from ros2_zsris.tabletop.destinations import TEMPLATES, evaluate_destinations
    from ros2_zsris.tabletop.evaluate import HELD_OUT_SEED, embedded_engine_config

    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=150)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    report = evaluate_destinations(ZsrisEngine(embedded_engine_config("cpu")), HELD_OUT_SEED, args.scenes)
    lines = [
        f"### destinations on tabletop scenes (embedded default), {report['scenes']} held-out scenes "
        f"(seed {HELD_OUT_SEED}), {report['episodes']} commands",
        "",
        f"command: `.venv/bin/python bench/eval_destinations.py --scenes {args.scenes}`",
        "",
        "templates: " + "; ".join(f"\"{t}\"" for t, _ in TEMPLATES) + " ({t}, {d}: kind or colour referrals "
        "that identify one object)",
        "",
        "| measure | share |",
        "|---|---|",
        f"| destination text exact | {report['destination_text_exact']:.1%} |",
        f"| destination object expression exact | {report['destination_expression_exact']:.1%} |",
        f"| target expression exact | {report['target_expression_exact']:.1%} |",
        f"| destination Prec@0.5 (mask IoU > 0.5 with the destination object) | "
        f"{report['destination_prec50']:.3f} |",
        f"| destination expression asked on its own, Prec@0.5 (same engine, for comparison) | "
        f"{report['destination_alone_prec50']:.3f} |",
        f"| target Prec@0.5 | {report['target_prec50']:.3f} |",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        (REPO / "bench" / "DESTINATIONS.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
