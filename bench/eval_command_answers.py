"""Commands judged by the object they pick: tabletop scenes, each scene's expressions wrapped in
command wordings, the engine's answer compared with the answer to the bare expression on the same
frame, per wording; rules, trained reader and their combination side by side.

    .venv/bin/python bench/eval_command_answers.py                         # the development wordings
    .venv/bin/python bench/eval_command_answers.py --heldout bench/heldout/commands_heldout4.json

The bare expression's answer is the reference (whether it is the right object is the grounding's
business, bench/GROUNDING.md): a command reader is right when wrapping an expression in a request
does not change what the robot picks. Requests, destination templates ({D} filled with a tabletop
object) and the first object of two-object templates are scored; refusals are text-level
(bench/eval_commands.py). The embedded default engine at 192x144; scenes from --seed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
DESTINATIONS = ("the basket", "the tray", "the box", "the bowl")  # never the scene's own kinds: no collision
SECONDS = ("the basket", "the tray")


def wordings(heldout: Path | None) -> list[tuple[str, str]]:
    """(form, template with {X}) to wrap expressions in: the development forms, or a held-out file."""
    import json

    from ros2_zsris.datasets import command_forms as forms

    if heldout is None:
        rows = [(f, f.replace("{x}", "{X}")) for f in forms.COMMAND_FORMS + forms.GRAMMAR_FORMS + forms.ASR_FORMS]
        rows += [(f, f.replace("{x}", "{X}")) for f, _ in forms.FRAME_FORMS]
        rows += [(f, f.replace("{x}", "{X}")) for f, _, _ in forms.DESTINATION_FORMS + forms.FRAME_DESTINATION_FORMS]
        return rows
    data = json.loads(heldout.read_text())
    rows = []
    for key in ("requests", "destinations", "multi_object"):
        for k, item in enumerate(data.get(key, [])):
            template = item if isinstance(item, str) else item.get("template", "")
            template = template.replace("{D}", DESTINATIONS[k % len(DESTINATIONS)])
            rows.append((template, template.replace("{Y}", SECONDS[k % len(SECONDS)])))
    return rows


def evaluate(engine, scenes, rows, parser) -> dict:
    """{form: [same answer as the bare expression, per command]} for one parser."""
    from ros2_zsris.core.results import Status

    engine.command_parser = parser
    same: dict[str, list[bool]] = defaultdict(list)
    for features, referrals in scenes:
        for expression in referrals:
            bare = engine.query(features, expression)
            if bare.status != Status.OK:
                continue
            for form, template in rows:
                result = engine.query(features, template.replace("{X}", expression))
                same[form].append(result.status == Status.OK and result.index == bare.index)
    return same


def main() -> int:
    from eval_commands import MODES, make_parser

    from ros2_zsris.core.engine import ZsrisEngine
    from ros2_zsris.core.language.reader import CommandReader
    from ros2_zsris.tabletop.evaluate import embedded_engine_config
    from ros2_zsris.tabletop.scenes import make_scenes

    args = argparse.ArgumentParser()
    args.add_argument("--heldout", type=Path, help="a held-out command file (JSON) instead of the development forms")
    args.add_argument("--modes", default=",".join(MODES))
    args.add_argument("--reader", type=Path, help="a trained reader directory (default: the shipped one)")
    args.add_argument("--scenes", type=int, default=12)
    args.add_argument("--seed", type=int, default=4242)
    args.add_argument("--per-wording", action="store_true", help="every wording's share, lowest first")
    options = args.parse_args()
    engine = ZsrisEngine(embedded_engine_config("cpu"))
    scenes = [(engine.encode_frame(s.image), list(dict.fromkeys(r.expression for r in s.referrals)))
              for s in make_scenes(options.seed, options.scenes)]
    rows = wordings(options.heldout)
    reader = CommandReader(options.reader) if options.reader else CommandReader()
    modes = [m for m in options.modes.split(",") if m]
    results = {m: evaluate(engine, scenes, rows, make_parser(engine.nlp, m, reader)) for m in modes}
    commands = sum(len(v) for v in next(iter(results.values())).values())
    source = options.heldout.name if options.heldout else "development forms"
    print(f"### answers equal to the bare expression's: {source}, {len(rows)} wordings, {options.scenes} scenes "
          f"(seed {options.seed}), {commands} commands\n")
    print(f"command: `.venv/bin/python bench/eval_command_answers.py"
          f"{' --heldout ' + str(options.heldout) if options.heldout else ''} --scenes {options.scenes} "
          f"--seed {options.seed}`\n")
    print("| measure | " + " | ".join(modes) + " |\n|---|" + "---|" * len(modes))
    shares = {m: {f: sum(v) / len(v) for f, v in r.items() if v} for m, r in results.items()}
    overall = {m: sum(sum(v) for v in r.values()) / max(1, sum(len(v) for v in r.values())) for m, r in
               results.items()}
    print("| same answer as the bare expression | " + " | ".join(f"{overall[m]:.1%}" for m in modes) + " |")
    print("| wordings under 90% | " + " | ".join(f"{sum(s < 0.9 for s in shares[m].values())} of "
                                                 f"{len(shares[m])}" for m in modes) + " |")
    print("| lowest wording | " + " | ".join(f"{min(shares[m].values()):.1%}" for m in modes) + " |")
    print("| median wording | " + " | ".join(f"{statistics.median(shares[m].values()):.1%}" for m in modes) + " |")
    if options.per_wording:
        for m in modes:
            print(f"\n{m}: wordings under 100%, lowest first:\n\n```")
            for form, share in sorted(shares[m].items(), key=lambda kv: kv[1]):
                if share < 1.0:
                    print(f"{100 * share:5.1f}%  {form}")
            print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
