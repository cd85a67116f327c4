"""Embedded default on held-out tabletop scenes: Prec@0.5 by expression type, alpha/beta grid.

    .venv/bin/python bench/eval_tabletop.py --scenes 150 --write
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    from ros2_zsris.core import ZsrisEngine
    from ros2_zsris.tabletop.evaluate import HELD_OUT_SEED, embedded_engine_config, evaluate
    from ros2_zsris.tabletop.scenes import EXPRESSION_TYPES

    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=150)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    engine = ZsrisEngine(embedded_engine_config("cpu"))
    alphas, betas = (1.0, 0.95, 0.75, 0.5, 0.25, 0.0), (1.0, 0.5, 0.0)
    table = evaluate(engine, args.scenes, alphas=alphas, betas=betas)
    counts = next(iter(table.values()))["count"]
    columns = [*EXPRESSION_TYPES, "kind+colour", "all"]
    lines = [
        f"### embedded default (zsris-tiny-clip + classical proposals), {args.scenes} held-out scenes "
        f"(seed {HELD_OUT_SEED})",
        "",
        f"command: `.venv/bin/python bench/eval_tabletop.py --scenes {args.scenes}`",
        "",
        "expressions per type: " + ", ".join(f"{t} {counts[t]}" for t in EXPRESSION_TYPES),
        "",
        "Prec@0.5 (share of expressions whose chosen mask has IoU > 0.5 with the target):",
        "",
        "| alpha | beta | " + " | ".join(columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for alpha in alphas:
        for beta in betas:
            row = table[(alpha, beta)]
            lines.append(f"| {alpha} | {beta} | " + " | ".join(f"{row.get(c, float('nan')):.3f}" for c in columns)
                         + " |")
    text = "\n".join(lines)
    print(text)
    if args.write:
        (REPO / "bench" / "TABLETOP.md").write_text("# Embedded default on tabletop scenes\n\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
