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

_HYPHEN_COMPOUND = re.compile(r"\b(left|right|top|bottom|upper|front|back|rear|far|center|centre)[- ](most|hand)\b")
_STOP = {"the", "a", "an", "this", "that", "those", "these", "which", "who", "is", "are", "was", "be", "being",
         "it", "its", "one's", "'s", "of", "to", "from", "in", "at", "on", ",", ".", "?", "!", "side", "hand",
         "and", "there", "sitting", "located", "placed", "standing", "lying", "positioned", "found", "situated",
         "counting", "count", "starting", "seen", "when", "looking", "as", "you", "look", "ones", "object",
         "objects", "all", "out", "just", "kind", "sort", "type"}
_LOCATION_PREPS = {"on", "to", "at", "in", "from", "toward", "towards", "by", "near", "along"}
_VIEWER_EXTREME = {"closest_to": ("distance", "min"), "farthest_from": ("distance", "max"),
                   "near": ("distance", "min"), "in_front_of": ("distance", "min"), "behind": ("distance", "max")}


@dataclass(frozen=True)
class Phrase:
    """An object description: the CLIP text, its head noun ('' when generic) and modifiers."""

    text: str
    head: str
    attributes: tuple[str, ...] = ()

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
    count: int | None = None  # "of the two balls"
    notes: list[str] = field(default_factory=list)

    @property
    def is_spatial(self) -> bool:
        return any(x is not None for x in (self.location, self.extreme, self.ordinal, self.relation))

    def describe(self, anchor_indices: list[int] | None = None) -> str:
        """Readable interpretation, e.g. "target 'ball' | left of anchor 'yellow cube' (#3)"."""
        parts = [f"target '{self.target.text}'"]
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
    return re.sub(r"\s+", " ", text)


def analyse(doc) -> ExpressionStructure:
    """The structure of one parsed (lower-cased, normalised) referring expression."""
    tokens = list(doc)
    words = [t.text for t in tokens]
    relation, used = _find_relation(tokens, words)
    structure = ExpressionStructure(doc.text, Phrase("", ""), relation=relation)
    target_tokens = [t for t in tokens if t.i not in used]
    _read_target_words(structure, target_tokens, words)
    if structure.relation and not structure.relation.anchors:
        structure.extreme = structure.extreme or _VIEWER_EXTREME.get(structure.relation.kind)
        structure.notes.append(f"'{structure.relation.kind}' the viewer: distance to the camera")
        structure.relation = None
    return structure


# ---------------------------------------------------------------------------- relations
def _find_relation(tokens, words) -> tuple[Relation | None, set[int]]:
    """The first relation with a thing as its object, and every token index it uses."""
    for i, _token in enumerate(tokens):
        found = _relation_at(i, words)
        if found is None:
            continue
        kind, trigger_start = found
        span = _object_span(i + 1, words)
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
    if word in ("nearest", "closest") and i + 1 < len(words) and (words[i + 1] in ("the", "a", "that", "this")
                                                                   or words[i + 1] in lx.VIEWER):
        return "closest_to", i  # "the cup nearest the camera"
    if word in lx.SIMPLE_RELATIONS and (word != "on" or _next_content(i, words) not in lx.RELATION_OF):
        return lx.SIMPLE_RELATIONS[word], i
    return None


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


def _object_span(start: int, words: list[str]) -> list[int]:
    """Indices of a relation's object: up to the next relation trigger, clause or end."""
    span = []
    for j in range(start, len(words)):
        if words[j] in (",", ";", "that", "which", "who", "and") and not _joins_between(j, words, span):
            break
        if span and _relation_at(j, words) is not None and words[j] not in ("of",):
            break
        span.append(j)
    return span


def _joins_between(j: int, words: list[str], span: list[int]) -> bool:
    """'and' inside 'between A and B' belongs to the span."""
    return words[j] == "and" and bool(span) and any(words[k] in ("between", "betwixt") for k in range(span[0]))


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
        word = token.text
        previous = target_tokens[k - 1].text if k else ""
        if word in lx.ORDINALS and _is_ordinal_use(token):
            structure.ordinal = (lx.ORDINALS[word], structure.ordinal[1] if structure.ordinal else "")
        elif word in lx.LAST:
            structure.ordinal = (-1, "")
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
    _resolve_ordinal(structure, direction_from)
    rest = [t for k, t in enumerate(target_tokens) if k not in consumed and (
        t.text not in lx.INTENSIFIERS and t.text not in _STOP or t.text in _KEEP_IN_TAIL)]
    structure.target = _phrase(_trim_dangling(rest))


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
    return token.text in ("top", "back", "bottom", "front") and k > 0 and target_tokens[k - 1].pos_ in (
        "NOUN", "PROPN") and target_tokens[k - 1].text not in lx.LOCATION and k == len(target_tokens) - 1


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
    attributes = tuple(t.text for t in content[:end] if t.text not in _KEEP_IN_TAIL)
    tail = [t.text for t in content[end + 1:] if t.text not in lx.GENERIC_HEADS]
    text = " ".join(("the", *attributes, head_text, *tail))
    return Phrase(text, head_text, attributes)


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
