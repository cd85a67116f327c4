"""Step 1 of the rules: fillers, stutters, politeness and wake words off a command (rules.py)."""

from __future__ import annotations

from .command_words import (
    _CORRECTIONS,
    _OTHER_FORMS,
    _SAFE_FILLERS,
    POLITE_ANYWHERE,
)
from .parsed import _starts

_PLACE_BEFORE_RIGHT = {"on", "to", "at", "the", "far", "from", "top", "bottom", "upper", "lower", "and"}


class CleaningRules:
    """Mixin of RuleParser: the cleaning steps; the word tables live on the parser."""

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

    def _strip_correction(self, tokens: list[str]) -> tuple[list[str], bool]:
        """'no, the red one' -> 'the red one' (a new request); 'no the other one' stays a follow-up."""
        for prefix in sorted((tuple(c.split()) for c in _CORRECTIONS), key=lambda p: -len(p)):
            if _starts(tokens, prefix) and len(tokens) > len(prefix):
                rest = self._strip_edges(tokens[len(prefix):])
                if prefix == ("not", "that") and " ".join(rest) not in _OTHER_FORMS:
                    continue
                return rest, True
        return tokens, False

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

    def _strip_trailing(self, tokens: list[str]) -> list[str]:
        while tokens and (suffix := self._trailing_suffix(tokens, there_is_politeness=False)):
            tokens = tokens[:-suffix]
        return tokens


def _right_is_a_place(tokens: list[str], suffix: tuple[str, ...]) -> bool:
    """'... on right now': 'right' is the object's place, only 'now' is the request's."""
    return suffix == ("right", "now") and len(tokens) > 2 and tokens[-3] in _PLACE_BEFORE_RIGHT
