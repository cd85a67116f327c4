"""Bounded store of encoded frames, newest by stamp (no rclpy: testable on its own).

Commands are answered on the newest frame not older than ``max_frame_age``; a command
that finds none waits (bounded) for the encoder to deliver one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from ..core.results import FrameFeatures


@dataclass
class EncodedFrame:
    stamp_s: float  # the image's stamp (or its receipt time if the stamp was zero)
    header: Any  # std_msgs/Header of the source image
    image: Any  # RGB uint8 array, kept for overlays
    features: FrameFeatures


class FrameCache:
    def __init__(self, capacity: int):
        self.capacity = max(1, capacity)
        self._frames: list[EncodedFrame] = []
        self._changed = threading.Condition()

    def add(self, frame: EncodedFrame) -> None:
        with self._changed:
            self._frames.append(frame)
            self._frames.sort(key=lambda f: f.stamp_s)
            del self._frames[: max(0, len(self._frames) - self.capacity)]
            self._changed.notify_all()

    def wait_for(self, not_before_s: float, timeout_s: float) -> EncodedFrame | None:
        """The newest frame stamped at or after ``not_before_s``; waits up to timeout_s only
        when there is none yet."""
        with self._changed:
            self._changed.wait_for(lambda: self._newest(not_before_s) is not None, timeout=max(0.0, timeout_s))
            return self._newest(not_before_s)

    def __len__(self) -> int:
        with self._changed:
            return len(self._frames)

    def _newest(self, not_before_s: float) -> EncodedFrame | None:
        if self._frames and self._frames[-1].stamp_s >= not_before_s:
            return self._frames[-1]
        return None

    def clear(self) -> None:
        """Forget every frame (lifecycle cleanup: the features belong to the unloaded models)."""
        with self._changed:
            self._frames.clear()
