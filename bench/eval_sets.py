"""Sets, numbers, lists and counts (issue 20) on generated tabletop scenes with the embedded default.

Exact-set accuracy by form (ros2_zsris/tabletop/set_referrals.py, set_eval.py): the right number
of objects, each matched one to one with IoU > 0.5, lists in the order named; counts also on the
count alone. Three more measures:

    .venv/bin/python bench/eval_sets.py --scenes 40 --size 192x144 --seed S [--heldout FILE ...] [--write]
    .venv/bin/python bench/eval_sets.py --single --baseline 442fa64 --scenes 40 --size 192x144 --seed S
    .venv/bin/python bench/eval_sets.py --cost --scenes 12

``--single``: every single-object expression (the generator's and the held-out grounding
paraphrases) must still answer exactly one object, the one the code at ``--baseline`` (a git
revision, run from ``git archive`` in a subprocess) answers. ``--cost``: median query time of a
set of up to 8 objects against a single-object query on the same frames, in one run.
``--heldout FILE`` (repeatable): other wordings of the same meanings (bench/heldout/README.md,
"Set phrasings"); each file's rows are reported apart.

Seeds: development used 101 and 202 (and the unit tests 7, 4242, 20261123). FINAL_SEEDS were
chosen before evaluating and are evaluated once, at the rules' final commit.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FINAL_SEEDS = {"192x144": 5150, "640x480": 6160}  # recorded before any evaluation on them
PARAPHRASES = [REPO / "bench" / "heldout" / f"grounding_paraphrases{s}.json" for s in ("", "2")]
SLOTS = {"plural": ("kind", "kinds"), "colour": ("colour",),
         "both": ("kind", "kinds"), "n_left": ("kind", "kinds", "n"), "n_right": ("kind", "kinds", "n"),
         "n_biggest": ("kind", "kinds", "n"), "n_smallest": ("kind", "kinds", "n"), "list2": ("X", "Y"),
         "list3": ("X", "Y", "Z"), "count": ("kind", "kinds")}


def load_phrasings(path: Path) -> dict[str, list[str]]:
    """A held-out phrasing file: {meaning: [template, ...]}; every meaning and slot checked."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise SystemExit(f"{path}: expected a JSON object of meaning -> list of templates")
    for meaning, templates in data.items():
        if meaning not in SLOTS:
            raise SystemExit(f"{path}: unknown meaning '{meaning}' (known: {', '.join(SLOTS)})")
        for template in templates:
            try:
                template.format(**{slot: "x" for slot in SLOTS[meaning]})
            except (KeyError, IndexError) as error:
                raise SystemExit(f"{path}: '{template}' ({meaning}) uses slot {error}; {meaning} has "
                                 f"{', '.join('{' + s + '}' for s in SLOTS[meaning])}") from None
    return data


def rewriter(phrasings: dict[str, list[str]]):
    """referral -> [(form, command)] in every wording the file gives its meaning. The generator's
    "all the cups" and "every cup" are its "the cups" again: a file's plural wordings are asked once
    per set, for the generator's "plural" referral."""
    def rewrite(referral):
        if referral.meaning in ("all", "every"):
            return []
        return [(referral.form, t.format(**referral.slots)) for t in phrasings.get(referral.meaning, [])]
    return rewrite


def accuracy(args) -> int:
    from ros2_zsris.core import ZsrisEngine
    from ros2_zsris.tabletop.evaluate import embedded_engine_config
    from ros2_zsris.tabletop.set_eval import evaluate_sets
    from ros2_zsris.tabletop.set_referrals import SET_FORMS

    width, height = (int(v) for v in args.size.split("x"))
    engine = ZsrisEngine(embedded_engine_config("cpu"))
    engine.config.grounding.vocabulary = args.vocabulary if args.vocabulary is not None else \
        engine.config.grounding.vocabulary
    started = time.time()
    rows = {"generator wording": evaluate_sets(engine, args.scenes, args.seed, use_depth=args.depth,
                                               height=height, width=width)}
    for path in args.heldout or []:
        rows[f"held-out {path.name}"] = evaluate_sets(engine, args.scenes, args.seed, use_depth=args.depth,
                                                      rewrite=rewriter(load_phrasings(path)), height=height,
                                                      width=width)
    columns = [*SET_FORMS, "all"]
    vocabulary = engine.config.grounding.vocabulary or "none"
    lines = [f"### exact-set accuracy, {args.scenes} scenes at {args.size}, seed {args.seed}, depth "
             f"{'on' if args.depth else 'off'}, vocabulary {vocabulary}", "",
             f"command: `{_command(args)}` ({time.time() - started:.0f} s, load average "
             f"{os.getloadavg()[0]:.1f} at the end)", "",
             "| wording | " + " | ".join(columns) + " | count exact |", "|---|" + "---|" * (len(columns) + 1)]
    for label, row in rows.items():
        cells = [f"{row[c]['exact']:.3f} ({row[c]['n']})" if c in row else "-" for c in columns]
        count = f"{row['count']['count_exact']:.3f}" if "count" in row else "-"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {count} |")
    return _emit("\n".join([*lines, ""]), args.write)


