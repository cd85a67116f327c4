"""Turn a spoken or typed robot command into what it asks for, read from its grammar.

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
Otherwise it stays a bare expression: "tap man texting" is read as a bare phrase.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field

from .command_words import (
    _ABILITY_FRAME,
    _AIM_PREPS,
    _ANAPHORS,
    _CHAINS,
    _CLAUSE_MODALS,
    _COMMAND_ADVERBS,
    _CORRECTIONS,
    _DEGREES,
    _DESTINATION_PREPS,
    _DETERMINER_ONLY,
    _FRAMES,
    _GOAL_MODIFIERS,
    _GOAL_PREPS,
    _LIGHT_MODIFIERS,
    _MOTION_VERBS,
    _NEGATIONS,
    _NON_OBJECT_WORDS,
    _NOT_VERB_TAGS,
    _OBJECT_STARTS,
    _OTHER_FORMS,
    _PARSE_COMPONENTS,
    _PARTICLES,
    _PLACE_ONLY,
    _POINTER_PARTS,
    _RECIPIENTS,
    _RELATION_WORDS,
    _SAFE_FILLERS,
    _SECOND_OBJECT,
    _SECOND_STARTS,
    _TAKE_GOALS,
    _TO_CHAINS,
    _VERB_PREPOSITIONS,
    _VIEW_PARTS,
    _WAY_PARTS,
    ACTION_OF,
    CARRY_VERBS,
    COMPOUND_NOUNS,
    FILLERS,
    LEADING_POLITENESS,
    MOVE_VERBS,
    NON_REFERRING,
    NON_REFERRING_STARTS,
    NOUN_LIKE_VERBS,
    NUMBER_WORDS,
    PLACE_VERBS,
    POLITE_ANYWHERE,
    STOP_STARTS,
    TRAILING_POLITENESS,
)
from .follow_forms import continuity_tail, follow_idiom, stop_following
from .frames import scan
from .refusals import asks_to_stop, names_nothing, negated_request, opens_with_discourse, without_time_tail
from .verbs import POSITION_WORDS, only_a_verb, wordnet_index, wordnet_verbs


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


class CommandParser:
    """One spaCy parse per command; results are cached (robots repeat their commands)."""

    def __init__(self, nlp=None, robot_names: tuple[str, ...] = ("robot",), extra_actions: tuple[str, ...] = (),
                 cache_size: int = 256):
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
        self._cache: OrderedDict[str, ParsedCommand] = OrderedDict()
        self.cache_size = cache_size
        self._verbs = wordnet_verbs(nlp)
        self._nouns, self._adjectives = wordnet_index(nlp, "noun"), wordnet_index(nlp, "adj")

    # ------------------------------------------------------------------ entry
    def parse(self, command: str) -> ParsedCommand:
        cached = self._cache.get(command)
        if cached is None:
            cached = with_objects(self._parse(command), self)
            if self.cache_size > 0:
                self._cache[command] = cached
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(command)
        return cached

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

    # ------------------------------------------------------------------ step 1: cleaning
    def _clean(self, tokens: list[str]) -> tuple[list[str], int]:
        """Drop fillers, stutters and politeness; report how strongly the edges marked a request:
        2 for politeness or a modal frame ("please", "could you": a verb must follow), 1 for a
        wake word alone ("robot, X" may still be a bare expression), 0 for nothing."""
        polite = any(t in POLITE_ANYWHERE for t in tokens)
        tokens = [t for t in tokens if t not in _SAFE_FILLERS and t not in POLITE_ANYWHERE]
        tokens = [t for i, t in enumerate(tokens) if i == 0 or t != tokens[i - 1]]  # ASR stutter
        tokens = self._destutter_pairs(tokens)
        stripped = self._strip_edges(tokens)
        if polite or len(self._strip_edges([t for t in tokens if t not in self._wake_words])) < len(
                [t for t in tokens if t not in self._wake_words]):
            return stripped, 2
        return stripped, int(len(stripped) < len(tokens))

    @staticmethod
    def _destutter_pairs(tokens: list[str]) -> list[str]:
        """'pick up pick up the cup', 'the red the red cup': a repeated two-word start."""
        out: list[str] = []
        for token in tokens:
            out.append(token)
            if len(out) >= 4 and out[-4:-2] == out[-2:] and out[-1] not in ("one", "two"):
                del out[-2:]
        return out

    def _strip_edges(self, tokens: list[str]) -> list[str]:
        changed = True
        while changed and tokens:
            changed = False
            for prefix in self._leading:
                if _starts(tokens, prefix) and len(tokens) > len(prefix):
                    tokens, changed = tokens[len(prefix):], True
                    break
            suffix = self._trailing_suffix(tokens, there_is_politeness=True)
            if suffix:
                tokens, changed = tokens[:-suffix], True
        return tokens

    def _trailing_suffix(self, tokens: list[str], there_is_politeness: bool) -> int:
        """How many words at the end are politeness or a wake word (0: none). 'there' ends a
        command as politeness only where asked and not after a place word ("put it over there");
        'right' before a closing 'now' may be the object's place ("on right now")."""
        for suffix in self._trailing:
            if len(tokens) > len(suffix) and tuple(tokens[-len(suffix):]) == suffix:
                if suffix == ("there",) and (not there_is_politeness or (len(tokens) > 1 and tokens[-2] in (
                        "over", "right", "in", "on", "up", "down", "back", "it", "them"))):
                    continue
                if _right_is_a_place(tokens, suffix):
                    continue
                return len(suffix)
        return 0

    # ------------------------------------------------------------------ step 2: refusals
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

    def _strip_correction(self, tokens: list[str]) -> tuple[list[str], bool]:
        """'no, the red one' -> 'the red one' (a new request); 'no the other one' stays a follow-up."""
        for prefix in sorted((tuple(c.split()) for c in _CORRECTIONS), key=lambda p: -len(p)):
            if _starts(tokens, prefix) and len(tokens) > len(prefix):
                rest = self._strip_edges(tokens[len(prefix):])
                if prefix == ("not", "that") and " ".join(rest) not in _OTHER_FORMS:
                    continue
                return rest, True
        return tokens, False

    @staticmethod
    def _refuse(command: str, code: str, reason: str) -> ParsedCommand:
        return ParsedCommand(command, has_referent=False, reason=reason, refusal=code)

    # ------------------------------------------------------------------ step 3: the request
    def _find_request(self, tokens: list[str], doc, marked: int):
        """(verb_start, verb_end, action, verb words, object start) or None for a bare phrase."""
        start, framed, frame = self._skip_frames(tokens)
        if frame:
            spoken, recipient = frame
            verb_end = start - 1 if recipient else start
            action = self._action_of(spoken.split())
            if recipient and action == "pick up":
                action = "hand over"
            return verb_end - 1, verb_end, action, spoken.split(), start
        start, chained = self._skip_chain(tokens, doc, start)
        if start >= len(tokens):
            return None
        found = scan(tokens, doc, start, lambda i, f: self._can_be_verb(tokens, doc, i, f or framed or chained))
        if found.verb > start:
            start, chained = found.verb, True
        light = self._light_frame(tokens, start)
        if light is not None:  # "take a quick look at X", "have a peek at X"
            noun, object_start = light
            verb_words = [noun, tokens[object_start - 1]]
            return start, object_start, self._action_of(verb_words), verb_words, object_start
        extra = next((f for f in self._extra_forms if _starts(tokens[start:], f) and len(tokens) > start + len(f)),
                     None)
        if extra:
            end = start + len(extra)
            return start, end, self.extra_actions[" ".join(extra)], list(extra), end
        polite, marked = marked, bool(framed or chained or marked)
        gerund = marked and doc is not None and doc[start].tag_ == "VBG" and _base_form(tokens[start]) in ACTION_OF
        if not (self._is_verb(tokens, doc, start) or gerund  # "(would you mind) picking up the cup"
                or self._can_be_verb(tokens, doc, start, framed or chained or polite >= 2)):
            return None
        verb_end = start + 1
        verb_words = [tokens[start]]
        if verb_end < len(tokens) and tokens[verb_end] in _PARTICLES and self._particle_of_verb(tokens, doc, verb_end):
            verb_words.append(tokens[verb_end])
            verb_end += 1
        recipient = verb_end < len(tokens) and tokens[verb_end] in _RECIPIENTS and verb_end + 1 < len(tokens) \
            and tokens[verb_end + 1] not in _VERB_PREPOSITIONS | {"where", "which", "what"}
        object_start = verb_end + 1 if recipient else verb_end
        if object_start + 1 < len(tokens) and tokens[object_start] in _VERB_PREPOSITIONS and not recipient:
            verb_words.append(tokens[object_start])  # "look at", "go to", "search for"
            object_start += 1
            if object_start + 1 < len(tokens) and verb_words[-1] in ("over", "back", "up", "down", "out") \
                    and tokens[object_start] in ("to", "towards", "toward", "into", "onto", "of"):
                verb_words.append(tokens[object_start])  # "head over to", "come back to"
                object_start += 1
                marked = True
        if object_start >= len(tokens):
            if not marked and (tokens[start] not in ACTION_OF or tokens[start] in NOUN_LIKE_VERBS):
                return None  # a one-word object ("tray"), not a verb without an object
            return start, verb_end, self._action_of(verb_words), verb_words, object_start
        particle_last = len(verb_words) == 1 and tokens[-1] in ("up", "over", "down") and len(tokens) > object_start + 1
        if not (marked or recipient or particle_last) \
                and not self._bare_verb_is_request(tokens, start, verb_end, object_start):
            return None
        action = self._action_of(verb_words)
        if recipient and action == "pick up":
            action = "hand over"  # "fetch me X", "get me X", "grab us X": brought to someone
        return start, verb_end, action, verb_words, object_start

    def _light_frame(self, tokens: list[str], start: int) -> tuple[str, int] | None:
        """'take a (quick) look at', 'have a (closer) peek at': a light verb whose noun is the action."""
        if tokens[start] not in ("take", "have", "give", "get") or tokens[start + 1: start + 2] not in (["a"], ["an"]):
            return None
        k = start + 2
        while k < len(tokens) and tokens[k] in _LIGHT_MODIFIERS | {"closer", "better", "good", "proper", "close"}:
            k += 1
        if k + 2 < len(tokens) and (tokens[k] in self._verbs or tokens[k] in ACTION_OF) \
                and tokens[k + 1] in _VERB_PREPOSITIONS:
            return tokens[k], k + 2
        return None

    def _skip_frames(self, tokens: list[str]) -> tuple[int, bool, tuple[str, bool] | None]:
        """Indirect requests: 'i need X', 'can i have X', 'where is X', 'do you see X', 'is there X'.

        Returns the index after the frame, whether any frame or chain was seen, and for an
        indirect request (spoken verb, whether a recipient 'me' follows the verb)."""
        position, framed = 0, False
        for _ in range(3):
            chain = next((c for c in _CHAINS if _starts(tokens[position:], c) and len(tokens) > position + len(c)),
                         None)
            if chain is None:
                break
            position += len(chain)
            framed = True
            position += len(self._strip_lead(tokens[position:]))
        for prefix, spoken in _FRAMES:
            if _starts(tokens[position:], prefix) and len(tokens) > position + len(prefix):
                after = position + len(prefix)
                if spoken in ("need", "want", "like", "have", "get") and tokens[after] in ("to", "you"):
                    continue  # "i need to ...", "i want you to ...": a chain, handled above
                recipient = prefix[-1] == "me"
                if recipient and tokens[after] in _VERB_PREPOSITIONS:
                    continue
                return after, True, (spoken, recipient)
        return position, framed, None

    def _strip_lead(self, tokens: list[str]) -> list[str]:
        """Politeness words after a chain ('can you please just grab'): the part to skip."""
        skipped: list[str] = []
        while tokens and tokens[0] in ("just", "quickly", "now", "also", "then", "maybe", "kindly", "go", "ahead",
                                       "and", "first", "perhaps", "possibly", "simply", "carefully", "gently"):
            if tokens[0] in ("go", "ahead") and not (len(tokens) > 1 and tokens[1] in ("ahead", "and")):
                break
            skipped.append(tokens[0])
            tokens = tokens[1:]
        return skipped

    def _skip_chain(self, tokens: list[str], doc, start: int) -> tuple[int, bool]:
        """'go pick up', 'come and grab', 'try to find', 'go ahead and': the last verb is the request."""
        chained = False
        for _ in range(3):
            if start + 2 < len(tokens) and self._is_verb(tokens, doc, start) \
                    and (tokens[start + 1] in ("and", "n")
                         or (tokens[start + 1] == "to" and tokens[start] in _TO_CHAINS)) \
                    and self._is_verb(tokens, doc, start + 2):
                start, chained = start + 2, True
                continue
            if start + 1 < len(tokens) and tokens[start] in ("go", "come", "try", "run", "hurry", "quickly", "just",
                                                             "now", "then", "also", "please", "help") \
                    and self._is_verb(tokens, doc, start + 1):
                start, chained = start + 1, True
                continue
            if start + 3 < len(tokens) and tokens[start + 1] in _CHAIN_ADVERBS and tokens[start + 2] in ("and", "n") \
                    and self._is_verb(tokens, doc, start) and self._is_verb(tokens, doc, start + 3):
                start, chained = start + 3, True  # "turn around and look at", "walk over and tap"
                continue
            if _starts(tokens[start:], ("go", "ahead", "and")) or _starts(tokens[start:], ("be", "a", "dear", "and")):
                start, chained = start + (3 if tokens[start] == "go" else 4), True
                continue
            break
        return start, chained

    def _can_be_verb(self, tokens: list[str], doc, index: int, framed: bool) -> bool:
        """Whether the word can be the verb here: a verb tag, a known action, or a lexicon verb
        where the words around it make a verb (after a frame, before a determiner)."""
        if index >= len(tokens):
            return False
        word = tokens[index]
        if doc is None or word in ACTION_OF or word in self.extra_actions:
            return word in ACTION_OF or word in self.extra_actions
        tag = doc[index].tag_
        if tag == "VB" or (tag == "VBP" and (index == 0 or framed)):
            return True
        if framed and word in self._verbs and word not in POSITION_WORDS and word not in NOUN_LIKE_VERBS \
                and tag not in ("NNS", "VBD", "VBZ", "VBN", "DT", "IN", "PRP", "PRP$", "CD", "CC", "TO"):
            return True  # after "could you", "please", "to": a verb must come, whatever the tagger guessed
        if only_a_verb(word, self._verbs, self._nouns, self._adjectives) and index + 1 < len(tokens) \
                and word not in POSITION_WORDS:
            return True  # "locate X", "examine X": a word the lexicon knows only as a verb opens no noun phrase
        if tag == "VBG" and framed:
            return doc[index].lemma_ in self._verbs
        mover = word in PLACE_VERBS | CARRY_VERBS | MOVE_VERBS  # the tagger's guess at the start matters less
        if not (mover or word in self._verbs) or word in POSITION_WORDS or word in NOUN_LIKE_VERBS \
                or (tag in _NOT_VERB_TAGS and not mover):
            return False
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if framed or following in _OBJECT_STARTS or following in _RECIPIENTS:
            return True  # "could you snag X", "snag the cup", "tap me"
        if following in POSITION_WORDS and index + 2 < len(tokens) and doc[index + 1].tag_ in ("JJ", "NN", "VBD"):
            return True  # "tap left guy": a modifier after the word opens the object, so the word is outside it
        # "stick X beside the bowl": a place or carry verb with a goal after its object
        return word in PLACE_VERBS | CARRY_VERBS and bool(self._split_destination(tokens[index + 1:], word, [])[1])

    def _is_verb(self, tokens: list[str], doc, index: int) -> bool:
        """A base-form verb by the parse, or a known action when no parser is loaded."""
        if index >= len(tokens):
            return False
        word = tokens[index]
        if doc is None:
            return word in ACTION_OF or word in self.extra_actions
        token = doc[index]
        if token.tag_ == "VBG" and index > 0 and tokens[index - 1] == "mind":
            return True  # "would you mind picking up"
        if token.tag_ == "VB" or (token.pos_ == "VERB" and token.tag_ in ("VBP",) and index == 0):
            return True
        # spaCy sometimes tags a clause-initial imperative as a noun or adjective ("hand", "select"):
        # trust the known verbs there when words follow; the bare-phrase rule still applies.
        return word in ACTION_OF and index + 1 < len(tokens)

    @staticmethod
    def _particle_of_verb(tokens: list[str], doc, index: int) -> bool:
        """'pick up', 'hand over': a particle by the parse, or a known phrasal verb; 'back', 'on'
        and 'in' only in known phrasal verbs ('grab back sandwich' keeps its 'back')."""
        if f"{tokens[index - 1]} {tokens[index]}" in ACTION_OF:
            return True
        if tokens[index] not in ("up", "down", "out", "over", "away", "off"):
            return False
        return doc is not None and (doc[index].dep_ == "prt" or doc[index].tag_ == "RP")

    def _bare_verb_is_request(self, tokens: list[str], start: int, verb_end: int, object_start: int) -> bool:
        """A verb-first phrase with nothing else marking a request (the deciding rule, module doc)."""
        if " ".join(tokens) in COMPOUND_NOUNS:
            return False  # "pick up truck", "stop light": the whole phrase is one object
        if tokens[start] not in NOUN_LIKE_VERBS or verb_end - start > 1:
            return True
        if object_start == verb_end and (tokens[object_start] in _OBJECT_STARTS or tokens[object_start] in _RECIPIENTS):
            return True  # "open the drawer", "show me the cup"
        # "watch on the left", "open book", "show horse" stay bare, unless a destination follows
        # ("place remote next to the bowl"): only a request has one.
        return object_start == verb_end and bool(self._split_destination(tokens[object_start:], tokens[start], [])[1])

    def _action_of(self, verb_words: list[str]) -> str:
        if verb_words[0].endswith("ing") and len(verb_words[0]) > 5:  # "picking up" -> "pick up"
            verb_words = [_base_form(verb_words[0]), *verb_words[1:]]
        if len(verb_words) > 1 and verb_words[-1] in ("to", "towards", "toward") and verb_words[0] in _MOTION_VERBS:
            return "go to"  # "move over to X", "head over to X", "roll towards X": the robot goes
        for size in range(len(verb_words), 0, -1):
            words = " ".join(verb_words[:size])
            if words in self.extra_actions:
                return self.extra_actions[words]
            if words in ACTION_OF:
                return ACTION_OF[words]
        joined = f"{verb_words[0]} {verb_words[-1]}"
        return ACTION_OF.get(joined, "other")

    @staticmethod
    def _lemma(doc, index: int, verb_words: list[str]) -> str:
        """The request verb's base form ('placing' -> 'place'); a VB is its own lemma."""
        word = verb_words[0]
        if word.endswith("ing") and len(word) > 4:
            return _base_form(word) if doc is None or doc[index].text != word else doc[index].lemma_ or word
        return word

    # ------------------------------------------------------------------ step 4: splitting
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

    # ------------------------------------------------------------------ step 5: the expression
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

    def _strip_trailing(self, tokens: list[str]) -> list[str]:
        while tokens and (suffix := self._trailing_suffix(tokens, there_is_politeness=False)):
            tokens = tokens[:-suffix]
        return tokens

    @staticmethod
    def _anchor(tokens: list[str]) -> str:
        """'the one left of it', 'the cup next to that': the pronoun standing for the previous answer."""
        for size in (3, 2, 1):
            if len(tokens) > size:
                tail = " ".join(tokens[-size:])
                if tail in _ANAPHORS and tokens[-size - 1] in _RELATION_WORDS | {"left", "right", "next"}:
                    return tail
        return ""


