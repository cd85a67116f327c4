"""Labelled commands: text, the spans the reader must mark (ACT the request verb, OBJ each object,
DEST the destination) and the kind of utterance (KINDS).

A command is assembled from pieces, each with its label or none; joining them records the
character offsets, so the labels are exact by construction. Typed and speech-recogniser forms
(no punctuation, fillers, stutters, texting spellings) are drawn at random."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import other_words as other
from . import request_words as rw
from .objects import ObjectGenerator

KINDS = ("request", "bare", "follow", "count", "negated", "stop", "none")
LABELS = ("ACT", "OBJ", "DEST")
_PUNCT = {",", ".", "?", "!", "...", ";", ":"}
_TEXTING = {"you": "u", "please": "pls", "your": "ur", "okay": "ok", "thanks": "thx", "going to": "gonna",
            "want to": "wanna", "give me": "gimme", "let me": "lemme", "got to": "gotta", "are": "r"}


@dataclass
class Labelled:
    """One training command. ``spans``: (start, end, label) character offsets into ``text``;
    ``missing``: spans whose tokens' labels are unknown (development templates: the verb)."""

    text: str
    kind: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    missing: list[tuple[int, int]] = field(default_factory=list)
    source: str = "generated"


class Pieces:
    """Text assembled from labelled pieces, punctuation attached to the word before it."""

    def __init__(self):
        self.parts: list[tuple[str, str | None]] = []

    def add(self, text: str, label: str | None = None) -> Pieces:
        if text:
            self.parts.append((text, label))
        return self

    def build(self, kind: str) -> Labelled:
        text, spans = "", []
        for piece, label in self.parts:
            if text and not (piece in _PUNCT or piece[0] in ",.?!"):
                text += " "
            start = len(text)
            text += piece
            if label:
                spans.append((start, len(text), label))
        return Labelled(text, kind, spans)


