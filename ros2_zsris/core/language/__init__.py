"""Language stage: what a referring expression asks for (target, location, extremes, ordinals,
relations), read from a spaCy parse."""

from .expression import ExpressionStructure, Phrase, Relation, analyse, normalise_expression

__all__ = ["ExpressionStructure", "Phrase", "Relation", "analyse", "normalise_expression"]