_DESTINATION_WORDS = {w for p in _DESTINATION_PREPS for w in p}
_LOCATIONS = {"left", "right", "top", "bottom", "front", "back", "middle", "center", "centre", "upper", "lower", "rear",
              "side"}
_BOUNDARIES = {"the", "a", "an", "his", "her", "their", "its", "my", "your", "our", "of", "with", "in", "on", "to",
               "at", "by", "near", "under", "behind", "from", "for", "and", "this", "that", "these", "those"}


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


def _embedded_where(body: list[str]) -> list[str]:
    """'show me where X is', 'tell me which one X is': the object of an embedded question."""
    if len(body) > 2 and body[0] in ("where", "which") and body[-1] in ("is", "are", "sits", "went"):
        return body[1:-1]
    return body


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


def _base_form(gerund: str) -> str:
    """'picking' -> 'pick', 'grabbing' -> 'grab', 'placing' -> 'place' (known verbs only)."""
    if not gerund.endswith("ing") or len(gerund) < 5:
        return gerund
    stem = gerund[:-3]
    for candidate in (stem, stem + "e", stem[:-1]):
        if candidate in ACTION_OF:
            return candidate
    return stem


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


_CHAIN_ADVERBS = {"around", "over", "up", "down", "back", "here", "there", "along", "away", "on", "in", "out"}
_PLACE_BEFORE_RIGHT = {"on", "to", "at", "the", "far", "from", "top", "bottom", "upper", "lower", "and"}


def _right_is_a_place(tokens: list[str], suffix: tuple[str, ...]) -> bool:
    """'... on right now': 'right' is the object's place, only 'now' is the request's."""
    return suffix == ("right", "now") and len(tokens) > 2 and tokens[-3] in _PLACE_BEFORE_RIGHT


_LIST_OPENERS = (("as", "well", "as"), ("along", "with"), ("together", "with"), ("and", "also"), ("and", "then"),
                 ("and",), ("then",), ("plus",))
_COUNT_TAILS = {"are", "is", "do", "does", "can", "could", "there", "you", "u", "have", "in", "on", "of", "at", "lying",
                "sitting", "standing", "visible", "here"}


def with_objects(parsed: ParsedCommand, parser: CommandParser) -> ParsedCommand:
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
