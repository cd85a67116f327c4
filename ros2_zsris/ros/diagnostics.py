"""The node's health as diagnostic_msgs/DiagnosticStatus (what rqt_robot_monitor and aggregators read).

OK while frames arrive and are encoded; WARN when no image arrives, when one encoding takes
longer than max_frame_age (commands then mostly wait for a frame captured after them), or when
encoding falls behind (the newest encoded frame is older than max_frame_age behind the newest
received one, so commands wait or get no_frame); ERROR when the models are not loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue

from .frame_cache import ENCODE_SAMPLES, ENCODE_WAITS


@dataclass
class Health:
    """A snapshot of the node, taken by the node under no lock (counters are monotonic)."""

    state: str  # lifecycle state label
    models_loaded: bool
    models: str
    device: str
    images_received: int
    images_rejected: int
    frames_encoded: int
    frames_superseded: int
    frames_failed: int
    encode_ms: float  # last encoded frame, NaN before the first
    commands_received: int
    commands_answered: int
    commands_pending: int
    last_status: str
    seconds_since_image: float
    encode_lag_s: float  # newest received stamp minus newest encoded stamp
    no_image_warning_period: float
    max_frame_age: float
    config_error: str = ""
    depth_frames_received: int = 0
    camera_info_received: int = 0
    follow: dict[str, str] = field(default_factory=dict)  # follow mode: what is followed, frames, drops
    encode_time_s: float = math.nan  # slowest of the recent encodings (frame_cache.ENCODE_SAMPLES)
    slow_encoding: str = ""  # slow_encoding(): why answers wait, and what to change
    frames_without_depth: int = 0  # encoded while depth was in use, without their own depth frame


def slow_encoding(encode_s: float, max_frame_age: float, command_timeout: float) -> str:
    """The warning for an encoder slower than max_frame_age ("" when it is not): the measured
    time, what it means for commands, and the settings that change it."""
    if not encode_s > max_frame_age:  # NaN (nothing measured yet) included
        return ""
    return (f"encoding takes {encode_s:.1f} s per frame (slowest of the last {ENCODE_SAMPLES}), longer than "
            f"max_frame_age={max_frame_age:.2f} s: the frame in the encoder when a command arrives is mostly too "
            "old for it, so the command waits for a frame captured after it, up to two encodings (at most "
            f"command_timeout + {ENCODE_WAITS} x the encode time = {command_timeout + ENCODE_WAITS * encode_s:.0f} s). "
            f"Raise max_frame_age above {encode_s:.0f} s to have commands answered on the frame being encoded when "
            "they arrive (one encoding at most); faster answers need a GPU (models.device) or lighter proposals "
            "(proposals.backend sam2 or classical, proposals.points_per_side)")


def health_status(name: str, health: Health) -> DiagnosticStatus:
    level, message = _level(health)
    values = {
        "lifecycle_state": health.state, "models": health.models, "device": health.device,
        "images_received": health.images_received, "images_rejected": health.images_rejected,
        "frames_encoded": health.frames_encoded, "frames_superseded": health.frames_superseded,
        "frames_failed": health.frames_failed, "encode_ms": f"{health.encode_ms:.1f}",
        "commands_received": health.commands_received, "commands_answered": health.commands_answered,
        "commands_pending": health.commands_pending, "last_status": health.last_status,
        "seconds_since_image": f"{health.seconds_since_image:.1f}",
        "depth_frames_received": health.depth_frames_received, "camera_info_received": health.camera_info_received,
        "frames_without_depth": health.frames_without_depth, "encode_time_s": f"{health.encode_time_s:.2f}",
        "slow_encoding": health.slow_encoding, **health.follow,
    }
    return DiagnosticStatus(level=level, name=name, message=message, hardware_id=health.device,
                            values=[KeyValue(key=k, value=str(v)) for k, v in values.items()])


def _level(health: Health) -> tuple[bytes, str]:
    if not health.models_loaded:
        reason = f": {health.config_error.splitlines()[0]}" if health.config_error else ""
        return DiagnosticStatus.ERROR, f"models not loaded (state {health.state}){reason}"
    if health.state != "active":
        return DiagnosticStatus.OK, f"models loaded, node {health.state}"
    if health.seconds_since_image > health.no_image_warning_period:
        return DiagnosticStatus.WARN, (f"no image for {health.seconds_since_image:.0f} s: camera running? QoS and "
                                       "Fast DDS profile matching?")
    if health.slow_encoding:
        return DiagnosticStatus.WARN, health.slow_encoding
    if health.encode_lag_s > health.max_frame_age:
        return DiagnosticStatus.WARN, (f"encoding falls behind: newest encoded frame {health.encode_lag_s:.1f} s "
                                       f"older than the newest received (encode {health.encode_ms:.0f} ms)")
    return DiagnosticStatus.OK, "running"
