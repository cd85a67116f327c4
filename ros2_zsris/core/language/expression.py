"""A referring expression as a small structure: what to find, and where, which or relative to what.

"the second red cup from the left" -> target 'red cup', ordinal 2 from the left;
"the ball left of the yellow cube" -> target 'ball', relation left_of anchor 'yellow cube'.

How it is read (one spaCy parse, no fixed sentences):
1. Relation triggers are found first: a relation preposition whose object is a thing
   ("behind the bowl", "between A and B"), or a location/extreme word followed by
   of / to / from whose object is a thing ("to the left of X", "in front of X", "closest to X",
   "farthest from X", "next to X"). The object span runs to the next trigger or the end; its
   head is found as for the target. An object that names a place ("on the left", "from the
   right", "at the top", "on the left side") is a location, not an anchor. An object that names
   the viewer ("closest to me", "nearest the camera") is a distance to the camera.
2. The remaining words describe the target: ordinal words (second, 3rd, last), location words
   (left, leftmost, far left, centre, front, back, ...), extremes in any degree (biggest, larger,
   tiny, closest, ...), a count ("of the two balls"), and what is left is the target noun phrase:
   its head is the last word of its first noun run ("coffee mug"), "one" or "thing" make it
   generic, and any other modifier (colour, "in the red shirt") stays in the CLIP text.
The lexicon (lexicon.py) only says what a word means; the parse and the spans decide what it
belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import lexicon as lx
from .quantity import Quantity, decide, kindless_attributes, quantity_words

_HYPHEN_COMPOUND = re.compile(r"\b(left|right|top|bottom|upper|front|back|rear|far|center|centre)[- ](most|hand)\b")
_HYPHEN_SPAN = re.compile(r"\b(left|right|top|bottom|front|back)-to-(left|right|top|bottom|front|back)\b")
_SIZED = re.compile(r"\b(\w+)-sized\b")  # "larger-sized cup": the size word alone
_STOP = {"the", "a", "an", "this", "that", "those", "these", "which", "who", "is", "are", "was", "be", "being",
         "it", "its", "one's", "'s", "of", "to", "from", "in", "at", "on", ",", ".", "?", "!", "side", "hand",
         "and", "there", "sitting", "located", "placed", "standing", "lying", "positioned", "found", "situated",
         "counting", "count", "starting", "seen", "when", "looking", "as", "you", "look", "ones", "object",
         "objects", "all", "out", "just", "kind", "sort", "type", "whichever", "whatever", "going", "moving",
         "reading", "working", "go", "i", "mean", "among", "amongst", "comes", "come", "sits", "sit", "stands",
         "lies", "rests", "resting", "appears", "seems", "happens", "sandwiched", "flanked", "set", "kept", "sized"}
_LOCATION_PREPS = {"on", "to", "at", "in", "from", "toward", "towards", "by", "near", "along"}
_VIEWER_EXTREME = {"closest_to": ("distance", "min"), "farthest_from": ("distance", "max"),
                   "near": ("distance", "min"), "in_front_of": ("distance", "min"), "behind": ("distance", "max")}


@dataclass(frozen=True)
class Phrase:
    """An object description: the CLIP text, its head noun ('' when generic) and modifiers."""

    text: str
    head: str
    attributes: tuple[str, ...] = ()
    plural: bool = False  # "the cups": a group, e.g. the one a location picks from

    @property
    def generic(self) -> bool:
        return not self.head


@dataclass(frozen=True)
class Relation:
    """Target relative to anchors: left_of, right_of, above, below, on, under, near,
    in_front_of, behind, between (two anchors), closest_to, farthest_from."""

    kind: str
    anchors: tuple[Phrase, ...]


@dataclass
class ExpressionStructure:
    text: str
    target: Phrase
    location: str | None = None  # left, right, top, bottom, middle, front, back
    extreme: tuple[str, str] | None = None  # (area|height|width|distance, max|min)
    ordinal: tuple[int, str] | None = None  # (n, direction counted from)
    relation: Relation | None = None
    count: int | None = None  # "of the two balls": the group a singular is chosen from
    quantity: Quantity | None = None  # a set: "the cups", "both balls", "the two leftmost cubes" (quantity.py)
    notes: list[str] = field(default_factory=list)

    @property
    def is_spatial(self) -> bool:
        return any(x is not None for x in (self.location, self.extreme, self.ordinal, self.relation))

    def describe(self, anchor_indices: list[int] | None = None) -> str:
        """Readable interpretation, e.g. "target 'ball' | left of anchor 'yellow cube' (#3)"."""
        parts = [f"target '{self.target.text}'"]
        if self.quantity:
            parts[0] = f"{self.quantity.describe()}: {parts[0]}"
        if self.ordinal:
            parts.append(f"{_ordinal_word(self.ordinal[0])} from the {self.ordinal[1]}")
        if self.location:
            parts.append(_LOCATION_WORDS.get(self.location, self.location))
        if self.extreme:
            parts.append(_EXTREME_WORDS[self.extreme])
        if self.count:
            parts.append(f"of {self.count}")
        if self.relation:
            anchors = [f"'{a.text}'" for a in self.relation.anchors]
            if anchor_indices:
                anchors = [f"{a} (#{i})" for a, i in zip(anchors, anchor_indices, strict=False)]
            parts.append(f"{self.relation.kind.replace('_', ' ')} anchor {' and '.join(anchors)}")
        return " | ".join(parts)


_LOCATION_WORDS = {"left": "leftmost", "right": "rightmost", "top": "topmost", "bottom": "bottommost",
                   "middle": "middle", "front": "front (closest)", "back": "back (farthest)"}
_EXTREME_WORDS = {("area", "max"): "biggest", ("area", "min"): "smallest", ("height", "max"): "tallest",
                  ("height", "min"): "shortest", ("width", "max"): "widest", ("width", "min"): "narrowest",
                  ("distance", "min"): "closest to the camera", ("distance", "max"): "farthest from the camera"}


def _ordinal_word(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}.get(n, f"#{n}")


def normalise_expression(text: str) -> str:
    """Lower case, and the hyphen/space compounds the tagger splits badly ('right-most')."""
    text = text.lower().strip()
    text = _HYPHEN_COMPOUND.sub(lambda m: m.group(1) + m.group(2), text)
    text = _HYPHEN_SPAN.sub(lambda m: f"{m.group(1)} to {m.group(2)}", text)  # "left-to-right"
    text = _SIZED.sub(lambda m: m.group(1), text)
    return re.sub(r"\s+", " ", text)


def analyse(doc) -> ExpressionStructure:
    """The structure of one parsed (lower-cased, normalised) referring expression."""
    tokens = list(doc)
    words = [t.text for t in tokens]
    relation, used = _find_relation(tokens, words)
    target_tokens = [t for t in tokens if t.i not in used]
    found = quantity_words(target_tokens)
    structure = ExpressionStructure(doc.text, Phrase("", ""), relation=relation)
    _read_target_words(structure, [t for t in target_tokens if t.i not in found.tokens], words)
    structure.quantity = decide(found, structure.target, target_tokens)
    if structure.quantity is None and found.tokens:  # "two door fridge": the words go back as they were
        structure = ExpressionStructure(doc.text, Phrase("", ""), relation=relation)
        _read_target_words(structure, target_tokens, words)
    elif structure.quantity is not None:
        structure.count = None  # the number, if any, is the set's
        attributes = kindless_attributes(found, structure.target, target_tokens)
        if attributes is not None:  # "everything that is red": every object that is
            structure.target = Phrase(" ".join(("the", *attributes, "object")), "", attributes, plural=True)
    _group_relation(structure)
    if structure.relation and not structure.relation.anchors:
        structure.extreme = structure.extreme or _VIEWER_EXTREME.get(structure.relation.kind)
        structure.notes.append(f"'{structure.relation.kind}' the viewer: distance to the camera")
        structure.relation = None
    return structure


# ---------------------------------------------------------------------------- group anchors
_GROUP_LOCATION = {"between": "middle", "left_of": "left", "right_of": "right", "above": "top", "on": "top",
                   "below": "bottom", "under": "bottom", "in_front_of": "front", "behind": "back"}


def _group_relation(structure: ExpressionStructure) -> None:
    """"between the other two", "flanked by the others", "the one left of the cups": the anchor is
    the target's own group, so the relation is a location within it."""
    relation = structure.relation
    if relation is None or not relation.anchors or relation.kind not in _GROUP_LOCATION:
        return
    if not all(_is_group(anchor, structure.target) for anchor in relation.anchors):
        return
    if structure.target.generic and not relation.anchors[0].generic:
        anchor = relation.anchors[0]
        attributes = tuple(a for a in anchor.attributes if a not in lx.GROUP_WORDS)
        structure.target = Phrase(" ".join(("the", *attributes, anchor.head)), anchor.head, attributes)
    structure.relation = None
    if structure.location is None and structure.ordinal is None:
        structure.location = _GROUP_LOCATION[relation.kind]
    structure.notes.append(f"'{relation.kind}' the target's own group: a location within it")