class CommandGenerator:
    """Seeded commands of every kind; ``verbs``: open-vocabulary request verbs (WordNet)."""

    def __init__(self, rng: np.random.Generator, objects: ObjectGenerator, verbs: tuple[str, ...] = ()):
        self.rng = rng
        self.objects = objects
        self.verbs = verbs

    def pick(self, items):
        return items[int(self.rng.integers(len(items)))]

    def common(self, items, head: int = 16):
        """Half the time one of the first ``head`` items (the lists put common words first)."""
        return self.pick(items[:head] if self.chance(0.5) else items)

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    # ------------------------------------------------------------------ the mixture
    def sample(self) -> Labelled:
        roll = self.rng.random()
        for share, make in ((0.2, self.request), (0.22, self.destination), (0.05, self.want), (0.05, self.listed),
                            (0.02, self.state),
                            (0.03, self.object_first), (0.04, self.unseen_verb), (0.13, self.bare),
                            (0.03, self.correction), (0.05, self.sets), (0.03, self.count), (0.04, self.negation),
                            (0.04, self.stop), (0.08, self.chit_chat)):
            if roll < share:
                return self.speech(make())
            roll -= share
        return self.speech(self.request())

    def expression(self) -> str:
        roll = self.rng.random()
        if roll < 0.08:
            return self.objects.set_expression()
        if roll < 0.12:
            return self.objects.with_inner_and()
        return self.objects.expression()

    # ------------------------------------------------------------------ requests
    def lead(self, pieces: Pieces) -> None:
        if self.chance(0.05):
            pieces.add(self.pick(rw.CONTEXT_CLAUSES))
        if self.chance(0.25):
            pieces.add(self.pick(rw.LEADS))
            if self.chance(0.4):
                pieces.add(",")
        if self.chance(0.35):
            pieces.add(self.pick(rw.FRAMES))
        elif self.chance(0.1):
            pieces.add(self.pick(rw.CHAINS))

    def tail(self, pieces: Pieces) -> None:
        if self.chance(0.08):
            pieces.add(self.pick(rw.MANNER_TAILS))
        if self.chance(0.1):
            pieces.add(self.pick(rw.AFTER_CLAUSES))
        if self.chance(0.3):
            if self.chance(0.3):
                pieces.add(",")
            pieces.add(self.pick(rw.TAILS))
            if self.chance(0.15):
                pieces.add(self.pick(rw.TAILS))
        pieces.add(self.pick(("", "", "", ".", "?", "!")))

    def verb_frame(self, frames, pieces: Pieces, obj_label: str = "OBJ", expression: str | None = None,
                   gerund: bool = False) -> str:
        """Add 'verb ... X ... particle' with ACT on the verb words; returns the frame's action."""
        frame, action = self.common(frames, 30)
        before, _, after = frame.partition("X")
        before_words = before.split()
        if gerund and before_words:
            before_words[0] = _gerund(before_words[0])
        if before_words and self.chance(0.04):  # typed in a hurry: 'pik up', 'grabb'
            before_words[0] = _typo(before_words[0], self.rng)
        elif before_words and self.chance(0.03):  # a stutter: 'pick pick up'
            before_words.insert(0, before_words[0])
        _verb_words(pieces, before_words)
        pieces.add(expression if expression is not None else self.expression(), obj_label)
        _verb_words(pieces, after.split())
        return action

    def request(self) -> Labelled:
        pieces = Pieces()
        gerund = self.chance(0.06)
        if gerund:
            pieces.add(self.pick(rw.GERUND_FRAMES))
        else:
            self.lead(pieces)
        action = self.verb_frame(rw.VERB_FRAMES, pieces, gerund=gerund)
        if action != "follow" and self.chance(0.05):
            pieces.add(self.pick(rw.RECIPIENT_TAILS))
        self.tail(pieces)
        return pieces.build("follow" if action == "follow" else "request")

    def destination_words(self) -> str:
        if self.chance(0.25):
            return self.common(rw.DIRECTIONS, 12)
        place = self.objects.noun_phrase(simple=True)
        if self.chance(0.05):
            return f"between {place} and {self.objects.noun_phrase(simple=True)}"
        if self.chance(0.25):  # the destination's own relation
            roll = self.rng.random()
            place += " " + (self.pick(("on the left", "on the right", "by the window", "with the red lid",
                                       "in the corner", "closest to you", "on the top shelf", "at the back",
                                       "that's closest to you", "which is on the left", "under the desk",
                                       "on the counter", "near the fridge")) if roll < 0.4
                            else f"{self.pick(('next to', 'behind', 'near', 'beside', 'under', 'by', 'left of'))} "
                                 f"{self.objects.noun_phrase(simple=True)}" if roll < 0.8
                            else self.pick(("that is", "which is", "that's")) + " "
                            + self.pick(("on the left", "closest to you", "empty", "by the door", "open")))
        return f"{self.common(rw.DESTINATION_PREPS)} {place}"

    def destination(self) -> Labelled:
        pieces = Pieces()
        expression = self.objects.related() if self.chance(0.3) else self.expression()
        if self.chance(0.1):  # "into the box, put X"
            pieces.add(self.destination_words(), "DEST").add(",")
            self.verb_frame(rw.PLACE_FRAMES, pieces, expression=expression)
        else:
            self.lead(pieces)
            if self.verbs and self.chance(0.15):  # any verb can place: 'wedge X between A and B'
                pieces.add(self.pick(self.verbs), "ACT").add(expression, "OBJ")
            else:
                self.verb_frame(rw.PLACE_FRAMES, pieces, expression=expression)
            degree = self.chance(0.15)
            if degree:
                pieces.add(self.pick(rw.DEGREES))
            pieces.add(self.destination_words(), "DEST")
            if not degree and self.chance(0.06):
                pieces.add(self.pick(rw.DEGREES[:12]))
        self.tail(pieces)
        return pieces.build("request")

    def state(self) -> Labelled:
        """'it'd be nice if X were in the box', 'X should go on the tray': object and destination, no verb."""
        frame = self.pick(rw.STATE_FRAMES)
        before, _, after = frame.partition("X")
        pieces = Pieces()
        if self.chance(0.2):
            pieces.add(self.pick(rw.LEADS)).add(self.pick((",", "")))
        pieces.add(before.strip())
        pieces.add(self.expression(), "OBJ")
        pieces.add(after.strip())
        words = self.destination_words()
        pieces.add(words, "DEST")
        self.tail(pieces)
        return pieces.build("request")

    def want(self) -> Labelled:
        pieces = Pieces()
        if self.chance(0.2):
            pieces.add(self.pick(rw.LEADS))
        frame, _ = self.pick(rw.WANT_FRAMES)
        pieces.add(frame, "ACT")
        pieces.add(self.expression(), "OBJ")
        self.tail(pieces)
        return pieces.build("request")

    def listed(self) -> Labelled:
        """'grab X and Y', 'bring me X, Y and Z', 'first X, then Y', 'X as well as Y'."""
        pieces = Pieces()
        if self.chance(0.2):  # a list alone: 'the cup and the ball', 'pizza first, bowl of sushi second'
            frame, action, kind = "X", "", "bare"
        else:
            self.lead(pieces)
            frame, action = self.pick(rw.VERB_FRAMES[:60])
            kind = "follow" if action == "follow" else "request"
        before, _, after = frame.partition("X")
        _verb_words(pieces, before.split())
        if self.chance(0.15):
            pieces.add("both")
        if self.chance(0.2):  # 'first X, then Y', 'X first, Y second', 'X followed by Y'
            first, second = self.pick((("first", ", then"), ("", "first, then"), ("", "first,"),
                                       ("start with", ", then"), ("", "followed by"), ("", "and after that"),
                                       ("", ", and then")))
            pieces.add(first).add(self.objects.expression(), "OBJ")
            for word in second.replace(",", " ,").split():
                pieces.add(word)
            pieces.add(self.objects.expression(), "OBJ")
            if first == "" and second == "first,":
                pieces.add("second")
            _verb_words(pieces, after.split())
            self.tail(pieces)
            return pieces.build(kind)
        count = 3 if self.chance(0.25) else 2
        for k in range(count):
            if k:
                joiner = "and" if k == count - 1 else ","
                joiner = self.pick((joiner,) * 6 + ("as well as", "plus", "along with", "and also", "then",
                                                    "and then", "together with"))
                pieces.add(joiner)
            pieces.add(self.objects.expression(), "OBJ")
        _verb_words(pieces, after.split())
        self.tail(pieces)
        return pieces.build(kind)

    def object_first(self) -> Labelled:
        """'the red cup, grab it', 'that bottle over there - pick it up please'."""
        pieces = Pieces()
        pieces.add(self.expression(), "OBJ")
        pieces.add(self.pick((",", "", "-", "...", ".")))
        verb = self.pick(("grab", "pick up", "take", "get", "move", "bring", "hand me", "find", "look at",
                          "point at", "follow", "track", "fetch", "lift", "touch", "open"))
        words = verb.split()
        pieces.add(words[0], "ACT")
        if len(words) > 1 and words[1] != "me":
            pieces.add(words[1], "ACT")
        elif len(words) > 1:
            pieces.add("me")
        pieces.add(self.pick(("it", "that", "that one", "it", "them")))
        self.tail(pieces)
        return pieces.build("follow" if verb in ("follow", "track") else "request")

    def unseen_verb(self) -> Labelled:
        """Any verb before a determiner reads as a request: 'frob the red cup', 'please defrost X'."""
        if not self.verbs:
            return self.request()
        pieces = Pieces()
        self.lead(pieces)
        pieces.add(self.pick(self.verbs), "ACT")
        expression = self.expression()
        if self.chance(0.6) and not expression.startswith(("the ", "a ", "an ", "that ", "this ", "my ", "your ",
                                                           "all ", "both ")):
            expression = "the " + expression
        pieces.add(expression, "OBJ")
        self.tail(pieces)
        return pieces.build("request")

    # ------------------------------------------------------------------ no verb
    def bare(self) -> Labelled:
        pieces = Pieces()
        if self.chance(0.08):
            pieces.add(self.pick(("robot", "hey robot", "um", "uh", "ok", "okay", "so"))).add(
                self.pick((",", "")))
        roll = self.rng.random()
        expression = (self.objects.terse() if roll < 0.35 else self.objects.set_expression() if roll < 0.42
                      else self.objects.with_inner_and() if roll < 0.46 else self.objects.expression())
        pieces.add(expression, "OBJ")
        if self.chance(0.05):
            pieces.add(self.pick(("please", "thanks", "now", "please robot")))
        pieces.add(self.pick(("",) * 8 + (".", "?", "!")))
        return pieces.build("bare")

    def correction(self) -> Labelled:
        frame = self.pick(other.CORRECTIONS)
        before, _, after = frame.partition("X")
        pieces = Pieces()
        for word in before.replace(",", " ,").split():
            pieces.add(word)
        pieces.add(self.objects.expression(), "OBJ")
        pieces.add(after.strip())
        return pieces.build("bare")

    def sets(self) -> Labelled:
        pieces = Pieces()
        if self.chance(0.3):
            pieces.add(self.objects.set_expression(), "OBJ")
            return pieces.build("bare")
        self.lead(pieces)
        action = self.verb_frame(rw.VERB_FRAMES[:90], pieces, expression=self.objects.set_expression())
        self.tail(pieces)
        return pieces.build("follow" if action == "follow" else "request")

    def count(self) -> Labelled:
        frame = self.pick(other.COUNT_FRAMES)
        before, _, after = frame.partition("X")
        pieces = Pieces()
        if self.chance(0.2):
            pieces.add(self.pick(rw.LEADS)).add(self.pick((",", "")))
        pieces.add(before.strip(), "ACT" if before.strip() in ("count", "count up", "count all") else None)
        kind = self.objects.set_expression() if self.chance(0.3) else _plural_phrase(self)
        pieces.add(kind, "OBJ")
        pieces.add(after.strip())
        pieces.add(self.pick(("", "?", "?", ".")))
        return pieces.build("count")

    def negation(self) -> Labelled:
        frame = self.pick(other.NEGATIONS)
        before, _, after = frame.partition("X")
        pieces = Pieces()
        if self.chance(0.15):
            pieces.add(self.pick(("robot", "hey", "no", "wait", "careful", "please")))
            pieces.add(self.pick((",", "")))
        pieces.add(before.strip())
        pieces.add(self.expression(), "OBJ")
        pieces.add(after.strip())
        self.tail(pieces)
        return pieces.build("negated")

    def stop(self) -> Labelled:
        return Pieces().add(self.pick(other.STOPS)).build("stop")

    def chit_chat(self) -> Labelled:
        pieces = Pieces()
        if self.chance(0.15):
            pieces.add(self.pick(rw.LEADS)).add(self.pick((",", "")))
        pieces.add(self.pick(other.CHIT_CHAT))
        if self.chance(0.1):
            pieces.add(self.pick(("please", "robot", "thanks", "ok")))
        return pieces.build("none")

    # ------------------------------------------------------------------ speech and typing
    def speech(self, command: Labelled) -> Labelled:
        """Speech-recogniser or texting forms of a command, labels kept."""
        roll = self.rng.random()
        if roll < 0.02:
            return _dictated(command)
        if roll < 0.4:
            return _lower_strip(command, drop_punctuation=True)
        if roll < 0.5:
            return _with_fillers(command, self.rng)
        if roll < 0.55:
            return _texting(command)
        return _lower_strip(command, drop_punctuation=False)


