"""sensor_msgs <-> numpy without cv_bridge (not installable everywhere; numpy 2 breakage).

Colour conversions (rgb/bgr/rgba/bgra, mono 8/16, yuv422 variants, bayer) are rosbags-image's
(OpenCV underneath), compressed frames are decoded by OpenCV; this module only checks the
message's size fields first, so a malformed message is a clear error, not a crash.
"""

from __future__ import annotations

import cv2
import numpy as np
from rosbags.image.image import ENCODINGMAP, ImageError, convert_color

from ..core.errors import InputError

DEPTH_ENCODINGS = {"32FC1": np.dtype("<f4"), "16UC1": np.dtype("<u2")}
# nv12/nv21 carry 1.5 rows per image row, which rosbags-image does not lay out: not offered.
COLOUR_ENCODINGS = tuple(name for name in ENCODINGMAP if not name.startswith("nv"))


class UnsupportedEncoding(InputError):
    """An encoding the node does not convert; warned once per encoding, then dropped."""


def _rows(msg, channels: int, itemsize: int) -> np.ndarray:
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    if height == 0 or width == 0:
        raise InputError(f"image has zero size ({width}x{height})")
    row_bytes = width * channels * itemsize
    if step < row_bytes:
        raise InputError(f"image step {step} is smaller than width*channels*bytes = {row_bytes}")
    data = np.frombuffer(msg.data, dtype=np.uint8)
    if data.size < height * step:
        raise InputError(f"image data has {data.size} bytes, expected height*step = {height * step}")
    return data[: height * step].reshape(height, step)[:, :row_bytes]


def image_to_rgb(msg) -> np.ndarray:
    """sensor_msgs/Image of any common encoding -> contiguous RGB uint8 (H, W, 3)."""
    if msg.encoding not in COLOUR_ENCODINGS:
        raise UnsupportedEncoding(
            f"unsupported image encoding '{msg.encoding}'",
            fix=f"publish one of {', '.join(COLOUR_ENCODINGS)}, or a CompressedImage (image_transport:=compressed)")
    _, _, typestr, channels = ENCODINGMAP[msg.encoding]
    dtype = np.dtype(typestr).newbyteorder(">" if msg.is_bigendian else "<")
    rows = np.ascontiguousarray(_rows(msg, channels, dtype.itemsize))
    pixels = rows.view(dtype).reshape(int(msg.height), int(msg.width), channels).astype(dtype.newbyteorder("="))
    return _to_rgb8(pixels if channels > 1 else pixels[:, :, 0], msg.encoding)


def compressed_to_rgb(msg) -> np.ndarray:
    """sensor_msgs/CompressedImage (jpeg, png) -> contiguous RGB uint8 (H, W, 3)."""
    data = np.frombuffer(msg.data, dtype=np.uint8)
    decoded = cv2.imdecode(data, cv2.IMREAD_ANYCOLOR) if data.size else None
    if decoded is None:
        raise InputError(f"compressed image ({msg.format or 'no format'}, {data.size} bytes) could not be decoded",
                         fix="publish jpeg or png data (image_transport 'compressed')")
    encoding = "mono8" if decoded.ndim == 2 else "bgra8" if decoded.shape[2] == 4 else "bgr8"
    return _to_rgb8(decoded, encoding)


def _to_rgb8(pixels: np.ndarray, encoding: str) -> np.ndarray:
    try:
        rgb = convert_color(pixels, encoding, "rgb8")
    except ImageError as error:
        raise UnsupportedEncoding(f"cannot convert '{encoding}' to rgb8: {error}") from error
    return np.ascontiguousarray(rgb, dtype=np.uint8)


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