def _is_group(anchor: Phrase, target: Phrase) -> bool:
    """An anchor that names no other thing: 'the other two', 'the three', 'the others', 'the cups'
    (when the target is 'the one' or a cup)."""
    if anchor.generic or anchor.head in lx.GROUP_WORDS:
        return True
    grouped = any(a in lx.GROUP_WORDS for a in anchor.attributes)
    if anchor.head == target.head:
        return grouped or anchor.plural
    return target.generic and anchor.plural


# ---------------------------------------------------------------------------- relations
def _find_relation(tokens, words) -> tuple[Relation | None, set[int]]:
    """The first relation with a thing as its object, and every token index it uses."""
    for i in range(len(tokens)):  # "on the yellow ball's left side": the possessive decides, not "on"
        possessive = _possessive_relation(i, words)
        if possessive is not None:
            kind, start, anchor_span, end = possessive
            anchors = _anchor_phrases(tokens, anchor_span, between=False)
            if anchors:
                return Relation(kind, tuple(anchors)), set(range(start, end + 1))
    for i, _token in enumerate(tokens):
        found = _relation_at(i, words)
        if found is None:
            continue
        kind, trigger_start = found
        span = _object_span(i + 1, words, kind)
        if not span:
            continue
        anchors = _anchor_phrases(tokens, span, between=kind == "between")
        if anchors is None:  # the object is a place ("on the left"): a location, not a relation
            continue
        used = set(range(trigger_start, i + 1)) | set(span)
        return Relation(kind, tuple(a for a in anchors if a is not None)), used
    return None, set()


