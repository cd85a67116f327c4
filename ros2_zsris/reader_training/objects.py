"""Referring expressions for training: tabletop descriptions, RefCOCO-style labels of everyday
photos, open-vocabulary nouns, sets ("all the cups", "the two balls on the left") and lists.

Each generator returns plain text; which words are the object is decided by the caller, which
labels the whole text as one object (utterances.py)."""

from __future__ import annotations

import numpy as np

from . import object_words as ow

_IRREGULAR = {"man": "men", "woman": "women", "person": "people", "child": "children", "mouse": "mice",
              "knife": "knives", "shelf": "shelves", "leaf": "leaves", "foot": "feet", "tooth": "teeth",
              "goose": "geese", "sheep": "sheep", "fish": "fish", "people": "people", "glasses": "glasses",
              "scissors": "scissors", "pliers": "pliers", "skis": "skis", "grapes": "grapes", "keys": "keys",
              "jeans": "jeans", "shorts": "shorts", "pants": "pants", "headphones": "headphones", "boots": "boots"}


def plural(noun: str) -> str:
    """English plural of the last word ('coffee mug' -> 'coffee mugs')."""
    *first, last = noun.split()
    if last in _IRREGULAR:
        word = _IRREGULAR[last]
    elif last.endswith(("s", "x", "ch", "sh", "z")):
        word = last + "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        word = last[:-1] + "ies"
    else:
        word = last + "s"
    return " ".join([*first, word])


