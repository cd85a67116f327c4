"""The words the command parser knows: closed word classes, the normalised action set, and
the few phrase lists that only name what grammar cannot (chit-chat, idioms, compound nouns).

Kept apart from the rules (command.py, frames.py, refusals.py) so that the rules read as rules;
every list here is data a deployment may extend (``command.extra_actions`` adds actions).
"""

from __future__ import annotations

import re

# Verb lemma (or verb + particle) -> the documented action set. Unknown verbs still work:
# their action is "other" and ``action_verb`` keeps the words as spoken.
ACTION_OF: dict[str, str] = {
    **dict.fromkeys(("pick up", "pick", "grab", "take", "get", "fetch", "lift", "grasp", "hold", "nab", "snatch",
                     "snag", "pluck", "scoop", "scoop up", "lift up", "hoist", "raise", "grip", "clasp", "take hold of",
                     "collect", "retrieve", "seize", "clutch", "obtain", "take out", "get out", "get hold of",
                     "grab hold of",
                     "reach for", "reach", "remove", "catch"), "pick up"),
    **dict.fromkeys(("hand over", "hand", "give", "bring", "pass", "deliver", "bring over", "pass over",
                     "hand me", "fetch me", "have", "need", "want", "like"), "hand over"),
    **dict.fromkeys(("point at", "point to", "point", "show", "indicate", "highlight", "mark", "point out", "select",
                     "gesture at", "gesture to", "gesture towards", "gesture toward", "gesture", "nod at",
                     "choose", "pick out"),
                    "point at"),
    **dict.fromkeys(("find", "locate", "look for", "search for", "search", "seek", "detect", "identify", "segment",
                     "see", "spot", "where is", "is there", "see if", "check for", "find out", "where's", "where are",
                     "hunt for", "track down", "discover", "look around for"), "find"),
    **dict.fromkeys(("look at", "look", "focus on", "focus", "watch", "check", "inspect", "examine", "observe",
                     "view", "check out", "stare at", "face"), "look at"),
    **dict.fromkeys(("go to", "go", "drive to", "drive", "navigate to", "navigate", "approach", "come to", "head to",
                     "walk to", "move to", "come", "head", "walk", "go over to"), "go to"),
    **dict.fromkeys(("put down", "put", "place", "set", "set down", "drop", "lay", "stack", "insert", "put away",
                     "store", "leave", "hang", "position", "lay down", "place down", "let go of", "release"),
                    "put down"),
    **dict.fromkeys(("move", "carry", "slide", "shift", "transfer", "relocate", "throw", "toss", "roll", "return",
                     "nudge", "shove", "scoot", "drag", "budge", "haul", "lug",
                     "send"), "move"),
    **{verb: verb for verb in ("push", "pull", "open", "close", "touch", "press")},
    # follow mode: the node keeps answering on every new frame until told to stop
    **dict.fromkeys(("follow", "track", "keep track of", "keep an eye on", "keep your eye on", "keep your eyes on",
                     "keep following", "keep tracking", "keep watching", "start tracking", "start following",
                     "begin tracking", "monitor", "trace", "tail", "lock onto", "lock on to", "lock on",
                     "stay on"), "follow"),
}
ACTIONS = tuple(dict.fromkeys(ACTION_OF.values())) + ("other",)  # the documented set
# Verbs whose object is put somewhere: any locative phrase after the object is the destination.
PLACE_VERBS = {"put", "place", "set", "lay", "drop", "stack", "insert", "store", "leave", "hang", "position", "stick",
               "pop", "tuck", "chuck", "stuff", "shove", "slip", "dump", "plonk", "rest", "lean", "stand", "park",
               "deposit", "pile", "arrange", "plop", "stash", "nestle", "wedge", "lower", "plant", "throw", "toss"}
MOVE_VERBS = {"move", "push", "pull", "slide", "shift", "roll", "carry", "transfer", "relocate", "throw", "toss"}
# Verbs that carry an object to a goal: only goal phrases ("to", "into", "next to", "here") count.
CARRY_VERBS = {"move", "bring", "take", "carry", "push", "pull", "slide", "shift", "transfer", "throw", "toss", "roll",
               "return", "hand", "give", "pass", "deliver", "send", "get", "relocate", "fetch"}
