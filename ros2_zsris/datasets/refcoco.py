"""RefCOCO-style samples in the refs.jsonl layout of shared/data/refcoco_val56."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class RefSample:
    image_path: Path
    expression: str
    mask_rle: dict
    ref_id: int
    other_sentences: list[str] = field(default_factory=list)

    def mask(self) -> np.ndarray:
        return decode_coco_rle(self.mask_rle)


def load_refs_jsonl(path: str | Path) -> list[RefSample]:
    """One sample per line; image paths are relative to the file's folder."""
    path = Path(path)
    samples = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        samples.append(RefSample(
            image_path=path.parent / record["image"],
            expression=record["expression"],
            mask_rle=record["mask_rle"],
            ref_id=int(record.get("ref_id", -1)),
            other_sentences=list(record.get("other_sentences_same_ref", [])),
        ))
    return samples


def decode_coco_rle(rle: dict) -> np.ndarray:
    """COCO RLE ({"size": [H, W], "counts": str | list}) -> (H, W) bool mask."""
    height, width = rle["size"]
    counts = rle["counts"]
    if isinstance(counts, str):
        counts = _counts_from_string(counts)
    flat = np.zeros(height * width, dtype=bool)
    position, value = 0, False
    for run in counts:
        if value:
            flat[position:position + run] = True
        position += run
        value = not value
    return flat.reshape((width, height)).T  # COCO stores masks column-major


def _counts_from_string(text: str) -> list[int]:
    """pycocotools' compressed counts: 5-bit groups, sign bit, deltas from two runs back."""
    counts: list[int] = []
    pos = 0
    while pos < len(text):
        value, shift, more = 0, 0, True
        while more:
            char = ord(text[pos]) - 48
            value |= (char & 0x1F) << (5 * shift)
            more = bool(char & 0x20)
            pos += 1
            shift += 1
            if not more and char & 0x10:
                value |= -1 << (5 * shift)
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts
