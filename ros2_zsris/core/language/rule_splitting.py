"""Step 4 of the rules: what follows the verb split into the object, particles, adverbs, a destination
and a second clause or object (rules.py)."""

from __future__ import annotations

from .command_words import (
    _AIM_PREPS,
    _CLAUSE_MODALS,
    _COMMAND_ADVERBS,
    _DEGREES,
    _DESTINATION_PREPS,
    _GOAL_MODIFIERS,
    _GOAL_PREPS,
    _LIGHT_MODIFIERS,
    _NON_OBJECT_WORDS,
    _OBJECT_STARTS,
    _PARTICLES,
    _PLACE_ONLY,
    _POINTER_PARTS,
    _RECIPIENTS,
    _SECOND_OBJECT,
    _SECOND_STARTS,
    _TAKE_GOALS,
    _VIEW_PARTS,
    _WAY_PARTS,
    ACTION_OF,
    CARRY_VERBS,
    MOVE_VERBS,
    PLACE_VERBS,
)
from .parsed import ParsedCommand, _base_form, _starts
from .verbs import POSITION_WORDS

_DESTINATION_WORDS = {w for p in _DESTINATION_PREPS for w in p}
_LOCATIONS = {"left", "right", "top", "bottom", "front", "back", "middle", "center", "centre", "upper", "lower", "rear",
              "side"}
_BOUNDARIES = {"the", "a", "an", "his", "her", "their", "its", "my", "your", "our", "of", "with", "in", "on", "to",
               "at", "by", "near", "under", "behind", "from", "for", "and", "this", "that", "these", "those"}


