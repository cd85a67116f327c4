"""DepthSync on its own (real sensor_msgs messages, no DDS): which depth frame a colour frame is
encoded with, a late depth frame waited for, a dropped one marked, and the pair kept for the
3D centroid however many depth frames arrive while the frame waits for its command."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ros2_zsris.ros import depth_sync
from ros2_zsris.ros.depth_sync import KEPT_DEPTH_FRAMES, DepthSync
from ros2_zsris.ros.log_throttle import ProblemLog

SIZE = (12, 16)
K = [20.0, 0.0, 8.0, 0.0, 20.0, 6.0, 0.0, 0.0, 1.0]


def depth_msg(stamp_s: float, metres: float):
    from sensor_msgs.msg import Image

    msg = Image(height=SIZE[0], width=SIZE[1], encoding="32FC1", step=SIZE[1] * 4)
    msg.header.stamp.sec, msg.header.stamp.nanosec = int(stamp_s), round((stamp_s % 1) * 1e9)
    msg.data = np.full(SIZE, metres, "<f4").tobytes()
    return msg


@pytest.fixture
def sync():
    from sensor_msgs.msg import CameraInfo

    lines: list[str] = []
    synced = DepthSync(lambda: 0.05, ProblemLog(lines.append), lambda: True)
    synced.on_camera_info(CameraInfo(height=SIZE[0], width=SIZE[1], k=K))
    return synced


def test_without_a_depth_stream_frames_are_2d_and_not_missing_anything(sync):
    assert sync.for_encoding(10.0, SIZE) == (None, None, False)


def test_a_frame_whose_depth_never_came_is_marked_missing(sync, monkeypatch):
    monkeypatch.setattr(depth_sync, "DEPTH_WAIT_S", 0.05)
    sync.on_depth(depth_msg(10.0, 1.5))
    paired = sync.for_encoding(10.0, SIZE)
    assert not paired.missing and paired.depth[0, 0] == pytest.approx(1.5) and paired.camera_k[0, 0] == 20.0
    dropped = sync.for_encoding(10.2, SIZE)  # nearest depth 0.2 s away: beyond depth_max_stamp_diff
    assert dropped.missing and dropped.depth is None


def test_a_late_depth_frame_is_waited_for(sync, monkeypatch):
    monkeypatch.setattr(depth_sync, "DEPTH_WAIT_S", 60.0)  # the wait ends when the depth comes, not on time
    sync.on_depth(depth_msg(10.0, 1.5))  # the stream is in use
    threading.Timer(0.1, sync.on_depth, args=(depth_msg(10.2, 0.7),)).start()
    late = sync.for_encoding(10.2, SIZE)
    assert not late.missing and late.depth[0, 0] == pytest.approx(0.7)


def test_the_paired_depth_frame_gives_the_3d_centroid_after_newer_ones_pushed_it_out(sync):
    sync.on_depth(depth_msg(10.0, 1.5))
    assert not sync.for_encoding(10.0, SIZE).missing
    for index in range(KEPT_DEPTH_FRAMES + 5):  # a slow encoder: many depth frames arrive meanwhile
        sync.on_depth(depth_msg(11.0 + index * 0.1, 3.0))
    mask = np.zeros(SIZE, bool)
    mask[4:8, 6:10] = True
    located = sync.locate(mask, (7.5, 5.5), 10.0)
    assert located.reason == "" and located.depth_m == pytest.approx(1.5)
    unpaired = sync.locate(mask, (7.5, 5.5), 10.5)  # a frame never encoded with depth: nearest kept only
    assert unpaired.point is None and "depth_max_stamp_diff" in unpaired.reason
