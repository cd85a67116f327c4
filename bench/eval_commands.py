"""Command parser on refcoco_val56 expressions wrapped as robot commands.

    .venv/bin/python bench/eval_commands.py [--write]

Reports: expression equal to the bare expression (token-equal), target phrase equal to
the bare expression's, no_referent accuracy, and bare expressions left unchanged.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "refcoco_val56" / "refs.jsonl"


def evaluate(nlp, samples) -> dict:
    from ros2_zsris.core.command import CommandParser, normalise
    from ros2_zsris.core.text import target_phrase
    from ros2_zsris.datasets.command_forms import build_cases

    parser = CommandParser(nlp)
    expressions = [s.expression for s in samples] + [o for s in samples for o in s.other_sentences]
    cases = build_cases(expressions)
    phrase_of = {}

    def phrase(text: str) -> str:
        if text not in phrase_of:
            phrase_of[text] = target_phrase(nlp(text))
        return phrase_of[text]

    counts, failures = Counter(), []
    for case in cases:
        parsed = parser.parse(case.command)
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
    unchanged = sum(normalise(parser.parse(e).expression) == normalise(e) for e in dict.fromkeys(expressions))
    return {
        "expressions": len(dict.fromkeys(expressions)),
        "commands": len(cases),
        "referring_commands": counts["referring"],
        "non_referring_commands": counts["non_referring"],
        "expression_equal": counts["expression_equal"] / counts["referring"],
        "phrase_equal": counts["phrase_equal"] / counts["referring"],
        "no_referent_accuracy": counts["no_referent_ok"] / counts["non_referring"],
        "referent_found": counts["referent_found"] / counts["referring"],
        "bare_unchanged": unchanged / len(dict.fromkeys(expressions)),
        "failures": failures,
    }


def main() -> int:
    from ros2_zsris.core.text import load_spacy
    from ros2_zsris.datasets.refcoco import load_refs_jsonl

    args = argparse.ArgumentParser()
    args.add_argument("--write", action="store_true")
    options = args.parse_args()
    nlp = load_spacy("auto")
    report = evaluate(nlp, load_refs_jsonl(DATA))
    lines = [
        f"### command parser, refcoco_val56 expressions ({nlp.meta['name']} {nlp.meta['version']})",
        "",
        "command: `.venv/bin/python bench/eval_commands.py`",
        "",
        f"{report['expressions']} distinct expressions, {report['referring_commands']} referring commands "
        f"(forms in ros2_zsris/datasets/command_forms.py), {report['non_referring_commands']} non-referring",
        "",
        "| measure | share |",
        "|---|---|",
        f"| extracted expression token-equal to the bare expression | {report['expression_equal']:.1%} |",
        f"| target phrase equal to the bare expression's | {report['phrase_equal']:.1%} |",
        f"| no_referent on non-referring commands | {report['no_referent_accuracy']:.1%} |",
        f"| bare expressions left unchanged by the parser | {report['bare_unchanged']:.1%} |",
        "",
        "failures:",
        "",
        *[f"- {line}" for line in report["failures"][:40]],
    ]
    text = "\n".join(lines)
    print(text)
    if options.write:
        (REPO / "bench" / "COMMANDS.md").write_text("# Command parser evaluation\n\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