FILLERS = {"um", "uh", "uhm", "umm", "uhh", "er", "erm", "hmm", "mm", "ah", "like", "so", "well", "basically",
           "actually", "oh", "hm", "eh"}
# Fillers that are also words in expressions are removed only before a request (see _clean).
_SAFE_FILLERS = {"um", "uh", "uhm", "umm", "uhh", "er", "erm", "hmm", "mm", "ah", "hm", "eh"}
POLITE_ANYWHERE = {"please", "kindly", "pls", "plz"}
LEADING_POLITENESS = (
    "would you mind", "could you", "can you", "would you", "will you", "could u", "can u", "you can", "you could",
    "do you think you could", "do you mind", "is it possible to", "be a dear and", "if you could", "if you can",
    "now", "ok", "okay", "so", "well", "hey", "hi", "hello", "just", "go ahead and", "quickly", "alright", "all right",
    "mind",
    "oh", "and", "also", "then", "now then", "excuse me", "yo", "listen",
)
TRAILING_POLITENESS = (
    "thanks", "thank you", "for me", "now", "right now", "if you can", "if you could", "quickly", "thank you very much",
    "ok", "okay", "thanks a lot", "will you", "would you", "could you", "can you", "asap", "when you can",
    "if possible", "for me please", "mate", "buddy", "there", "real quick", "right away", "gently", "carefully",
    "real fast", "at once", "immediately", "when you get a chance", "for a sec", "for a second", "would ya",
    "could ya", "will ya", "can ya", "wouldja", "thx", "ty", "cheers", "already",
)
NON_REFERRING = {
    "stop", "wait", "cancel", "cancel that", "never mind", "nevermind", "thank you", "thanks", "hello", "hi",
    "hey", "yes", "no", "ok", "okay", "good job", "well done", "pause", "resume", "continue", "go home",
    "come here", "come back", "sit down", "stand up", "that's all", "thats all", "done", "good", "great",
    "nothing", "forget it", "shut down", "turn off", "power off", "go away", "sleep", "start", "help",
    "keep going", "go on", "carry on", "sorry", "my bad", "oops", "whoops", "nice", "cool", "awesome", "perfect",
    "good robot", "bad robot", "nice work", "good work", "great job", "nice job", "well played", "excellent",
    "stop stop", "hold on", "hang on", "one moment", "one second", "just a second", "just a moment", "halt",
    "freeze", "abort", "quit", "exit", "reset", "restart", "yeah", "yep", "yup", "nope", "sure", "fine",
    "alright", "all right", "correct", "exactly", "that's right", "thats right", "that's it", "thats it",
    "got it", "i see", "bye", "goodbye", "good bye", "see you", "good morning", "good night", "good evening",
    "good afternoon", "try again", "again", "do it again", "one more time", "slow down", "speed up", "faster",
    "slower", "careful", "be careful", "watch out", "look out", "go back", "move back", "back up", "back off",
    "move forward", "go forward", "turn left", "turn right", "turn around", "move left", "move right",
    "go left", "go right", "calm down", "relax", "wake up", "listen", "never mind that", "forget about it",
    "thats enough", "that's enough", "enough", "no thanks", "no thank you", "not now", "later", "maybe later",
}
NON_REFERRING_STARTS = (
    "what", "how", "why", "when", "who", "whose", "what's", "whats", "how's", "hows", "are you", "do you like",
    "do you know", "do you want", "is it", "tell me", "let's", "lets", "turn on", "turn off", "set a", "set an",
    "play some", "play a", "play music", "remind me", "sing", "dance", "repeat after", "stop it", "stop now",
    "stop moving", "stop that", "stop what", "cancel the", "cancel my", "cancel that", "shut up", "i'm sorry",
    "im sorry", "sorry about", "sorry for", "keep going", "keep doing", "keep moving", "keep it up", "you're",
    "youre", "you are", "that was", "that's great", "that's good", "thats great", "thats good", "good job",
    "well done", "nice job", "thank you", "thanks", "i love", "i like you", "i think", "i guess", "i'm", "im ",
    "it's", "its ", "it is", "there you go", "go to sleep", "go to bed", "go home", "call ", "send a", "send an",
    "open the app", "open app", "open settings", "open the door for", "take a break", "take a picture",
    "take a photo", "take a rest", "have a", "wait a", "wait for", "hold on", "give me a second", "give me a minute",
    "give me a moment", "give me a break", "never mind", "nevermind", "forget", "what's up", "can you hear",
    "do you hear", "are there any questions", "stand by", "standby", "start over", "start again",
)
# Requests to stop (follow mode among them): no_referent with the code "stop".
STOP_STARTS = ("stop following", "stop tracking", "stop watching", "stop it", "stop now", "stop moving", "stop that",
               "stop what", "stop the track", "stop the tracking", "quit following", "quit tracking", "end tracking",
               "end the track", "cancel tracking", "cancel the track", "cancel following", "cancel the", "cancel my",
               "cancel that", "no more tracking", "no more following", "stop doing", "halt", "abort")
