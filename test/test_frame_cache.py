"""FrameCache and ProblemLog on their own (no DDS): the rules that decide which frame a
command is answered on, and that no input problem vanishes from the log."""

from __future__ import annotations

import math
import threading

import pytest

from ros2_zsris.ros import frame_cache
from ros2_zsris.ros.frame_cache import EncodedFrame, FrameCache, no_frame_message
from ros2_zsris.ros.log_throttle import ProblemLog, problem_key


def frame(stamp: float, depth_missing: bool = False) -> EncodedFrame:
    return EncodedFrame(stamp, header=None, image=None, features=None, depth_missing=depth_missing)


class Clock:
    """A clock the test moves: encode times of minutes without waiting for them."""

    def __init__(self, step_s: float = 0.0):
        self.now_s, self.step_s = 0.0, step_s

    def __call__(self) -> float:
        self.now_s += self.step_s
        return self.now_s


def slow_cache(encode_s: float, clock: Clock | None = None) -> tuple[FrameCache, Clock]:
    """A cache whose encoder has been measured at encode_s per frame (one frame, stamp 1.0)."""
    clock = clock or Clock()
    cache = FrameCache(3, clock=clock)
    cache.received(1.0)
    cache.encoding()
    clock.now_s += encode_s
    cache.add(frame(1.0))
    return cache, clock


def encoded(cache: FrameCache, stamp: float) -> None:
    cache.received(stamp)
    cache.add(frame(stamp))


def test_waits_for_the_frame_received_before_the_command():
    cache = FrameCache(3)
    encoded(cache, 10.0)
    cache.received(11.0)  # still being encoded
    request = cache.request(oldest_s=8.0)
    assert cache.wait_for(request, 0.0).frame is None  # not the older frame while 11.0 may come
    threading.Timer(0.05, cache.add, args=(frame(11.0),)).start()
    assert cache.wait_for(request, 10.0).frame.stamp_s == 11.0


def test_a_waiting_command_takes_the_first_frame_encoded_within_max_frame_age():
    """An encoder slower than the camera: the frame being encoded when the command arrived
    answers it as soon as it is done (not the newer one queued behind it, an encoding later);
    a frame already older than max_frame_age when it is done does not."""
    cache = FrameCache(3)
    encoded(cache, 9.0)
    cache.received(10.0)  # in the encoder
    cache.received(11.0)  # the newest image when the command arrives: queued behind 10.0
    request = cache.request(oldest_s=9.5)
    too_old = cache.request(oldest_s=10.5)
    assert cache.wait_for(request, 0.0).frame is None  # nothing finished since the command arrived
    cache.add(frame(10.0))
    assert cache.wait_for(request, 0.0).frame.stamp_s == 10.0
    assert cache.wait_for(too_old, 0.0).frame is None  # 11.0 is on its way
    cache.add(frame(11.0))
    assert cache.wait_for(too_old, 0.0).frame.stamp_s == 11.0


def test_an_unusable_frame_never_hides_a_good_one():
    cache = FrameCache(3)
    encoded(cache, 10.0)
    cache.received(11.0)
    request = cache.request(oldest_s=9.0)
    threading.Timer(0.05, cache.failed, args=(11.0, "image is too small")).start()
    answer = cache.wait_for(request, 10.0)
    assert answer.frame.stamp_s == 10.0


def test_a_failed_frame_with_nothing_usable_is_answered_with_its_reason_at_once():
    cache = FrameCache(3)
    encoded(cache, 1.0)  # too old for the command
    cache.received(11.0)
    cache.failed(11.0, "frame encoding failed: out of memory")
    answer = cache.wait_for(cache.request(oldest_s=9.0), 10.0)
    assert answer.frame is None and "out of memory" in answer.failure


def test_a_superseded_frame_hands_its_commands_to_the_newer_one():
    cache = FrameCache(3)
    encoded(cache, 10.0)
    cache.received(11.0)
    request = cache.request(oldest_s=9.0)
    cache.received(12.0)
    cache.superseded(11.0)
    assert cache.wait_for(request, 0.0).frame is None  # 12.0 is on its way: not the older 10.0
    cache.add(frame(12.0))
    assert cache.wait_for(request, 0.0).frame.stamp_s == 12.0


def test_stamps_jumping_back_clear_the_cache_and_release_waiting_commands():
    cache = FrameCache(3)
    encoded(cache, 100.0)
    cache.received(101.0)
    request = cache.request(oldest_s=99.0)
    assert cache.received(5.0) is True  # bag --loop: a new timeline
    assert len(cache) == 0
    cache.add(frame(101.0))  # finished encoding after the jump: stale, dropped
    assert len(cache) == 0
    cache.add(frame(5.0))
    assert cache.wait_for(request, 0.0).frame.stamp_s == 5.0  # not a wait for a stamp that never comes
    assert cache.received(5.5) is False


def test_clock_jump_clears_only_when_frames_are_from_the_future():
    cache = FrameCache(3)
    encoded(cache, 100.0)
    assert cache.clear_after(100.5) is False
    assert cache.clear_after(20.0) is True and len(cache) == 0
    assert cache.clear_after(20.0) is False  # one jump, one clear


