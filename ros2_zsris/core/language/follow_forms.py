"""Follow mode's own words: asking to keep an object in view, and asking to stop.

People rarely say "follow X" only. They ask to keep something in view ("keep X in the frame",
"keep the camera on X", "don't lose sight of X", "stick with X"), or add how long or how
("track X as it moves", "watch X wherever it goes", "follow X until I say stop", "... the whole
time", "... continuously"): a continuity tail, which turns a look into following and is not part
of the object. And they stop it in many ways ("that's enough tracking", "cease tracking", "turn
off tracking", "forget it, stop following", "you can quit watching it").

Three readings, applied by the command parser around its own rules:
- ``stop_following``: a stop verb and something that was being done continuously, anywhere in the
  command, is a stop (code "stop"), and so is a negated following that names no new object
  ("don't follow it anymore", "no longer track that", "you don't need to watch it any more");
- ``follow_idiom``: the idioms above become "follow X" (the verb as spoken is kept);
- ``continuity_tail``: a tail after the object is removed and makes the request a follow.
"""

from __future__ import annotations

from .command_words import NUMBER_WORDS

# stop verbs, and what they stop
_STOP_VERBS = frozenset({"stop", "quit", "cease", "end", "halt", "pause", "cancel", "discontinue", "abort",
                         "terminate", "finish", "drop", "exit", "disable", "deactivate", "kill", "suspend"})
_ONGOING = frozenset({"following", "tracking", "watching", "track", "follow", "monitoring",
                      "keeping", "looking", "observing", "shadowing", "tailing", "chasing"})
_OFF_PHRASES = (("turn", "off"), ("switch", "off"), ("no", "more"), ("that's", "enough"), ("thats", "enough"),
                ("enough",), ("done", "with"), ("give", "up"))
_OFF_WHAT = frozenset({"tracking", "following", "track", "the", "tracker", "follow", "mode", "watching"})
# a negated following: a negator, a following verb, then only what points back at the running track
_NEGATORS = (("don't",), ("dont",), ("do", "not"), ("no", "longer"), ("never",), ("not",))
_FOLLOW_VERBS = frozenset({"follow", "track", "watch", "monitor", "observe", "shadow", "tail", "chase",
                           "following", "tracking", "watching", "monitoring"})
_BACK_REFERENCE = frozenset({"it", "that", "this", "them", "those", "him", "her", "anymore", "any", "more", "longer",
                             "now", "please", "thanks", "robot", "ok", "okay", "one", "thing", "object"})
# the mode as a noun: "engage follow mode on X", "start continuous tracking of X"
_MODE_NOUNS = (("follow", "mode"), ("following", "mode"), ("tracking", "mode"), ("track", "mode"),
               ("continuous", "tracking"), ("tracking",), ("following",))
_MODE_STARTERS = frozenset({"engage", "enter", "start", "begin", "activate", "enable", "initiate", "use", "need",
                            "want", "go", "switch", "turn", "into", "to", "on", "i", "we", "please", "now"})
_MODE_LINKS = (("and", "track"), ("and", "follow"), ("on",), ("of",), ("for",), ("with",))

