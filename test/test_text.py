"""Target noun phrases on real RefCOCO expressions (refcoco_val56), expectations written
by reading each expression, and CLIP text encoding."""

from __future__ import annotations

import pytest

from ros2_zsris.core.language.text import load_spacy, target_phrase

# expression (from refcoco_val56) -> the phrase naming the referent, per METHOD.md's rule
EXPECTED = {
    "right book page": "right book page",
    "open book": "open book",
    "man wearing flame shirt": "man",
    "left guy": "guy",
    "shirt with flames on it": "shirt",
    "the person holding the pie": "the person",
    "pink sweater": "pink sweater",
    "person in pink on right": "person",
    "sub on left": "sub",
    "right cake": "right cake",
    "bananas on the right": "bananas",
    "right side bananas": "right side bananas",
    "striped socks either": "striped socks",
    "woman with tattoos on her left forearm playing wii": "woman",
    "left elephant": "elephant",
    "man checking his phone in foreground": "man",
    "right car": "right car",
    "two door fridge": "two door fridge",
    "the giant refrigerator": "the giant refrigerator",
    "table with bananas": "table",
    "green table": "green table",
    "tray in front of girl": "tray",
    "brown table under tray": "brown table",
    "super blurry guy": "super blurry guy",
    "guy left": "guy",
    "left edge of pizza": "edge",
    "man on knees": "man",
    "the guy on his hands and knees": "the guy",
    "cool guy with sunglasses": "cool guy",
    "guy on right": "guy",
    "grapefruit slices on right": "grapefruit slices",
    "truck with plane in front": "truck",
    "truck in middle": "truck",
    "bottom right container": "bottom right container",
    "the pink stuff": "the pink stuff",
    "mirror on the left": "mirror",
    "top left corner": "top left corner",
    "the player not the bat": "the player",
    "left parasol": "parasol",
    "person on right in glasses": "person",
    "the bread only": "the bread",
    "bread on left": "bread",
    "bottom right brown thing": "bottom right brown thing",
    "white cake on right": "white cake",
    "person on the bottom right corner": "person",
    "phone with keyboard": "phone",
    "top traffic light": "top traffic light",
    "table covered with snacks and drinks": "table",
    "white bear": "white bear",
}

# en_core_web_sm misparses these (reading: "light", "orange slices", "teddy bear"); kept
# as strict xfails so a better parser or rule shows up as a pass to record.
KNOWN_PARSER_FAILURES = {
    "light above walk sign": "light",
    "orange slices bottom right": "orange slices",
    "teddy bear closest to camera": "teddy bear",
}


@pytest.fixture(scope="module")
def nlp():
    return load_spacy("auto")


def test_expectations_come_from_the_real_dataset(refcoco_samples):
    sentences = {s.expression for s in refcoco_samples} | {o for s in refcoco_samples for o in s.other_sentences}
    assert set(EXPECTED) | set(KNOWN_PARSER_FAILURES) <= sentences
    assert len(EXPECTED) >= 30


@pytest.mark.parametrize("expression, phrase", sorted(EXPECTED.items()))
def test_target_phrase(nlp, expression, phrase):
    assert target_phrase(nlp(expression.lower())) == phrase


@pytest.mark.xfail(strict=True, reason="en_core_web_sm misparse, see KNOWN_PARSER_FAILURES")
@pytest.mark.parametrize("expression, phrase", sorted(KNOWN_PARSER_FAILURES.items()))
def test_known_parser_failures(nlp, expression, phrase):
    assert target_phrase(nlp(expression)) == phrase


@pytest.mark.parametrize("expression, phrase", [
    ("left zebra", "zebra"),  # ROOT=left (VERB): chunk of ROOT's first child
    ("top left", "top left"),  # no noun at all: the whole sentence
    ("", ""),
])
def test_fallbacks(nlp, expression, phrase):
    assert target_phrase(nlp(expression)) == phrase


def test_non_noun_root_takes_the_chunk_of_its_first_child(nlp):
    doc = nlp("in back pizza on left upper corner")  # ROOT is the preposition "in"
    assert doc[0].dep_ == "ROOT" and doc[0].pos_ == "ADP"
    assert target_phrase(doc) == "back pizza"


def test_unknown_spacy_model_is_a_clear_error():
    from ros2_zsris.core import ConfigError

    with pytest.raises(ConfigError, match="no spaCy English pipeline") as error:
        load_spacy("en_core_web_nonexistent")
    assert "spacy_model" in str(error.value) and "pip install" in str(error.value)


def test_text_cache_returns_identical_embeddings_and_stays_bounded(vit_engine):
    encoder = vit_engine.text_encoder
    first = encoder.encode(["the red mug", "red mug"])
    again = encoder.encode(["red mug", "the red mug"])
    assert first.shape[0] == 2 and (first[0] == again[1]).all() and (first[1] == again[0]).all()
    assert not (first[0] == first[1]).all()
    for i in range(encoder.cache_size + 10):
        encoder.encode([f"object number {i}"])
    assert len(encoder._cache) == encoder.cache_size
