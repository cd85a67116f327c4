"""From the trained reader's marks to a ParsedCommand: the kind decides whether there is anything to
find, the OBJ spans are the objects (in order), DEST the destination, ACT the action.

What a word means once it is marked stays the rules' business, shared with the rules-only parser:
the action set (ACTION_OF), pronouns that stand for the previous answer ("pick it up"), "the other
one", objects that name nothing ("something"), and the destination's object ("in the basket")."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .command_words import _OTHER_FORMS, COMPOUND_NOUNS, NOUN_LIKE_VERBS
from .parsed import ParsedCommand, normalise
from .reader import Reading
from .rule_splitting import destination_object

if TYPE_CHECKING:
    from .rules import RuleParser

# The reader's kinds that name nothing to find, as the rules' refusal codes.
REFUSALS = {"none": "not_a_request", "stop": "stop", "negated": "negated"}
_REASONS = {"not_a_request": "'{text}' is not a request about an object",
            "stop": "stop: '{text}' asks to stop", "negated": "negated: '{text}' asks not to act, so there is "
                                                                "nothing to find"}


def parsed_from_reading(reading: Reading, command: str, parser: RuleParser) -> ParsedCommand:
    """The learned reading as the engine's ParsedCommand (``parser`` lends its word tables)."""
    text = " ".join(normalise(command))
    if reading.kind in REFUSALS:
        code = REFUSALS[reading.kind]
        return ParsedCommand(command, has_referent=False, refusal=code, reason=_REASONS[code].format(text=text))
    objects = [" ".join(normalise(o)) for o in reading.objects]
    objects = [o for o in objects if o]
    verbs = list(reading.verbs)
    modifier = normalise(reading.verb_before_object)
    if objects and modifier and not any(w in parser._verbs for w in modifier):
        objects[0] = " ".join(modifier) + " " + objects[0]  # "pick up chocolate | cake": a modifier
        verbs.remove(reading.verb_before_object)
    verb_words = normalise(" ".join(verbs))
    action = _action(reading, verbs, verb_words, parser)
    parsed = ParsedCommand(command, action=action, action_verb=" ".join(verb_words),
                           count=reading.kind == "count")
    if reading.kind == "bare" and " ".join(objects) in _OTHER_FORMS | {text}:
        objects = objects or [text]
    destination = normalise(reading.destination)
    parsed.destination = " ".join(destination)
    parsed.destination_object = destination_object(destination) if destination else ""
    parsed = parser._finish(parsed, objects[0].split() if objects else [], bare=reading.kind == "bare")
    parsed.objects = objects if parsed.has_referent and not parsed.followup else []
    return parsed


def _action(reading: Reading, verbs: list[str], verb_words: list[str], parser: RuleParser) -> str:
    if reading.kind in ("follow", "count"):
        return reading.kind
    if reading.kind == "bare" or not verb_words:
        return ""
    if reading.destination and len(verbs) > 1:  # "grab X and put it in D": the last verb places it
        last = normalise(verbs[-1])
        return parser._action_of(last) if last else parser._action_of(verb_words)
    return parser._action_of(verb_words)


def combine(rules: ParsedCommand, learned: ParsedCommand, reading: Reading, verbs: frozenset[str]) -> ParsedCommand:
    """The combination shipped as ``command.reader: combined`` (chosen on development sets,
    bench/COMMANDS.md): the learned reading, except
    - where both read a bare label with one object: the label is then kept whole, as the rules keep
      it ("step stool", "pizza slice closest": the reader may cut a compound it does not know);
    - where the reader saw nothing but a verb and one object, and that verb is a word the rules know as
      an everyday object word too ("push cart", "open umbrella on left", "show horse far right") or
      none of its words is a verb in the lexicon (``verbs``: "daddy brown shirt", "persn far left"):
      the words alone cannot tell a request from a label there, so the label is kept;
    - where the rules read a follow-up ("no, the other one", "pick it up", "the one left of it"): the
      conversation's context is theirs;
    - where the reader found no destination but the rules found one for a place verb, either left
      unmarked after the same object ("drop the cup on the table") or kept inside the reader's
      object ("put the red cup next to the blue bowl": the rules' destination ends it);
    - where both read the same object of a request: the rules' action then (their idioms: "get me
      X" hands it over, "have a look at X" looks, "point your camera at X" looks);
    - where both refuse (the rules' reason names what they recognised: a stop, a question, chit-chat)."""
    if rules.followup:
        return rules
    learned = _destination_from_rules(rules, learned)
    if rules.action and learned.action and learned.action not in ("follow", "count") \
            and normalise(rules.expression) == normalise(learned.expression):
        learned = replace(learned, action=rules.action, action_verb=rules.action_verb)
    rules_bare = rules.has_referent and not rules.action and not rules.followup
    if rules_bare and ((reading.kind == "bare" and len(reading.objects) == 1) or _noun_like_start(reading, verbs)):
        return rules
    if not learned.has_referent and not learned.followup and not rules.has_referent and not rules.followup:
        return rules
    return learned


def _noun_like_start(reading: Reading, verbs: frozenset[str]) -> bool:
    words = normalise(reading.text)
    return reading.unmarked and bool(words) and (
        words[0] in NOUN_LIKE_VERBS or not any(w in verbs for v in reading.verbs for w in normalise(v))
        or any(" ".join(words).startswith(c + " ") for c in COMPOUND_NOUNS))


def _destination_from_rules(rules: ParsedCommand, learned: ParsedCommand) -> ParsedCommand:
    if not (rules.destination and learned.has_referent and learned.objects) or learned.destination:
        return learned
    tail = normalise(rules.destination)
    if normalise(rules.expression) == normalise(learned.expression):  # "drop the cup on the table": unmarked
        return replace(learned, destination=rules.destination, destination_object=rules.destination_object)
    first = _without_tail(normalise(learned.objects[0]), tail)
    if first is None:
        return learned
    expression = normalise(learned.expression)
    expression = _without_tail(expression, tail) or expression
    return replace(learned, expression=" ".join(expression), objects=[" ".join(first), *learned.objects[1:]],
                   destination=rules.destination, destination_object=rules.destination_object)


def _without_tail(words: list[str], tail: list[str]) -> list[str] | None:
    """``words`` without ``tail`` at their end, or None when they do not end with it (or are only it)."""
    return words[:-len(tail)] if len(words) > len(tail) and words[-len(tail):] == tail else None