# "keep X in view": X between the verb and one of these (longest first, as every list matched below)
_IN_VIEW = tuple(sorted((tuple(p.split()) for p in (
    "in view", "in sight", "in frame", "in the frame", "in the picture", "in the shot", "in shot", "on screen",
    "on camera", "in the middle", "in the center", "in the centre", "centered", "centred", "in focus",
    "in the middle of the frame", "in the center of the frame", "in the centre of the frame", "in your sights",
    "within view", "in the image",
)), key=len, reverse=True))
# "<idiom> X": X follows the words
_LEADS = tuple(sorted((tuple(p.split()) for p in (
    "keep the camera on", "keep your camera on", "keep the camera pointed at", "keep your eyes on",
    "keep your eye on", "keep the lens on", "keep looking at", "keep an eye on", "keep watch on", "keep tabs on",
    "don't lose sight of", "dont lose sight of", "do not lose sight of", "don't lose track of", "dont lose track of",
    "do not lose track of", "don't lose", "dont lose", "do not lose", "never lose sight of", "stick with",
    "stick to", "stay with", "stay on", "stay locked on", "stay locked onto", "lock on to", "lock onto",
    "lock on", "latch onto", "latch on to", "zero in on", "home in on", "follow along with", "keep following",
    "keep tracking", "keep watching", "keep monitoring", "keep observing", "keep your gaze on", "keep your focus on",
    "keep the camera trained on", "don't take your eyes off", "dont take your eyes off", "do not take your eyes off",
    "never take your eyes off",
)), key=len, reverse=True))
# "never let X out of your sight": X between the opening and the closing words
_LET_OUT = ((("never", "let"), ("don't", "let"), ("dont", "let"), ("do", "not", "let")),
            ("out", "of"))
_VIEW_WORDS = frozenset({"view", "sight", "sights", "frame", "camera", "shot", "screen", "image", "picture", "lens",
                         "focus"})
# how a sentence may open before the follow words: fillers and manner adverbs ("from now on, keep
# tracking X", "continuously monitor X"); an infinitive frame ends in "to" ("your job now is to follow X")
_OPENERS = frozenset({"from", "now", "on", "just", "so", "basically", "then", "also", "and", "please", "hey", "um",
                      "uh", "okay", "ok", "right", "alright", "continuously", "constantly", "continually", "closely",
                      "carefully", "robot"})
_DETERMINERS = frozenset({"the", "that", "this", "my", "your", "our", "those", "these"})
_GERUNDS = {"keeping": "keep", "following": "follow", "tracking": "track", "watching": "watch",
            "monitoring": "monitor", "sticking": "stick"}
# verbs that are also nouns ("track", "monitor", "tail of the plane"): a request when an object follows
_NOUN_VERBS = frozenset({"track", "monitor", "tail", "shadow", "trace"})
_NOT_AN_OBJECT_START = frozenset({"of", "on", "in", "at", "with", "to", "near", "by", "behind", "under", "above",
                                  "and", "or", "is", "are", "'s", "s", "from", "for", "over", "between", "beside"})
_LOOK_VERBS = frozenset({"watch", "observe", "eye", "view", "see", "look"})  # + a continuity tail: following

# a continuity tail: a clause or adverbial after the object
_TAIL_OPENERS = frozenset({"as", "while", "when", "whenever", "wherever", "until", "till", "til"})
_TAILS = tuple(sorted((tuple(p.split()) for p in (
    "around", "about", "continuously", "constantly", "continually", "closely", "everywhere", "nonstop",
    "non stop", "without stopping", "at all times", "the whole time", "all the time", "from now on",
    "for a while", "for the next while", "with the camera", "with your camera", "with your eyes",
    "and don't lose it", "and dont lose it", "and do not lose it", "and don't lose sight of it",
    *(f"and keep it {' '.join(p)}" for p in _IN_VIEW), "in real time", "live",
    "for me", "please", "robot", "ok", "okay", "thanks",
)), key=len, reverse=True))
_POLITE_TAILS = frozenset({("for", "me"), ("please",), ("robot",), ("ok",), ("okay",), ("thanks",)})  # not time
# clause openers of two or three words: "... no matter where it goes", "... don't stop until i say so"
_TAIL_PHRASES = (("no", "matter"), ("don't", "stop"), ("do", "not", "stop"))
# how long: "for the next two minutes", "for 30 seconds", "for a bit", "until further notice"
_DURATION_WORDS = frozenset({"the", "next", "a", "an", "few", "couple", "of", "some", "more", "another", "little",
                             *NUMBER_WORDS, "thirty", "sixty", "half", "second", "seconds", "sec", "secs", "minute",
                             "minutes", "min", "mins", "moment", "moments", "bit", "while", "hour", "hours", "now",
                             "further", "notice"})