def dump_single_answers(scenes: int, seed: int, size: str, depth: bool, paraphrase_files: list[str]) -> list[dict]:
    """Each single-object expression's answer: object count and first index. Uses only what the
    code before sets has, so the same function runs on the baseline tree."""
    from ros2_zsris.core import ZsrisEngine
    from ros2_zsris.tabletop.evaluate import embedded_engine_config
    from ros2_zsris.tabletop.scenes import make_scenes

    sys.path.insert(0, str(REPO / "bench"))
    from eval_grounding import held_out_rewriter

    rewrites = [held_out_rewriter(json.loads(Path(p).read_text())) for p in paraphrase_files]
    width, height = (int(v) for v in size.split("x"))
    engine = ZsrisEngine(embedded_engine_config("cpu"))
    out = []
    for number, scene in enumerate(make_scenes(seed, scenes, height=height, width=width)):
        features = engine.encode_frame(scene.image, scene.depth, camera_k=scene.camera_k) if depth else \
            engine.encode_frame(scene.image)
        for referral in scene.referrals:
            wordings = [referral.expression] + [e for r in rewrites for _, e in r(referral, scene)]
            for expression in dict.fromkeys(wordings):
                result = engine.query(features, expression)
                objects = len(result.objects) if hasattr(result, "objects") else (1 if result.mask is not None else 0)
                out.append({"scene": number, "expression": expression, "index": result.index, "objects": objects})
    return out


