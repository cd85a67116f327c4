"""The trained command reader: a spaCy pipeline (ros2_zsris/embedded/command_reader, trained by
`make train-commands`) that marks the request verb, every object and the destination of a command,
and says what kind of utterance it is.

Rules read commands well where their authors foresaw the wording; a model trained on a broad
generated grammar reads wordings nobody listed (bench/COMMANDS.md). The pipeline is loaded once,
offline, from the package; parsing a command costs a few milliseconds on a CPU."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from .command_words import _SAFE_FILLERS

READER_DIR = Path(__file__).resolve().parents[2] / "embedded" / "command_reader"
KINDS = ("request", "bare", "follow", "count", "negated", "stop", "none")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})


@dataclass(frozen=True)
class Reading:
    """What the reader marked, as the words were written (lower-cased)."""

    text: str
    kind: str  # one of KINDS
    confidence: float  # the kind's probability
    verbs: tuple[str, ...] = ()  # ACT spans, in order ("pick", "up")
    objects: tuple[str, ...] = ()  # OBJ spans, in the order named
    destination: str = ""  # the DEST span ("in the basket", "to the left"); "" when none
    destination_first: bool = False  # "into the box, put X": the destination came before the object
    # nothing but a verb and one object after it ("tap cup", "push cart"): the words alone cannot
    # tell a request from a label that starts with a verb-like noun
    unmarked: bool = False
    # a second ACT span right before the first object ("pick up chocolate cake": "chocolate"): a
    # modifier the reader took for a verb when no verb lexicon knows it (reading.py decides)
    verb_before_object: str = ""


def prepare(command: str) -> str:
    """The text the reader sees: lower case, plain quotes, single spaces (as in training)."""
    return re.sub(r"\s+", " ", command.translate(_QUOTES).lower()).strip()


class CommandReader:
    """Loads the trained pipeline; ``read`` runs it on one command."""

    def __init__(self, path: str | Path = READER_DIR):
        import spacy

        path = Path(path)
        if not (path / "config.cfg").is_file():
            raise ConfigError(f"the command reader's model is missing at {path}",
                              setting="command.reader",
                              fix="reinstall the package (the model ships with it), run `make train-commands`, "
                                  "or set command.reader to 'rules'")
        self.nlp = spacy.load(path)
        self.path = path

    def read(self, command: str) -> Reading:
        text = prepare(command)
        doc = self.nlp(text)
        kind, confidence = max(doc.cats.items(), key=lambda kv: kv[1]) if doc.cats else ("request", 0.0)
        verbs = tuple(e.text for e in doc.ents if e.label_ == "ACT")
        objects = tuple(_without_fillers(e) for e in doc.ents if e.label_ == "OBJ")
        destinations = [e for e in doc.ents if e.label_ == "DEST"]
        first_object = next((e.start for e in doc.ents if e.label_ == "OBJ"), len(doc))
        destination = destinations[-1] if destinations else None
        return Reading(text, kind, float(confidence), verbs, objects,
                       destination.text if destination is not None else "",
                       destination is not None and destination.start < first_object, _unmarked(doc),
                       _verb_before_object(doc))


def _unmarked(doc) -> bool:
    """Verb words first, then a single object to the end; punctuation aside, nothing else."""
    labels = [t.ent_type_ or "O" for t in doc if not t.is_punct]
    verb_end = next((i for i, label in enumerate(labels) if label != "ACT"), len(labels))
    rest = labels[verb_end:]
    return 0 < verb_end <= 2 and bool(rest) and set(rest) == {"OBJ"} and \
        sum(1 for e in doc.ents if e.label_ == "OBJ") == 1


def _without_fillers(span) -> str:
    """An object span without hesitations at its edges ("grab uh socks"): they never describe it."""
    start, end = span.start, span.end
    while start < end and span.doc[start].text in _SAFE_FILLERS:
        start += 1
    while end > start and span.doc[end - 1].text in _SAFE_FILLERS:
        end -= 1
    return span.doc[start:end].text


def _verb_before_object(doc) -> str:
    ents = list(doc.ents)
    for n, ent in enumerate(ents):
        if ent.label_ == "OBJ":
            before = ents[n - 1] if n else None
            earlier_verbs = [e for e in ents[:n - 1] if e.label_ == "ACT"]
            if before is not None and before.label_ == "ACT" and before.end == ent.start and earlier_verbs \
                    and not any(t.is_stop for t in before):  # particles: "zoom in on", "pick up"
                return before.text
            return ""
    return ""