_NOT_VERB = {"me", "us", "it", "them", "and", "then", ",", "the", "a", "your", "my", "camera", "lid"}


def _verb_words(pieces: Pieces, words: list[str]) -> None:
    """Verb words and their particles are ACT; recipients, pronouns and conjunctions are not."""
    for i, word in enumerate(words):
        recipient = word == "to" and words[i + 1: i + 2] in (["me"], ["us"])
        pieces.add(word, None if word in _NOT_VERB or recipient else "ACT")


def _typo(word: str, rng: np.random.Generator) -> str:
    """One slip of the fingers: a letter dropped, doubled or swapped with the next."""
    if len(word) < 4:
        return word
    i = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(3))
    if kind == 0:
        return word[:i] + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _gerund(verb: str) -> str:
    if verb.endswith("e") and not verb.endswith(("ee", "ye")):
        return verb[:-1] + "ing"
    if len(verb) > 2 and verb[-1] not in "aeiouwyx" and verb[-2] in "aeiou" and verb[-3] not in "aeiou" \
            and verb not in ("open", "visit", "offer", "enter", "listen", "focus", "monitor"):
        return verb + verb[-1] + "ing"
    return verb + "ing"


def _plural_phrase(generator: CommandGenerator) -> str:
    from .objects import plural

    noun = plural(generator.objects.head())
    return f"{generator.pick(('', '', 'the ', 'red ', 'blue ', 'big '))}{noun}"