def _relation_at(i: int, words: list[str]) -> tuple[str, int] | None:
    """(relation kind, first index of the trigger words) if a trigger ends at token i."""
    word = words[i]
    before = _concept_before(i, words)
    if word in ("of", "to", "from") and before is not None:
        concept_word, start = before
        if word == "of" and concept_word in lx.RELATION_OF:
            return lx.RELATION_OF[concept_word], _extend_preposition(start, words)
        extreme = _degree_lemma(concept_word)
        if word in ("to", "from") and concept_word in lx.NEXT_WORDS:
            return "near", start
        if word in ("to", "from") and extreme in lx.EXTREME and lx.EXTREME[extreme][0] == "distance":
            direction = lx.EXTREME[extreme][1]
            if word == "from" and concept_word == "away":
                direction = "max"
            if concept_word in lx.EXTREME or concept_word == "near":  # positive degree: "close to"
                return ("near" if direction == "min" else "farthest_from"), start
            return lx.RELATION_DISTANCE[direction], start
        if word == "from" and concept_word == "away":
            return "farthest_from", start
    if word == "by" and i > 0 and words[i - 1] in lx.BETWEEN_PARTICIPLES:
        return "between", i - 1  # "flanked by X and Y"
    if word in ("nearest", "closest") and i + 1 < len(words) and (words[i + 1] in ("the", "a", "that", "this")
                                                                   or words[i + 1] in lx.VIEWER):
        return "closest_to", i  # "the cup nearest the camera"
    if word in lx.SIMPLE_RELATIONS and (word != "on" or _next_content(i, words) not in lx.RELATION_OF) and (
            i + 1 >= len(words) or words[i + 1] not in _PARTICLE_FOLLOWERS):  # "over on the left": an adverb
        return lx.SIMPLE_RELATIONS[word], i
    return None


