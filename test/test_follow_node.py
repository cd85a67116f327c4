"""Follow mode through the real node over DDS: start, a result for every frame, stop, lost.

The node runs the embedded default in its own process and ROS domain; the test publishes a
generated camera sequence (pan, zoom, an occluder, a dimming light; 640x480 rgb8, so the
large-data transport is used) one frame at a time and waits for the node's ~/track answer to
each before the next (the node's own acknowledgement: no frame is raced against a timer, so
every frame must be answered). The 30 fps best-effort figure is bench/bench_follow_node.py's.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from ros2_zsris.core import ZsrisEngine
from ros2_zsris.evaluation.metrics import score_mask
from ros2_zsris.ros.dds import use_large_data_profile
from ros2_zsris.ros.domains import free_domain_id
from ros2_zsris.ros.reliability import FollowClient, node_command, start_node
from ros2_zsris.ros.reliability import tail as log_tail
from ros2_zsris.tabletop.evaluate import embedded_engine_config
from ros2_zsris.tabletop.follow_eval import frame_iou
from ros2_zsris.tabletop.sequences import iter_sequences

pytestmark = pytest.mark.ros
NODE = str(Path(__import__("sys").executable).parent / "zsris_node")
SEED, FRAMES, LOST_AFTER = 31, 45, 4


def follow_case():
    """A sequence whose target the embedded model finds on the first frame (the node test checks
    following, not the tiny model's vision), and which leaves the view at the end."""
    engine = ZsrisEngine(embedded_engine_config("cpu"))
    for sequence in itertools.islice(iter_sequences(SEED, frames=FRAMES, leave=True), 6):
        first = sequence.frames[0]
        answer = engine.query(engine.encode_frame(first.image), sequence.expression)
        if answer.mask is not None and score_mask(answer.mask, sequence.truth(0)).iou > 0.7:
            return sequence
    pytest.fail("no sequence whose first frame the embedded model answers: generator or model changed")


@pytest.fixture(scope="module")
def following(tmp_path_factory):
    sequence = follow_case()
    use_large_data_profile()  # this process publishes 640x480 frames: the writer needs the profile
    domain = free_domain_id()
    log = tmp_path_factory.mktemp("follow") / "node.log"
    command = node_command(NODE, "embedded", **{"models.clip_model": "zsris-tiny-clip", "proposals.min_area_px": 60,
                                                "image_qos": "reliable", "max_frame_age": 600.0,
                                                "command_timeout": 120.0, "follow.lost_after_frames": LOST_AFTER})
    process = start_node(command, domain, log)
    client = FollowClient(domain)
    try:
        client.connect(process, log, probe_frame=sequence.frames[0].image)
        yield client, sequence, log
    finally:
        client.close()
        process.terminate()
        try:
            process.wait(timeout=20)
        except Exception:  # noqa: BLE001
            process.kill()


def _mask(msg) -> np.ndarray:
    return np.frombuffer(bytes(msg.mask.data), np.uint8).reshape(msg.mask.height, msg.mask.width) > 0


def test_follow_answers_every_frame_until_the_object_leaves(following):
    client, sequence, log = following
    client.nothing_followed()
    first = client.send_frame_confirmed(sequence.frames[0].image, timeout_s=300.0)
    answer = client.answer_of(f"robot, please follow {sequence.expression}", 120.0)
    assert answer is not None, log_tail(log)
    assert (answer.status, answer.action, answer.tracking) == ("ok", "follow", True), answer.message
    track_id = answer.track_id
    assert track_id >= 1
    client.track_for(first, track_id)  # the answer's own frame starts the track

    leave_at = sequence.events["leave"][0]
    ious, lost = [], None
    for index in range(1, FRAMES):
        stamp = client.send_frame(sequence.frames[index].image)
        update = client.track_for(stamp, track_id)
        assert update.command_index == answer.command_index
        if update.status == "lost":
            lost = (index, update)
            break
        assert update.status == "ok" and update.tracking and update.header.frame_id, update.message
        if index < leave_at:
            ious.append(frame_iou(_mask(update), sequence.truth(index)))
    assert len(ious) == leave_at - 1, "every frame before the object leaves has its ~/track result"
    assert np.mean(ious) > 0.75 and np.median(ious) > 0.8, f"followed masks: {np.round(ious, 2)}"
    assert lost is not None, "the object left the view, but the track was never reported lost"
    index, update = lost
    assert index > leave_at and not update.tracking and "left the image" in update.message, update.message


def test_service_follow_is_replaced_then_stopped(following):
    from ros2_zsris.srv import Segment
    from std_srvs.srv import Trigger

    client, sequence, log = following
    client.nothing_followed()
    first = client.send_frame_confirmed(sequence.frames[0].image, timeout_s=300.0)
    started = client.call(client.segment, Segment.Request(command=sequence.expression, follow=True)).result
    assert (started.status, started.tracking) == ("ok", True), started.message
    client.track_for(first, started.track_id)

    second = client.answer_of(f"keep track of {sequence.expression}", 120.0)  # a new follow command replaces it
    assert second is not None, log_tail(log)
    assert second.tracking and second.track_id == started.track_id + 1
    replaced = client.wait_track_status(started.track_id, "stopped")
    assert f"replaced by track {second.track_id}" in replaced.message

    stopped = client.call(client.stop_following, Trigger.Request())
    assert stopped.success and f"track {second.track_id}" in stopped.message
    client.wait_track_status(second.track_id, "stopped")
    again = client.call(client.stop_following, Trigger.Request())
    assert not again.success  # nothing is followed any more


def test_stop_command_ends_a_track_and_says_so(following):
    client, sequence, log = following
    client.nothing_followed()
    client.send_frame_confirmed(sequence.frames[0].image, timeout_s=300.0)
    started = client.answer_of(f"track {sequence.expression}", 120.0)
    assert started is not None, log_tail(log)
    track_id = started.track_id
    answer = client.answer_of("ok stop following", 60.0)
    assert answer is not None, log_tail(log)
    assert answer.status == "no_referent" and "stopped following" in answer.message
    assert f"track {track_id}" in answer.message
    client.wait_track_status(track_id, "stopped")


def test_stamps_that_jump_back_end_the_track(following):
    """A bag played with --loop: frames of the old timeline must not be followed into the new one."""
    client, sequence, log = following
    client.nothing_followed()
    first = client.send_frame_confirmed(sequence.frames[0].image, timeout_s=300.0)
    started = client.answer_of(f"follow {sequence.expression}", 120.0)
    assert started is not None, log_tail(log)
    track_id = started.track_id
    client.track_for(first, track_id)
    client.send_frame(sequence.frames[1].image, stamp_ns=first - 30_000_000_000)  # 30 s back
    lost = client.wait_track_status(track_id, "lost")
    assert "jumped back" in lost.message and not lost.tracking
