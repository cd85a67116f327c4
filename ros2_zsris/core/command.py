"""Turn a spoken or typed robot command into the referring expression it contains.

"robot, could you um pick up the red mug left of the laptop please" -> action "pick up",
expression "the red mug left of the laptop". Rules, in order, on lower-cased text
without punctuation: drop fillers and stutters anywhere; drop wake words and politeness
at the edges; drop one known action phrase at the start (and a trailing particle of
"pick ... up"). Only listed or configured actions are stripped: RefCOCO-style expressions
often parse with a verb root ("left guy", "stop light"), so stripping any leading verb
would eat the description. What remains is the expression; spaCy then decides whether it
describes something to find at all (no_referent otherwise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ACTIONS: dict[str, tuple[str, ...]] = {
    "pick up": ("pick up", "pick", "grab", "take", "get", "fetch", "lift", "grasp", "reach for", "hold"),
    "hand over": ("hand me", "give me", "bring me", "pass me", "get me", "fetch me", "hand over", "bring"),
    "point at": ("point at", "point to", "show me", "indicate", "highlight"),
    "find": ("find", "locate", "look for", "search for", "where is", "where are", "where's", "segment",
             "detect", "identify", "can you see", "do you see", "is there"),
    "look at": ("look at", "focus on", "watch"),
    "go to": ("go to", "move to", "drive to", "navigate to", "approach", "come to"),
    "put down": ("put down", "drop", "place", "put"),
    **{verb: (verb,) for verb in ("push", "pull", "open", "close", "touch", "press", "move")},
}
FILLERS = {"um", "uh", "uhm", "umm", "uhh", "er", "erm", "hmm", "mm", "ah"}
LEADING_POLITENESS = (
    "i would like you to", "i'd like you to", "i want you to", "i need you to", "would you mind", "could you please",
    "can you please", "would you please", "will you please", "could you", "can you", "would you", "will you",
    "please", "kindly", "now", "ok", "okay", "so", "well", "hey", "hi", "just", "go ahead and", "quickly",
)
TRAILING_POLITENESS = (
    "please", "thanks", "thank you", "for me", "now", "right now", "if you can", "if you could", "quickly",
    "thank you very much", "ok", "okay",
)
NON_REFERRING = {
    "stop", "wait", "cancel", "cancel that", "never mind", "nevermind", "thank you", "thanks", "hello", "hi",
    "hey", "yes", "no", "ok", "okay", "good job", "well done", "pause", "resume", "continue", "go home",
    "come here", "come back", "sit down", "stand up", "that's all", "thats all", "done", "good", "great",
    "nothing", "forget it", "shut down", "turn off", "power off", "go away", "sleep", "start", "help",
}
# Phrase starts, never single verbs: "stop light", "set of keys", "turn signal" are objects.
NON_REFERRING_STARTS = ("what", "how", "why", "when", "who", "whose", "what's", "whats", "how's", "are you",
                        "do you", "is it", "tell me", "let's", "lets", "turn on", "turn off", "set a", "set an",
                        "play some", "play a", "play music", "remind me", "sing", "dance", "repeat after",
                        "stop it", "stop now", "stop moving", "cancel the", "cancel my", "shut up")
NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
)
# One-word actions that are never object words; others ("open", "watch", "place", "drop")
# are stripped only when the parser tags them as a verb, so "open book" stays an object.
ALWAYS_VERBS = {"grab", "fetch", "find", "locate", "grasp", "detect", "identify", "pick", "take", "get", "bring"}
_PREPOSITIONS = {"on", "in", "at", "to", "of", "with", "near", "next", "by", "behind", "under", "above", "below",
                 "from", "beside", "between", "left", "right", "closest", "nearest", "far", "farthest"}
_DETERMINER_ONLY = {"it", "this", "that", "them", "these", "those", "one", "something", "anything", "thing"}


def _is_object_word(token) -> bool:
    """Nouns and modifiers, or any content word: single words mis-tag ("tray" as a verb)."""
    return token.pos_ in ("NOUN", "PROPN", "ADJ", "NUM") or not (token.is_stop or token.is_punct)


@dataclass
class ParsedCommand:
    command: str
    action: str = ""
    expression: str = ""
    has_referent: bool = True
    reason: str = ""
    doc: object = None  # spaCy parse of ``expression`` when the parser made one (reused downstream)


def normalise(text: str) -> list[str]:
    """Lower-case word tokens without punctuation; standalone digits 0-20 as words."""
    text = text.lower().replace("’", "'")
    tokens = re.findall(r"[\w']+", text)
    tokens = [t.strip("'") for t in tokens if t.strip("'")]
    return [NUMBER_WORDS[int(t)] if t.isdigit() and int(t) < len(NUMBER_WORDS) else t for t in tokens]


class CommandParser:
    def __init__(self, nlp=None, robot_names: tuple[str, ...] = ("robot",), extra_actions: tuple[str, ...] = ()):
        self.nlp = nlp
        self.robot_names = tuple(" ".join(normalise(n)) for n in robot_names if normalise(n))
        variants = [(v, canonical) for canonical, forms in ACTIONS.items() for v in forms]
        variants += [(" ".join(normalise(a)), " ".join(normalise(a))) for a in extra_actions if normalise(a)]
        self._actions = sorted(((tuple(v.split()), c) for v, c in variants), key=lambda item: -len(item[0]))
        wake = [tuple(n.split()) for n in self.robot_names]
        self._leading = sorted([tuple(p.split()) for p in LEADING_POLITENESS] + wake +
                               [("hey", *w) for w in wake] + [("ok", *w) for w in wake], key=lambda p: -len(p))
        self._trailing = sorted([tuple(p.split()) for p in TRAILING_POLITENESS] + wake, key=lambda p: -len(p))

    def parse(self, command: str) -> ParsedCommand:
        tokens = self._clean(normalise(command))
        if not tokens:
            return ParsedCommand(command, has_referent=False, reason="nothing to look for in the command")
        phrase = " ".join(tokens)
        if tuple(tokens) in self._leading or tuple(tokens) in self._trailing:
            return ParsedCommand(command, has_referent=False, reason=f"'{phrase}' only addresses the robot")
        if phrase in NON_REFERRING or phrase.startswith(tuple(s + " " for s in NON_REFERRING_STARTS)) \
                or phrase in NON_REFERRING_STARTS:
            return ParsedCommand(command, has_referent=False, reason=f"'{phrase}' does not describe an object")
        action, tokens = self._strip_action(tokens)
        tokens = self._strip_edges(tokens)
        expression = " ".join(tokens)
        if not tokens:
            return ParsedCommand(command, action, has_referent=False,
                                 reason=f"the command asks to {action or 'act'} but names no object")
        if expression in _DETERMINER_ONLY or expression in NON_REFERRING:
            return ParsedCommand(command, action, expression, has_referent=False,
                                 reason=f"'{expression}' does not describe which object")
        doc = self.nlp(expression) if self.nlp is not None else None
        if doc is not None and not any(_is_object_word(t) for t in doc):
            return ParsedCommand(command, action, expression, has_referent=False,
                                 reason=f"no object words in '{expression}'")
        return ParsedCommand(command, action, expression, doc=doc)

    # ------------------------------------------------------------------ rules
    def _clean(self, tokens: list[str]) -> list[str]:
        tokens = [t for t in tokens if t not in FILLERS]
        deduplicated = [t for i, t in enumerate(tokens) if i == 0 or t != tokens[i - 1]]  # ASR stutter
        return self._strip_edges(deduplicated)

    def _strip_edges(self, tokens: list[str]) -> list[str]:
        changed = True
        while changed and tokens:
            changed = False
            for prefix in self._leading:
                if tuple(tokens[: len(prefix)]) == prefix and len(tokens) > len(prefix):
                    tokens, changed = tokens[len(prefix):], True
                    break
            for suffix in self._trailing:
                if len(tokens) > len(suffix) and tuple(tokens[-len(suffix):]) == suffix:
                    tokens, changed = tokens[: -len(suffix)], True
                    break
        return tokens

    def _strip_action(self, tokens: list[str]) -> tuple[str, list[str]]:
        for form, canonical in self._actions:
            if tuple(tokens[: len(form)]) == form and len(tokens) > len(form):
                if len(form) == 1 and form[0] not in ALWAYS_VERBS and (
                        tokens[1] in _PREPOSITIONS or not self._is_verb_first(tokens)):
                    continue  # "watch on the left", "open book": the word is the object
                rest = tokens[len(form):]
                if form == ("pick",) and rest[-1] == "up" and len(rest) > 1:  # "pick the mug up"
                    rest = rest[:-1]
                return canonical, rest
        return "", tokens

    def _is_verb_first(self, tokens: list[str]) -> bool:
        if self.nlp is None:
            return True
        return self.nlp(" ".join(tokens))[0].pos_ in ("VERB", "AUX")
