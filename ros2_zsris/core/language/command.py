"""Reading a robot command: the trained reader, the rules, or both (``command.reader``).

"robot, could you um go pick the red mug up and put it in the basket please" -> action
"pick up" (verb as spoken "pick up"), expression "the red mug", destination "in the basket".
The rules (rules.py and its rule_* steps) read wordings their authors foresaw; the trained reader
(reader.py, reading.py) reads wordings nobody listed; ``mode`` chooses, and bench/COMMANDS.md
compares them on held-out sets.
"""

from __future__ import annotations

from collections import OrderedDict

from .command_words import _OTHER_FORMS
from .parsed import ParsedCommand, normalise
from .rule_splitting import destination_object
from .rules import RuleParser, with_objects

__all__ = ["CommandParser", "ParsedCommand", "destination_object", "normalise"]
MODES = ("rules", "learned", "combined")


class CommandParser(RuleParser):
    """Commands to ParsedCommands; results are cached (robots repeat their commands)."""

    def __init__(self, nlp=None, robot_names: tuple[str, ...] = ("robot",), extra_actions: tuple[str, ...] = (),
                 cache_size: int = 256, reader=None, mode: str = "rules"):
        super().__init__(nlp, robot_names, extra_actions)
        self.reader = reader  # the trained CommandReader (reader.py); None: rules only
        self.mode = mode if reader is not None else "rules"  # rules | learned | combined
        self._cache: OrderedDict[str, ParsedCommand] = OrderedDict()
        self.cache_size = cache_size

    def parse(self, command: str) -> ParsedCommand:
        cached = self._cache.get(command)
        if cached is None:
            cached = self._read(command)
            if self.cache_size > 0:
                self._cache[command] = cached
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(command)
        return cached

    def _read(self, command: str) -> ParsedCommand:
        if self.mode == "rules":
            return with_objects(self._parse(command), self)
        from .reading import combine, parsed_from_reading

        tokens, _ = self._clean(normalise(command))
        if " ".join(tokens) in _OTHER_FORMS:  # "no, the other one": the previous answer's runner-up
            return ParsedCommand(command, expression=" ".join(tokens), followup="other")
        reading = self.reader.read(command)
        learned = parsed_from_reading(reading, command, self)
        if self.mode == "learned":
            return learned
        return combine(with_objects(self._parse(command), self), learned, reading, self._verbs)
