"""The rule parser: a spoken or typed robot command read from its grammar by hand-written rules.

"robot, could you um go pick the red mug up and put it in the basket please" -> action
"pick up" (verb as spoken "pick up"), expression "the red mug", destination "in the basket".

Order of the rules, on lower-cased words without punctuation (numbers as words):
1. Clean: fillers and stutters anywhere, "please"/"kindly" anywhere, wake words and
   politeness at the edges (how strongly they marked a request is kept).
2. Refuse what is not a request about an object (refusals.py): stop words at either end,
   chit-chat with or without a time tail, interjections first, questions about anything else,
   negation ("don't ...", the parse's ``neg`` on the request verb, "leave X alone").
3. Find the request verb (frames.py): past any frame made of closed-class words and frame
   verbs ("i was wondering whether you could", "would you be so kind as to", "go and"), the
   first verb followed by something other than another clause. Any verb works: a VB tag, a
   known action, or a verb of the pipeline's own lexicon (verbs.py) where a frame precedes it or
   a determiner follows it. ACTION_OF only normalises known verbs to the documented set. Its
   particle ("pick X up"), recipient ("me") and preposition ("look at", "go over to") belong to
   the verb; light verbs ("take a look at", "give X a clean") and the robot's own parts ("turn
   your camera towards X") give the action from the noun or the part.
4. Split what follows into the expression, trailing adverbs and particles, a destination (for
   verbs that move things: "in the basket", "to the left", "to me", also after a particle or a
   participle: "set X down behind D", "i'd like X placed in D"), a second clause about the same
   object ("... and bring it to me": its destination and action) and a second object that is
   not answered ("and the ball", "X and Y" when both sides name an object).
5. A phrase with no request is a bare referring expression and is returned unchanged, except
   when it is a follow-up ("no, the other one") or names nothing ("see you later").

The deciding rule for bare phrases that start with a verb ("stop light", "pick up truck",
"watch on the left", "show horse"): the phrase is a request when something marks it as one
(politeness or a modal frame, an indirect frame, a verb chain, a recipient "me", a trailing
particle, a determiner/number/possessive or a location word after the verb, a destination
after a place verb), or when the tagger reads the verb as a verb and it is not also a common
object word (NOUN_LIKE_VERBS), or when the lexicon knows the word only as a verb ("locate").
Otherwise it stays a bare expression: "tap man texting" is read as a bare phrase."""

from __future__ import annotations

from .command_words import (
    _ABILITY_FRAME,
    _ANAPHORS,
    _DETERMINER_ONLY,
    _FRAMES,
    _NEGATIONS,
    _OTHER_FORMS,
    _PARSE_COMPONENTS,
    _PARTICLES,
    _RECIPIENTS,
    _RELATION_WORDS,
    _VERB_PREPOSITIONS,
    ACTION_OF,
    COMPOUND_NOUNS,
    FILLERS,
    LEADING_POLITENESS,
    NON_REFERRING,
    NON_REFERRING_STARTS,
    STOP_STARTS,
    TRAILING_POLITENESS,
)
from .follow_forms import continuity_tail, follow_idiom, stop_following
from .parsed import ParsedCommand, _starts, normalise
from .refusals import asks_to_stop, names_nothing, negated_request, opens_with_discourse, without_time_tail
from .rule_cleaning import CleaningRules
from .rule_requests import RequestRules
from .rule_splitting import SplittingRules, _embedded_where, destination_object
from .verbs import only_a_verb, wordnet_index, wordnet_verbs