_NEGATIONS = ("don't", "dont", "do not", "never", "please don't", "no don't", "don't you", "do not ever",
              "you shouldn't", "shouldn't", "you should not", "stop trying to", "no need to", "there's no need to",
              "you don't need to", "don't bother", "dont bother")
NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
)
# Verbs that are also everyday object words or modifiers ("stop light", "pick up truck", "watch
# on the left", "show horse"): without another request marker, such a phrase stays bare.
NOUN_LIKE_VERBS = {"stop", "open", "watch", "show", "pick", "turn", "cut", "close", "light", "set", "stand", "press",
                   "cover", "switch", "drop", "place", "fan", "sink", "plant", "dress", "swing", "slide", "bat",
                   "pitch",
                   "display", "cross", "mark", "sign", "board", "tray", "play", "ski", "surf", "skate", "hand", "face",
                   "back", "top", "side", "front", "table", "stack", "plate", "bowl", "box", "cup", "glass", "spot",
                   "frame", "screen", "lamp", "coat", "shirt", "jacket",
                   "park", "train", "bus", "truck", "van", "drive", "walk", "run", "bike", "rock", "store", "shop",
                   "hang", "roll", "toss", "bench", "lift", "lay", "block", "shower", "remote", "paint", "print",
                   "sit", "pose", "dish", "bottle", "can", "jar", "pot", "pan", "fork", "knife", "spoon", "sauce",
                   "man", "guy", "woman", "person", "lady", "boy", "girl", "kid", "child", "baby", "people", "mother",
                   "father", "player", "batter", "sub", "mirror", "phone", "boat", "book", "ball", "bread",
                   "cake", "piece", "slice", "head", "hair", "leg", "arm", "shoe", "hat", "cap", "bag", "bear",
                   "track", "monitor", "tail", "trace"}
# Whole phrases that read as one object although they start with a verb.
COMPOUND_NOUNS = {"pick up truck", "pickup truck", "stop light", "stop sign", "turn signal", "walk sign", "push cart",
                  "pull up bar", "cut out", "set up", "drop off", "take out", "hand out", "pop up", "stand up comedian",
                  "push button", "pull tab", "show room", "play area", "turn table", "walk in closet"}
_PARTICLES = {"up", "down", "over", "out", "away", "back", "off", "in", "on", "around", "aside"}
_RECIPIENTS = {"me", "us", "him", "her", "them"}
# Prepositions that make "look at", "go to", "search for" one verb when no object precedes them.
_VERB_PREPOSITIONS = {"at", "to", "for", "on", "towards", "toward", "into", "onto", "over", "around", "near", "by"}
_DETERMINER_ONLY = {"it", "this", "that", "them", "these", "those", "one", "something", "anything", "thing", "this one",
                    "that one", "it up", "that thing", "this thing", "the thing", "stuff", "everything", "all",
                    "all of them", "both", "both of them", "some", "any", "one of them", "the one", "the ones",
                    "nothing", "something else", "anything else", "whatever", "there", "here", "it there",
                    "it here", "that there"}