class SplittingRules:
    """Mixin of RuleParser: splitting the words after the verb."""

    def _strip_particle(self, body: list[str], verb_words: list[str], doc, offset: int,
                        verb_index: int) -> tuple[list[str], str]:
        """'pick the mug up', 'lift the box up', 'spin the cup around': a particle after the object
        belongs to the verb, unless it belongs to a verb inside the expression ('man holding phone up')."""
        if len(verb_words) != 1 or len(body) < 2 or body[-1] not in _PARTICLES - {"in", "on"}:
            return body, ""
        if f"{verb_words[0]} {body[-1]}" in ACTION_OF:
            return body[:-1], body[-1]
        if body[-1] == "back":
            return body, ""  # "man in back"
        return body[:-1], body[-1]  # referring expressions hardly ever end in a particle, commands often do

    def _strip_adverbs(self, body: list[str], doc, offset: int, verb_index: int) -> list[str]:
        """'real quick', 'gently', 'anywhere' at the end modify the request, not the object;
        an adverb the parse attaches to a verb inside the expression stays ('holding it vertically')."""
        changed = True
        while changed and len(body) > 1:
            changed = False
            for size in (3, 2, 1):
                tail = tuple(body[-size:])
                if len(body) > size and tail in _COMMAND_ADVERBS:
                    body, changed = body[:-size], True
                    break
            last = offset + len(body) - 1
            if not changed and doc is not None and len(body) > 1 and doc[last].tag_ in ("RB", "RBR") \
                    and doc[last].head.i == verb_index and body[-1].endswith("ly") and body[-1] != "only" \
                    and not any(t.tag_ in ("VBG", "VBN", "VBD") for t in doc[offset:last]):
                body, changed = body[:-1], True  # "examine X closely": the parse attaches it to the verb
        return body

    def _own_part(self, body: list[str]) -> bool:
        return len(body) > 3 and body[0] == "your" and body[2] in _AIM_PREPS or \
            len(body) > 2 and body[0] == "yourself" and body[1] in _AIM_PREPS

    @staticmethod
    def _after_own_part(parsed: ParsedCommand, body: list[str], verb_words: list[str]) -> list[str]:
        """'turn your camera towards X', 'point your gripper at X': the robot's own part is the
        verb's object, the thing after the preposition is what it is about."""
        part = body[1] if body[0] == "your" else "yourself"
        rest = body[3:] if body[0] == "your" else body[2:]
        parsed.action_verb = f"{' '.join(verb_words)} {' '.join(body[: len(body) - len(rest)])}"
        if part in _WAY_PARTS:
            parsed.action = "go to"
        elif part in _VIEW_PARTS:
            parsed.action = "look at"
        elif part in _POINTER_PARTS:
            parsed.action = "point at"
        return rest

    def _light_verb(self, parsed: ParsedCommand, body: list[str], verb_words: list[str]) -> list[str]:
        """'give X a quick clean', 'give X a wipe': the noun after the object is the action."""
        if _base_form(verb_words[0]) not in ("give",) or len(body) < 3:
            return body
        for start in range(len(body) - 2, 0, -1):
            if body[start] in ("a", "an") and all(w in _LIGHT_MODIFIERS for w in body[start + 1:-1]):
                noun = body[-1]
                if noun in self._verbs or noun in ACTION_OF:
                    parsed.action_verb = f"{verb_words[0]} {noun}"
                    parsed.action = self._action_of([noun])
                    return body[:start]
        return body

    def _participle_goal(self, parsed: ParsedCommand, body: list[str], doc, offset: int,
                         lemma: str) -> tuple[list[str], list[str], str]:
        """'i'd like X placed inside D', 'i want X moved to the left': the participle's goal."""
        if lemma not in ("like", "want", "need", "have", "get") or doc is None:
            return body, [], lemma
        for i in range(1, len(body) - 1):
            token = doc[offset + i]
            if token.tag_ in ("VBN", "VBD") and token.lemma_ in PLACE_VERBS | CARRY_VERBS and \
                    any(_starts(body[i + 1:], p) for p in _DESTINATION_PREPS):
                parsed.action_verb = body[i]
                parsed.action = self._action_of([token.lemma_])
                return body[:i], body[i + 1:], token.lemma_
        return body, [], lemma

    @staticmethod
    def _split_second(body: list[str], tags: list[str] | None = None) -> tuple[list[str], list[str]]:
        """'the cup and the ball', 'X and Y' (Y a full phrase), 'X then Y', 'X can you give it to me':
        the first object only; 'the salt and pepper shakers' is one object."""
        if body[:1] == ["both"] and "and" in body[2:]:
            body, tags = body[1:], tags[1:] if tags else None
            cut = next((i for i in range(len(body) - 1, 0, -1) if body[i] == "and" and not _tight_and(body, i, tags)),
                       None)
            if cut is None:
                cut = max(i for i in range(1, len(body)) if body[i] == "and")
            return body[:cut], body[cut:]
        for i, word in enumerate(body):
            if i == 0:
                continue
            following = body[i + 1] if i + 1 < len(body) else ""
            if word in _CLAUSE_MODALS and following in ("you", "u") and i + 2 < len(body):
                return body[:i], body[i:]  # "X, can you give it to me"
            if word in ("where", "what") and following in ("is", "are", "s") and body[i + 2:] in (["it"], ["they"]):
                return body[:i], body[i:]  # "i can't see X, where is it"
            if word == "plus" or (word in ("along", "together") and following == "with") \
                    or (word == "followed" and following == "by"):
                return body[:i], body[i:]  # never inside one object's name
            if word not in _SECOND_OBJECT or not following:
                continue
            if word == "as" and following != "well":
                continue
            if word == "or" and following not in _OBJECT_STARTS:
                continue
            if following in ("all", "both") or body[i - 1] in ("between", "both"):
                continue
            if word in ("and", "plus", "also"):
                if following not in _OBJECT_STARTS | _SECOND_STARTS and following not in ACTION_OF \
                        and _tight_and(body, i, tags):
                    continue
            elif word in ("after", "afterwards") and body[i - 1] != "and" and following not in \
                    _OBJECT_STARTS | set(ACTION_OF) | {"put", "it", "that"}:
                continue
            return body[:i], body[i:]
        return body, []

    def _destination_from_second(self, parsed: ParsedCommand, rest: list[str]) -> tuple[list[str], list[str]]:
        """'... and put it in the basket', '... and bring it to me', '..., can you give it to me':
        a second clause about the same object gives its destination and the request's last action."""
        words = [w for w in rest if w not in ("and", "then", "also", "can", "could", "would", "will", "you", "u",
                                              "please", "just", "now")]
        if len(words) < 2 or words[1] not in ("it", "them", "that", "this", "those", "these"):
            return [], rest
        verb = words[0]
        if verb not in ACTION_OF and verb not in self._verbs:
            return [], rest
        destination = words[2:]
        if destination and destination[0] in _PARTICLES - {"in", "on", "back"} and \
                not any(_starts(destination, p) for p in _DESTINATION_PREPS if len(p) > 1):
            parsed.action_verb = f"{verb} {destination[0]}"
            destination = destination[1:]
        else:
            parsed.action_verb = verb
        parsed.action = self._action_of(parsed.action_verb.split())
        if destination and not any(_starts(destination, p) for p in _DESTINATION_PREPS):
            return [], rest
        return destination, []

    def _split_destination(self, body: list[str], lemma: str, verb_tail: list[str], doc=None,
                           offset: int = 0) -> tuple[list[str], list[str]]:
        """The destination of verbs that move things: a goal phrase after the object's first word."""
        place = lemma in PLACE_VERBS
        carry = lemma in CARRY_VERBS
        if not (place or carry) or len(body) < 2:
            return body, []
        has_recipient = any(t in _RECIPIENTS for t in verb_tail)
        goals = []
        i = 1
        while i < len(body):
            prep = next((p for p in _DESTINATION_PREPS if _starts(body[i:], p)), None)
            if prep is None:
                i += 1
                continue
            if self._is_goal(body, i, prep, lemma, has_recipient, doc, offset):
                goals.append(i)
            i += len(prep)
        if not goals:
            return body, []
        best = goals[-1]
        earlier = [g for g in goals[:-1] if destination_object(body[g:])]
        if earlier and not destination_object(body[best:]) and body[best] in ("on", "in", "at"):
            best = earlier[-1]  # "in the box on the left": the destination's own relation
        if best > 1 and body[best - 1] == "over" and f"{lemma} over" in ACTION_OF:
            return body[: best - 1], body[best:]  # "hand X over to me": the verb's particle
        if best > 1 and body[best - 1] in _GOAL_MODIFIERS:
            best -= 1  # "back in the box", "over to the table", "closer to the bowl"
            degree = next((d for d in _DEGREES if best > len(d) and tuple(body[best - len(d): best]) == d), ())
            if degree:  # "a bit closer to the bowl": how far, said of the motion
                return body[: best - len(degree)], body[best:]
        return body[:best], body[best:]

    @staticmethod
    def _is_goal(body: list[str], i: int, prep: tuple[str, ...], lemma: str, has_recipient: bool, doc,
                 offset: int) -> bool:
        """Whether the phrase at ``i`` says where the object goes rather than which object it is."""
        place = lemma in PLACE_VERBS
        if body[i - 1] in ("of", "between", "and", "from", "the", "a", "his", "her", "their", "its"):
            return False
        if prep in _PLACE_ONLY:
            return False
        goal = prep in _GOAL_PREPS or place
        if not (place or lemma in MOVE_VERBS) and prep not in _TAKE_GOALS:
            goal = False  # "take the tray in front of the girl": a relation, not where to take it
        if has_recipient and prep not in _TAKE_GOALS - {("to",)}:
            goal = False
        if prep[0] == "to" and body[i + 1: i + 4] in (["the", "left", "of"], ["the", "right", "of"]) \
                and (has_recipient or lemma not in PLACE_VERBS | MOVE_VERBS):
            goal = False  # "take the nuts to the right of the meat": a relation inside the expression
        if goal and doc is not None:
            phrase = doc[offset + i: offset + len(body)]
            if any(t.tag_ in ("VBG", "VBZ", "VBD") or t.text in ("his", "her", "their") for t in phrase):
                goal = False  # "on her left forearm playing wii": a description of the object
        return goal


