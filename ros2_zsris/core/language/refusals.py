"""What is not a request to act on an object, read from the shape of the command.

Lists of chit-chat never end ("cheers, mate", "bye for now", "see you later"), so these rules
look at structure instead, and the word classes they use are small and closed:
- a stop word opening or closing the command ("stop right there", "emergency stop", "hang on");
- a time or degree phrase at the end does not change what a phrase is ("that's enough for now"
  is "that's enough", "slow down a bit" is "slow down"), so the known phrases are matched without it;
- a discourse word first (thanks, sorry, bye, cheers ...) and no request verb after it;
- negation on the request verb (the parse's ``neg`` dependency: "you should not grab the cup"),
  and "leave X alone";
- no object word at all in what would be the object: pronouns, times and abstract nouns of
  conversation ("see you later", "my mistake", "where are you going") name nothing to find.
"""

from __future__ import annotations

STOP_WORDS = frozenset({"stop", "halt", "freeze", "abort", "pause", "wait", "cancel"})
HOLD_VERBS = frozenset({"hold", "hang"})  # "hold on", "hang on a sec"
# time and degree words: an utterance made of these and function words names no object
TIME_WORDS = frozenset({
    "now", "today", "tonight", "tomorrow", "yesterday", "later", "soon", "sec", "secs", "second", "seconds",
    "minute", "minutes", "moment", "moments", "while", "bit", "time", "times", "day", "days", "week", "night",
    "morning", "evening", "afternoon", "weekend", "once", "twice", "ever", "again", "already", "yet", "anymore",
    "tho", "though", "then", "here", "there", "everything", "anything", "nothing", "something",
})
# nouns of conversation, never an object on the table ("my mistake", "good luck", "sweet dreams")
ABSTRACT_NOUNS = frozenset({
    "mistake", "mistakes", "fault", "bad", "apologies", "apology", "pleasure", "honour", "honor", "luck", "job",
    "work", "idea", "question", "questions", "name", "weather", "joke", "jokes", "story", "song", "music",
    "sleep", "break", "rest", "nap", "chance", "problem", "problems", "worries", "worry", "dreams", "dream",
    "welcome", "thanks", "thank", "sorry", "help", "favour", "favor", "mate", "buddy", "pal", "dude", "friend",
    "sir", "madam", "guys", "folks", "everyone", "everybody", "robot", "lord", "god", "goodness", "heck", "hell",
    "mind", "way", "sense", "point", "deal", "fun", "trouble", "effort", "care", "matter", "life", "news",
})
# words that open chit-chat and are never the start of a referring expression
DISCOURSE_WORDS = frozenset({
    "thanks", "thank", "thx", "ty", "cheers", "sorry", "apologies", "oops", "whoops", "bye", "goodbye",
    "goodnight", "night", "hello", "hi", "hey", "howdy", "greetings", "wow", "yay", "hooray", "ugh", "damn",
    "congrats", "congratulations", "bravo", "welcome", "morning", "evening", "afternoon", "great", "awesome",
    "brilliant", "excellent", "perfect", "nice", "cool", "amazing", "fantastic", "splendid", "lovely", "sweet",
    "gotcha", "understood", "roger", "lol", "haha", "hahaha", "hehe", "lmao", "pardon", "huh", "whoa", "phew",
    "meh", "yikes", "oof", "aha", "affirmative", "negative", "indeed", "absolutely", "definitely", "sure",
    "fine", "yes", "yeah", "yep", "no", "nope", "nah", "ok", "okay", "alright", "hmm", "well", "oh", "ah", "i",
    "you", "we", "let's", "lets",
})
_TIME_TAILS = tuple(tuple(p.split()) for p in (
    "for now", "for today", "for the day", "for a sec", "for a second", "for a moment", "for a minute",
    "for a bit", "for a while", "a bit", "a little", "a little bit", "for tonight", "later", "tomorrow",
    "tonight", "right now", "now", "then", "please", "again", "already", "anymore", "for me", "mate", "buddy", "for",
))