class RuleParser(CleaningRules, RequestRules, SplittingRules):
    """One spaCy parse per command (tags and dependencies), then the rules of the module doc."""

    def __init__(self, nlp=None, robot_names: tuple[str, ...] = ("robot",),
                 extra_actions: tuple[str, ...] = ()):
        self.nlp = nlp
        self.robot_names = tuple(" ".join(normalise(n)) for n in robot_names if normalise(n))
        self.extra_actions = {" ".join(normalise(a)): " ".join(normalise(a)) for a in extra_actions if normalise(a)}
        self._extra_forms = sorted((tuple(a.split()) for a in self.extra_actions), key=lambda f: -len(f))
        wake = [tuple(n.split()) for n in self.robot_names]
        self._wake = wake
        self._wake_words = {w for name in wake for w in name} | {"hey", "hi", "ok", "okay", "yo", "hello"}
        self._leading = sorted([tuple(p.split()) for p in LEADING_POLITENESS] + wake +
                               [("hey", *w) for w in wake] + [("ok", *w) for w in wake] +
                               [("okay", *w) for w in wake] + [("hi", *w) for w in wake], key=lambda p: -len(p))
        self._trailing = sorted([tuple(p.split()) for p in TRAILING_POLITENESS] + wake, key=lambda p: -len(p))
        self._verbs = wordnet_verbs(nlp)
        self._nouns, self._adjectives = wordnet_index(nlp, "noun"), wordnet_index(nlp, "adj")

    def _parse(self, command: str) -> ParsedCommand:
        raw = normalise(command)
        tokens, marked = self._clean(raw)
        if not tokens:
            return self._refuse(command, "no_object", "nothing to look for in the command")
        phrase = " ".join(tokens)
        if tuple(tokens) in self._leading or tuple(tokens) in self._trailing:
            return self._refuse(command, "not_a_request", f"'{phrase}' only addresses the robot")
        if stop_following(tokens):  # "cease tracking", "forget it, stop following", "turn off tracking"
            return self._refuse(command, "stop", f"stop: '{phrase}' asks to stop following")
        idiom = follow_idiom(tokens)  # "keep X in view", "don't lose sight of X", "track X"
        if idiom is not None:
            parsed = self._parse_request(command, idiom[0], marked)
            if parsed.action == "follow":
                parsed.action_verb = idiom[1]
                return self._continuing(parsed)
        refusal = self._refusal(tokens)
        if refusal:
            return self._refuse(command, *refusal)
        tokens, corrected = self._strip_correction(tokens)
        refusal = self._refusal(tokens) if corrected and tokens else None
        if refusal:  # "oops, sorry about that"
            return self._refuse(command, *refusal)
        if " ".join(tokens) in _OTHER_FORMS:
            return ParsedCommand(command, expression=" ".join(tokens), followup="other")
        if corrected and not tokens:
            return self._refuse(command, "not_a_request", f"'{phrase}' corrects nothing that names an object")
        return self._continuing(self._parse_request(command, tokens, marked or corrected))

    @staticmethod
    def _continuing(parsed: ParsedCommand) -> ParsedCommand:
        """'track X as it moves', 'watch X and don't lose it': the tail is no part of the object,
        and asks for following (follow_forms.py)."""
        if not parsed.has_referent or parsed.followup:
            return parsed
        words = parsed.expression.split()
        second = parsed.unanswered.split()
        joined = words + second if second[:1] == ["and"] else words
        kept, continuous = continuity_tail(joined, parsed.action)
        if not continuous and parsed.action == "follow":  # fillers only: "follow X already"
            kept = continuity_tail(words, parsed.action)[0]
            if kept != words:
                parsed.expression, parsed.doc = " ".join(kept), None
            return parsed
        if continuous:
            parsed.expression, parsed.action, parsed.doc = " ".join(kept), "follow", None
            if len(kept) <= len(words):
                parsed.unanswered = ""
        return parsed

    def _parse_request(self, command: str, tokens: list[str], marked: int) -> ParsedCommand:
        doc = self._parse_words(tokens)
        question = _existence_question(tokens, doc)
        if question is not None:  # "where did X go", "is X anywhere around"
            verb, body = question
            return self._finish(ParsedCommand(command, action="find", action_verb=verb), body, bare=False, doc=doc)
        request = self._find_request(tokens, doc, marked)
        if request is None:
            if opens_with_discourse(tokens):
                return self._refuse(command, "not_a_request", f"not_a_request: '{' '.join(tokens)}' is "
                                                               "conversation, not a request about an object")
            return self._finish(ParsedCommand(command), tokens, bare=True, doc=doc)
        verb_start, verb_end, action, verb_words, object_start = request
        if negated_request(doc, verb_start, tokens):
            return self._refuse(command, "negated", f"negated: '{' '.join(tokens)}' asks not to act, so there is "
                                                    "nothing to find")
        parsed = ParsedCommand(command, action=action, action_verb=" ".join(verb_words))
        body = tokens[object_start:]
        if self._own_part(body):  # "turn your camera towards X": X is the object
            body = self._after_own_part(parsed, body, verb_words)
        body = _embedded_where(body)
        span = self._tokens_of(doc, body)
        body, rest = self._split_second(body, [t.tag_ for t in span] if span else None)
        body = self._strip_adverbs(body, doc, object_start, verb_start)
        body, particle = self._strip_particle(body, verb_words, doc, object_start, verb_start)
        if particle:
            parsed.action_verb = f"{parsed.action_verb} {particle}"
            parsed.action = self._action_of(parsed.action_verb.split()) or parsed.action
        body = self._light_verb(parsed, body, verb_words)
        lemma = self._lemma(doc, verb_start, verb_words)
        body, destination, lemma = self._participle_goal(parsed, body, doc, object_start, lemma)
        if not destination and not particle and verb_words[-1] not in _VERB_PREPOSITIONS:
            # a particle after the object closes it ("put X down"); "go to X" has its goal already
            body, destination = self._split_destination(body, lemma, tokens[verb_end:object_start], doc,
                                                        object_start)
            if destination and len(body) > 1 and body[-1] in _PARTICLES - {"in", "on", "back"} and (
                    f"{verb_words[0]} {body[-1]}" in ACTION_OF or body[-1] in ("down", "off", "out", "away")
                    or (doc is not None and doc[object_start + len(body) - 1].dep_ == "prt")):
                body, particle = body[:-1], body[-1]  # "set X down behind the bowl", "drop X off at D"
                parsed.action_verb = f"{parsed.action_verb} {particle}"
                parsed.action = self._action_of(parsed.action_verb.split()) or parsed.action
        if not destination and len(body) > 3 and body[-3] in _PARTICLES and body[-2] == "to" \
                and body[-1] in _RECIPIENTS:
            parsed.action_verb = f"{parsed.action_verb} {body[-3]}"  # "point X out to me": to whom, not where
            parsed.action = self._action_of(parsed.action_verb.split())
            body = body[:-3]
        if rest:
            second_destination, rest = self._destination_from_second(parsed, rest)
            destination = destination or second_destination
        parsed.destination = " ".join(destination)
        parsed.destination_object = destination_object(destination)
        parsed.unanswered = " ".join(rest)
        return self._finish(parsed, body, bare=False, doc=doc)

    def _parse_words(self, words: list[str]):
        """spaCy parse over exactly these words, so token i of the parse is word i."""
        if self.nlp is None:
            return None
        from spacy.tokens import Doc

        doc = Doc(self.nlp.vocab, words=words)
        for name, component in self.nlp.pipeline:
            if name in _PARSE_COMPONENTS:  # tags and dependencies only: half the time of the full pipeline
                doc = component(doc)
        return doc

    def _refusal(self, tokens: list[str]) -> tuple[str, str] | None:
        phrase = " ".join(tokens)
        core = " ".join(self._strip_edges([t for t in tokens if t not in FILLERS]) or tokens)
        if phrase.startswith(tuple(n + " " for n in _NEGATIONS)) or phrase in _NEGATIONS:
            return "negated", f"negated: '{phrase}' asks not to act, so there is nothing to find"
        if any(_starts(tokens, prefix) and len(tokens) > len(prefix) for prefix, _ in _FRAMES):
            return None  # "i'm looking for the cup", "is there a cup": an indirect request
        if asks_to_stop(tokens, COMPOUND_NOUNS):
            return "stop", f"stop: '{phrase}' asks to stop, not about an object"
        for text in dict.fromkeys((phrase, core, " ".join(without_time_tail(tokens)))):
            if text in STOP_STARTS or text.startswith(tuple(s + " " for s in STOP_STARTS)):
                return "stop", f"stop: '{text}' asks to stop, not about an object"
            if text in NON_REFERRING:
                code = "stop" if text.split()[0] in ("stop", "wait", "cancel", "pause", "halt", "abort",
                                                     "freeze", "hold", "hang") else "not_a_request"
                return code, f"{code}: '{text}' is not a request about an object"
            if (text.startswith(tuple(s if s.endswith(" ") else s + " " for s in NON_REFERRING_STARTS))
                    or text in NON_REFERRING_STARTS) and not _ABILITY_FRAME.match(text):
                code = "question" if text.split()[0] in ("what", "how", "why", "when", "who", "whose", "what's",
                                                         "whats", "how's", "hows", "is", "are") else "not_a_request"
                return code, f"{code}: '{text}' is not a request about an object"
        return None

    @staticmethod
    def _refuse(command: str, code: str, reason: str) -> ParsedCommand:
        return ParsedCommand(command, has_referent=False, reason=reason, refusal=code)

    def _finish(self, parsed: ParsedCommand, tokens: list[str], bare: bool, doc=None) -> ParsedCommand:
        tokens = self._strip_trailing(tokens)
        expression = " ".join(tokens)
        parsed.expression = expression
        if not bare and expression in _OTHER_FORMS:
            parsed.followup = "other"
            return parsed
        anchor = self._anchor(tokens)
        if anchor:
            parsed.anchor_is_previous, parsed.anchor_word = True, anchor
        if not tokens:
            parsed.has_referent = False
            parsed.refusal = "no_object"
            parsed.reason = f"no_object: the command asks to {parsed.action_verb or 'act'} but names no object"
            return parsed
        if not bare and expression in _ANAPHORS:
            parsed.followup = "same"  # "pick it up": the previous answer, when there is one
        if expression in _DETERMINER_ONLY or expression in NON_REFERRING:
            parsed.has_referent = False
            parsed.refusal = "no_object"
            parsed.reason = f"no_object: '{expression}' does not describe which object"
            return parsed
        words = self._tokens_of(doc, tokens)
        if bare and words is not None and len(words) == 1 and (
                words[0].tag_ == "UH" or only_a_verb(tokens[0], self._verbs, self._nouns, self._adjectives)):
            parsed.has_referent, parsed.refusal = False, "not_a_request"
            parsed.reason = f"not_a_request: '{expression}' names no object"
            return parsed
        if words is not None and names_nothing(words, bare):
            parsed.has_referent = False
            parsed.refusal = "no_object"
            parsed.reason = f"no_object: no object words in '{expression}'"
        return parsed

    @staticmethod
    def _tokens_of(doc, words: list[str]):
        """The command parse's tokens for these (contiguous) words; the parse is not redone."""
        if doc is None or not words:
            return None
        texts = [t.text for t in doc]
        for start in range(len(texts) - len(words), -1, -1):
            if texts[start: start + len(words)] == words:
                return list(doc[start: start + len(words)])
        return None

    @staticmethod
    def _anchor(tokens: list[str]) -> str:
        """'the one left of it', 'the cup next to that': the pronoun standing for the previous answer."""
        for size in (3, 2, 1):
            if len(tokens) > size:
                tail = " ".join(tokens[-size:])
                if tail in _ANAPHORS and tokens[-size - 1] in _RELATION_WORDS | {"left", "right", "next"}:
                    return tail
        return ""


