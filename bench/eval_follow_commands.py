"""Follow-mode requests as other people word them: does the parser start a track for "follow
X"-style commands, stop for "stop following"-style ones, and not for one-time requests?

    .venv/bin/python bench/eval_follow_commands.py --heldout bench/heldout/follow_commands.json

The file's templates are filled with refcoco_val56 expressions ({X}); keys: "follow" (templates),
"stop" (commands), "one_shot" ({"template", "action"}). Figures in bench/FOLLOW.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REFS = REPO.parent / "shared" / "data" / "refcoco_val56" / "refs.jsonl"


def main() -> int:
    from ros2_zsris.core.language.command import CommandParser
    from ros2_zsris.core.language.text import load_spacy

    parser = argparse.ArgumentParser()
    parser.add_argument("--heldout", type=Path, required=True)
    parser.add_argument("--refs", type=Path, default=REFS)
    parser.add_argument("--expressions", type=int, default=40, help="refcoco expressions per template")
    args = parser.parse_args()
    data = json.loads(args.heldout.read_text())
    expressions = _expressions(args.refs)[: args.expressions]
    commands = CommandParser(load_spacy("auto"))
    rows, failures = {}, Counter()
    follow = [commands.parse(t.replace("{X}", x)) for t in data["follow"] for x in expressions]
    rows["follow requests -> action follow, expression exact"] = _share(
        [p.action == "follow" and p.expression.split() == _bare(commands, x)
         for p, x in zip(follow, [x for _ in data["follow"] for x in expressions], strict=True)])
    rows["follow requests -> action follow"] = _share([p.action == "follow" for p in follow])
    for template in data["follow"]:
        parsed = commands.parse(template.replace("{X}", expressions[0]))
        if parsed.action != "follow":
            failures[f"follow: {template!r} -> action {parsed.action!r}, expression {parsed.expression!r}"] += 1
    stops = [commands.parse(text) for text in data["stop"]]
    rows["stop commands -> no_referent 'stop'"] = _share([p.refusal == "stop" for p in stops])
    rows["stop commands -> no track started"] = _share([p.action != "follow" or not p.has_referent for p in stops])
    for text, parsed in zip(data["stop"], stops, strict=True):
        if parsed.refusal != "stop":
            failures[f"stop: {text!r} -> refusal {parsed.refusal!r}, action {parsed.action!r}"] += 1
    one_shot = [(item, commands.parse(item["template"].replace("{X}", x))) for item in data["one_shot"]
                for x in expressions]
    rows["one-time requests -> no track"] = _share([p.action != "follow" for _, p in one_shot])
    for item in data["one_shot"]:
        parsed = commands.parse(item["template"].replace("{X}", expressions[0]))
        if parsed.action == "follow":
            failures[f"one-shot: {item['template']!r} -> action follow"] += 1
    print(f"held-out file: {args.heldout} ({len(data['follow'])} follow templates, {len(data['stop'])} stop "
          f"commands, {len(data['one_shot'])} one-time templates; {len(expressions)} refcoco_val56 expressions)\n")
    print("| measure | share |\n|---|---|")
    for name, value in rows.items():
        print(f"| {name} | {value:.1%} |")
    print("\nfailures (first expression of each template):\n")
    for text in failures:
        print(f"- {text}")
    return 0


def _expressions(path: Path) -> list[str]:
    """The distinct referring expressions of refcoco_val56, in file order."""
    seen: dict[str, None] = {}
    for line in path.read_text().splitlines():
        record = json.loads(line)
        for text in [record.get("expression", ""), *record.get("other_sentences_same_ref", [])]:
            if text:
                seen.setdefault(text, None)
    return list(seen)


def _bare(commands, expression: str) -> list[str]:
    return commands.parse(expression).expression.split()


def _share(values: list[bool]) -> float:
    return sum(values) / len(values) if values else float("nan")


if __name__ == "__main__":
    sys.exit(main())
