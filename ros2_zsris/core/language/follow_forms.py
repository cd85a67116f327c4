"""Follow mode's own words: asking to keep an object in view, and asking to stop.

People rarely say "follow X" only. They ask to keep something in view ("keep X in the frame",
"keep the camera on X", "don't lose sight of X", "stick with X"), or add how long or how
("track X as it moves", "watch X wherever it goes", "follow X until I say stop", "... the whole
time", "... continuously"): a continuity tail, which turns a look into following and is not part
of the object. And they stop it in many ways ("that's enough tracking", "cease tracking", "turn
off tracking", "forget it, stop following", "you can quit watching it").

Three readings, applied by the command parser around its own rules:
- ``stop_following``: a stop verb and something that was being done continuously, anywhere in the
  command, is a stop (code "stop");
- ``follow_idiom``: the idioms above become "follow X" (the verb as spoken is kept);
- ``continuity_tail``: a tail after the object is removed and makes the request a follow.
"""

from __future__ import annotations

# stop verbs, and what they stop
_STOP_VERBS = frozenset({"stop", "quit", "cease", "end", "halt", "pause", "cancel", "discontinue", "abort",
                         "terminate", "finish", "drop"})
_ONGOING = frozenset({"following", "tracking", "watching", "track", "follow", "monitoring",
                      "keeping", "looking", "observing", "shadowing", "tailing", "chasing"})
_OFF_PHRASES = (("turn", "off"), ("switch", "off"), ("no", "more"), ("that's", "enough"), ("thats", "enough"),
                ("enough",), ("done", "with"), ("give", "up"))
_OFF_WHAT = frozenset({"tracking", "following", "track", "the", "tracker", "follow", "mode", "watching"})

# "keep X in view": X between the verb and one of these
_IN_VIEW = tuple(tuple(p.split()) for p in (
    "in view", "in sight", "in frame", "in the frame", "in the picture", "in the shot", "in shot", "on screen",
    "on camera", "in the middle", "in the center", "in the centre", "centered", "centred", "in focus",
    "in the middle of the frame", "in the center of the frame", "in the centre of the frame", "in your sights",
    "within view", "in the image",
))
# "<idiom> X": X follows the words
_LEADS = tuple(tuple(p.split()) for p in (
    "keep the camera on", "keep your camera on", "keep the camera pointed at", "keep your eyes on",
    "keep your eye on", "keep the lens on", "keep looking at", "keep an eye on", "keep watch on", "keep tabs on",
    "don't lose sight of", "dont lose sight of", "do not lose sight of", "don't lose track of", "dont lose track of",
    "do not lose track of", "don't lose", "dont lose", "do not lose", "never lose sight of", "stick with",
    "stick to", "stay with", "stay on", "stay locked on", "stay locked onto", "lock on to", "lock onto",
    "lock on", "latch onto", "latch on to", "zero in on", "home in on", "follow along with", "keep following",
    "keep tracking", "keep watching", "keep monitoring", "keep observing",
))
# verbs that are also nouns ("track", "monitor", "tail of the plane"): a request when an object follows
_NOUN_VERBS = frozenset({"track", "monitor", "tail", "shadow", "trace"})
_NOT_AN_OBJECT_START = frozenset({"of", "on", "in", "at", "with", "to", "near", "by", "behind", "under", "above",
                                  "and", "or", "is", "are", "'s", "s", "from", "for", "over", "between", "beside"})
_LOOK_VERBS = frozenset({"watch", "observe", "eye", "view", "see", "look"})  # + a continuity tail: following

# a continuity tail: a clause or adverbial after the object
_TAIL_OPENERS = frozenset({"as", "while", "when", "whenever", "wherever", "until", "till", "til"})
_TAILS = tuple(tuple(p.split()) for p in (
    "around", "about", "continuously", "constantly", "continually", "closely", "everywhere", "nonstop",
    "non stop", "without stopping", "at all times", "the whole time", "all the time", "from now on",
    "for a while", "for the next while", "with the camera", "with your camera", "with your eyes",
    "and don't lose it", "and dont lose it", "and do not lose it", "and don't lose sight of it",
    "and keep it in view", "and keep it in the frame", "and keep it centered", "in real time", "live",
    "for me", "please", "robot", "ok", "okay", "thanks",
))
_CONTINUOUS_ACTIONS = frozenset({"follow", "look at"})  # never a bare expression: "man on bike while ..."


def stop_following(tokens: list[str]) -> bool:
    """'cease tracking', 'forget it, stop following', 'turn off tracking', 'that's enough tracking'."""
    for i, word in enumerate(tokens):
        if word in _STOP_VERBS and any(w in _ONGOING for w in tokens[i + 1: i + 4]):
            return True
    for phrase in _OFF_PHRASES:
        for i in range(len(tokens) - len(phrase) + 1):
            if tuple(tokens[i: i + len(phrase)]) == phrase:
                rest = tokens[i + len(phrase): i + len(phrase) + 3]
                if any(w in _OFF_WHAT for w in rest) or (phrase in (("enough",), ("that's", "enough"),
                                                                    ("thats", "enough")) and not rest):
                    return True
    return False


def follow_idiom(tokens: list[str]) -> tuple[list[str], str] | None:
    """(["follow", *object words], the verb as spoken) for a keep-in-view idiom, else None."""
    for lead in sorted(_LEADS, key=len, reverse=True):
        if tuple(tokens[: len(lead)]) == lead and len(tokens) > len(lead):
            return ["follow", *tokens[len(lead):]], " ".join(lead)
    if tokens[:1] == ["keep"] and len(tokens) > 2:
        for tail in sorted(_IN_VIEW, key=len, reverse=True):
            if len(tokens) > len(tail) + 1 and tuple(tokens[-len(tail):]) == tail:
                return ["follow", *tokens[1: -len(tail)]], "keep in view"
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
        opener = next((i for i, w in enumerate(words) if i > 0 and w in _TAIL_OPENERS and _clause_after(words, i)),
                      None)
        if opener is not None:
            words, found, changed = words[:opener], True, True
            continue
        for tail in sorted(_TAILS, key=len, reverse=True):
            if len(words) > len(tail) and tuple(words[-len(tail):]) == tail:
                words, changed = words[: -len(tail)], True
                found = found or tail not in (("for", "me"), ("please",), ("robot",), ("ok",), ("okay",),
                                              ("thanks",))
                break
    return (words, True) if found else (expression, False)


def _clause_after(words: list[str], index: int) -> bool:
    """'as it moves', 'until i say stop', 'wherever it goes': a subject pronoun (or 'it') follows."""
    following = words[index + 1: index + 2]
    return bool(following) and following[0] in {"it", "i", "you", "we", "they", "he", "she", "the", "long"}