def single(args) -> int:
    """Single-object expressions: exactly one object, the same one as at ``--baseline``."""
    started = time.time()
    files = [str(p) for p in PARAPHRASES]
    mine = dump_single_answers(args.scenes, args.seed, args.size, args.depth, files)
    with tempfile.TemporaryDirectory() as tree:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.baseline, "ros2_zsris"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        code = (f"import json, sys; sys.path.insert(0, {str(REPO / 'bench')!r}); from eval_sets import "
                f"dump_single_answers; print(json.dumps(dump_single_answers({args.scenes}, {args.seed}, "
                f"{args.size!r}, {args.depth}, {files!r})))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env=dict(os.environ, PYTHONPATH=tree), cwd=tree)
        before = json.loads(done.stdout.strip().splitlines()[-1])
    assert [b["expression"] for b in before] == [m["expression"] for m in mine], "the two runs asked different things"
    one = sum(m["objects"] == 1 for m in mine)
    same = sum(m["objects"] == 1 and m["index"] == b["index"] for m, b in zip(mine, before, strict=True))
    changed = [m["expression"] for m, b in zip(mine, before, strict=True)
               if m["objects"] != 1 or m["index"] != b["index"]]
    text = "\n".join([
        f"### single-object expressions unchanged, {args.scenes} scenes at {args.size}, seed {args.seed}, "
        f"depth {'on' if args.depth else 'off'}", "",
        f"command: `{_command(args)}` ({time.time() - started:.0f} s, load average {os.getloadavg()[0]:.1f})", "",
        f"{len(mine)} expressions (generator wording and the held-out grounding paraphrases): exactly one object "
        f"{one / len(mine):.4f}, the same one as at {args.baseline} {same / len(mine):.4f}"
        + (f"; changed: {', '.join(repr(c) for c in dict.fromkeys(changed))}" if changed else ""), ""])
    return _emit(text, args.write)


def cost(args) -> int:
    """Median query time (ms, CPU) of sets of up to 8 objects against single-object queries on the
    same frames, interleaved command by command so that both see the same machine load."""
    from ros2_zsris.core import ZsrisEngine
    from ros2_zsris.tabletop.evaluate import embedded_engine_config
    from ros2_zsris.tabletop.scenes import KINDS, make_scenes

    engine = ZsrisEngine(embedded_engine_config("cpu"))
    labels = ("single", "single spatial", "set", "list of 2-3")
    times = {(label, new): [] for label in labels for new in (True, False)}
    sizes = []
    for scene in make_scenes(args.seed, args.scenes, objects=(8, 10), repeat_kind=0.85):
        features = engine.encode_frame(scene.image)
        kinds = [k for k in KINDS if any(o.kind == k for o in scene.objects)]
        for k, kind in enumerate(kinds):
            items = [f"the {other}" for other in (kinds[k:] + kinds[:k])[:2 + k % 2]]
            commands = dict(zip(labels, (f"the {kind}", f"the leftmost {kind}", f"all the {kind}s",
                                         "pick up " + " and ".join(items)), strict=True))
            for repeat in range(args.repeats + 1):
                for label, text in commands.items():
                    if repeat == 0:  # a new command: nothing of it cached yet
                        engine.command_parser._cache.clear()
                        engine._targets.clear()
                        engine.text_encoder._cache.clear()
                    start = time.perf_counter()
                    result = engine.query(features, text)
                    times[(label, repeat == 0)].append((time.perf_counter() - start) * 1000.0)
                    if label == "set" and repeat == 0:
                        sizes.append(len(result.objects))
    median = {key: statistics.median(values) for key, values in times.items()}
    lines = [f"### query cost of sets, {args.scenes} scenes of 8-10 objects at 192x144, seed {args.seed}", "",
             f"command: `{_command(args)}` (load average {os.getloadavg()[0]:.1f} at the end); per kind on the "
             f"table, the four queries below interleaved: once new (parse, analysis and text encodings not "
             f"cached), then {args.repeats} times repeated (cached, as for a robot repeating itself); the sets "
             f"answered {min(sizes)}-{max(sizes)} objects (median {statistics.median(sizes):.0f})", "",
             "| query | new: median ms | ratio to single | repeated: median ms | ratio to single | ratio to single "
             "spatial |", "|---|---|---|---|---|---|"]
    for label in labels:
        new, repeated, spatial = median[(label, True)], median[(label, False)], median[("single spatial", False)]
        lines.append(f"| {label} | {new:.2f} | {new / median[('single', True)]:.2f} | {repeated:.2f} | "
                     f"{repeated / median[('single', False)]:.2f} | {repeated / spatial:.2f} |")
    return _emit("\n".join([*lines, ""]), args.write)


def _command(args) -> str:
    parts = [".venv/bin/python bench/eval_sets.py"] + (["--single", "--baseline", args.baseline] if args.single
                                                       else ["--cost"] if args.cost else [])
    parts += ["--scenes", str(args.scenes), "--seed", str(args.seed)] + (["--size", args.size] if not args.cost else
                                                                          ["--repeats", str(args.repeats)])
    parts += ["--depth"] if args.depth else []
    parts += [f"--vocabulary '{args.vocabulary}'"] if args.vocabulary is not None else []
    parts += [f"--heldout {p.relative_to(REPO) if p.is_relative_to(REPO) else p}" for p in args.heldout or []]
    return " ".join(parts)


def _emit(text: str, write: bool) -> int:
    print(text)
    if write:
        with (REPO / "bench" / "SETS.md").open("a") as out:
            out.write(text + "\n")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=40)
    parser.add_argument("--seed", type=int, default=101, help=f"final seeds: {FINAL_SEEDS}")
    parser.add_argument("--size", default="192x144", help="WIDTHxHEIGHT of the rendered scenes")
    parser.add_argument("--depth", action="store_true", help="give the engine the scene's depth and K")
    parser.add_argument("--vocabulary", default=None, help="grounding.vocabulary ('' for none; default: the "
                        "embedded model's names)")
    parser.add_argument("--heldout", type=Path, action="append", help="a set phrasing file; repeat for several")
    parser.add_argument("--single", action="store_true", help="single-object expressions vs --baseline")
    parser.add_argument("--baseline", default="442fa64", help="git revision before sets (--single)")
    parser.add_argument("--cost", action="store_true", help="query cost of sets vs single objects")
    parser.add_argument("--repeats", type=int, default=10, help="--cost: repeated queries per command")
    parser.add_argument("--write", action="store_true", help="append the table to bench/SETS.md")
    args = parser.parse_args()
    args.heldout = [p if p.is_absolute() else Path.cwd() / p for p in args.heldout or []]
    return single(args) if args.single else cost(args) if args.cost else accuracy(args)


if __name__ == "__main__":
    sys.exit(main())