_FILLER_TAILS = frozenset({"already", "yeah", "yes", "yep", "now", "then"})
_CONTINUOUS_ACTIONS = frozenset({"follow", "look at"})  # never a bare expression: "man on bike while ..."


def stop_following(tokens: list[str]) -> bool:
    """'cease tracking', 'forget it, stop following', 'turn off tracking', 'that's enough tracking',
    'exit follow mode', 'don't follow it anymore'."""
    if _negated_following(tokens):
        return True
    for i, word in enumerate(tokens):
        if word in _STOP_VERBS and any(w in _ONGOING for w in tokens[i + 1: i + 4]):
            return True
    for phrase in _OFF_PHRASES:
        for i in range(len(tokens) - len(phrase) + 1):
            if _at(tokens, i, phrase):
                rest = tokens[i + len(phrase): i + len(phrase) + 3]
                if any(w in _OFF_WHAT for w in rest) or (phrase in (("enough",), ("that's", "enough"),
                                                                    ("thats", "enough")) and not rest):
                    return True
    return False


def _negated_following(tokens: list[str]) -> bool:
    """A negator shortly before a following verb, and after the verb only words that point back
    at what is being followed: the running track is meant, not a new object to refuse."""
    for i in range(len(tokens)):
        negator = next((n for n in _NEGATORS if _at(tokens, i, n)), None)
        if negator is None:
            continue
        start = i + len(negator)
        verb = next((j for j in range(start, min(start + 4, len(tokens))) if tokens[j] in _FOLLOW_VERBS), None)
        if verb is not None and all(w in _BACK_REFERENCE for w in tokens[verb + 1:]):
            return True
    return False


def follow_idiom(tokens: list[str]) -> tuple[list[str], str] | None:
    """(["follow", *object words], the verb as spoken) for a keep-in-view idiom, else None.

    The idiom may come after an opening ("from now on", "continuously") or an infinitive frame
    ("i want you to", "your job now is to"), which is then dropped."""
    found = _idiom_at_start(tokens)
    if found is not None:
        return found
    if len(tokens) > 2 and tokens[0] in _GERUNDS and (tokens[0] == "keeping" or tokens[1] in _DETERMINERS):
        found = _idiom_at_start([_GERUNDS[tokens[0]], *tokens[1:]])  # "(would you mind) keeping X in sight"
        if found is not None:
            return found
    for start in range(1, len(tokens) - 1):
        before, rest = tokens[:start], tokens[start:]
        if before[-1] == "mind" and rest[0] in _GERUNDS:  # "would you mind keeping X in sight"
            rest = [_GERUNDS[rest[0]], *rest[1:]]
        if before[-1] in ("to", "mind") or all(w in _OPENERS for w in before):
            found = _idiom_at_start(rest)
            if found is not None:
                return found
    return _mode_request(tokens)


def _mode_request(tokens: list[str]) -> tuple[list[str], str] | None:
    """'engage follow mode on X', 'enter follow mode and track X', 'i need continuous tracking of X'."""
    for i in range(len(tokens)):
        for noun in _MODE_NOUNS:
            end = i + len(noun)
            if not _at(tokens, i, noun) or not all(w in _MODE_STARTERS for w in tokens[:i]):
                continue
            for link in _MODE_LINKS:
                if _at(tokens, end, link) and len(tokens) > end + len(link):
                    return ["follow", *tokens[end + len(link):]], " ".join(tokens[: end + len(link)])
    return None


