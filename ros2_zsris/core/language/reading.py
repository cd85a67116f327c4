"""From the trained reader's marks to a ParsedCommand: the kind decides whether there is anything to
find, the OBJ spans are the objects (in order), DEST the destination, ACT the action.

What a word means once it is marked stays the rules' business, shared with the rules-only parser:
the action set (ACTION_OF), pronouns that stand for the previous answer ("pick it up"), "the other
one", objects that name nothing ("something"), and the destination's object ("in the basket")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .command_words import _OTHER_FORMS
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
    verb_words = normalise(" ".join(reading.verbs))
    action = _action(reading, verb_words, parser)
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


def _action(reading: Reading, verb_words: list[str], parser: RuleParser) -> str:
    if reading.kind in ("follow", "count"):
        return reading.kind
    if reading.kind == "bare" or not verb_words:
        return ""
    if reading.destination and len(reading.verbs) > 1:  # "grab X and put it in D": the last verb places it
        last = normalise(reading.verbs[-1])
        return parser._action_of(last) if last else parser._action_of(verb_words)
    return parser._action_of(verb_words)


def combine(rules: ParsedCommand, learned: ParsedCommand, reading: Reading) -> ParsedCommand:
    """The combination shipped as ``command.reader: combined`` (chosen on development sets,
    bench/COMMANDS.md): the learned reading, except where the rules found a request verb the reader
    calls a bare label ("tap the cup": its verb is rare), and where both refuse (the rules' reason
    names what they recognised: a stop, a question, chit-chat)."""
    if reading.kind == "bare" and rules.has_referent and rules.action and not rules.followup:
        return rules
    if not learned.has_referent and not learned.followup and not rules.has_referent and not rules.followup:
        return rules
    return learned
