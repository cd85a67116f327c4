"""Which words can be verbs, from the spaCy pipeline's own lexicon rather than a list of ours.

The English pipelines ship the lemmatizer's ``lemma_index`` table: the base forms of WordNet's
verbs (about 8,700). A word the tagger does not tag as a verb at the start of a command
("snag", "tap": the small model reads them as nouns there) can still be the request verb when
the words around it make it one (a determiner after it, a request frame before it); this table
says whether it *can* be a verb at all, so "tray the cup" or "pizza the cup" never become
requests. It is only a filter: whether a word is the request verb is decided by its place in the
command (frames.py, command.py).
"""

from __future__ import annotations

# Words that open RefCOCO-style expressions as locations or colours although WordNet also lists
# them as verbs ("right the boat", "top the cake", "white out"): never a request verb on
# lexical grounds alone (the tagger may still tag them VB in a clear frame).
POSITION_WORDS = frozenset({
    "right", "left", "top", "bottom", "front", "back", "middle", "center", "centre", "side", "upper", "lower",
    "far", "near", "close", "second", "third", "last", "first", "next", "half", "corner", "edge", "end", "rear",
    "white", "black", "red", "green", "blue", "yellow", "brown", "pink", "orange", "grey", "gray", "purple",
    "silver", "gold", "tan", "dark", "light", "bright", "pale", "clear", "empty", "full", "big", "small", "tall",
    "short", "long", "round", "square", "flat", "open", "closed", "dry", "wet", "clean", "dirty", "cool", "hot",
    "warm", "cold", "double", "single",
})


def wordnet_verbs(nlp) -> frozenset[str]:
    """Base forms the pipeline's lemmatizer knows as verbs; empty when it has no such table."""
    return wordnet_index(nlp, "verb")


def wordnet_index(nlp, pos: str) -> frozenset[str]:
    """Base forms the pipeline's lemmatizer lists for ``pos`` ("verb", "noun", "adj", "adv")."""
    if nlp is None or "lemmatizer" not in getattr(nlp, "pipe_names", ()):
        return frozenset()
    lookups = getattr(nlp.get_pipe("lemmatizer"), "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return frozenset()
    table = lookups.get_table("lemma_index")
    return frozenset(table[pos]) if pos in table else frozenset()


def only_a_verb(word: str, verbs: frozenset[str], nouns: frozenset[str], adjectives: frozenset[str]) -> bool:
    """'calibrate', 'undo', 'reboot': a verb the lexicon knows as nothing else, so never an object's name."""
    return word in verbs and word not in nouns and word not in adjectives
