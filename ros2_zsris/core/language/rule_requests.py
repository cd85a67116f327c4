"""Step 3 of the rules: the request verb, past frames and chains, and its action (rules.py)."""

from __future__ import annotations

from .command_words import (
    _CHAINS,
    _FRAMES,
    _LIGHT_MODIFIERS,
    _MOTION_VERBS,
    _NOT_VERB_TAGS,
    _OBJECT_STARTS,
    _PARTICLES,
    _RECIPIENTS,
    _TO_CHAINS,
    _VERB_PREPOSITIONS,
    ACTION_OF,
    CARRY_VERBS,
    COMPOUND_NOUNS,
    MOVE_VERBS,
    NOUN_LIKE_VERBS,
    PLACE_VERBS,
)
from .frames import scan
from .parsed import _base_form, _starts
from .verbs import POSITION_WORDS, only_a_verb

_CHAIN_ADVERBS = {"around", "over", "up", "down", "back", "here", "there", "along", "away", "on", "in", "out"}


class RequestRules:
    """Mixin of RuleParser: finding the request verb."""

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
