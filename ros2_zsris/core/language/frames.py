"""The frame around a request: the words before the request verb, read by word class.

People wrap a request in any number of frames: "could you", "i was wondering whether you could",
"would you be so kind as to", "i'd love it if you could", "do you think you might", "go and",
"try to", "would you mind". Rather than a list of such phrases, the scan below knows the closed
word classes a frame is made of (subject pronouns, modals, auxiliaries, complementisers, a few
adverbs) and one rule for open-class verbs: a verb followed by the start of another clause
("to" + verb, "if"/"whether", a subject pronoun, "and" + verb, a gerund) is a frame verb
("wondering", "love", "mind", "hoping", "go"), while the first verb followed by anything else is
the request verb ("collect", "hand", "pick"). So a frame nobody wrote down still leads to its
verb, and the verb itself may be any verb the parse or the lexicon allows (verbs.py).
"""

from __future__ import annotations

from dataclasses import dataclass

SUBJECTS = frozenset({"i", "you", "we", "u", "ya", "ye", "yall"})
MODALS = frozenset({"can", "could", "would", "will", "might", "may", "should", "must", "shall", "d", "'d", "ll",
                    "wanna", "gonna", "gotta", "can't", "cant", "cannot", "couldn't", "couldnt"})
AUXILIARIES = frozenset({"do", "does", "did", "am", "is", "are", "was", "were", "been", "m", "re"})
# subject + auxiliary written as one word by a recogniser or a typist ("i'd", "id" is also an ID)
CONTRACTED = frozenset({"i'd", "i'm", "im", "you'd", "youd", "we'd", "i'll", "you'll", "we'll", "i've", "ive",
                        "you're", "youre", "we're", "it'd", "it'll", "i'd've", "you've", "we've"})
COMPLEMENTISERS = frozenset({"if", "whether", "that"})
FRAME_ADVERBS = frozenset({"just", "maybe", "perhaps", "possibly", "also", "quickly", "now", "then", "really", "so",
                           "first", "simply", "actually", "kindly", "please", "pretty", "ever", "somehow", "still",
                           "carefully", "gently", "like", "kinda", "very", "too", "again"})
# verbs that take another bare verb ("go get", "come grab", "help me find", "let me see")
SERIAL_VERBS = frozenset({"go", "come", "help", "let", "make", "run", "hurry", "please", "try"})
OBJECT_PRONOUNS = frozenset({"me", "us", "him", "her", "them", "you", "it"})
_VERB_TAGS = frozenset({"VB", "VBP"})


@dataclass(frozen=True)
class FrameScan:
    """Where the request verb is (``verb``, -1 when no verb was reached) and whether a frame came first."""

    verb: int
    framed: bool


def scan(tokens: list[str], doc, start: int, is_verb) -> FrameScan:
    """Walk over frame words and frame verbs from ``start`` to the request verb.

    ``is_verb(index, framed)`` says whether the word at ``index`` can be a verb there."""
    i, framed = start, False
    while i < len(tokens):
        word = tokens[i]
        if i + 1 < len(tokens) and _is_frame_word(tokens, doc, i, is_verb):
            i, framed = i + 1, framed or word not in ("now", "then", "so", "also")
            continue
        if not is_verb(i, framed):
            break
        after = _after_frame_verb(tokens, doc, i, is_verb)
        if after is None:
            return FrameScan(i, framed)
        i, framed = after, True
    return FrameScan(-1, framed)


def _is_frame_word(tokens: list[str], doc, i: int, is_verb) -> bool:
    """Closed-class words a frame is made of; "it" only before a clause or an auxiliary."""
    word, following = tokens[i], tokens[i + 1]
    if word in SUBJECTS or word in MODALS or word in CONTRACTED or word in COMPLEMENTISERS:
        return word != "that" or following in SUBJECTS | {"it"}
    if word in AUXILIARIES:  # "do you see", "i was wondering", "i'm hoping"
        return following in SUBJECTS | {"it"} or _tag(doc, i + 1) in ("VBG", "VBN")
    if word == "to" or (_tag(doc, i) == "JJ" and following in ("to", "enough", "as") and not is_verb(i, False)):
        return word != "to" or _tag(doc, i + 1) == "VB" or following in ("just", "please", "go")  # "are you able to"
    if word == "it":
        return following in COMPLEMENTISERS | MODALS | AUXILIARIES | {"'s", "s", "be"}
    if word in FRAME_ADVERBS:
        return True  # "could you just", "could you like take X" (a filler)
    return doc is not None and doc[i].tag_ == "UH" and not is_verb(i, True)  # "snag" is often tagged UH


