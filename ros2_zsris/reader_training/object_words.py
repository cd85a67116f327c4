"""Words that describe objects, for generating referring expressions: everyday things (COCO-like
photos, kitchens, offices, tabletops), people and animals, their attributes, locations and
relations. Open vocabulary comes on top of these lists from the lemmatizer's WordNet nouns
(objects.py), so the reader learns the shape of an object description, not these words."""

from __future__ import annotations

TABLETOP_KINDS = ("cube", "ball", "cup", "bottle", "cone", "ring", "block", "mug", "sphere", "box", "can", "jar")
THINGS = (
    # kitchen and table
    "cup", "mug", "glass", "bottle", "bowl", "plate", "dish", "pan", "pot", "kettle", "teapot", "jar", "can", "tin",
    "spoon", "fork", "knife", "spatula", "ladle", "whisk", "tray", "basket", "box", "carton", "lid", "napkin", "towel",
    "sponge", "cutting board", "blender", "toaster", "microwave", "oven", "fridge", "refrigerator", "sink", "faucet",
    "pitcher", "vase", "candle", "wine glass", "coffee mug", "water bottle", "soda can", "thermos", "tumbler",
    "salt shaker", "pepper grinder", "ketchup bottle", "paper towel roll", "dish rack", "coaster", "placemat",
    # food
    "banana", "apple", "orange", "lemon", "lime", "pear", "peach", "grapes", "strawberry", "carrot", "broccoli",
    "tomato", "potato", "onion", "pepper", "cucumber", "sandwich", "pizza", "donut", "doughnut", "cake", "muffin",
    "cookie", "bagel", "bread", "croissant", "hot dog", "burger", "salad", "egg", "cheese", "slice", "piece",
    # office and home
    "book", "notebook", "pen", "pencil", "marker", "stapler", "scissors", "tape", "laptop", "keyboard", "mouse",
    "monitor", "screen", "phone", "cell phone", "remote", "remote control", "tablet", "charger", "cable", "headphones",
    "lamp", "clock", "alarm clock", "calculator", "ruler", "folder", "envelope", "paper", "sticky note", "eraser",
    "chair", "couch", "sofa", "bed", "table", "desk", "bench", "shelf", "cabinet", "drawer", "door", "window",
    "pillow", "cushion", "blanket", "rug", "curtain", "mirror", "plant", "potted plant", "flower", "picture", "frame",
    "tv", "television", "speaker", "fan", "heater", "trash can", "bin", "bucket", "umbrella", "bag", "backpack",
    "suitcase", "purse", "wallet", "keys", "glasses", "sunglasses", "hat", "cap", "shoe", "boot", "sock", "jacket",
    "toy", "teddy bear", "doll", "puzzle", "game controller", "ball", "frisbee", "kite", "skateboard", "surfboard",
    "skis", "snowboard", "tennis racket", "baseball bat", "glove", "helmet", "bicycle", "bike", "motorcycle",
    # tools and workshop
    "hammer", "screwdriver", "wrench", "pliers", "drill", "saw", "tape measure", "flashlight", "battery", "screw",
    "nail", "bolt", "nut", "toolbox", "spray bottle", "brush", "broom", "mop", "dustpan", "glue", "paint can",
    # tabletop shapes
    "cube", "block", "sphere", "cone", "cylinder", "ring", "pyramid", "disc", "tube", "brick", "lego brick",
    # vehicles and outdoors (RefCOCO photos)
    "car", "truck", "bus", "van", "taxi", "train", "boat", "plane", "airplane", "traffic light", "stop sign",
    "fire hydrant", "parking meter", "bench", "sign", "pole", "tree", "bush", "fence", "building", "tent",
)
PEOPLE = (
    "man", "woman", "guy", "girl", "boy", "lady", "person", "kid", "child", "baby", "player", "batter", "catcher",
    "umpire", "skier", "surfer", "chef", "waiter", "cop", "officer", "dude", "gentleman", "old man", "old lady",
    "young man", "little girl", "little boy", "teen", "teenager", "mom", "dad", "bride", "groom", "rider", "driver",
    "person", "people", "referee", "tennis player", "pitcher", "goalie", "soldier", "student", "worker", "nurse",
)
ANIMALS = (
    "dog", "cat", "horse", "cow", "sheep", "elephant", "zebra", "giraffe", "bear", "bird", "duck", "goose", "pigeon",
    "puppy", "kitten", "calf", "lamb", "pony", "teddy", "fish", "monkey", "lion", "tiger", "goat", "pig", "chicken",
)
COLOURS = ("red", "green", "blue", "yellow", "orange", "purple", "pink", "white", "black", "grey", "gray", "brown",
           "silver", "gold", "beige", "tan", "dark", "light blue", "dark blue", "navy", "maroon", "teal", "striped",
           "spotted", "plaid", "checkered", "multicolored", "clear", "transparent", "black and white", "light")
SIZES = ("big", "small", "large", "little", "tiny", "huge", "tall", "short", "long", "wide", "thin", "fat", "giant",
         "medium", "mini", "skinny", "narrow")
MATERIALS = ("wooden", "metal", "plastic", "glass", "ceramic", "paper", "cardboard", "leather", "steel", "fabric",
             "rubber", "stone", "woven")
STATES = ("open", "closed", "empty", "full", "half eaten", "broken", "dirty", "clean", "wet", "folded", "upside down",
          "round", "square", "shiny", "old", "new", "used", "half full", "sliced", "whole", "partially hidden",
          "blurry", "cut off", "dark", "lit", "empty", "crushed", "stacked")
CLOTHES = ("shirt", "t-shirt", "jacket", "coat", "hat", "cap", "hoodie", "dress", "skirt", "jeans", "shorts", "sweater",
           "vest", "uniform", "helmet", "scarf", "tie", "glasses", "apron", "jersey", "hood", "suit", "pants", "boots")
