"""What spatial words mean: each word (by lemma, or by form for the -most/-er/-est families)
maps to one concept. The parse decides what a word attaches to; this table only says what
it means, so a new phrasing of a known concept needs no new rule.
"""

from __future__ import annotations

# absolute location in the image (or, for front/back, towards/away from the camera)
LOCATION = {
    "left": "left", "leftmost": "left", "lefthand": "left", "leftward": "left",
    "right": "right", "rightmost": "right", "righthand": "right", "rightward": "right",
    "top": "top", "topmost": "top", "upper": "top", "uppermost": "top", "highest": "top", "up": "top",
    "bottom": "bottom", "bottommost": "bottom", "lower": "bottom", "lowest": "bottom", "lowermost": "bottom",
    "middle": "middle", "center": "middle", "centre": "middle", "central": "middle", "centermost": "middle",
    "centremost": "middle", "midmost": "middle", "mid": "middle",
    "front": "front", "frontmost": "front", "foremost": "front", "foreground": "front", "forward": "front",
    "forwards": "front",
    "back": "back", "rear": "back", "rearmost": "back", "backmost": "back", "hindmost": "back",
    "background": "back",
}
# measure + direction of an extreme ("biggest" = area, max); comparatives mean the same here
EXTREME = {
    "big": ("area", "max"), "large": ("area", "max"), "huge": ("area", "max"), "great": ("area", "max"),
    "giant": ("area", "max"), "chunky": ("area", "max"), "fat": ("area", "max"), "massive": ("area", "max"),
    "enormous": ("area", "max"), "bulky": ("area", "max"), "hefty": ("area", "max"), "sizable": ("area", "max"),
    "sizeable": ("area", "max"), "jumbo": ("area", "max"), "immense": ("area", "max"), "hulking": ("area", "max"),
    "small": ("area", "min"), "tiny": ("area", "min"), "little": ("area", "min"), "mini": ("area", "min"),
    "minuscule": ("area", "min"), "teeny": ("area", "min"), "wee": ("area", "min"), "petite": ("area", "min"),
    "diminutive": ("area", "min"), "puny": ("area", "min"), "itsy": ("area", "min"),
    "tall": ("height", "max"), "high": ("height", "max"), "short": ("height", "min"),
    "wide": ("width", "max"), "broad": ("width", "max"), "narrow": ("width", "min"), "thin": ("width", "min"),
    "skinny": ("width", "min"), "slim": ("width", "min"),
    "close": ("distance", "min"), "near": ("distance", "min"), "nearby": ("distance", "min"),
    "far": ("distance", "max"), "distant": ("distance", "max"), "remote": ("distance", "max"),
}
IRREGULAR_DEGREE = {  # forms whose lemma spaCy's small model does not always give
    "biggest": "big", "bigger": "big", "largest": "large", "larger": "large", "smallest": "small",
    "smaller": "small", "tiniest": "tiny", "tinier": "tiny", "littlest": "little", "tallest": "tall",
    "taller": "tall", "shortest": "short", "shorter": "short", "widest": "wide", "wider": "wide",
    "narrowest": "narrow", "narrower": "narrow", "thinnest": "thin", "thinner": "thin", "closest": "close",
    "closer": "close", "nearest": "near", "nearer": "near", "farthest": "far", "furthest": "far",
    "farther": "far", "further": "far", "fattest": "fat", "chunkiest": "chunky", "hugest": "huge",
    "greatest": "great", "broadest": "broad", "skinniest": "skinny", "slimmest": "slim", "bulkiest": "bulky",
    "bulkier": "bulky", "heftiest": "hefty", "heftier": "hefty",
}
ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6,
}
LAST = {"last", "final"}
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "both": 2, "pair": 2}
# relation prepositions that need no other word ("the cup behind the bowl")
SIMPLE_RELATIONS = {
    "behind": "behind", "beyond": "behind", "above": "above", "over": "above", "atop": "on",
    "below": "below", "beneath": "below", "underneath": "under", "under": "under", "beside": "near",
    "besides": "near", "near": "near", "nearby": "near", "by": "near", "alongside": "near",
    "between": "between", "betwixt": "between", "on": "on", "upon": "on", "against": "near",
}  # not "with" ("guy with the hat"), "in" ("man in red"), "among", "around": they describe, not place
# "flanked by X and Y": the participle turns "by" (near) into between
BETWEEN_PARTICIPLES = {"flanked", "sandwiched", "bracketed", "surrounded"}
# location concept + "of"/"to" makes a relation ("left of", "in front of", "on top of")
RELATION_OF = {"left": "left_of", "right": "right_of", "front": "in_front_of", "back": "behind",
               "top": "on", "bottom": "under", "middle": "between", "side": "near", "rear": "behind"}
# extreme + "to"/"from" ("closest to", "farthest from", "next to", "close to")
RELATION_DISTANCE = {"min": "closest_to", "max": "farthest_from"}
NEXT_WORDS = {"next", "adjacent", "beside", "neighbouring", "neighboring", "alongside"}
# anchors that mean the viewer: "closest to me" is a distance to the camera
VIEWER = {"me", "us", "you", "camera", "robot", "viewer", "i", "myself", "lens", "yourself"}
# words that name a place, not an object, when they are a preposition's object
PLACE_NOUNS = {"side", "edge", "end", "corner", "part", "half", "area", "spot", "position", "row", "line",
               "table", "image", "picture", "photo", "frame", "view", "scene", "way"}
GENERIC_HEADS = {"one", "ones", "thing", "things", "object", "objects", "item", "items", "stuff"}
DIRECTION_OF_ORDINAL = {"left": "left", "right": "right", "top": "top", "bottom": "bottom", "front": "front",
                        "back": "back"}
INTENSIFIERS = {"very", "most", "far", "extreme", "all", "the", "way", "over", "more", "least", "less",
                "really", "much", "quite", "just", "down", "up", "away", "exactly", "directly", "immediately", "off"}
# words that refer to the target's own group, not to another object ("between the other two",
# "the left one of the cups"): a relation to them is a location within the group
GROUP_WORDS = {"other", "others", "rest", "remaining", "ones", "both", "two", "three", "four", "five", "all",
               "group", "row", "set", "bunch", "them", "these", "those"}
# what is measured, not an object: "the cone of the smallest size", "the cup with the greatest height"
MEASURE_NOUNS = {"size", "sizes", "height", "width", "length", "dimensions", "volume", "bulk"}
# "number two from the left", "going left to right": words of counting
COUNTING = {"number", "no", "no."}