_WHERE_AUXILIARIES = {"did", "does", "do", "has", "have", "was", "were", "is", "are", "s", "could", "would", "can",
                      "might"}
_WHERE_TAILS = {"go", "went", "gone", "get", "got", "end up", "ended up", "disappear", "disappeared", "be", "sit",
                "hide", "hiding", "land", "landed", "move", "moved", "roll", "rolled", "get to", "got to", "put",
                "left", "leave", "at", "now", "kept", "stored"}
_PRESENCE_TAILS = {"anywhere", "around", "here", "there", "nearby", "visible", "in view", "in sight", "anywhere around",
                   "around here", "over there", "out there", "in the picture", "in the image", "on the table",
                   "anywhere nearby", "in front of you", "somewhere", "somewhere around", "anywhere here"}


def _existence_question(tokens: list[str], doc) -> tuple[str, list[str]] | None:
    """'where did X go', 'where has X gone', 'is X anywhere around', 'are X visible': questions
    whose answer is where an object is; the object is between the question words."""
    if len(tokens) >= 4 and tokens[0] == "where" and tokens[1] in _WHERE_AUXILIARIES - {"is", "are", "s"}:
        body = tokens[2:]
        for size in (2, 1):
            if len(body) > size and " ".join(body[-size:]) in _WHERE_TAILS:
                return "where is", body[:-size]
        return None
    if len(tokens) >= 3 and tokens[0] in ("is", "are") and tokens[1] not in ("there", "it", "you", "that", "this"):
        for size in (3, 2, 1):
            if len(tokens) > size + 1 and " ".join(tokens[-size:]) in _PRESENCE_TAILS:
                return "is there", tokens[1:-size]
    return None


