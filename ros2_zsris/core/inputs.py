"""What the engine accepts: images, depth, the caller's own masks and commands, each checked
with a message that says what is wrong and how to fix it."""

from __future__ import annotations

import numpy as np

from .errors import InputError
from .geometry import depth_in_metres
from .vision.proposals import Proposals

MAX_COMMAND_CHARS = 1000


def validate_image(image: np.ndarray) -> np.ndarray:
    """The engine's single image format: contiguous uint8 RGB (H, W, 3), non-empty."""
    if not isinstance(image, np.ndarray):
        raise InputError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"image must be RGB with shape (H, W, 3), got shape {image.shape}",
                         fix="convert grey or RGBA images to RGB first")
    if image.dtype != np.uint8:
        raise InputError(f"image must be uint8, got {image.dtype}", fix="scale to 0..255 and cast to uint8")
    if image.shape[0] < 2 or image.shape[1] < 2:
        raise InputError(f"image is too small to segment: {image.shape[1]}x{image.shape[0]} pixels")
    return np.ascontiguousarray(image)


def validate_depth(depth: np.ndarray | None, size: tuple[int, int]) -> np.ndarray | None:
    """Depth registered to the image as float32 metres, NaN where unknown: from float metres
    (NaN or 0 unknown) or uint16 millimetres (0 unknown; REP-118). Never resized."""
    if depth is None:
        return None
    if not isinstance(depth, np.ndarray) or depth.ndim != 2:
        raise InputError(f"depth must be a 2D numpy array, got {getattr(depth, 'shape', type(depth).__name__)}",
                         fix="pass the aligned depth image (H, W) in metres, or None")
    if depth.shape != tuple(size):
        raise InputError(f"depth has shape {depth.shape} but the image is {size[0]}x{size[1]} (H x W)",
                         fix="register the depth image to the colour image (same size) before passing it")
    if depth.dtype != np.uint16 and depth.dtype.kind != "f":
        raise InputError(f"depth must be float metres or uint16 millimetres, got {depth.dtype}",
                         fix="convert it with depth.astype(np.float32) (metres)")
    if depth.dtype.kind == "f" and (depth < 0).any():
        raise InputError(f"depth has negative values (min {np.nanmin(depth):.3f})",
                         fix="pass distances in metres; mark unknown pixels with NaN or 0")
    return depth_in_metres(depth)


def given_proposals(masks: np.ndarray, size: tuple[int, int]) -> Proposals:
    """The caller's own masks as proposals: (N, H, W) bool at the image's size, order kept."""
    if not isinstance(masks, np.ndarray):
        raise InputError(f"masks must be a numpy array, got {type(masks).__name__}", fix="convert it with np.asarray")
    if masks.ndim != 3 or masks.shape[1:] != size:
        raise InputError(f"masks must have shape (N, {size[0]}, {size[1]}) for this image, got {masks.shape}",
                         fix="stack one (H, W) mask per proposal at the image's resolution (masks[None] for one)")
    if masks.dtype != bool:
        raise InputError(f"masks must be bool, got {masks.dtype}", fix="pass masks != 0 (or masks > 127 for 0/255)")
    return Proposals(np.ascontiguousarray(masks), np.ones(len(masks), dtype=np.float32))


def masks_required(image: np.ndarray) -> Proposals:
    raise InputError("proposals.backend is 'given' but this frame came without masks",
                     fix="pass masks= to encode_frame, or choose proposals.backend 'sam' or 'classical'")


def command_problem(command: object) -> str:
    """Why a command cannot be answered at all, or '' when it can be parsed."""
    if not isinstance(command, str):
        return f"command must be text, got {type(command).__name__}"
    if not command.strip():
        return "empty command: nothing to look for"
    if len(command) > MAX_COMMAND_CHARS:
        return f"command too long ({len(command)} characters, limit {MAX_COMMAND_CHARS})"
    return ""
