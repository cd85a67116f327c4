"""An evaluation set for the command parser: real expressions wrapped as robot commands.

Each referring expression becomes many commands (typed and speech-recogniser style);
the parser should give back the bare expression, the same target phrase, and answer the
non-referring commands with no_referent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COMMAND_FORMS = (
    "pick up {x}",
    "grab {x}",
    "please hand me {x}",
    "could you hand me {x} please",
    "Robot, point at {x}.",
    "show me {x}",
    "find {x}",
    "where is {x}",
    "bring me {x} thanks",
    "look at {x}",
    "take {x}",
    "give me {x} please",
    "hey robot can you find {x}",
    "go to {x}",
    "I want you to pick up {x}",
    "pick {x} up",
    "Could you please point to {x}?",
    "locate {x} for me",
)
ASR_FORMS = (
    "um grab uh {x}",  # fillers
    "grab grab {x}",  # stutter
    "uh could you um pick up {x} please",
    "robot robot find {x}",
    "pick up {x} robot",
    "hand me {x} um thanks",
)
NON_REFERRING_COMMANDS = (
    "stop", "Stop!", "wait", "cancel that", "never mind", "thank you", "thanks robot", "good job", "hello",
    "hi there", "hey robot", "what time is it", "how are you", "who are you", "what is your name",
    "turn off", "shut down", "go home", "come here", "sit down", "pause", "resume", "yes", "no", "okay",
    "that's all", "well done", "please stop", "robot stop", "um stop", "what's the weather like",
    "tell me a joke", "play some music", "set a timer for five minutes", "pick it up", "grab that",
    "put it down", "how many are there", "why did you do that", "thank you very much",
)
_NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
            "eight": "8", "nine": "9", "ten": "10"}


@dataclass(frozen=True)
class CommandCase:
    command: str
    bare: str  # the expression it wraps; "" for non-referring commands
    form: str


def digits_for_number_words(text: str) -> str:
    """ASR engines often write numbers as digits: "two door fridge" -> "2 door fridge"."""
    return re.sub(r"\b(" + "|".join(_NUMBERS) + r")\b", lambda m: _NUMBERS[m.group(1)], text)


def build_cases(expressions: list[str]) -> list[CommandCase]:
    cases = []
    for bare in dict.fromkeys(expressions):
        for form in COMMAND_FORMS:
            cases.append(CommandCase(form.format(x=bare), bare, form))
        for form in ASR_FORMS:
            cases.append(CommandCase(form.format(x=bare), bare, form))
        if digits_for_number_words(bare) != bare:
            cases.append(CommandCase(f"pick up {digits_for_number_words(bare)}", bare, "pick up {x} (digits)"))
    cases.extend(CommandCase(command, "", "non-referring") for command in NON_REFERRING_COMMANDS)
    return cases
