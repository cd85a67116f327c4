"""The training corpus: generated commands plus the project's development sets, as spaCy DocBins.

Development sets (the dev command forms, the three earlier held-out command sets, the follow
wording sets) come with the object and destination marked; their verb is not, so the tokens that
can be verbs are left unlabelled ("missing") rather than guessed. RefCOCO expressions of half the
refcoco_val56 photos (even positions) are used, as bare labels and inside commands; the other
half stays unseen, so evaluations can report both halves apart."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .objects import ObjectGenerator
from .utterances import KINDS, CommandGenerator, Labelled

REPO = Path(__file__).resolve().parents[2]
HELDOUT = REPO / "bench" / "heldout"
DEV_COMMAND_SETS = ("commands_heldout.json", "commands_heldout2.json", "commands_heldout3.json")
DEV_FOLLOW_SETS = ("follow_commands.json", "follow_commands2.json")
_DESTINATIONS = ("the blue bowl", "the basket", "the tray", "the box on the left", "the small plate", "the drawer",
                 "the shelf", "the red cup", "the bin", "the table by the window")


def training_expressions(expressions: list[str]) -> list[str]:
    """The RefCOCO expressions training may see: every other one, in file order."""
    return list(dict.fromkeys(expressions))[::2]


def wordnet_words(nlp, pos: str, rng: np.random.Generator, count: int) -> tuple[str, ...]:
    """Plain single WordNet base forms of ``pos`` from the pipeline's lemmatizer table, sampled."""
    from ..core.language.verbs import wordnet_index

    words = sorted(w for w in wordnet_index(nlp, pos) if w.isalpha() and 3 <= len(w) <= 12)
    if not words:
        return ()
    chosen = rng.choice(len(words), size=min(count, len(words)), replace=False)
    return tuple(words[int(i)] for i in chosen)


def generated(nlp, count: int, seed: int, real: list[str]) -> list[Labelled]:
    from .utterances import _gerund

    rng = np.random.default_rng(seed)
    verbs = wordnet_words(nlp, "verb", rng, 3000)
    objects = ObjectGenerator(rng, wordnet_words(nlp, "noun", rng, 6000), tuple(real),
                              wordnet_words(nlp, "adj", rng, 3000), tuple(_gerund(v) for v in verbs[:1500]))
    commands = CommandGenerator(rng, objects, verbs[1500:])
    return [commands.sample() for _ in range(count)]


def development(parser, expressions: list[str], seed: int, per_template: int = 6) -> list[Labelled]:
    """The dev forms and earlier held-out sets, each template around a few expressions."""
    from ..datasets.command_forms import build_cases, load_heldout

    rng = np.random.default_rng(seed)
    cases = build_cases(expressions)
    for name in DEV_COMMAND_SETS:
        cases += load_heldout(HELDOUT / name, expressions)
    by_form: dict[str, list] = {}
    for case in cases:
        by_form.setdefault(case.form if case.bare else case.command, []).append(case)
    out = []
    for form_cases in by_form.values():
        for i in rng.choice(len(form_cases), size=min(per_template, len(form_cases)), replace=False):
            out.append(_from_case(form_cases[int(i)], parser))
    out += _follow_sets(parser, expressions, rng)
    return [x for x in out if x is not None]


def _from_case(case, parser) -> Labelled | None:
    text = case.command.lower()
    if not case.bare:
        return _unlabelled(text, _kind_from_rules(parser, case.command), "dev")
    spans = []
    start = text.find(case.bare.lower())
    if start < 0:
        return None
    spans.append((start, start + len(case.bare), "OBJ"))
    if case.destination:
        d = text.rfind(case.destination.lower())
        if d < 0 or d < start + len(case.bare):
            return None
        spans.append((d, d + len(case.destination), "DEST"))
    if case.multi:  # the second object is the text after the first's connective: left unlabelled
        return Labelled(text, "request", spans, [(spans[-1][1], len(text))], source="dev")
    kind = "follow" if case.action == "follow" else "request"
    return Labelled(text, kind, spans, _verb_candidates(text, spans), source="dev")


def _follow_sets(parser, expressions: list[str], rng: np.random.Generator) -> list[Labelled]:
    out = []
    for name in DEV_FOLLOW_SETS:
        data = json.loads((HELDOUT / name).read_text())
        for template in data.get("follow", []):
            x = expressions[int(rng.integers(len(expressions)))]
            text = template.replace("{X}", x).lower()
            start = text.find(x.lower())
            spans = [(start, start + len(x), "OBJ")]
            out.append(Labelled(text, "follow", spans, _verb_candidates(text, spans), source="dev"))
        for command in data.get("stop", []):
            out.append(_unlabelled(command.lower(), "stop", "dev"))
    return out


def _unlabelled(text: str, kind: str, source: str) -> Labelled:
    """A command whose kind is known and whose spans are not: every token's label is missing."""
    return Labelled(text, kind, [], [(0, len(text))], source=source)


def _kind_from_rules(parser, command: str) -> str:
    """The kind of a development non-referring command: the rules' refusal code where they refuse."""
    parsed = parser.parse(command)
    if parsed.followup == "same":
        return "request"
    return {"stop": "stop", "negated": "negated"}.get(parsed.refusal, "none")


def _verb_candidates(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Words outside the labelled spans: the verb is among them but not marked, so all are missing
    except punctuation."""
    missing, i = [], 0
    for start, end in sorted((s, e) for s, e, _ in spans) + [(len(text), len(text))]:
        if text[i:start].strip(" ,.?!"):
            missing.append((i, start))
        i = end
    return missing


def to_docbin(nlp, examples: list[Labelled]):
    """DocBin with entities (missing where unknown) and the kind as exclusive categories."""
    from spacy.tokens import DocBin

    docs, dropped = DocBin(store_user_data=False), 0
    for example in examples:
        doc = nlp.make_doc(example.text)
        ents = [doc.char_span(s, e, label=label, alignment_mode="strict") for s, e, label in example.spans]
        missing = [doc.char_span(s, e, alignment_mode="expand") for s, e in example.missing]
        if any(span is None for span in ents):
            dropped += 1
            continue
        missing = [m for m in missing if m is not None and not any(m.start < e.end and e.start < m.end for e in ents)]
        try:
            doc.set_ents(ents, missing=missing, default="outside")
        except ValueError:
            dropped += 1
            continue
        doc.cats = {kind: float(kind == example.kind) for kind in KINDS}
        docs.add(doc)
    return docs, dropped
