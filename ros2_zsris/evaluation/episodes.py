"""A bag as the evaluator sees it: frames, each with its commands and ground-truth masks,
and (when recorded) the node's results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bag_io import Topics, image_to_array, read_messages


@dataclass
class CommandCase:
    index: int  # position among all commands of the bag
    text: str
    log_ns: int
    truth: np.ndarray | None  # bool mask, or None when the bag has no ground truth for it


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


def load_frames(path: Path, topics: Topics) -> list[Frame]:
    """Commands belong to the latest image before them; the i-th ground-truth mask after an
    image belongs to its i-th command. Commands before any image get frame -1 (kept, so that
    replay answers them too), represented by a frame with an empty image."""
    frames: list[Frame] = []
    pending_truth: list[np.ndarray] = []
    count = 0
    for message in read_messages(path, [topics.image, topics.command, topics.ground_truth]):
        if message.topic == topics.image:
            stamp = message.msg.header.stamp
            frames.append(Frame(message.timestamp_ns, stamp.sec * 1_000_000_000 + stamp.nanosec,
                                image_to_array(message.msg)))
            pending_truth = []
        elif message.topic == topics.ground_truth:
            pending_truth.append(image_to_array(message.msg) > 127)
        else:
            if not frames:
                frames.append(Frame(message.timestamp_ns, 0, np.zeros((0, 0, 3), np.uint8)))
            frame = frames[-1]
            truth = pending_truth[len(frame.commands)] if len(pending_truth) > len(frame.commands) else None
            frame.commands.append(CommandCase(count, message.msg.data, message.timestamp_ns, truth))
            count += 1
    return frames


def predictions_from_bag(path: Path, topics: Topics) -> list[Prediction]:
    """The node's ~/result messages recorded in a bag, in order."""
    predictions = []
    for message in read_messages(path, [topics.result]):
        result = message.msg
        mask = None
        if result.mask.height and result.mask.width:
            mask = image_to_array(result.mask) > 127
        predictions.append(Prediction(result.status, mask, None, result.target_phrase, float(result.score),
                                      getattr(result, "interpretation", "")))
    return predictions
