"""A bag as the evaluator sees it: frames, each with its commands and ground-truth masks,
and (when recorded) the node's results.

Ground truth is a mono8 image per command: 0/255 is one object's mask; a label image (values
1..254: the k-th object named, 0 elsewhere) is the truth of a command that names several
objects ("all the cups", "the cup and the ball"), scored by exact-set accuracy (report.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bag_io import Topics, image_to_array, read_messages

SINGLE_OBJECT = 255  # the value of a one-object mask; 1..254 label the objects of a set


@dataclass
class CommandCase:
    index: int  # position among all commands of the bag
    text: str
    log_ns: int
    truth: np.ndarray | None  # bool mask, or None when the bag has no ground truth for it (or it is a set's)
    truth_objects: list[np.ndarray] | None = None  # a set's truth: one bool mask per object, in the order named


@dataclass
class Frame:
    log_ns: int
    stamp_ns: int
    image: np.ndarray
    commands: list[CommandCase] = field(default_factory=list)


@dataclass
class Prediction:
    status: str
    mask: np.ndarray | None = None
    latency_ms: float | None = None
    target_phrase: str = ""
    score: float = float("nan")
    interpretation: str = ""
    objects: list[np.ndarray] = field(default_factory=list)  # every object answered (ZsrisResult.objects)
    count: int | None = None


def load_frames(path: Path, topics: Topics) -> list[Frame]:
    """Commands belong to the latest image before them; the i-th ground-truth mask after an
    image belongs to its i-th command. Commands before any image get frame -1 (kept, so that
    replay answers them too), represented by a frame with an empty image."""
    frames: list[Frame] = []
    pending_truth: list[np.ndarray | list[np.ndarray]] = []
    count = 0
    for message in read_messages(path, [topics.image, topics.command, topics.ground_truth]):
        if message.topic == topics.image:
            stamp = message.msg.header.stamp
            frames.append(Frame(message.timestamp_ns, stamp.sec * 1_000_000_000 + stamp.nanosec,
                                image_to_array(message.msg)))
            pending_truth = []
        elif message.topic == topics.ground_truth:
            pending_truth.append(read_truth(image_to_array(message.msg)))
        else:
            if not frames:
                frames.append(Frame(message.timestamp_ns, 0, np.zeros((0, 0, 3), np.uint8)))
            frame = frames[-1]
            truth = pending_truth[len(frame.commands)] if len(pending_truth) > len(frame.commands) else None
            objects = truth if isinstance(truth, list) else None
            frame.commands.append(CommandCase(count, message.msg.data, message.timestamp_ns,
                                              None if objects is not None else truth, objects))
            count += 1
    return frames


def read_truth(pixels: np.ndarray) -> np.ndarray | list[np.ndarray]:
    """A ground-truth image: a bool mask (0/255), or a set's objects in order (labels 1..254)."""
    labels = [int(v) for v in np.unique(pixels) if 0 < v < SINGLE_OBJECT]
    return [pixels == label for label in labels] if labels else pixels > 127


def set_truth_image(masks: list[np.ndarray]) -> np.ndarray:
    """The label image of a set's truth: the k-th mask (in the order named) as value k."""
    if not 0 < len(masks) < SINGLE_OBJECT:
        raise ValueError(f"a set's truth holds 1..{SINGLE_OBJECT - 1} objects, got {len(masks)}")
    labels = np.zeros(masks[0].shape, np.uint8)
    for k, mask in enumerate(masks, start=1):
        labels[mask] = k
    return labels


def predictions_from_bag(path: Path, topics: Topics) -> list[Prediction]:
    """The node's ~/result messages recorded in a bag, in order."""
    predictions = []
    for message in read_messages(path, [topics.result]):
        result = message.msg
        mask = None
        if result.mask.height and result.mask.width:
            mask = image_to_array(result.mask) > 127
        objects = [image_to_array(o.mask) > 127 for o in getattr(result, "objects", []) if o.mask.height]
        predictions.append(Prediction(result.status, mask, None, result.target_phrase, float(result.score),
                                      getattr(result, "interpretation", ""), objects, getattr(result, "count", None)))
    return predictions