class ObjectGenerator:
    """Seeded expressions; ``rare_nouns``: extra open-vocabulary heads (WordNet nouns)."""

    def __init__(self, rng: np.random.Generator, rare_nouns: tuple[str, ...] = (), real: tuple[str, ...] = (),
                 adjectives: tuple[str, ...] = (), participles: tuple[str, ...] = ()):
        self.rng = rng
        self.rare_nouns = rare_nouns
        self.real = real  # real RefCOCO expressions
        self.adjectives = adjectives  # open-vocabulary modifiers (WordNet adjectives)
        self.participles = participles  # 'texting', 'holding' (WordNet verbs as -ing forms)

    # ------------------------------------------------------------------ small helpers
    def pick(self, items):
        return items[int(self.rng.integers(len(items)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def head(self) -> str:
        roll = self.rng.random()
        if roll < 0.45:
            return self.pick(ow.THINGS)
        if roll < 0.62:
            return self.pick(ow.PEOPLE)
        if roll < 0.72:
            return self.pick(ow.ANIMALS)
        if roll < 0.84:
            return self.pick(ow.TABLETOP_KINDS)
        if roll < 0.92 and self.rare_nouns:
            return self.pick(self.rare_nouns)
        return self.pick(ow.VERBLIKE_NOUNS)

    def determiner(self, p_none: float = 0.15) -> str:
        if self.chance(p_none):
            return ""
        return self.pick(("the",) * 8 + ("a", "that", "this", "my", "your", "the little", "that little", "an"))

    def noun_phrase(self, simple: bool = False) -> str:
        """'the red cup', 'a big wooden box', 'the cup' (an anchor or a destination)."""
        words = []
        if self.chance(0.25):
            words.append(self.pick(ow.SIZES))
        if self.chance(0.45):
            words.append(self.pick(ow.COLOURS))
        if not simple and self.chance(0.1):
            words.append(self.pick(ow.MATERIALS))
        head = self.head()
        det = self.determiner(0.1)
        if det in ("a",) and (words or [head])[0][0] in "aeiou":
            det = "an"
        if det == "an" and (words or [head])[0][0] not in "aeiou":
            det = "a"
        return " ".join(w for w in (det, *words, head) if w)

    # ------------------------------------------------------------------ expressions
    def expression(self) -> str:
        roll = self.rng.random()
        if roll < 0.12:
            return self.scrambled()
        if roll < 0.25:
            return self.tabletop()
        if roll < 0.55:
            return self.photo()
        if roll < 0.7:
            return self.terse()
        if roll < 0.8 and self.real:
            return self.pick(self.real)
        if roll < 0.9:
            return self.related()
        return self.simple()

    def scrambled(self) -> str:
        """Object words in shapes no list foresaw ('thumps up at the stop sign', 'man holding skateboard
        vertically', 'pac man pizza'): open-vocabulary words in loose noun-phrase order, so the reader
        learns that the object is what the request's frame leaves, whatever its words."""
        def word() -> str:
            roll = self.rng.random()
            if roll < 0.35:
                return self.head()
            if roll < 0.5 and self.adjectives:
                return self.pick(self.adjectives)
            if roll < 0.6:
                return self.pick(ow.COLOURS + ow.SIZES + ow.LOCATION_WORDS)
            if roll < 0.72 and self.participles:
                return self.pick(self.participles)
            if roll < 0.84:
                return self.pick(("with", "on", "at", "in", "near", "of", "by", "under", "behind", "and", "up",
                                  "his", "her", "its", "the", "a", "two", "who", "that is", "all", "only"))
            if roll < 0.92:
                return self.pick(ow.PARTICIPLES + ow.STATES)
            return self.pick(("vertically", "upside down", "sideways", "flat", "upright", "partly", "mostly",
                              "half", "barely", "first", "second", "far", "right", "left", "top", "very"))
        size = int(self.rng.integers(1, 7))
        words = [word() for _ in range(size)]
        if self.chance(0.5):
            words.append(self.head())
        while words and words[-1] in ("with", "on", "at", "in", "near", "of", "by", "under", "behind", "and",
                                      "the", "a", "his", "her", "its", "who", "that is"):
            words.pop()
        return " ".join(words) or self.head()

    def simple(self) -> str:
        return self.noun_phrase()

    def tabletop(self) -> str:
        kind = self.pick(ow.TABLETOP_KINDS[:6])
        colour = self.pick(ow.COLOURS[:8])
        other = self.pick(ow.TABLETOP_KINDS[:6])
        forms = (
            f"the {kind}", f"the {colour} {kind}", f"the {self.pick(ow.SUPERLATIVES)} {kind}",
            f"the {kind} {self.pick(ow.LOCATION_PHRASES)}", f"the {self.pick(ow.ORDINALS)} {kind} from the "
            f"{self.pick(('left', 'right', 'front', 'back'))}", f"the {kind} {self.pick(ow.RELATIONS[:12])} the "
            f"{self.pick(ow.COLOURS[:8])} {other}", f"the {kind} between the {colour} {other} and the "
            f"{self.pick(ow.COLOURS[:8])} {self.pick(ow.TABLETOP_KINDS[:6])}",
            f"the {self.pick(ow.COMPARATIVES)} of the two {plural(kind)}", f"the {colour} one",
            f"the {self.pick(ow.LOCATION_WORDS[:8])} {colour} {kind}", f"the {self.pick(ow.SIZES)} {colour} {kind}",
            f"the {self.pick(ow.SUPERLATIVES)} {colour} {kind}", f"the {kind} that is {colour}",
            f"the {colour} {kind} {self.pick(ow.RELATIONS[:12])} the {other}",
            f"the {self.pick(ow.LOCATION_WORDS)} one",
        )
        return self.pick(forms)

    def photo(self) -> str:
        """RefCOCO-style: location, attributes, head, and a tail (clothes, action, place, relation)."""
        head = self.head()
        words = []
        if self.chance(0.3):
            words.append(self.pick(ow.LOCATION_WORDS))
        if self.chance(0.2):
            words.append(self.pick(ow.SIZES))
        if self.chance(0.35):
            words.append(self.pick(ow.COLOURS))
        if self.chance(0.1):
            words.append(self.pick(ow.STATES))
        words.append(head)
        roll = self.rng.random()
        if roll < 0.25:
            words += [self.pick(("in", "wearing", "with", "in a", "in the", "with a", "in black")),
                      self.pick(ow.COLOURS), self.pick(ow.CLOTHES)]
        elif roll < 0.4:
            words.append(self.pick(ow.PARTICIPLES))
        elif roll < 0.55:
            words.append(self.pick(ow.LOCATION_PHRASES))
        elif roll < 0.7:
            words += [self.pick(ow.RELATIONS), self.noun_phrase(simple=True)]
        elif roll < 0.78:
            words += [self.pick(("that is", "which is", "who is", "thats")), self.pick(ow.PARTICIPLES + ow.STATES)]
        if self.chance(0.15):  # a second modifier: 'man on cell phone closest to screen wearing a gray suit'
            words.append(self.pick(ow.PARTICIPLES + ow.LOCATION_PHRASES))
        if self.chance(0.04):
            words.append(self.pick(ow.EXPRESSION_TAILS))
        det = self.determiner(0.45)
        return " ".join(w for w in (det, *words) if w)

    def terse(self) -> str:
        """Annotator shorthand: 'left guy', 'guy far right', 'red shirt', 'drink on the right', '2nd from left'."""
        head = self.head() if self.chance(0.7) else self.pick(ow.VERBLIKE_NOUNS)
        forms = (
            f"{self.pick(ow.LOCATION_WORDS)} {head}", f"{head} {self.pick(ow.LABEL_TAILS)}",
            f"{head} {self.pick(ow.LOCATION_PHRASES)}", f"{self.pick(ow.COLOURS)} {self.pick(ow.CLOTHES)}",
            f"{self.pick(ow.COLOURS)} {head} {self.pick(ow.LABEL_TAILS)}", f"{self.pick(ow.ORDINALS)} from left",
            f"{self.pick(ow.ORDINALS)} {head} from {self.pick(('left', 'right'))}", f"{head}",
            f"{head} {self.pick(ow.RELATIONS)} {self.pick(ow.THINGS)}", f"{self.pick(ow.SIZES)} {head}",
            f"{head} with {self.pick(ow.COLOURS)} {self.pick(ow.CLOTHES)}", f"{head} in {self.pick(ow.CLOTHES)}",
            f"{self.pick(ow.LOCATION_WORDS)} {self.pick(ow.COLOURS)} {head}", f"{head} {self.pick(ow.PARTICIPLES)}",
            f"{self.pick(ow.VERBLIKE_NOUNS)} {self.pick(ow.LABEL_TAILS)}",
            f"{self.pick(ow.VERBLIKE_NOUNS)} {self.pick(ow.LOCATION_PHRASES)}",
            f"{self.pick(ow.VERBLIKE_NOUNS)} {self.pick(ow.THINGS)}",
            f"{self.pick(ow.VERBLIKE_NOUNS)} {self.pick(ow.RELATIONS)} {self.pick(ow.THINGS)}",
        )
        return self.pick(forms)

    def related(self) -> str:
        """An object with its own relation: 'the cup left of the bowl', 'the cone between A and B'."""
        target = self.noun_phrase()
        if self.chance(0.25):
            return f"{target} {self.pick(ow.BETWEEN)} {self.noun_phrase(True)} and {self.noun_phrase(True)}"
        if self.chance(0.15):
            return f"{target} {self.pick(('that is', 'which is', 'sitting', 'lying', 'standing'))} " \
                   f"{self.pick(ow.RELATIONS)} {self.noun_phrase(True)}"
        return f"{target} {self.pick(ow.RELATIONS)} {self.noun_phrase(True)}"

    def set_expression(self) -> str:
        """One item that names several objects: plurals, 'both', numbers, 'all of the blue things'."""
        kind = self.pick(ow.TABLETOP_KINDS[:6] + ow.THINGS[:40] + ow.ANIMALS[:8])
        kinds = plural(kind)
        colour = self.pick(ow.COLOURS[:12])
        n = self.pick(ow.NUMBER_WORDS)
        forms = (
            f"all the {kinds}", f"all {kinds}", f"every {kind}", f"each {kind}", f"each of the {kinds}",
            f"all of the {colour} {kinds}", f"all the {colour} {kinds}", f"the {kinds}", f"the {colour} {kinds}",
            f"both {kinds}", f"both of the {kinds}", f"both the {colour} {kinds}", f"the {n} {kinds}",
            f"the {n} {kinds} {self.pick(ow.LOCATION_PHRASES)}", f"the {n} {self.pick(ow.SUPERLATIVES)} {kinds}",
            f"{n} of the {kinds}", f"the {n} {self.pick(('leftmost', 'rightmost', 'closest', 'biggest'))}",
            f"everything that is {colour}", f"all of the {colour} things", f"all the {colour} stuff",
            f"every {colour} {kind}", f"all {kinds} {self.pick(ow.RELATIONS[:10])} the {self.pick(ow.THINGS)}",
            f"the {kinds} {self.pick(ow.LOCATION_PHRASES)}", f"any {kinds}", f"all {n} {kinds}",
            f"everything {self.pick(ow.RELATIONS[:10])} the {self.pick(ow.THINGS)}",
        )
        return self.pick(forms)

    def with_inner_and(self) -> str:
        """'and' inside one object's description: 'the salt and pepper shakers', 'black and white dog'."""
        forms = ("the salt and pepper shakers", "the black and white dog", "the bread and butter plate",
                 f"the {self.pick(ow.PEOPLE)} with the hat and scarf", "the table covered with snacks and drinks",
                 f"the {self.pick(ow.PEOPLE)} on his hands and knees", "the red and white striped cup",
                 f"the {self.pick(ow.THINGS)} between the {self.pick(ow.THINGS)} and the {self.pick(ow.THINGS)}",
                 "the cup and saucer set", "the fish and chips", "the mac and cheese", "the rock and roll poster",
                 f"{self.pick(ow.COLOURS)} and {self.pick(ow.COLOURS)} {self.head()}", "the knife and fork set",
                 f"the {self.pick(ow.PEOPLE)} in black and white", "the pen and pencil holder",
                 f"{self.pick(ow.PEOPLE)} with {self.pick(ow.CLOTHES)} and {self.pick(ow.CLOTHES)}",
                 "the peanut butter and jelly sandwich", "the bed and breakfast sign", "the ham and cheese sandwich")
        return self.pick(forms)