def _idiom_at_start(tokens: list[str]) -> tuple[list[str], str] | None:
    for lead in _LEADS:
        if _at(tokens, 0, lead) and len(tokens) > len(lead):
            return ["follow", *tokens[len(lead):]], " ".join(lead)
    if tokens[:1] == ["keep"] and len(tokens) > 2:
        kept = _kept_in_view(tokens[1:])
        if kept:
            return ["follow", *kept], "keep in view"
    opening = next((o for o in _LET_OUT[0] if _at(tokens, 0, o)), None)
    if opening is not None:
        for i in range(len(opening) + 1, len(tokens) - 2):
            if _at(tokens, i, _LET_OUT[1]) and any(w in _VIEW_WORDS for w in tokens[i + 2:]):
                return ["follow", *tokens[len(opening): i]], "let out of sight"
    if len(tokens) < 2:
        return None
    if tokens[0] == "follow" or (tokens[0] in _NOUN_VERBS and tokens[1] not in _NOT_AN_OBJECT_START):
        return ["follow", *tokens[1:]], tokens[0]  # "follow X until i say stop" is no stop command
    if tokens[0] in _LOOK_VERBS:
        start = 2 if tokens[1] == "at" else 1
        kept, continuous = continuity_tail(tokens[start:], "follow")
        if continuous and kept:
            return ["follow", *kept], " ".join(tokens[:start])
    return None


def _kept_in_view(words: list[str]) -> list[str]:
    """The object of 'keep X in view': the words before the first in-view phrase, when what comes
    after it still speaks of the view ('centered in the camera') or of time ('while i move
    things'); [] when there is none."""
    for i in range(1, len(words)):
        for phrase in _IN_VIEW:
            if not _at(words, i, phrase):
                continue
            rest = words[i + len(phrase):]
            if not rest or rest[0] in _TAIL_OPENERS or any(w in _VIEW_WORDS for w in rest) \
                    or continuity_tail(["x", *rest], "follow")[0] == ["x"]:
                return words[:i]
    return []


def continuity_tail(expression: list[str], action: str) -> tuple[list[str], bool]:
    """(the object's words, True) when they end in a continuity tail and the action can be one that
    goes on (follow, a look, a search); otherwise the words unchanged and False."""
    if action not in _CONTINUOUS_ACTIONS or len(expression) < 2:
        return expression, False
    found = False
    words = list(expression)
    changed = True
    while changed and len(words) > 1:
        changed = False
        opener = next((i for i, w in enumerate(words) if i > 0 and (
            (w in _TAIL_OPENERS and _clause_after(words, i)) or _duration_after(words, i)
            or any(_at(words, i, phrase) for phrase in _TAIL_PHRASES))), None)
        if opener is not None:
            words, found, changed = words[:opener], True, True
            continue
        if words[-1] in _FILLER_TAILS or words[-1] == "for":  # "... already", "... yeah", "for (a bit)"
            found = found or words[-1] == "for"  # what a duration left once its words were stripped
            words, changed = words[:-1], True
            continue
        for tail in _TAILS:
            if len(words) > len(tail) and _at(words, len(words) - len(tail), tail):
                words, changed = words[: -len(tail)], True
                found = found or tail not in _POLITE_TAILS
                break
    if found:
        return words, True
    return (words, False) if action == "follow" else (expression, False)  # fillers off a follow's object


def _at(words: list[str], index: int, phrase: tuple[str, ...]) -> bool:
    """The phrase stands in the words at this index."""
    return tuple(words[index: index + len(phrase)]) == phrase


def _duration_after(words: list[str], index: int) -> bool:
    """'for the next minute', 'for 30 seconds', 'until further notice': only words of time after it."""
    rest = words[index + 1:]
    return words[index] in ("for", "until", "till") and bool(rest) and all(
        w in _DURATION_WORDS or w.isdigit() for w in rest) and any(w not in ("the", "a", "an", "of") for w in rest)


def _clause_after(words: list[str], index: int) -> bool:
    """'as it moves', 'until i say stop', 'wherever it goes': a subject pronoun (or 'it') follows."""
    following = words[index + 1: index + 2]
    return bool(following) and following[0] in {"it", "i", "you", "we", "they", "he", "she", "the", "long"}
