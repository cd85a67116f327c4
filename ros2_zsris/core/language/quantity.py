"""How many objects one referring expression asks for: one, every one that fits, or a number.

"the cups", "all the red cubes", "every ball", "each of the cones", "all of the blue things",
"everything that is red": every object that fits (``Quantity(None)``); "both bottles": two;
"the two balls on the left", "the three biggest cubes", "two of the cups": that number. A
singular expression has no quantity (None), and so do these, which name one object:

* a singular selector before a partitive "of": "the larger of the two balls", "the left one of
  the cups", "the second of the cubes" (the group is what the one is chosen from);
* a group named first: "of the cups, the left one", "among the cubes the biggest";
* 'one' as what is chosen: "the left one of the cups", "among the cups, the red one";
* a number or "all" that does not quantify a plural head: "two door fridge", "all of the pizza";
* a plural-only noun: "the scissors", "the glasses" (``PLURAL_ONLY``).

"every"/"each"/"everything" make a set whatever the head's number ("every ball"). The words
that say the quantity are returned so that they do not reach the CLIP text ("the every ball").
How the set is then grounded (membership, picking n) is core/grounding/sets.py's.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import lexicon as lx

ALL_WORDS = {"all", "every", "each", "everything", "everyone", "anything"}
ALWAYS_SETS = {"every", "each", "everything", "everyone"}  # a set even with a singular head: "every ball"
GENERIC_ALL = {"everything", "everyone", "anything"}  # "everything that is red": no kind named
# nouns whose plural form names one thing
PLURAL_ONLY = {"scissors", "glasses", "sunglasses", "eyeglasses", "spectacles", "goggles", "binoculars", "pants",
               "trousers", "jeans", "shorts", "leggings", "tights", "pyjamas", "pajamas", "tongs", "pliers",
               "tweezers", "shears", "headphones", "earphones", "earbuds", "clippers", "overalls", "chopsticks"}
NUMBERS = {**{w: n for w, n in lx.NUMBER_WORDS.items() if w not in ("one", "pair")},
           "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_GROUP_FIRST = {"of", "among", "amongst", "out", "from"}  # "among the cups (,) the biggest": one chosen from a group
PLURAL_GENERIC = {"ones", "things", "objects", "items"}
_AFTER_EVERY = {"single", "and", "every", "each", "last"}  # "every single cup", "each and every cup"
_PLAIN_PLURAL = {"any", "some"}
_NOT_HEADS = {"couple", "pair"}
_DETERMINERS = {"the", "a", "an", "these", "those", "my", "your", "our", "just", "only", "exactly", "of", "all"}


@dataclass(frozen=True)
class Quantity:
    """``number``: how many are asked for; None = every object that fits. ``partitive``: chosen
    among more ("two of the cups"), so more that fit is no surprise; ``words``: as spoken."""

    number: int | None = None
    partitive: bool = False
    words: str = ""

    def describe(self) -> str:
        if self.number is None:
            return "every one"
        return f"{self.number}" + (" of them" if self.partitive else "")


@dataclass(frozen=True)
class QuantityWords:
    """What the words alone say, before the head noun is known: the candidate quantity, the
    token indices (doc positions) that said it, and whether a singular selector rules a set out."""

    quantity: Quantity | None = None
    tokens: frozenset[int] = frozenset()
    singular: bool = False  # "the larger of the two balls", "of the cups, the left one"
    always: bool = False  # every/each/everything: a set even with a singular head
    generic: bool = False  # everything/anything: no kind named


def quantity_words(tokens) -> QuantityWords:
    """Read the quantifier of a target's tokens (spaCy tokens, lower-cased text): a partitive
    "X of the Ys" decides by its selector X; else the words before the first noun."""
    words = [t.text for t in tokens]
    if words[:1] and words[0] in _GROUP_FIRST or _chooses_one(words):
        return QuantityWords(singular=True)
    first_noun = next((k for k, t in enumerate(tokens) if t.pos_ in ("NOUN", "PROPN") and t.text not in ALL_WORDS
                       and t.text not in _NOT_HEADS and t.text not in lx.LOCATION and t.text not in lx.EXTREME
                       and t.text not in lx.IRREGULAR_DEGREE), len(tokens))
    if "of" in words:
        found = _partitive(tokens, words, words.index("of"), first_noun)
        if found is not None:
            return found
    for k in range(first_noun):
        word = words[k]
        if word in ALL_WORDS and k + 1 < len(tokens) and _number(tokens[k + 1]):  # "all three cubes"
            return QuantityWords(Quantity(_number(tokens[k + 1]), words=f"{word} {words[k + 1]}"),
                                 frozenset({tokens[k].i, tokens[k + 1].i}))
        if word in ALL_WORDS:
            said = [k] + [j for j in range(k + 1, min(k + 3, len(tokens))) if words[j] in _AFTER_EVERY]
            return QuantityWords(Quantity(None, words=" ".join(words[j] for j in said)),
                                 frozenset(tokens[j].i for j in said), always=word in ALWAYS_SETS,
                                 generic=word in GENERIC_ALL)
        if word in _PLAIN_PLURAL:  # "any cups": a bare plural, the word not in the CLIP text
            return QuantityWords(None, frozenset({tokens[k].i}))
        if word == "both":
            return QuantityWords(Quantity(2, words=word), frozenset({tokens[k].i}))
        number = _number(tokens[k])
        if number:
            return QuantityWords(Quantity(number, words=word), frozenset({tokens[k].i}))
    return QuantityWords()


def _partitive(tokens, words: list[str], of: int, first_noun: int) -> QuantityWords | None:
    """'each of the cones', 'two of the cups', 'all of the blue things': the selector before
    'of' names no thing; a selector that is an adjective, ordinal or 'one' picks one."""
    selector = [k for k in range(of) if words[k] not in _DETERMINERS]
    if [words[k] for k in selector] in (["pair"], ["couple"]):  # "a pair of bottles"
        return QuantityWords(Quantity(2, words=" ".join(words[:of + 1])), frozenset(tokens[k].i for k in range(of + 1)))
    if first_noun < of:  # "the cup of tea", "the cups of tea": 'of' belongs to a noun
        return None
    if not selector:
        return None
    indices = frozenset(tokens[k].i for k in range(of + 1))  # the selector, its determiners and 'of'
    head = words[selector[0]]
    rest = [words[k] for k in selector[1:]]
    if head in ALL_WORDS and rest in ([], ["one"], ["single", "one"], ["and", "every", "one"]):
        return QuantityWords(Quantity(None, words=" ".join(words[:of + 1])), indices, always=head in ALWAYS_SETS,
                             generic=False)
    number = 2 if head == "both" else _number(tokens[selector[0]])
    if number and not rest:
        return QuantityWords(Quantity(number, partitive=head != "both", words=" ".join(words[:of + 1])), indices)
    return QuantityWords(singular=True)


def _chooses_one(words: list[str]) -> bool:
    """'one' as what is chosen ("the left one of the cups", "this one"), not "every one"."""
    return any(w == "one" and (k == 0 or words[k - 1] not in ALL_WORDS) for k, w in enumerate(words))


def _number(token) -> int:
    """2 for 'two' or '2'; 0 otherwise (never 'one': 'the one on the left')."""
    text = token.text
    if text.isdigit():
        return int(text) if 2 <= int(text) <= 20 else 0
    return NUMBERS.get(text, 0)


def decide(found: QuantityWords, target, tokens) -> Quantity | None:
    """The quantity once the target phrase (expression.Phrase) is known: a number, "all" or a
    bare plural quantify a plural (or kind-less) head; every/each/everything any head; a
    singular selector none. ``tokens``: the target's tokens."""
    if found.singular:
        return None
    nouns = [t.text for t in tokens if t.pos_ in ("NOUN", "PROPN")]
    plural = target.plural or any(w in PLURAL_GENERIC for w in nouns)
    if found.quantity is not None and (found.always or plural or target.generic):
        return found.quantity  # "all the glasses": said outright, a plural-only noun too
    if found.quantity is None and plural and target.head not in lx.GROUP_WORDS and not any(
            w in PLURAL_ONLY for w in nouns):  # not "the cup behind the others"
        return Quantity(None, words="plural")
    return None


def kindless_attributes(found: QuantityWords, target, tokens) -> tuple[str, ...] | None:
    """The describing words of a set that names no kind ("everything that is red", "the blue
    ones", "the two on the left": () ), or None when it names one ("every cube")."""
    words = [t.text for t in tokens]
    head_then_generic = target.head in words and words.index(target.head) + 1 < len(words) and (
        words[words.index(target.head) + 1] in PLURAL_GENERIC)  # "the blue ones": 'blue' tagged a noun
    named = any(t.pos_ in ("NOUN", "PROPN") and t.text not in lx.GENERIC_HEADS for t in tokens)
    if target.text and not head_then_generic and (named or not found.generic):
        return None
    return tuple(w for w in (*target.attributes, target.head) if w)