def without_time_tail(tokens: list[str]) -> list[str]:
    """'that's enough for now' -> 'that's enough'; 'slow down a bit' -> 'slow down'."""
    changed = True
    while changed:
        changed = False
        for tail in sorted(_TIME_TAILS, key=len, reverse=True):
            if len(tokens) > len(tail) and tuple(tokens[-len(tail):]) == tail:
                tokens, changed = tokens[: -len(tail)], True
                break
    return tokens


def asks_to_stop(tokens: list[str], compound_nouns: set[str]) -> bool:
    """'stop right there', 'emergency stop', 'hang on a sec', 'pause for a sec'; not 'stop sign'."""
    if not tokens or " ".join(tokens) in compound_nouns:
        return False
    if tokens[0] in STOP_WORDS and (len(tokens) == 1 or tokens[1] not in ("sign", "light", "lights", "signs")):
        return True
    if tokens[-1] in STOP_WORDS and (len(tokens) < 3 or tokens[-2] not in ("the", "a", "bus", "an")):
        return True  # "emergency stop", "full stop", "robot stop"
    return tokens[0] in HOLD_VERBS and len(tokens) > 1 and tokens[1] in ("on", "up", "it", "tight", "still")


_PLACES = frozenset({"left", "right", "top", "bottom", "front", "back", "middle", "center", "centre", "upper", "lower",
                     "rear", "far", "near", "up", "down", "side", "closest", "nearest", "farthest", "furthest"})
# evaluations open expressions too ("cool guy with sunglasses", "nice car"): not enough alone
_EVALUATIVE = frozenset({
    "great", "awesome", "brilliant", "excellent", "perfect", "nice", "cool", "amazing", "fantastic", "splendid",
    "lovely", "sweet", "fine", "sure", "welcome", "good", "bad", "wonderful", "easy", "fast", "slow", "ready", "done",
    "true", "wrong", "correct", "morning", "evening", "afternoon", "night", "i", "you", "we", "no", "well", "oh",
    "ah", "hmm", "let's", "lets",
})


def opens_with_discourse(tokens: list[str]) -> bool:
    """'cheers mate', 'bye for now', 'thanks a lot robot': an interjection first."""
    return bool(tokens) and tokens[0] in DISCOURSE_WORDS - _EVALUATIVE


def negated_request(doc, verb_index: int, tokens: list[str]) -> bool:
    """The request verb carries a negation ('you should not grab X', 'never pick up X'), or the
    request is 'leave X alone'."""
    if tokens and tokens[0] == "leave" and tokens[-1] == "alone":
        return True
    if doc is None or not 0 <= verb_index < len(doc):
        return False
    verb = doc[verb_index]
    return any(child.dep_ == "neg" and child.i < verb_index for child in verb.children)


def names_nothing(tokens, bare: bool) -> bool:
    """No object word among these parsed tokens: pronouns, verbs, times, abstract nouns only.

    For a bare phrase (no request verb) only a phrase that is all function words, verbs and
    discourse words counts, so a one-word RefCOCO expression the tagger reads as a verb stays."""
    if bare and len(tokens) == 1:  # "surfboard" tagged as a verb, "can": one word is the whole description,
        token = tokens[0]  # unless it is "not", "easy" or "great"
        return (token.pos_ in ("PART", "INTJ") or (token.pos_ == "ADV" and token.is_stop)) \
            and token.text not in _PLACES or token.text in _EVALUATIVE
    for token in tokens:
        word = token.text
        if word in TIME_WORDS or word in ABSTRACT_NOUNS:
            continue
        if token.pos_ in ("PRON", "DET", "ADP", "AUX", "CCONJ", "SCONJ", "PART", "INTJ", "PUNCT"):
            continue
        if token.pos_ == "ADV" and (token.is_stop or word.endswith("ly")) and word not in _PLACES:
            continue  # "not so fast", "easy there": manner and degree, never a thing
        if word in _EVALUATIVE and token.pos_ in ("ADJ", "INTJ", "ADV"):
            continue  # "sounds good", "that was great"
        if token.is_stop and token.pos_ not in ("NOUN", "PROPN", "NUM", "ADJ"):
            continue
        if token.pos_ == "VERB" and (bare or token.tag_ != "VB"):
            continue  # "you going", "i confused you"; a VB may be a noun the tagger missed ("refrig")
        if bare and word in DISCOURSE_WORDS:
            continue
        return False
    return True