def _after_frame_verb(tokens: list[str], doc, i: int, is_verb) -> int | None:
    """The index after a frame verb, or None when the verb at ``i`` is the request verb."""
    word = tokens[i]
    k = i + 1
    if word == "be":  # "be so kind as to", "be able to", "be a dear and"
        while k < len(tokens) and (tokens[k] in FRAME_ADVERBS or _tag(doc, k) in ("JJ", "RB", "DT", "NN")) \
                and tokens[k] not in ("to", "and", "as", "for", "enough"):
            k += 1
        if k < len(tokens) and tokens[k] == "enough":
            k += 1
    while k < len(tokens) and tokens[k] in ("just", "really", "so", "very", "kinda", "please"):
        k += 1
    if k >= len(tokens):
        return None
    following = tokens[k]
    if following == "it" and k + 1 < len(tokens) and tokens[k + 1] in COMPLEMENTISERS:
        return k + 1  # "i'd love it if you could"
    if following in COMPLEMENTISERS and (following != "that" or _starts_clause(tokens, k + 1)):
        return k + 1  # "wondering whether you could", "hope that you can"
    if following in SUBJECTS - {"you"} or (following == "you" and _starts_clause(tokens, k)):
        return k  # "hoping you might", "think you could", "wish you would"
    if following == "as" and k + 1 < len(tokens) and tokens[k + 1] == "to":
        return k + 2
    if following == "for" and k + 2 < len(tokens) and tokens[k + 1] in SUBJECTS | OBJECT_PRONOUNS \
            and tokens[k + 2] == "to":
        return k + 3  # "would it be possible for you to"
    if following in OBJECT_PRONOUNS and k + 1 < len(tokens) and tokens[k + 1] == "to" \
            and k + 2 < len(tokens) and is_verb(k + 2, True):
        return k + 2  # "i want you to", "i'd like you to"
    if following == "to" and k + 1 < len(tokens) and is_verb(k + 1, True) and word not in _PLACE_GOALS:
        return k + 1  # "try to find", "remember to grab"; not "go to the door"
    if following in ("and", "n") and k + 1 < len(tokens) and is_verb(k + 1, True):
        return k + 1  # "go and get", "come and grab", "try and find"
    if word in SERIAL_VERBS:
        if following in OBJECT_PRONOUNS - {"it", "you"} and k + 1 < len(tokens) and _tag(doc, k + 1) == "VB":
            return k + 1  # "help me find", "let me see"
        if _tag(doc, k) == "VB" or (is_verb(k, True) and _tag(doc, k) not in ("DT", "PRP$", "CD")):
            return k  # "go pick up", "come grab"
    if _tag(doc, k) == "VBG" and word in ("mind", "keep", "start", "begin", "try", "consider", "go"):
        return k  # "would you mind passing", "start tracking"
    return None


_PLACE_GOALS = frozenset({"go", "come", "head", "walk", "drive", "move", "run", "get", "turn", "navigate", "point",
                          "look", "listen", "talk", "say", "reach", "hold", "stick"})


def _starts_clause(tokens: list[str], k: int) -> bool:
    """A subject pronoun followed by a modal or verb-like word: 'you could', 'you might'."""
    return k + 1 < len(tokens) and tokens[k] in SUBJECTS | {"it"} and (tokens[k + 1] in MODALS | AUXILIARIES
                                                                      or tokens[k + 1] in FRAME_ADVERBS)


def _tag(doc, k: int) -> str:
    return doc[k].tag_ if doc is not None and k < len(doc) else ""
