"""Labelled referring data -> rosbag2: an image, then for each of its expressions the
ground-truth mask and the command, in that order (the evaluator pairs the i-th command with
the i-th ground-truth mask). Stamps: image header stamp = log time; masks carry the image's
stamp; commands follow 1 ms apart; images ``period_s`` apart.
"""

from __future__ import annotations

import json
import pickle
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from pycocotools import mask as coco_mask

from ..datasets.refcoco import decode_coco_rle, load_refs_jsonl
from .bag_io import BagWriter, Topics

START_NS = 1_700_000_000 * 1_000_000_000


@dataclass
class LabelledFrame:
    image: np.ndarray  # RGB uint8
    expressions: list[tuple[str, np.ndarray]]  # (expression, bool mask, or a set's uint8 label image: episodes.py)
    source: str


def frames_from_refs_jsonl(path: Path, limit: int | None = None) -> Iterator[LabelledFrame]:
    """The refs.jsonl layout of shared/data/refcoco_val56, grouped by image file."""
    groups: dict[Path, list] = defaultdict(list)
    for sample in load_refs_jsonl(path):
        groups[sample.image_path].append(sample)
    for count, (image_path, samples) in enumerate(groups.items()):
        if limit is not None and count >= limit:
            return
        with Image.open(image_path) as image:
            rgb = np.asarray(image.convert("RGB"))
        yield LabelledFrame(rgb, [(s.expression, s.mask()) for s in samples], image_path.name)


def frames_from_refcoco(root: Path, dataset: str = "refcoco", split_by: str = "unc", split: str = "val",
                        images: Path | None = None, limit: int | None = None) -> Iterator[LabelledFrame]:
    """The official layout: ROOT/DATASET/refs(SPLIT_BY).p + instances.json, COCO train2014 images."""
    folder = Path(root) / dataset
    refs_file = folder / f"refs({split_by}).p"
    if not refs_file.is_file():
        raise FileNotFoundError(f"{refs_file} not found: expected the official {dataset} download layout")
    with open(refs_file, "rb") as handle:
        refs = [r for r in pickle.load(handle) if r["split"] == split]
    instances = json.loads((folder / "instances.json").read_text())
    annotations = {a["id"]: a for a in instances["annotations"]}
    image_info = {i["id"]: i for i in instances["images"]}
    image_dir = Path(images) if images else Path(root) / "images" / "mscoco" / "images" / "train2014"
    by_image: dict[int, list] = defaultdict(list)
    for ref in refs:
        by_image[ref["image_id"]].append(ref)
    for count, (image_id, image_refs) in enumerate(by_image.items()):
        if limit is not None and count >= limit:
            return
        info = image_info[image_id]
        with Image.open(image_dir / info["file_name"]) as image:
            rgb = np.asarray(image.convert("RGB"))
        expressions = []
        for ref in image_refs:
            mask = annotation_mask(annotations[ref["ann_id"]], info["height"], info["width"])
            expressions += [(sentence["sent"], mask) for sentence in ref["sentences"]]
        yield LabelledFrame(rgb, expressions, info["file_name"])


def annotation_mask(annotation: dict, height: int, width: int) -> np.ndarray:
    """COCO segmentation (polygons, or RLE for crowds) -> bool mask, rasterised by pycocotools
    as the dataset defines it (a PIL polygon fill differs, badly on small parts)."""
    segmentation = annotation["segmentation"]
    if isinstance(segmentation, dict):
        return decode_coco_rle(segmentation)
    polygons = [polygon for polygon in segmentation if len(polygon) >= 6]
    if not polygons:
        return np.zeros((height, width), dtype=bool)
    return coco_mask.decode(coco_mask.merge(coco_mask.frPyObjects(polygons, height, width))).astype(bool)


def write_frames_bag(frames: Iterable[LabelledFrame], path: Path, storage: str = "mcap",
                     topics: Topics | None = None, period_s: float = 1.0) -> dict[str, int]:
    topics = topics or Topics()
    counts = {"frames": 0, "commands": 0}
    with BagWriter(Path(path), storage) as bag:
        for index, frame in enumerate(frames):
            stamp = START_NS + int(index * period_s * 1e9)
            bag.image(topics.image, stamp, frame.image)
            for j, (expression, mask) in enumerate(frame.expressions):
                at = stamp + (j + 1) * 1_000_000
                bag.image(topics.ground_truth, at, mask.astype(np.uint8) * 255 if mask.dtype == bool else mask)
                bag.string(topics.command, at + 500_000, expression)
                counts["commands"] += 1
            counts["frames"] += 1
    return counts