_LIST_OPENERS = (("as", "well", "as"), ("along", "with"), ("together", "with"), ("and", "also"), ("and", "then"),
                 ("and",), ("then",), ("plus",))
_COUNT_TAILS = {"are", "is", "do", "does", "can", "could", "there", "you", "u", "have", "in", "on", "of", "at", "lying",
                "sitting", "standing", "visible", "here"}


def with_objects(parsed: ParsedCommand, parser: RuleParser) -> ParsedCommand:
    """Fill ``objects`` and ``count``: a second object named after the first ("X and Y", "X as well
    as Y") joins the list instead of going unanswered; "how many X ..." and "count X" ask for a count."""
    words = normalise(parsed.command)
    if not parsed.has_referent and words[:2] == ["how", "many"] and len(words) > 2:
        return _count_question(parsed, words[2:])
    if not parsed.has_referent or parsed.followup:
        return parsed
    parsed.objects = [parsed.expression]
    if parsed.action_verb == "count":
        parsed.count, parsed.action = True, "count"
    rest = parsed.unanswered.split()
    opener = next((o for o in _LIST_OPENERS if tuple(rest[: len(o)]) == o), None)
    if opener is None or len(rest) <= len(opener):
        return parsed
    second = rest[len(opener):]
    doc = parser._parse_words(second)
    if doc is not None and any(t.pos_ in ("VERB", "AUX") and t.tag_ != "VBN" for t in doc[:1]):
        return parsed  # "and put it in the box": a second clause, not a second object
    parsed.objects.append(" ".join(parser._strip_trailing(second)))
    parsed.unanswered = ""
    return parsed


def _count_question(parsed: ParsedCommand, words: list[str]) -> ParsedCommand:
    """'how many red cubes are there', 'how many balls do you see': the words up to the question's verb."""
    end = next((i for i, w in enumerate(words) if w in _COUNT_TAILS), len(words))
    if end == 0:
        return parsed
    expression = " ".join(words[:end])
    return ParsedCommand(parsed.command, action="count", expression=expression, action_verb="how many",
                         objects=[expression], count=True)
