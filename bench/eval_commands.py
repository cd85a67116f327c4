"""Command parser on refcoco_val56 expressions wrapped as robot commands.

    .venv/bin/python bench/eval_commands.py [--write]                   # development set
    .venv/bin/python bench/eval_commands.py --heldout bench/heldout/commands_heldout.json [--write]

Reports: expression equal to the bare expression (token-equal), target phrase equal to
the bare expression's, destination text exact, second objects not answered, no_referent
accuracy, bare expressions left unchanged (same words, no action, still a referent), the
normalised action where the set names one (any action string: "follow", "other" included),
the parse time per command, and with --per-template the share of each template.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "refcoco_val56" / "refs.jsonl"


def _expressions(samples) -> list[str]:
    return list(dict.fromkeys([s.expression for s in samples] + [o for s in samples for o in s.other_sentences]))


def evaluate(nlp, samples, cases=None) -> dict:
    """Shares over ``cases`` (CommandCase list; the development forms when None)."""
    from ros2_zsris.core.language.command import CommandParser, normalise
    from ros2_zsris.core.language.text import target_phrase
    from ros2_zsris.datasets.command_forms import build_cases

    parser = CommandParser(nlp, cache_size=0)
    expressions = _expressions(samples)
    cases = build_cases(expressions) if cases is None else cases
    phrase_of: dict[str, str] = {}

    def phrase(text: str) -> str:
        if text not in phrase_of:
            phrase_of[text] = target_phrase(nlp(text))
        return phrase_of[text]

    counts, failures, times, cpu_times = Counter(), [], [], []
    for case in cases:
        start, cpu_start = time.perf_counter(), time.process_time()
        parsed = parser.parse(case.command)
        times.append((time.perf_counter() - start) * 1000.0)
        cpu_times.append((time.process_time() - cpu_start) * 1000.0)
        if not case.bare:
            counts["non_referring"] += 1
            counts["no_referent_ok"] += not parsed.has_referent
            if parsed.has_referent:
                failures.append(f"{case.command!r}: took '{parsed.expression}' as an object")
            continue
        counts["referring"] += 1
        counts["referent_found"] += parsed.has_referent
        equal = normalise(parsed.expression) == normalise(case.bare)
        counts["expression_equal"] += equal
        counts["phrase_equal"] += parsed.has_referent and phrase(" ".join(normalise(parsed.expression))) == phrase(
            " ".join(normalise(case.bare)))
        if not equal:
            failures.append(f"{case.command!r} -> {parsed.expression!r} (bare {case.bare!r})")
        if case.action:
            counts["with_action"] += 1
            counts["action_equal"] += parsed.action == case.action
            if parsed.action != case.action:
                failures.append(f"{case.command!r}: action {parsed.action!r} (want {case.action!r})")
        if case.destination:
            counts["destinations"] += 1
            exact = normalise(parsed.destination) == normalise(case.destination)
            counts["destination_exact"] += exact
            if case.check_object:
                counts["destination_objects"] += 1
                counts["destination_object_exact"] += exact and normalise(parsed.destination_object) == normalise(
                    case.destination_object)
            if not exact:
                failures.append(f"{case.command!r}: destination {parsed.destination!r} (want {case.destination!r})")
        if case.multi:
            counts["multi"] += 1
            counts["multi_ok"] += equal and (len(parsed.objects) > 1 or bool(parsed.unanswered))
    unchanged = [e for e in expressions if normalise(parser.parse(e).expression) == normalise(e)
                 and not parser.parse(e).action and parser.parse(e).has_referent]
    failures += [f"bare {e!r} changed" for e in expressions if e not in unchanged]
    return {
        "expressions": len(expressions),
        "commands": len(cases),
        "referring_commands": counts["referring"],
        "non_referring_commands": counts["non_referring"],
        "destination_commands": counts["destinations"],
        "multi_object_commands": counts["multi"],
        "expression_equal": counts["expression_equal"] / max(counts["referring"], 1),
        "phrase_equal": counts["phrase_equal"] / max(counts["referring"], 1),
        "no_referent_accuracy": counts["no_referent_ok"] / max(counts["non_referring"], 1),
        "referent_found": counts["referent_found"] / max(counts["referring"], 1),
        "destination_exact": counts["destination_exact"] / max(counts["destinations"], 1),
        "destination_object_exact": counts["destination_object_exact"] / max(counts["destination_objects"], 1),
        "action_equal": counts["action_equal"] / counts["with_action"] if counts["with_action"] else None,
        "multi_object_ok": counts["multi_ok"] / max(counts["multi"], 1),
        "bare_unchanged": len(unchanged) / len(expressions),
        "parse_ms_median": statistics.median(times),
        "parse_ms_p95": sorted(times)[int(0.95 * (len(times) - 1))],
        "parse_cpu_ms_median": statistics.median(cpu_times),
        "failures": failures,
    }


def report_lines(report: dict, title: str, command: str) -> list[str]:
    return [
        title,
        "",
        f"command: `{command}`",
        "",
        f"{report['expressions']} distinct expressions, {report['referring_commands']} referring commands "
        f"({report['destination_commands']} with a destination, {report['multi_object_commands']} naming a second "
        f"object), {report['non_referring_commands']} non-referring",
        "",
        "| measure | share |",
        "|---|---|",
        f"| extracted expression token-equal to the bare expression | {report['expression_equal']:.1%} |",
        f"| target phrase equal to the bare expression's | {report['phrase_equal']:.1%} |",
        f"| referring commands that kept a referent | {report['referent_found']:.1%} |",
        f"| destination text exact (commands with a destination) | {report['destination_exact']:.1%} |",
        f"| destination text and named object exact | {report['destination_object_exact']:.1%} |",
        *([f"| normalised action as the set expects | {report['action_equal']:.1%} |"]
          if report["action_equal"] is not None else []),
        f"| second object seen (listed or left unanswered), first one exact | {report['multi_object_ok']:.1%} |",
        f"| no_referent on non-referring commands | {report['no_referent_accuracy']:.1%} |",
        f"| bare expressions left unchanged by the parser | {report['bare_unchanged']:.1%} |",
        f"| parse time per command, median / p95 (ms, CPU) | {report['parse_ms_median']:.2f} / "
        f"{report['parse_ms_p95']:.2f} |",
        f"| parse CPU time per command, median (ms; wall time above includes waiting for a shared CPU) | "
        f"{report['parse_cpu_ms_median']:.2f} |",
        "",
        f"failures ({len(report['failures'])}, first 40):",
        "",
        *[f"- {line}" for line in report["failures"][:40]],
    ]


def per_template_lines(nlp, cases, samples) -> list[str]:
    """Share of commands per template that are fully right (expression, and the template's action,
    destination or unanswered second object), lowest first; non-referring commands that got a referent."""
    from collections import defaultdict

    from ros2_zsris.core.language.command import CommandParser, normalise
    from ros2_zsris.datasets.command_forms import build_cases

    parser = CommandParser(nlp, cache_size=0)
    cases = build_cases(_expressions(samples)) if cases is None else cases
    right, total, missed = defaultdict(int), defaultdict(int), []
    for case in cases:
        parsed = parser.parse(case.command)
        if not case.bare:
            missed += [case.command] if parsed.has_referent else []
            continue
        ok = normalise(parsed.expression) == normalise(case.bare) and (not case.action or parsed.action == case.action)
        ok = ok and (not case.destination or normalise(parsed.destination) == normalise(case.destination))
        ok = ok and (not case.multi or len(parsed.objects) > 1 or bool(parsed.unanswered))
        total[case.form] += 1
        right[case.form] += ok
    rows = sorted(total, key=lambda form: right[form] / total[form])
    return ["share per template (expression, and action/destination/second object where the template has one):",
            "", "```", *[f"{100 * right[f] / total[f]:5.1f}%  {f}" for f in rows], "```", "",
            f"non-referring commands answered with a referent: {missed}"]


def main() -> int:
    from ros2_zsris.core.language.text import load_spacy
    from ros2_zsris.datasets.command_forms import load_heldout
    from ros2_zsris.datasets.refcoco import load_refs_jsonl

    args = argparse.ArgumentParser()
    args.add_argument("--write", action="store_true", help="write bench/COMMANDS.md (dev) or append held-out")
    args.add_argument("--heldout", type=Path, help="a held-out template file (JSON) instead of the development set")
    args.add_argument("--per-template", action="store_true", help="also the share of each template, lowest first")
    options = args.parse_args()
    nlp = load_spacy("auto")
    samples = load_refs_jsonl(DATA)
    model = f"{nlp.meta['name']} {nlp.meta['version']}"
    if options.heldout:
        cases = load_heldout(options.heldout, _expressions(samples))
        report = evaluate(nlp, samples, cases)
        title = f"### held-out set {options.heldout.name}, refcoco_val56 expressions ({model})"
        command = f".venv/bin/python bench/eval_commands.py --heldout {options.heldout}"
    else:
        report = evaluate(nlp, samples)
        title = f"### development set, refcoco_val56 expressions ({model})"
        command = ".venv/bin/python bench/eval_commands.py"
    text = "\n".join(report_lines(report, title, command))
    if options.per_template:
        text += "\n\n" + "\n".join(per_template_lines(nlp, cases if options.heldout else None, samples))
    print(text)
    if options.write:
        target = REPO / "bench" / ("COMMANDS_HELDOUT.md" if options.heldout else "COMMANDS_DEV.md")
        target.write_text(text + "\n")  # bench/COMMANDS.md gathers both with the analysis
    return 0


if __name__ == "__main__":
    sys.exit(main())