def test_close_releases_a_waiting_command():
    cache = FrameCache(3)
    request = cache.request(oldest_s=0.0)
    threading.Timer(0.05, cache.close).start()
    assert cache.wait_for(request, 30.0).failure == "shutting down"


def test_problem_log_counts_repeats_and_never_drops_a_problem():
    now = [0.0]
    lines: list[str] = []
    log = ProblemLog(lines.append, period_s=5.0, clock=lambda: now[0])
    for size in (10, 20, 30):
        log.report(f"image data has {size} bytes, expected 300")
    log.report("unsupported image encoding 'yuv422'")  # a different problem is not hidden
    assert lines == ["image data has 10 bytes, expected 300", "unsupported image encoding 'yuv422'"]
    log.flush()
    assert len(lines) == 2
    now[0] = 6.0
    log.flush()  # the repeats are reported even if the problem never happens again
    assert lines[2] == "image data has 30 bytes, expected 300 (x2 in the last 6 s)"
    log.flush()
    assert len(lines) == 3
    assert problem_key("a 1x1 image, 0.5 s") == problem_key("a 640x480 image, 2 s")


@pytest.mark.parametrize("capacity", [1, 3])
def test_capacity_keeps_the_newest(capacity):
    cache = FrameCache(capacity)
    for stamp in (3.0, 2.5, 2.8, 4.0):  # slightly out of order, no jump
        encoded(cache, stamp)
    assert len(cache) == capacity
    assert cache.wait_for(cache.request(0.0), 0.0).frame.stamp_s == 4.0


def test_a_frame_being_encoded_is_waited_for_past_command_timeout():
    """An encoder measured at 100 s a frame (SAM on a CPU): a command whose frame is being encoded
    waits for it instead of answering no_frame when command_timeout (here 0) runs out."""
    cache, clock = slow_cache(100.0)
    cache.received(11.0)
    request = cache.request(oldest_s=9.0)
    cache.encoding()
    threading.Timer(0.2, cache.add, args=(frame(11.0),)).start()
    answer = cache.wait_for(request, 0.0)
    assert answer.frame is not None and answer.frame.stamp_s == 11.0
    assert cache.encode_time_s() == 100.0
    cache.clear()  # lifecycle cleanup: another model may be configured next
    assert math.isnan(cache.encode_time_s())  # nothing measured


def test_no_camera_or_a_stale_one_is_no_frame_after_command_timeout_whatever_the_encoder():
    cache, _ = slow_cache(100.0)
    stale = cache.request(oldest_s=9.0)  # the newest image (1.0) is 10 s older than the command
    answer = cache.wait_for(stale, 0.0)
    assert answer.frame is None and not answer.encoding and answer.newest_received_s == 1.0
    message = no_frame_message(answer, stale, max_frame_age=2.0, command_timeout=5.0)
    assert "max_frame_age=2.00" in message and "stamped 10.00 s before it" in message
    cache.received(1.5)  # a stale frame on its way is no reason to wait longer either
    assert not cache.wait_for(cache.request(oldest_s=9.0), 0.0).encoding
    empty = FrameCache(3)
    nothing = empty.request(oldest_s=9.0)
    answer = empty.wait_for(nothing, 0.0)
    assert answer.frame is None and "no image received" in no_frame_message(answer, nothing, 2.0, 5.0)


def test_an_encoder_that_hangs_still_ends_the_wait(monkeypatch):
    """The encoding in progress counts up to MAX_ENCODE_ESTIMATE_S: the wait is bounded."""
    monkeypatch.setattr(frame_cache, "RECHECK_S", 0.001)
    clock = Clock(step_s=10.0)  # every reading of the clock: 10 s later
    cache = FrameCache(3, clock=clock)
    cache.received(11.0)
    request = cache.request(oldest_s=9.0)
    cache.encoding()  # ... and never ends
    answer = cache.wait_for(request, 5.0)
    assert answer.frame is None and answer.encoding
    assert 5.0 + 3 * frame_cache.MAX_ENCODE_ESTIMATE_S <= answer.waited_s <= 5.0 + 3 * 300.0 + 40.0
    assert "still being encoded" in no_frame_message(answer, request, 2.0, 5.0)


def test_a_command_is_answered_on_the_newest_frame_that_has_its_depth():
    cache = FrameCache(3)
    encoded(cache, 10.0)
    cache.received(10.2)
    cache.add(frame(10.2, depth_missing=True))  # its depth frame was dropped
    assert cache.wait_for(cache.request(oldest_s=9.0), 0.0).frame.stamp_s == 10.0
    assert cache.wait_for(cache.request(oldest_s=10.1), 0.0).frame.stamp_s == 10.2  # none with depth in time
    encoded(cache, 10.4)
    assert cache.wait_for(cache.request(oldest_s=9.0), 0.0).frame.stamp_s == 10.4


@pytest.mark.parametrize("capacity", [2, 3])
def test_the_newest_frame_with_depth_outlives_the_capacity(capacity):
    cache = FrameCache(capacity)
    encoded(cache, 10.0)
    for stamp in (10.2, 10.4, 10.6, 10.8):
        cache.received(stamp)
        cache.add(frame(stamp, depth_missing=True))
    assert len(cache) == capacity and cache.newest().stamp_s == 10.8
    assert cache.wait_for(cache.request(oldest_s=9.0), 0.0).frame.stamp_s == 10.0
