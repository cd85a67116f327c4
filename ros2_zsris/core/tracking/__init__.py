"""Tracking stage: follow mode keeps an answer on its object from frame to frame (OpenCV optical
flow and colour back-projection), corrected by the full pipeline's re-grounding."""

from .follower import Follower, TrackUpdate
from .identity import Grounding

__all__ = ["Follower", "Grounding", "TrackUpdate"]