_OBJECT_STARTS = {"the", "a", "an", "this", "that", "these", "those", "my", "your", "his", "her", "our", "their",
                  "its", "some", "any", "each", "every", "another", "all", "both", "either", "no", *NUMBER_WORDS}
# Multi-word prepositions first; these open a destination. "to the left of" inside an expression
# is not a goal when the verb already has a recipient ("bring me the cup to the left of the plate").
_DESTINATION_PREPS = sorted((tuple(p.split()) for p in (
    "in front of", "on top of", "next to", "close to", "in between", "on to", "in to", "inside of",
    "to", "into", "onto", "towards", "toward", "beside", "besides", "inside", "in", "on", "at", "near", "by",
    "behind", "under", "underneath", "beneath", "below", "above", "over", "between", "against", "alongside",
    "here", "there", "over here", "over there", "back", "away", "aside", "up here", "down here", "right here",
    "right there", "back here", "back there", "left", "right", "to the left", "to the right")),
    key=lambda p: -len(p))
_GOAL_PREPS = {("to",), ("into",), ("onto",), ("towards",), ("toward",), ("next", "to"), ("in", "front", "of"),
               ("on", "top", "of"), ("beside",), ("inside",), ("here",), ("there",), ("over", "here"),
               ("over", "there"), ("back",), ("away",), ("aside",), ("up", "here"), ("down", "here"),
               ("right", "here"), ("right", "there"), ("back", "here"), ("back", "there"), ("on", "to"), ("in", "to"),
               ("close", "to"), ("to", "the", "left"), ("to", "the", "right"),
               ("behind",), ("in", "between"), ("between",), ("inside", "of"), ("near",)}
# Goals after take/bring/hand/give: a place or a person, never a relation ("near", "in front of").
_TAKE_GOALS = {("to",), ("into",), ("onto",), ("towards",), ("toward",), ("here",), ("there",), ("over", "here"),
               ("over", "there"), ("back",), ("away",), ("right", "here"), ("right", "there"), ("back", "here"),
               ("back", "there"), ("to", "the", "left"), ("to", "the", "right"), ("on", "to"), ("in", "to")}
_PLACE_ONLY = {("left",), ("right",)}  # "put the cup left": a direction only after a place verb
# Words that make a destination a direction or a person rather than an object on the table.
_NON_OBJECT_WORDS = {"me", "us", "you", "him", "her", "them", "here", "there", "left", "right", "side", "front",
                     "back", "middle", "center", "centre", "up", "down", "away", "aside", "forward", "backward",
                     "backwards", "the", "a", "my", "your", "this", "that", "it", "over", "top", "bottom", "corner",
                     "edge", "far", "near", "close", "closer", "further", "farther", "other", "end", "left-hand",
                     "right-hand", "hand", "hands", "myself", "yourself", "place", "spot", "somewhere", "elsewhere",
                     "where", "on", "in", "to", "of", "at"}
# Relation words after which "it"/"that" is an anaphor of the previous answer ("left of it").
_RELATION_WORDS = {"of", "to", "behind", "near", "beside", "under", "above", "below", "by", "than", "besides", "with",
                   "from", "over", "on", "in", "between", "underneath", "beneath", "past", "after", "before",
                   "across", "around", "against", "toward", "towards", "like", "as"}
_ANAPHORS = {"it", "that", "this", "that one", "this one", "them", "those", "these", "the last one",
             "the previous one", "the one you found", "the one before"}
# "no, the other one", "not that one": the next-best candidate of the previous command.
_OTHER_FORMS = {"the other one", "other one", "the other", "another one", "a different one", "the next one",
                "not that one", "not this one", "wrong one", "the wrong one", "not that", "not this",
                "the other thing", "the other object", "a different object", "something else", "the next",
                "next one", "not the one", "the second one", "other", "another", "a different thing",
                "that's the wrong one", "thats the wrong one", "that's wrong", "thats wrong", "wrong", "not it",
                "try another", "try another one", "try the other one", "the one next to it"}