_PARTICLE_FOLLOWERS = {"on", "to", "in", "at", "there", "here", "from", "towards", "toward"}


def _possessive_relation(i: int, words: list[str]) -> tuple[str, int, list[int], int] | None:
    """"(to) the yellow ball's left (side)": (relation, first trigger index, anchor indices, last index)."""
    if words[i] not in ("'s", "’s") or i + 1 >= len(words):
        return None
    concept = lx.LOCATION.get(words[i + 1])
    if concept not in lx.RELATION_OF or concept == "middle":
        return None
    end = i + 1
    while end + 1 < len(words) and words[end + 1] in ("side", "hand", "-"):
        end += 1
    start = i - 1
    while start >= 0 and words[start] not in _LOCATION_PREPS and words[start] not in (",", "that", "which", "is"):
        start -= 1
    anchor = list(range(start + 1, i))
    if not anchor:
        return None
    first = start if start >= 0 and words[start] in _LOCATION_PREPS else anchor[0]
    return lx.RELATION_OF[concept], first, anchor, end


def _concept_before(i: int, words: list[str]) -> tuple[str, int] | None:
    """The location/extreme/next word a preposition follows ("to the left of", "right side of")."""
    j = i - 1
    while j >= 0 and words[j] in ("side", "hand", "part", "-"):
        j -= 1
    if j < 0:
        return None
    word = words[j]
    if word in lx.LOCATION or word in lx.NEXT_WORDS or word == "away" or _degree_lemma(word) in lx.EXTREME:
        base = lx.LOCATION.get(word, word)
        if base in lx.RELATION_OF or word in lx.NEXT_WORDS or word == "away" or _degree_lemma(word) in lx.EXTREME:
            return (base if word in lx.LOCATION else word), j
    return None


def _extend_preposition(start: int, words: list[str]) -> int:
    """Include the leading 'to the' / 'on the' / 'in' of 'to the left of', 'in front of'."""
    j = start
    while j - 1 >= 0 and words[j - 1] in ("the", "a", "far", "very", "immediate", "direct", "directly"):
        j -= 1
    if j - 1 >= 0 and words[j - 1] in _LOCATION_PREPS:
        j -= 1
    return j


def _next_content(i: int, words: list[str]) -> str:
    j = i + 1
    while j < len(words) and words[j] in ("the", "a", "an", "very", "far"):
        j += 1
    return lx.LOCATION.get(words[j], words[j]) if j < len(words) else ""


def _object_span(start: int, words: list[str], kind: str = "") -> list[int]:
    """Indices of a relation's object: up to the next relation trigger, clause or end ("and" belongs
    to the span of "between A and B", "in the middle of A and B")."""
    span = []
    for j in range(start, len(words)):
        if words[j] in (",", ";", "that", "which", "who", "and") and not (
                words[j] == "and" and span and kind == "between"):
            break
        if span and words[j] in ("the", "a", "an") and words[span[-1]] not in _JOINING:
            break  # "to the left of the ball the cup" (a comma lost): the target's own phrase begins
        if span and _relation_at(j, words) is not None and words[j] not in ("of",):
            break
        span.append(j)
    return span


_JOINING = {"the", "a", "an", "and", "of", "to", "from", "between", "betwixt", "both", "either", "in", "on", "at"}