def destination_object(destination: list[str]) -> str:
    """The object a destination names ("in the blue bowl" -> "the blue bowl"), or "" for a direction/person."""
    words = [w for w in destination if w not in ("down",)] if destination[:1] == ["down"] else list(destination)
    while words[:1] and words[0] in _GOAL_MODIFIERS:
        words = words[1:]  # "closer to the bowl", "back in the box"
    for _ in range(3):
        prep = next((p for p in _DESTINATION_PREPS if _starts(words, p) and p not in (("left",), ("right",))), None)
        if prep is None:
            break
        words = words[len(prep):]
    if words[:1] in (["of"],):
        words = words[1:]
    if not words or all(w in _NON_OBJECT_WORDS for w in words):
        return ""
    return " ".join(words)


def _tight_and(body: list[str], i: int, tags: list[str] | None = None) -> bool:
    """Whether 'and' joins words inside one object ('salt and pepper shakers', 'with snacks and
    drinks', 'his hands and knees', 'to right and front of') rather than two objects ('the pie and
    sub on left', 'left guy and shirt with flames', 'table with food and white bear').

    The words on each side must be alike: one word on the left since the phrase began, and on
    the right one word (inside a prepositional or possessive phrase, perhaps followed by a goal
    with its own determiner) or two with a shared head; a pronoun, a location word or a modifier
    facing a plain noun starts a second object."""
    start = i - 1
    while start > 0 and body[start - 1] not in _BOUNDARIES:
        start -= 1
    right = body[i + 1:]
    if right[:1] and right[0] in ("anything", "everything", "something", "whatever", "stuff"):
        return True  # "table and anything on it": a pronoun names no second object
    if i - start > 1 or not right or right[0] in _OBJECT_STARTS or body[i - 1] in _RECIPIENTS | {"it", "you"}:
        return not right
    left_word, first = body[i - 1], right[0]
    after_determiner = start > 0 and body[start - 1] in ("the", "a", "an", "this", "that", "these", "those")
    if left_word in _LOCATIONS or first in _LOCATIONS:
        return left_word in _LOCATIONS and first in _LOCATIONS and not after_determiner  # "to right and front of"
    if tags is not None and tags[i + 1].startswith("JJ") != tags[i - 1].startswith("JJ"):
        return False  # "food and white bear": a modifier facing a plain noun
    inside = start > 0 and not after_determiner
    clause_ends = _CLAUSE_MODALS | _GOAL_MODIFIERS | {d[0] for d in _DEGREES} | {
        "where", "what", "plus", "then", "please", "as", "and", "also", "a", "an"}  # what may follow the object
    if len(right) == 1 or right[1] in clause_ends or (len(right) == 2 and right[1] in _PARTICLES):
        return inside  # "with snacks and drinks", "his hands and knees (up)"
    if right[1] in _BOUNDARIES | _DESTINATION_WORDS:  # "snacks and drinks in the bowl", "... next to me"
        prep = next((p for p in _DESTINATION_PREPS if _starts(right[1:], p)), (right[1],))
        after = right[1 + len(prep): 2 + len(prep)]
        return inside and (not after or after[0] in _OBJECT_STARTS | _RECIPIENTS | {"here", "there"})
    if len(right) == 2 or right[2] in _BOUNDARIES | _DESTINATION_WORDS | clause_ends:
        return not right[1].endswith("ing") and right[1] not in POSITION_WORDS  # "salt and pepper shakers"
    return False


def _embedded_where(body: list[str]) -> list[str]:
    """'show me where X is', 'tell me which one X is': the object of an embedded question."""
    if len(body) > 2 and body[0] in ("where", "which") and body[-1] in ("is", "are", "sits", "went"):
        return body[1:-1]
    return body
