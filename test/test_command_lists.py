"""Every object a command names (``ParsedCommand.objects``, the contract between the command
reader and set grounding, issue 20): the lists a person says, with the real spaCy model.

Cases the current rule-based reader gets wrong are marked xfail (strict, so a reader that
learns them makes the mark fail and it is removed): they need the trained command reader of
issue 19, which fills the same fields."""

from __future__ import annotations

import pytest

from ros2_zsris.core.language.command import CommandParser
from ros2_zsris.core.language.text import load_spacy

NEEDS_READER = pytest.mark.xfail(reason="needs the trained command reader (issue 19)", strict=True)


@pytest.fixture(scope="module")
def parser():
    return CommandParser(load_spacy("auto"))


@pytest.mark.parametrize(("command", "objects"), [
    ("pick up the cup and the ball", ["the cup", "the ball"]),
    ("grab the cup as well as the ball", ["the cup", "the ball"]),
    ("pick up the cup then the ball", ["the cup", "the ball"]),
    ("pick up the cup, then the ball", ["the cup", "the ball"]),
    ("grab the cup along with the ball", ["the cup", "the ball"]),
    ("hand me both the cup and the ball", ["the cup", "the ball"]),
    ("hand me the red cup and the blue ball", ["the red cup", "the blue ball"]),
    ("grab the cup left of the bowl and the ball", ["the cup left of the bowl", "the ball"]),
    ("pick up all the cups and the ball", ["all the cups", "the ball"]),
    ("pick up the two balls and the cup", ["the two balls", "the cup"]),
    # "and" inside one object's description stays one object
    ("the salt and pepper shakers", ["the salt and pepper shakers"]),
    ("pick up the salt and pepper shakers", ["the salt and pepper shakers"]),
    ("table covered with snacks and drinks", ["table covered with snacks and drinks"]),
    ("bring me the cup and put it in the box", ["the cup"]),  # a second clause, not a second object
    ("the two balls on the left", ["the two balls on the left"]),  # a set is one item (expression analysis)
    pytest.param("the cup and the ball", ["the cup", "the ball"], marks=NEEDS_READER),
    pytest.param("the cup, the ball and the cube", ["the cup", "the ball", "the cube"], marks=NEEDS_READER),
    pytest.param("pick up the cup, the ball and the cube", ["the cup", "the ball", "the cube"], marks=NEEDS_READER),
    pytest.param("get the red cup, the green ball, and the yellow cube",
                 ["the red cup", "the green ball", "the yellow cube"], marks=NEEDS_READER),
    pytest.param("the cup left of the bowl and the ball", ["the cup left of the bowl", "the ball"],
                 marks=NEEDS_READER),
    pytest.param("pick up the cup between the ball and the cone", ["the cup between the ball and the cone"],
                 marks=NEEDS_READER),
    pytest.param("the cup plus the ball", ["the cup", "the ball"], marks=NEEDS_READER),
    pytest.param("fetch the cup, the ball", ["the cup", "the ball"], marks=NEEDS_READER),
])
def test_every_object_named_in_order(parser, command, objects):
    parsed = parser.parse(command)
    assert parsed.objects == objects
    assert parsed.objects[0] == parsed.expression


@pytest.mark.parametrize(("command", "expression"), [
    ("how many cups are there", "cups"), ("how many balls do you see", "balls"), ("count the bottles", "the bottles"),
])
def test_counting_questions(parser, command, expression):
    parsed = parser.parse(command)
    assert parsed.count and parsed.action == "count" and parsed.objects == [expression]