_OTHER_FORMS.discard("the one next to it")  # that is an anchor, not "the other one"
_CORRECTIONS = ("no", "nope", "nah", "wrong", "not quite", "no no", "uh no", "actually", "sorry", "i mean", "i meant",
                "oops", "no sorry", "no i mean", "no i meant", "not that")
_FRAMES = sorted((
    (("where", "is"), "where is"), (("where", "are"), "where are"), (("where's",), "where's"),
    (("wheres",), "where's"), (("where", "s"), "where's"), (("where", "did", "you", "put"), "where is"),
    (("where", "can", "i", "find"), "find"), (("where", "was"), "where is"), (("where", "would", "i", "find"), "find"),
    (("is", "there"), "is there"), (("are", "there"), "is there"), (("is", "there", "any"), "is there"),
    (("do", "you", "see"), "see"), (("can", "you", "see"), "see"), (("did", "you", "see"), "see"),
    (("have", "you", "seen"), "see"), (("do", "we", "have"), "is there"), (("you", "see"), "see"),
    (("can", "you", "spot"), "spot"), (("do", "you", "have"), "have"),
    (("i", "need"), "need"), (("i", "want"), "want"), (("i'd", "like"), "like"), (("i", "would", "like"), "like"),
    (("id", "like"), "like"), (("i", "d", "like"), "like"), (("i'll", "take"), "take"), (("i", "will", "take"), "take"),
    (("we", "need"), "need"), (("i", "could", "use"), "need"), (("i", "wanna"), "want"),
    (("i", "want", "to", "see"), "see"),
    (("can", "i", "have"), "have"), (("could", "i", "have"), "have"), (("may", "i", "have"), "have"),
    (("can", "i", "get"), "get"), (("could", "i", "get"), "get"), (("can", "we", "have"), "have"),
    (("can", "i", "see"), "see"), (("let", "me", "see"), "see"), (("let", "me", "have"), "have"),
    (("i", "need", "to", "see"), "see"), (("i'm", "looking", "for"), "look for"),
    (("im", "looking", "for"), "look for"),
    (("i", "am", "looking", "for"), "look for"), (("we're", "looking", "for"), "look for"),
    (("take", "a", "look", "at"), "look at"), (("have", "a", "look", "at"), "look at"),
    (("take", "hold", "of"), "take hold of"), (("get", "hold", "of"), "get hold of"),
    (("grab", "hold", "of"), "grab hold of"), (("let", "go", "of"), "let go of"),
    (("take", "a", "closer", "look", "at"), "look at"), (("give", "me"), "give"),
    (("hand", "me"), "hand"), (("show", "me"), "show"), (("get", "me"), "get"),
    (("bring", "me"), "bring"), (("pass", "me"), "pass"), (("fetch", "me"), "fetch"), (("grab", "me"), "grab"),
    (("find", "me"), "find"),
    (("keep", "track", "of"), "keep track of"), (("keep", "an", "eye", "on"), "keep an eye on"),
    (("keep", "your", "eye", "on"), "keep your eye on"), (("keep", "your", "eyes", "on"), "keep your eyes on"),
    (("keep", "following"), "keep following"), (("keep", "tracking"), "keep tracking"),
    (("keep", "watching"), "keep watching"), (("start", "tracking"), "start tracking"),
    (("start", "following"), "start following"), (("begin", "tracking"), "begin tracking"),
    (("lock", "onto"), "lock onto"), (("lock", "on", "to"), "lock on to"),
    (("give", "us"), "give"), (("bring", "us"), "bring"), (("show", "us"), "show"),
), key=lambda frame: -len(frame[0]))
_CHAINS = sorted((
    ("i", "want", "you", "to"), ("i", "need", "you", "to"), ("i'd", "like", "you", "to"),
    ("i", "would", "like", "you", "to"),
    ("i'd", "like", "to"), ("i", "would", "like", "to"), ("i", "want", "to"), ("i", "need", "to"), ("can", "you"),
    ("could", "you"), ("would", "you"), ("will", "you"), ("you", "should"), ("you", "need", "to"), ("you", "can"),
    ("you", "could"), ("help", "me"), ("i", "need", "help", "to"), ("let's",), ("lets",), ("you", "must"),
    ("can", "i", "ask", "you", "to"), ("try", "and"), ("be", "sure", "to"), ("make", "sure", "to"), ("remember", "to"),
    ("i", "wish", "you", "would"), ("id", "like", "you", "to"), ("i", "d", "like", "you", "to"), ("id", "like", "to"),
    ("i", "d", "like", "to"), ("would", "you", "mind"), ("do", "you", "mind"), ("you", "gotta"), ("you", "have", "to"),
    ("go", "ahead", "and"), ("i", "want", "u", "to"), ("can", "u"), ("could", "u"), ("i", "wanna", "see"),
    ("wanna",), ("gonna",), ("you", "wanna"),
), key=lambda chain: -len(chain))
_PARSE_COMPONENTS = {"tok2vec", "tagger", "parser", "attribute_ruler", "morphologizer", "transformer", "lemmatizer"}
# Verbs that take another verb with "to" ("try to find", "remember to grab"); "go to" is a place.
_TO_CHAINS = {"try", "attempt", "want", "need", "like", "love", "remember", "manage", "help", "start", "begin",
              "continue", "hurry", "be", "have", "mind", "proceed", "bother", "dare", "wish", "hope", "plan"}
