"""sensor_msgs <-> numpy without cv_bridge (not installable everywhere; numpy 2 breakage).

Follows cv_bridge's conventions: encodings by name, row stride ``step``, big-endian flag.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import InputError

COLOUR_ENCODINGS = {"rgb8": (3, [0, 1, 2]), "bgr8": (3, [2, 1, 0]), "rgba8": (4, [0, 1, 2]),
                    "bgra8": (4, [2, 1, 0]), "mono8": (1, [0, 0, 0])}
DEPTH_ENCODINGS = {"32FC1": np.dtype("<f4"), "16UC1": np.dtype("<u2")}


class UnsupportedEncoding(InputError):
    """An encoding the node does not convert; warned once per encoding, then dropped."""


def _rows(msg, channels: int, itemsize: int) -> np.ndarray:
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    if height == 0 or width == 0:
        raise InputError(f"image has zero size ({width}x{height})")
    row_bytes = width * channels * itemsize
    if step < row_bytes:
        raise InputError(f"image step {step} is smaller than width*channels*bytes = {row_bytes}")
    data = np.frombuffer(bytes(msg.data), dtype=np.uint8)
    if data.size < height * step:
        raise InputError(f"image data has {data.size} bytes, expected height*step = {height * step}")
    return data[: height * step].reshape(height, step)[:, :row_bytes]


def image_to_rgb(msg) -> np.ndarray:
    """sensor_msgs/Image (rgb8, bgr8, rgba8, bgra8, mono8) -> contiguous RGB uint8 (H, W, 3)."""
    if msg.encoding not in COLOUR_ENCODINGS:
        raise UnsupportedEncoding(
            f"unsupported image encoding '{msg.encoding}'",
            fix=f"publish one of {', '.join(COLOUR_ENCODINGS)} (e.g. via image_proc / a format converter)")
    channels, order = COLOUR_ENCODINGS[msg.encoding]
    pixels = _rows(msg, channels, 1).reshape(int(msg.height), int(msg.width), channels)
    return np.ascontiguousarray(pixels[:, :, order])


def depth_to_array(msg) -> np.ndarray:
    """sensor_msgs/Image 32FC1 (metres) or 16UC1 (millimetres) -> array of that dtype."""
    if msg.encoding not in DEPTH_ENCODINGS:
        raise UnsupportedEncoding(f"unsupported depth encoding '{msg.encoding}'",
                                  fix="publish 32FC1 in metres or 16UC1 in millimetres (REP-118)")
    dtype = DEPTH_ENCODINGS[msg.encoding]
    if msg.is_bigendian:
        dtype = dtype.newbyteorder(">")
    rows = _rows(msg, 1, dtype.itemsize)
    values = np.ascontiguousarray(rows).view(dtype).reshape(int(msg.height), int(msg.width))
    return values.astype(dtype.newbyteorder("="))


def fill_image(msg, pixels: np.ndarray, encoding: str, header) -> None:
    """Fill a sensor_msgs/Image from a uint8 (H, W) or (H, W, 3) array."""
    msg.header = header
    msg.height, msg.width = int(pixels.shape[0]), int(pixels.shape[1])
    msg.encoding = encoding
    msg.is_bigendian = 0
    msg.step = int(pixels.shape[1] * (pixels.shape[2] if pixels.ndim == 3 else 1))
    msg.data = np.ascontiguousarray(pixels, dtype=np.uint8).tobytes()