def _anchor_phrases(tokens, span: list[int], between: bool) -> list[Phrase | None] | None:
    """Anchors of a relation span; None when the span names a place, [] for the viewer."""
    parts = [span]
    if between:
        words = [tokens[j].text for j in span]
        if "and" in words:
            cut = words.index("and")
            parts = [span[:cut], span[cut + 1:]]
    phrases = []
    for part in parts:
        content = [tokens[j] for j in part if tokens[j].text not in ("the", "a", "an", "both", "either")]
        if not content:
            return None
        first = content[0].text
        if first in lx.LOCATION or first in lx.PLACE_NOUNS or _degree_lemma(first) in lx.EXTREME:
            return None
        if first in lx.VIEWER:
            return []
        phrases.append(_phrase(content))
    return phrases


# ---------------------------------------------------------------------------- the target
def _read_target_words(structure: ExpressionStructure, target_tokens, words) -> None:
    consumed: set[int] = set()
    direction_from = None
    for k, token in enumerate(target_tokens):
        if k in consumed:
            continue
        word = token.text
        previous = target_tokens[k - 1].text if k else ""
        following = [t.text for t in target_tokens[k + 1:k + 3]]
        if word in lx.COUNTING and following and _number(following[0]):  # "number two from the left"
            structure.ordinal = (_number(following[0]), "")
            consumed.add(k + 1)
        elif _number(word) and following[:2] == ["in", "from"]:  # "one in from the left": the second
            structure.ordinal = (_number(word) + 1, "")
            consumed.add(k + 1)
        elif word == "than":  # "larger than all the others": the standard of comparison, not the target
            consumed |= set(range(k + 1, _clause_end(target_tokens, k)))
        elif word in ("pair", "couple") and following[:1] == ["of"]:  # "the bigger of the pair of cups"
            structure.count = 2
            consumed.add(k + 1)
        elif word in lx.ORDINALS and _is_ordinal_use(token):
            structure.ordinal = (lx.ORDINALS[word], structure.ordinal[1] if structure.ordinal else "")
        elif word in lx.LAST:
            structure.ordinal = (-1, "")
        elif word in lx.LOCATION and following[:1] == ["to"] and following[1:] and following[1] in lx.LOCATION:
            direction_from = lx.LOCATION[word]  # "going left to right": counted from the left
            consumed |= {k + 1, k + 2}
        elif word in lx.LOCATION and _is_intensifier_use(token, words, previous):
            pass  # "right next to", "up against": an intensifier of the relation
        elif word in lx.LOCATION and not _is_noun_use(token, target_tokens, k):
            concept = lx.LOCATION[word]
            if "from" in [t.text for t in target_tokens[max(0, k - 2):k]]:
                direction_from = concept
            else:
                structure.location = concept
            consumed |= _leading_function_words(target_tokens, k)
        elif _degree_lemma(word) in ("far", "near", "close") and _modifies_location(k, target_tokens):
            pass  # "far left", "furthest to the left": an intensifier of the location
        elif _degree_lemma(word) in lx.EXTREME:
            measure, direction = lx.EXTREME[_degree_lemma(word)]
            if previous in ("least", "less"):  # "the least big cone"
                direction = "min" if direction == "max" else "max"
            structure.extreme = (measure, direction)
        elif word in lx.NUMBER_WORDS and word != "one" and token.pos_ == "NUM":
            structure.count = lx.NUMBER_WORDS[word]
        elif word not in lx.INTENSIFIERS and word not in _STOP or word in _KEEP_IN_TAIL:
            continue
        consumed.add(k)
    consumed |= _place_phrases(target_tokens)
    _resolve_ordinal(structure, direction_from)
    rest = [t for k, t in enumerate(target_tokens) if k not in consumed and (
        t.text not in lx.INTENSIFIERS and t.text not in _STOP or t.text in _KEEP_IN_TAIL)]
    structure.target = _phrase(_trim_dangling(rest))


def _clause_end(target_tokens, k: int) -> int:
    """Index after the clause that starts at k (up to a comma, 'that'/'which' or the end)."""
    j = k + 1
    while j < len(target_tokens) and target_tokens[j].text not in (",", ";", "that", "which", "who"):
        j += 1
    return j


def _number(word: str) -> int:
    """2 for 'two' or '2', 0 for other words."""
    if word.isdigit() and 0 < int(word) < 10:
        return int(word)
    return lx.NUMBER_WORDS.get(word, 0) if word not in ("both", "pair") else 0