_NOT_VERB_TAGS = {"JJ", "JJR", "JJS", "NNS", "NNPS", "VBD", "VBZ", "VBN", "CD", "DT", "IN", "PRP", "PRP$", "RB", "CC",
                  "WDT", "WP", "WRB", "MD", "TO", "POS"}
# adverbs that modify the request when they end the command ("set it down gently")
_COMMAND_ADVERBS = {tuple(p.split()) for p in (
    "real quick", "quick", "quickly", "right away", "gently", "carefully", "slowly", "immediately", "again",
    "anywhere", "as well", "too", "real fast", "fast", "softly", "for a second", "for a moment", "a bit",
    "a little", "a little bit", "a lot", "closely", "properly", "thoroughly", "firmly", "lightly", "slightly",
    "right now", "now", "asap", "if you can", "if you could", "for me", "please", "soon", "at once")}
_AIM_PREPS = {"towards", "toward", "to", "at", "on", "onto"}
_WAY_PARTS = {"way", "self", "butt", "body", "base", "wheels"}  # "make your way to X": the robot goes
_VIEW_PARTS = {"camera", "cameras", "head", "eyes", "eye", "face", "gaze", "attention", "sensor", "lens", "view",
               "yourself", "focus", "sight"}
_POINTER_PARTS = {"arm", "hand", "gripper", "finger", "pointer", "laser", "claw"}
_LIGHT_MODIFIERS = {"quick", "little", "good", "gentle", "careful", "small", "proper", "thorough", "fast", "light",
                    "short", "brief", "slight", "firm", "nice", "final", "big"}
_GOAL_MODIFIERS = {"back", "over", "closer", "nearer", "further", "farther", "straight", "directly"}
_MOTION_VERBS = {"go", "move", "head", "walk", "drive", "come", "run", "roll", "travel", "get", "navigate", "proceed",
                 "hurry", "rush", "wander", "make", "step", "back", "turn", "steer", "race", "dash", "zoom", "scoot"}
# "are you able to grab X", "is it possible to fetch X": a frame, not a question about the robot
_ABILITY_FRAME = re.compile(r"^(are|were|would|will|is) (you|it) (be )?(\w+ ){1,2}(enough )?(for you )?to \w+ \w+")
_DEGREES = sorted((tuple(p.split()) for p in ("a bit", "a little", "a little bit", "slightly", "much", "even",
                                               "a tad", "somewhat", "a lot")), key=len, reverse=True)
_CLAUSE_MODALS = {"can", "could", "would", "will", "and"}
_SECOND_STARTS = {"then", "also", "put", "place", "bring", "give", "hand", "move", "drop", "set", "take", "throw",
                  "toss", "carry", "it", "after", "afterwards", "next"}
_SECOND_OBJECT = {"and", "then", "also", "plus", "after", "afterwards", "as", "or"}
