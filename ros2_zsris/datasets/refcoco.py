"""RefCOCO-style samples in the refs.jsonl layout of shared/data/refcoco_val56."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pycocotools import mask as coco_mask


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
    """COCO RLE ({"size": [H, W], "counts": str | list}) -> (H, W) bool mask, by pycocotools
    (the dataset's own definition)."""
    height, width = rle["size"]
    counts = rle["counts"]
    if isinstance(counts, list):  # uncompressed RLE (crowd annotations)
        encoded = coco_mask.frPyObjects({"size": [height, width], "counts": counts}, height, width)
    else:
        encoded = {"size": [height, width], "counts": counts.encode() if isinstance(counts, str) else counts}
    return coco_mask.decode(encoded).astype(bool)