_RELATION_STARTS = set(lx.SIMPLE_RELATIONS) | lx.NEXT_WORDS | {"in", "at", "on", "close", "there", "up", "over"}


def _is_intensifier_use(token, words: list[str], previous: str) -> bool:
    """'right' in "right next to the ball", 'up' in "up against it": a location word right before a
    relation, and not itself the object of one ("on the right", "to the far right")."""
    after = words[token.i + 1] if token.i + 1 < len(words) else ""
    return (token.text in ("right", "up", "down") and after in _RELATION_STARTS
            and previous not in ("the", "a", "to", "on", "far", "most", "very", "at", "from", "of"))


def _place_phrases(target_tokens) -> set[int]:
    """'(on the left) edge of the picture', 'in the image', 'from the viewer', 'of the smallest size',
    'of them', 'of the pair': words that say where one looks, what is measured or which group is
    meant, consumed with their preposition so they do not reach the CLIP text."""
    out: set[int] = set()
    for k, token in enumerate(target_tokens):
        word = token.text
        if word not in lx.PLACE_NOUNS and word not in lx.VIEWER and word not in lx.MEASURE_NOUNS and (
                word not in lx.GROUP_WORDS and word not in ("pair", "lot")):
            continue
        j = k - 1
        while j >= 0 and _modifies_place(target_tokens[j].text):
            j -= 1
        if j >= 0 and target_tokens[j].text in _PLACE_PREPS:
            out |= set(range(j, k + 1))
        elif k and target_tokens[k - 1].text in lx.LOCATION and word in lx.PLACE_NOUNS:
            out.add(k)  # "the left edge"
    return out


_PLACE_MODIFIERS = {"the", "a", "this", "that", "whole", "entire", "hand", "all", "other", "both"}


def _modifies_place(word: str) -> bool:
    """Words between a preposition and its place noun: 'in the (second) position', 'of the (smallest) size'."""
    return word in _PLACE_MODIFIERS or word in lx.LOCATION or word in lx.ORDINALS or _degree_lemma(word) in lx.EXTREME
_PLACE_PREPS = {"in", "of", "on", "at", "from", "to", "toward", "towards", "near", "across", "within", "nearest",
                "with", "among", "amongst"}


_KEEP_IN_TAIL = {"in", "of", "with", "the", "a", "an", "on", "at", "and", "to"}


def _leading_function_words(target_tokens, k: int) -> set[int]:
    """'on the' of 'on the far left': they go with the location word."""
    out = set()
    j = k - 1
    while j >= 0 and target_tokens[j].text in ("the", "a", "far", "very", "extreme", "most", "all", "way"):
        out.add(j)
        j -= 1
    if j >= 0 and target_tokens[j].text in _LOCATION_PREPS | {"from"}:
        out.add(j)
    return out


def _trim_dangling(tokens) -> list:
    """Drop function words left without their object ('cup on the' -> 'cup')."""
    tokens = list(tokens)
    while tokens and tokens[-1].text in _KEEP_IN_TAIL:
        tokens.pop()
    return tokens


def _is_ordinal_use(token) -> bool:
    """'second' as a count, not as time ('a second')."""
    return token.text not in ("second",) or token.i == 0 or token.nbor(-1).text != "a"


def _is_noun_use(token, target_tokens, k: int) -> bool:
    """'back' in 'chair back', 'top' in 'bottle top': a part noun after another noun."""
    previous = target_tokens[k - 1].text if k else ""
    return token.text in ("top", "back", "bottom", "front") and k > 0 and target_tokens[k - 1].pos_ in (
        "NOUN", "PROPN") and previous not in lx.LOCATION and k == len(target_tokens) - 1 and (
        _degree_lemma(previous) not in lx.EXTREME and previous not in lx.INTENSIFIERS)  # not "furthest back"


