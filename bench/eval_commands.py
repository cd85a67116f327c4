"""Command reading on refcoco_val56 expressions wrapped as robot commands, for the rules, the
trained reader and their combination side by side.

    .venv/bin/python bench/eval_commands.py [--modes rules,learned,combined]      # development set
    .venv/bin/python bench/eval_commands.py --heldout bench/heldout/commands_heldout4.json

Reports: expression equal to the bare expression (token-equal; also on the half of the
expressions the reader never saw in training), target phrase equal to the bare expression's,
destination text exact, second objects seen, no_referent accuracy on non-referring commands and
negations, the set's own terse labels left unchanged, refcoco expressions left unchanged, the
normalised action where the set names one, the parse time per command, and with --per-template
the share of each template.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "refcoco_val56" / "refs.jsonl"
MODES = ("rules", "learned", "combined")
ROWS = (  # (report key, row label)
    ("expression_equal", "extracted expression token-equal to the bare expression"),
    ("expression_equal_unseen", "  the same, expressions the reader never saw in training"),
    ("phrase_equal", "target phrase equal to the bare expression's"),
    ("referent_found", "referring commands that kept a referent"),
    ("destination_exact", "destination text exact (commands with a destination)"),
    ("destination_object_exact", "destination text and named object exact"),
    ("action_equal", "normalised action as the set expects"),
    ("multi_object_ok", "second object seen (listed or left unanswered), first one exact"),
    ("no_referent_accuracy", "no_referent on non-referring commands (negations included)"),
    ("negation_refused", "  negations of the set refused"),
    ("labels_unchanged", "the set's own terse labels left unchanged"),
    ("bare_unchanged", "refcoco expressions left unchanged by the parser"),
    ("parse_ms_median", "parse time per command, median (ms)"),
    ("parse_ms_p95", "parse time per command, p95 (ms)"),
)


def _expressions(samples) -> list[str]:
    return list(dict.fromkeys([s.expression for s in samples] + [o for s in samples for o in s.other_sentences]))


def make_parser(nlp, mode: str, reader=None):
    from ros2_zsris.core.language.command import CommandParser
    from ros2_zsris.core.language.reader import CommandReader

    if mode != "rules" and reader is None:
        reader = CommandReader()
    return CommandParser(nlp, cache_size=0, reader=reader, mode=mode)


def evaluate(nlp, samples, cases=None, mode: str = "rules", reader=None) -> dict:
    """Shares over ``cases`` (CommandCase list; the development forms when None), read by the
    rules, the trained reader or their combination (``mode``)."""
    from ros2_zsris.core.language.command import normalise
    from ros2_zsris.core.language.text import target_phrase
    from ros2_zsris.datasets.command_forms import build_cases
    from ros2_zsris.reader_training.corpus import training_expressions

    parser = make_parser(nlp, mode, reader)
    expressions = _expressions(samples)
    seen = set(training_expressions(expressions))
    cases = build_cases(expressions) if cases is None else cases
    phrase_of: dict[str, str] = {}

    def phrase(text: str) -> str:
        if text not in phrase_of:
            phrase_of[text] = target_phrase(nlp(text))
        return phrase_of[text]

    counts, failures, times = Counter(), [], []
    for case in cases:
        start = time.perf_counter()
        parsed = parser.parse(case.command)
        times.append((time.perf_counter() - start) * 1000.0)
        if case.label:
            ok = normalise(parsed.expression) == normalise(case.bare) and not parsed.action and parsed.has_referent
            counts["labels"] += 1
            counts["labels_ok"] += ok
            if not ok:
                failures.append(f"label {case.command!r} -> {parsed.expression!r} ({parsed.action or parsed.refusal})")
            continue
        if not case.bare:
            counts["non_referring"] += 1
            counts["no_referent_ok"] += not parsed.has_referent
            if case.form.startswith("negation"):
                counts["negations"] += 1
                counts["negations_ok"] += not parsed.has_referent
            if parsed.has_referent:
                failures.append(f"{case.command!r}: took '{parsed.expression}' as an object")
            continue
        _score_referring(case, parsed, counts, failures, phrase, seen)
    unchanged = [e for e in expressions if _unchanged(parser.parse(e), e)]
    failures += [f"bare {e!r} changed" for e in expressions if e not in unchanged]
    share = lambda key, total: counts[key] / counts[total] if counts[total] else None  # noqa: E731
    return {
        "mode": mode, "expressions": len(expressions), "commands": len(cases),
        "referring_commands": counts["referring"], "non_referring_commands": counts["non_referring"],
        "destination_commands": counts["destinations"], "multi_object_commands": counts["multi"],
        "labels": counts["labels"],
        "expression_equal": share("expression_equal", "referring"),
        "expression_equal_unseen": share("expression_equal_unseen", "referring_unseen"),
        "phrase_equal": share("phrase_equal", "referring"),
        "no_referent_accuracy": share("no_referent_ok", "non_referring"),
        "negation_refused": share("negations_ok", "negations"),
        "referent_found": share("referent_found", "referring"),
        "destination_exact": share("destination_exact", "destinations"),
        "destination_object_exact": share("destination_object_exact", "destination_objects"),
        "action_equal": share("action_equal", "with_action"),
        "multi_object_ok": share("multi_ok", "multi"),
        "labels_unchanged": share("labels_ok", "labels"),
        "bare_unchanged": len(unchanged) / len(expressions),
        "parse_ms_median": statistics.median(times),
        "parse_ms_p95": sorted(times)[int(0.95 * (len(times) - 1))],
        "failures": failures,
    }


def _unchanged(parsed, expression: str) -> bool:
    from ros2_zsris.core.language.command import normalise

    return normalise(parsed.expression) == normalise(expression) and not parsed.action and parsed.has_referent


def _score_referring(case, parsed, counts: Counter, failures: list, phrase, seen: set) -> None:
    from ros2_zsris.core.language.command import normalise

    counts["referring"] += 1
    counts["referent_found"] += parsed.has_referent
    equal = normalise(parsed.expression) == normalise(case.bare)
    counts["expression_equal"] += equal
    if case.bare not in seen:
        counts["referring_unseen"] += 1
        counts["expression_equal_unseen"] += equal
    counts["phrase_equal"] += parsed.has_referent and phrase(" ".join(normalise(parsed.expression))) == phrase(
        " ".join(normalise(case.bare)))
    if not equal:
        failures.append(f"{case.command!r} -> {parsed.expression!r} (bare {case.bare!r})")
    if case.action:
        counts["with_action"] += 1
        counts["action_equal"] += parsed.action == case.action
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


def report_lines(reports: list[dict], title: str, command: str) -> list[str]:
    first = reports[0]
    lines = [title, "", f"command: `{command}`", "",
             f"{first['expressions']} distinct expressions, {first['referring_commands']} referring commands "
             f"({first['destination_commands']} with a destination, {first['multi_object_commands']} naming a "
             f"second object), {first['non_referring_commands']} non-referring, {first['labels']} terse labels", "",
             "| measure | " + " | ".join(r["mode"] for r in reports) + " |",
             "|---|" + "---|" * len(reports)]
    for key, label in ROWS:
        values = [r[key] for r in reports]
        if all(v is None for v in values):
            continue
        cells = [("-" if v is None else f"{v:.2f}" if key.startswith("parse") else f"{v:.1%}") for v in values]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for report in reports:
        lines += ["", f"{report['mode']}: failures ({len(report['failures'])}, first 40):", "",
                  *[f"- {line}" for line in report["failures"][:40]]]
    return lines


def per_template_lines(nlp, cases, samples, mode: str = "rules") -> list[str]:
    """Share of commands per template that are fully right (expression, and the template's action,
    destination or unanswered second object), lowest first; non-referring commands that got a referent."""
    from ros2_zsris.core.language.command import normalise
    from ros2_zsris.datasets.command_forms import build_cases

    parser = make_parser(nlp, mode)
    cases = build_cases(_expressions(samples)) if cases is None else cases
    right, total, missed = defaultdict(int), defaultdict(int), []
    for case in cases:
        parsed = parser.parse(case.command)
        if not case.bare or case.label:
            missed += [case.command] if (parsed.has_referent if not case.bare else
                                         not _unchanged(parsed, case.bare)) else []
            continue
        ok = normalise(parsed.expression) == normalise(case.bare) and (not case.action or parsed.action == case.action)
        ok = ok and (not case.destination or normalise(parsed.destination) == normalise(case.destination))
        ok = ok and (not case.multi or len(parsed.objects) > 1 or bool(parsed.unanswered))
        total[case.form] += 1
        right[case.form] += ok
    rows = sorted(total, key=lambda form: right[form] / total[form])
    return [f"{mode}: share per template (expression, and action/destination/second object where the template "
            "has one):", "", "```", *[f"{100 * right[f] / total[f]:5.1f}%  {f}" for f in rows], "```", "",
            f"non-referring commands answered with a referent, and labels changed: {missed}"]


def main() -> int:
    from ros2_zsris.core.language.reader import CommandReader
    from ros2_zsris.core.language.text import load_spacy
    from ros2_zsris.datasets.command_forms import load_heldout
    from ros2_zsris.datasets.refcoco import load_refs_jsonl

    args = argparse.ArgumentParser()
    args.add_argument("--heldout", type=Path, help="a held-out template file (JSON) instead of the development set")
    args.add_argument("--modes", default=",".join(MODES), help="comma-separated: rules, learned, combined")
    args.add_argument("--reader", type=Path, help="a trained reader directory (default: the shipped one)")
    args.add_argument("--per-template", action="store_true", help="also the share of each template, lowest first")
    options = args.parse_args()
    nlp = load_spacy("auto")
    samples = load_refs_jsonl(DATA)
    modes = [m for m in options.modes.split(",") if m]
    reader = CommandReader(options.reader) if options.reader else (CommandReader() if modes != ["rules"] else None)
    model = f"{nlp.meta['name']} {nlp.meta['version']}"
    cases = load_heldout(options.heldout, _expressions(samples)) if options.heldout else None
    name = f"held-out set {options.heldout.name}" if options.heldout else "development set"
    command = "bench/eval_commands.py" + (f" --heldout {options.heldout}" if options.heldout else "")
    reports = [evaluate(nlp, samples, cases, mode, reader) for mode in modes]
    print("\n".join(report_lines(reports, f"### {name}, refcoco_val56 expressions ({model})",
                                 f".venv/bin/python {command}")))
    if options.per_template:
        for mode in modes:
            print("\n" + "\n".join(per_template_lines(nlp, cases, samples, mode)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