def _lower_strip(command: Labelled, drop_punctuation: bool) -> Labelled:
    """Lower case (the reader lower-cases too); without punctuation, as recognisers write."""
    text = command.text.lower()
    if not drop_punctuation:
        return Labelled(text, command.kind, command.spans, source=command.source)
    keep = [i for i, ch in enumerate(text) if ch not in ",.?!;:" or _inside_word(text, i)]
    return _project(command, text, keep)


def _inside_word(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()


def _project(command: Labelled, text: str, keep: list[int]) -> Labelled:
    """Keep the characters ``keep`` of ``text``, moving the spans with them and squeezing spaces."""
    new, where = [], {}
    for i in keep:
        ch = text[i]
        if ch == " " and (not new or new[-1] == " "):
            where[i] = len(new)
            continue
        where[i] = len(new)
        new.append(ch)
    out = "".join(new).strip()
    shift = len("".join(new)) - len("".join(new).lstrip())
    spans = []
    for start, end, label in command.spans:
        kept = [where[i] for i in range(start, end) if i in where]
        if kept:
            s, e = kept[0] - shift, kept[-1] + 1 - shift
            while e > s and out[e - 1] == " ":
                e -= 1
            spans.append((s, e, label))
    return Labelled(out, command.kind, spans, source=command.source)


def _dictated(command: Labelled) -> Labelled:
    """Punctuation spoken as words, as dictation without punctuation commands writes it."""
    text, spans = command.text.lower(), sorted(command.spans)
    for mark, word in ((",", " comma"), ("?", " question mark"), ("!", " exclamation mark"), (".", " period")):
        while (i := text.find(mark)) >= 0:
            if any(s <= i < e for s, e, _ in spans):
                break
            text = text[:i] + word + text[i + 1:]
            delta = len(word) - 1
            spans = [(s + delta if s > i else s, e + delta if e > i else e, label) for s, e, label in spans]
    return Labelled(text, command.kind, spans, source=command.source)


def _with_fillers(command: Labelled, rng: np.random.Generator) -> Labelled:
    """'um', 'uh' between words outside the object, and a stuttered word, as recognisers hear them."""
    base = _lower_strip(command, drop_punctuation=True)
    text, spans = base.text, sorted(base.spans)
    inside = [False] * (len(text) + 1)
    for start, end, _ in spans:
        for i in range(start, end + 1):
            inside[i] = True
    positions = [i for i, ch in enumerate(text) if ch == " " and not inside[i]] + [0]
    if not positions:
        return base
    at = positions[int(rng.integers(len(positions)))]
    filler = ("um", "uh", "er", "like", "uhm", "hmm")[int(rng.integers(6))]
    insert = f"{filler} " if at == 0 else f" {filler}"
    new_text = text[:at] + insert + text[at:]
    moved = [(s + len(insert) if s >= at else s, e + len(insert) if e > at else e, label) for s, e, label in spans]
    return Labelled(new_text, command.kind, moved, source=command.source)


def _texting(command: Labelled) -> Labelled:
    """'could u grab the cup pls': texting spellings of the words outside the labelled spans."""
    base = _lower_strip(command, drop_punctuation=False)
    text, spans = base.text, sorted(base.spans)
    for long, short in _TEXTING.items():
        start = 0
        while (i := _find_word(text, long, start)) >= 0:
            if any(s <= i < e for s, e, _ in spans):
                start = i + len(long)
                continue
            text = text[:i] + short + text[i + len(long):]
            delta = len(short) - len(long)
            spans = [(s + delta if s > i else s, e + delta if e > i else e, label) for s, e, label in spans]
            start = i + len(short)
    return Labelled(text, command.kind, spans, source=command.source)


def _find_word(text: str, word: str, start: int) -> int:
    i = text.find(word, start)
    while i >= 0:
        before = i == 0 or not text[i - 1].isalnum()
        after = i + len(word) == len(text) or not text[i + len(word)].isalnum()
        if before and after:
            return i
        i = text.find(word, i + 1)
    return -1
