"""The Fast DDS profile for camera-size frames, applied before a process creates its participant.

Without it, rmw_fastrtps with ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST uses a 512 KiB shared-memory
segment and best-effort 640x480 rgb8 frames (921 KB) are never delivered. The writer's segment
limits the sample, so the camera driver (the publisher) must load the profile too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROFILE_ENV = "FASTDDS_DEFAULT_PROFILES_FILE"
PROFILE_NAME = "fastdds_large_data.xml"


def large_data_profile() -> Path:
    """The installed profile (share/ros2_zsris/config: found through the ament index, or in this
    interpreter's prefix, the venv install space, when AMENT_PREFIX_PATH is not set), or the
    source checkout's."""
    candidates = []
    try:
        from ament_index_python.packages import get_package_share_directory

        candidates.append(Path(get_package_share_directory("ros2_zsris")) / "config" / PROFILE_NAME)
    except (ImportError, LookupError, OSError, ValueError):  # not installed, or no AMENT_PREFIX_PATH
        pass
    candidates += [Path(sys.prefix) / "share" / "ros2_zsris" / "config" / PROFILE_NAME,
                   Path(__file__).resolve().parents[2] / "config" / PROFILE_NAME]
    return next((path for path in candidates if path.is_file()), candidates[-1])


def use_large_data_profile(env: dict | None = None) -> str:
    """Set FASTDDS_DEFAULT_PROFILES_FILE in ``env`` (default: this process) unless the user set
    it; returns the profile in force. Must run before rclpy.init() creates the participant."""
    env = os.environ if env is None else env
    if not env.get(PROFILE_ENV):
        env[PROFILE_ENV] = str(large_data_profile())
    return env[PROFILE_ENV]