def _modifies_location(k: int, target_tokens) -> bool:
    """'far' in 'far left', 'furthest to the left' intensify a location."""
    j = k + 1
    while j < len(target_tokens) and target_tokens[j].text in ("to", "the", "on", "towards", "toward"):
        j += 1
    return j < len(target_tokens) and target_tokens[j].text in lx.LOCATION


def _resolve_ordinal(structure: ExpressionStructure, direction_from: str | None) -> None:
    """Direction of counting: 'from the X', else a location word ('second on the left'), else left."""
    if structure.ordinal is None:
        if direction_from:  # "the cup from the left" without an ordinal: a location
            structure.location = direction_from
        return
    n, _ = structure.ordinal
    direction = direction_from or structure.location or "left"
    if n == -1:  # "last" = first from the other end; "the last cup on the right" = rightmost
        n, direction = 1, (direction if (direction_from or structure.location) else "right")
    structure.ordinal = (n, lx.DIRECTION_OF_ORDINAL.get(direction, "left"))
    structure.location = None
    if n == 1 and structure.ordinal[1] in ("left", "right", "top", "bottom", "front", "back"):
        structure.location, structure.ordinal = structure.ordinal[1], None


def _phrase(tokens) -> Phrase:
    """Head = last word of the first noun run; other content words are kept as modifiers."""
    while tokens and tokens[0].text in _KEEP_IN_TAIL:
        tokens = tokens[1:]
    content = [t for t in tokens if t.pos_ not in ("PUNCT", "AUX") and (t.text not in ("the", "a", "an"))]
    if not content:
        return Phrase("", "")
    nouny = [i for i, t in enumerate(content) if t.pos_ in ("NOUN", "PROPN") and t.text not in lx.GENERIC_HEADS]
    if not nouny:  # a bare noun the tagger read as a verb ("that cone the one on the left": cone/VBP)
        nouny = [i for i, t in enumerate(content) if t.pos_ == "VERB" and t.tag_ in ("VB", "VBP")][:1]
    if not nouny and not any(t.text in lx.GENERIC_HEADS for t in content):
        nouny = [i for i, t in enumerate(content) if t.pos_ not in ("ADP", "VERB", "ADV", "CCONJ", "PRON", "NUM")
                 and t.text not in lx.GENERIC_HEADS]
        nouny = nouny[-1:]
    if not nouny:
        attributes = tuple(t.text for t in content if t.text not in lx.GENERIC_HEADS and t.pos_ == "ADJ")
        return Phrase(" ".join(("the", *attributes, "object")), "", attributes)
    end = nouny[0]
    while end + 1 < len(content) and content[end + 1].pos_ in ("NOUN", "PROPN") and (
            content[end + 1].text not in lx.GENERIC_HEADS):
        end += 1
    head = content[end]
    head_text = head.lemma_ if head.tag_ in ("NNS", "NNPS") and head.lemma_ else head.text
    attributes = tuple(t.text for t in content[:end] if t.text not in _KEEP_IN_TAIL and t.text not in lx.GENERIC_HEADS)
    tail_tokens = [t for t in content[end + 1:] if t.text not in lx.GENERIC_HEADS]
    if tail_tokens and all(t.pos_ == "ADJ" for t in tail_tokens):  # "the cone that's red": red cone
        attributes, tail_tokens = (*attributes, *(t.text for t in tail_tokens)), []
    tail = [t.text for t in tail_tokens]
    text = " ".join(("the", *attributes, head_text, *tail))
    return Phrase(text, head_text, attributes, plural=head.tag_ in ("NNS", "NNPS"))


def _degree_lemma(word: str) -> str:
    """'biggest' -> 'big', 'closer' -> 'close'; other words unchanged."""
    if word in lx.IRREGULAR_DEGREE:
        return lx.IRREGULAR_DEGREE[word]
    for suffix in ("iest", "ier"):
        if word.endswith(suffix) and word[: -len(suffix)] + "y" in lx.EXTREME:
            return word[: -len(suffix)] + "y"
    for suffix in ("est", "er"):
        if word.endswith(suffix) and word[: -len(suffix)] in lx.EXTREME:
            return word[: -len(suffix)]
    return word