PARTICIPLES = ("holding a bat", "holding an umbrella", "sitting down", "sitting on the bench", "standing", "walking",
               "eating", "drinking", "looking down", "looking at the camera", "smiling", "laughing", "running",
               "lying down", "sleeping", "wearing glasses", "with a hat", "with glasses", "on the phone",
               "bending over", "facing left", "facing away", "reading a book", "holding the leash", "swinging",
               "reaching up", "waving", "pointing", "carrying a bag", "riding a bike", "cut off", "half visible",
               "partially visible", "in the shadow", "in the background", "in the foreground",
               "playing tennis", "playing wii", "wearing a gray suit", "with tattoos on her arm", "holding a cup",
               "talking on the phone", "leaning on the fence", "who is sitting on the left", "that has a lid",
               "with a bite taken out", "on her left arm", "with his back to us", "wears glasses",
               "closest to the screen", "eating a sandwich", "with the red handle", "sitting next to the dog",
               "that is partly cut off", "facing the camera", "with both hands up", "covered in sauce",
               "topped with cheese", "being held by the girl", "stuck on the wall", "with writing on it")
EXPRESSION_TAILS = ("only", "not the bowl", "not the other one", "please not the red one", "alone", "itself",
                    "there", "here", "over there", "right there", "by itself", "as well")
# Location words as RefCOCO annotators use them, before or after the head ("left guy", "guy far left").
LOCATION_WORDS = ("left", "right", "middle", "center", "top", "bottom", "front", "back", "far left", "far right",
                  "top left", "top right", "bottom left", "bottom right", "upper left", "lower right", "closest",
                  "nearest", "furthest", "farthest", "leftmost", "rightmost", "topmost", "second", "third", "last",
                  "first", "2nd", "3rd", "second from left", "second from right", "third from left", "behind",
                  "foreground", "background", "upper", "lower", "center left", "middle right", "very left")
LOCATION_PHRASES = ("on the left", "on the right", "in the middle", "in the center", "at the top", "at the bottom",
                    "in front", "in the back", "at the back", "on the far left", "on the far right", "to the left",
                    "to the right", "in the corner", "at the end", "on top", "in the foreground", "in the background",
                    "closest to you", "closest to the camera", "nearest to me", "farthest away", "furthest back",
                    "on the left side", "on the right side", "at the front", "near the edge", "closest to us",
                    "from the left", "from the right", "on the end", "in the top left", "in the bottom right",
                    "on the left hand side", "right in the middle", "by itself", "all the way left",
                    "all the way to the right", "closest", "in the rear")
RELATIONS = ("left of", "right of", "to the left of", "to the right of", "next to", "beside", "near", "behind",
             "in front of", "on top of", "on", "under", "underneath", "below", "above", "by", "close to",
             "closest to", "farthest from", "furthest from", "in", "inside", "with", "against", "across from",
             "opposite", "around", "beneath", "over", "along", "on the left of", "on the right side of",
             "just left of", "right next to", "directly behind", "up against", "nearest to", "at", "from")
BETWEEN = ("between", "in between", "in the middle of", "flanked by", "sandwiched between")
ORDINALS = ("first", "second", "third", "fourth", "fifth", "last", "2nd", "3rd", "4th", "second to last",
            "next to last", "1st")
SUPERLATIVES = ("biggest", "smallest", "largest", "tallest", "shortest", "widest", "closest", "nearest", "farthest",
                "furthest", "leftmost", "rightmost", "frontmost", "highest", "lowest", "tiniest", "darkest",
                "brightest", "longest", "emptiest", "fullest")
COMPARATIVES = ("bigger", "smaller", "larger", "taller", "shorter", "closer", "further", "farther", "higher", "lower",
                "wider", "darker", "lighter", "longer")
NUMBER_WORDS = ("two", "three", "four", "five", "six", "2", "3", "4")
# Words that are nouns first but can also be verbs or command words: labels start with them
# ("drink on the right", "stop sign", "watch on wrist", "can on the shelf") and stay labels. Words
# that are request verbs first (pick, grab, open, push, find) are not here: "open pizza" is a request.
VERBLIKE_NOUNS = (
    "drink", "watch", "can", "stop sign", "bear", "duck", "fly", "ring", "box", "cup", "light", "plant", "pitcher",
    "bat", "slice", "cover", "stand", "sign", "stick", "top", "back", "front", "sink", "block", "bowl", "pan",
    "pot", "plate", "glass", "figure", "fence", "hand", "head", "face", "shower", "tie", "dress", "print", "note",
    "bag", "seat", "bench", "table", "match", "snack", "toast", "water", "milk", "juice", "coffee", "tea", "grill",
    "key", "switch", "dish", "spoon", "fork", "brush", "comb", "mop", "hammer", "saw", "drill", "file", "iron",
    "fan", "frame", "monitor", "screen", "cap", "jar", "bottle", "pad", "ball", "bed", "chair", "can opener",
    "stop light", "walk sign", "play area", "wait staff", "pick up truck", "race car", "step stool",
    "cutting board", "hot dog", "ice cream", "rest area", "fire hydrant", "parking meter", "remote",
    "cake", "train", "bus", "boat", "kite", "skate", "board", "trunk", "horn", "bell", "lamp", "shade", "fold",
)
LABEL_TAILS = ("left", "right", "middle", "on left", "on right", "bottom left", "in back", "front", "far right",
               "closest to cam", "near cam", "closest", "top", "in middle", "partially seen", "cut off",
               "behind", "back", "at top", "bottom", "corner", "half", "right side", "left side", "upper right")
