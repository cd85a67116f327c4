"""What a command asks for (ParsedCommand), and the word normalisation every reader shares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .command_words import ACTION_OF, NUMBER_WORDS


@dataclass
class ParsedCommand:
    command: str
    action: str = ""  # one of ACTIONS (or a configured extra action); "" for a bare expression
    expression: str = ""
    has_referent: bool = True
    reason: str = ""  # why there is no referent
    doc: object = None  # spaCy parse of ``expression`` when the parser made one (reused downstream)
    action_verb: str = ""  # the verb as spoken ("nab", "pick ... up" as "pick up")
    destination: str = ""  # where the object should go, words as spoken ("in the basket", "to me")
    destination_object: str = ""  # the object the destination names ("the basket"); "" for directions/people
    refusal: str = ""  # short code for no_referent: negated, not_a_request, no_object, question, stop
    followup: str = ""  # "other": the previous answer's next-best candidate; "same": "pick it up", the answer
    anchor_is_previous: bool = False  # "the one left of it": "it" is the previous answer
    anchor_word: str = ""  # the pronoun that stands for the previous answer ("it", "that")
    unanswered: str = ""  # words naming a second object or action that is not answered
    # Every object the command names, in the order named ("the cup and the ball" -> two); objects[0]
    # is ``expression``. A plural or a number inside one item ("all the cups") is the expression
    # analysis's to read, not this list's.
    objects: list[str] = field(default_factory=list)
    count: bool = False  # "how many cups are there", "count the bottles": the answer is a count
    notes: list[str] = field(default_factory=list)


def normalise(text: str) -> list[str]:
    """Lower-case word tokens without punctuation; standalone digits 0-20 as words."""
    text = text.lower().replace("’", "'").replace("`", "'").replace("&", " and ")
    tokens = re.findall(r"[\w']+", text)
    tokens = [t.strip("'") for t in tokens if t.strip("'")]
    return [NUMBER_WORDS[int(t)] if t.isdigit() and int(t) < len(NUMBER_WORDS) else t for t in tokens]


def _starts(tokens: list[str], prefix: tuple[str, ...]) -> bool:
    return len(tokens) >= len(prefix) and tuple(tokens[: len(prefix)]) == prefix

def _base_form(gerund: str) -> str:
    """'picking' -> 'pick', 'grabbing' -> 'grab', 'placing' -> 'place' (known verbs only)."""
    if not gerund.endswith("ing") or len(gerund) < 5:
        return gerund
    stem = gerund[:-3]
    for candidate in (stem, stem + "e", stem[:-1]):
        if candidate in ACTION_OF:
            return candidate
    return stem
