"""Spatial words through the real node over DDS with depth and camera_info topics: the embedded
default answers "the closest <kind>" from the published depth image, and from the picture
alone when no depth comes; "pick up all the <kind>s" returns every object, each with its 3D
centroid from the depth image and its own marker."""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from ros_helpers import NODE, free_domain_id, ros_environment, wait_until
from test_node import FRAME_ID, Harness

from ros2_zsris.core import ZsrisEngine
from ros2_zsris.evaluation.metrics import score_mask
from ros2_zsris.tabletop.evaluate import embedded_engine_config
from ros2_zsris.tabletop.scenes import make_scenes

pytestmark = pytest.mark.ros
SEED = 4242


def find_case(engine: ZsrisEngine):
    """A scene with exactly two objects of a kind, and a planted depth image that swaps their
    distances, on which the in-process engine answers both ways right (so the node test below
    checks the node's depth path, not the tiny model's vision)."""
    for scene in make_scenes(SEED, 15):
        for kind, count in Counter(o.kind for o in scene.objects).items():
            if count != 2:
                continue
            a, b = (o for o in scene.objects if o.kind == kind)
            if abs(a.depth_m - b.depth_m) < 0.1 * min(a.depth_m, b.depth_m):
                continue
            near, far = (a, b) if a.depth_m < b.depth_m else (b, a)
            swapped = scene.depth.copy()
            swapped[near.mask], swapped[far.mask] = far.depth_m, near.depth_m
            command = f"the closest {kind}"
            plain = engine.query(engine.encode_frame(scene.image), command)
            planted = engine.query(engine.encode_frame(scene.image, swapped, camera_k=scene.camera_k), command)
            if _iou(plain.mask, near.mask) > 0.5 and _iou(planted.mask, far.mask) > 0.5:
                return scene, swapped, command, near, far
    pytest.fail("no usable scene: the generator or the embedded model changed")


def _iou(mask, truth) -> float:
    return score_mask(mask, truth).iou if mask is not None else 0.0


@pytest.fixture(scope="module")
def spatial_node(tmp_path_factory):
    env = ros_environment(free_domain_id())
    os.environ.update(env)  # the harness uses this process's global context
    log = tmp_path_factory.mktemp("spatial_node") / "node.log"
    args = [NODE, "--ros-args", "-p", "models.clip_model:=zsris-tiny-clip", "-p", "models.clip_weights:=embedded",
            "-p", "models.device:=cpu", "-p", "command_timeout:=60.0", "-p", "max_frame_age:=30.0",
            "-p", "depth_max_stamp_diff:=0.01"]
    with open(log, "w") as handle:
        process = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, env=env)
    harness = Harness()
    harness.wait_for_node(process, log)
    yield harness, log
    harness.close()
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_closest_uses_the_depth_topic_and_the_picture_without_it(spatial_node):
    from sensor_msgs.msg import CameraInfo
    from std_msgs.msg import Header

    harness, log = spatial_node
    scene, swapped, command, near, far = find_case(ZsrisEngine(embedded_engine_config("cpu")))
    height, width = scene.image.shape[:2]

    # picture only: what stands lower in the image is closer
    harness.send_image(scene.image)
    harness.command(command)
    (first,) = harness.wait_results(1, timeout=90)
    assert first.status == "ok", first.message
    assert first.interpretation == f"target 'the {near.kind}' | closest to the camera"
    assert _iou(_mask(first), near.mask) > 0.5 and not first.has_point_3d

    # with depth (planted: the two objects' distances swapped) the node must follow the depth;
    # the colour frame goes out only once the node reports the depth and camera_info received
    # (topics are not ordered against each other: an image handled first would be encoded without)
    stamp = harness.stamp()
    info = CameraInfo(header=Header(stamp=stamp, frame_id=FRAME_ID), width=width, height=height,
                      k=[float(v) for v in scene.camera_k.ravel()])
    _send_until_received(harness, lambda: (harness.info_pub.publish(info), harness.send_depth(swapped, stamp)))
    harness.send_image(scene.image, stamp=stamp)
    harness.command(command)
    second = harness.wait_results(2, timeout=90)[1]
    assert second.status == "ok", f"{second.message}\n{Path(log).read_text()[-2000:]}"
    assert _iou(_mask(second), far.mask) > 0.5, "the answer ignored the published depth"
    assert second.has_point_3d and second.depth_m == pytest.approx(near.depth_m, rel=1e-3)  # far now stands near


def test_a_plural_command_returns_every_object_with_its_3d_point(spatial_node):
    from sensor_msgs.msg import CameraInfo
    from std_msgs.msg import Header
    from visualization_msgs.msg import MarkerArray

    from ros2_zsris.core.geometry import CameraIntrinsics, back_project

    harness, log = spatial_node
    scene, kind, members = find_set_case(ZsrisEngine(embedded_engine_config("cpu")))
    height, width = scene.image.shape[:2]
    markers = []
    subscription = harness.node.create_subscription(MarkerArray, "/zsris_node/markers", harness._keep(markers), 10)
    stamp = harness.stamp()
    info = CameraInfo(header=Header(stamp=stamp, frame_id=FRAME_ID), width=width, height=height,
                      k=[float(v) for v in scene.camera_k.ravel()])
    _send_until_received(harness, lambda: (harness.info_pub.publish(info), harness.send_depth(scene.depth, stamp)),
                         more_than=_diagnostic_count(harness, "depth_frames_received"))
    header = harness.send_image(scene.image, stamp=stamp)
    harness.wait_encoded(header)
    before = len(harness.wait_results(0, timeout=0))
    harness.command(f"pick up all the {kind}s")
    result = harness.wait_results(before + 1, timeout=90)[before]
    assert result.status == "ok", f"{result.message}\n{Path(log).read_text()[-2000:]}"
    assert result.count == len(members) == len(result.objects) >= 2, result.message
    intrinsics = CameraIntrinsics.from_k(scene.camera_k)
    for item in result.objects:
        mask = _mask(item)
        truth = max(members, key=lambda o: _iou(mask, o.mask))
        assert _iou(mask, truth.mask) > 0.5 and item.expression == f"all the {kind}s"
        assert item.has_point_3d and item.point_3d.z == pytest.approx(truth.depth_m, rel=1e-3)
        expected = back_project(item.centroid_px.x, item.centroid_px.y, item.point_3d.z, intrinsics)
        assert (item.point_3d.x, item.point_3d.y) == pytest.approx(expected[:2], abs=1e-4)
    assert [o.centroid_px.x for o in result.objects] == sorted(o.centroid_px.x for o in result.objects)
    first = result.objects[0]  # the single-object fields are the first object's
    assert (first.centroid_px.x, first.point_3d.z, first.score) == (result.centroid_px.x, result.point_3d.z,
                                                                     pytest.approx(result.score))
    arrays = wait_until(lambda: [m for m in list(markers) if m.markers and m.markers[0].header.stamp == stamp],
                        60, "markers of the plural answer")
    spheres = [m for m in arrays[-1].markers if m.type == m.SPHERE]
    assert len(spheres) == len(members)
    harness.node.destroy_subscription(subscription)


def find_set_case(engine: ZsrisEngine):
    """A scene with two or three objects of a kind that the in-process engine answers exactly
    with its depth (so the node test checks the node's objects and depth path, not the model)."""
    from ros2_zsris.evaluation.metrics import exact_set

    for scene in make_scenes(SEED, 15):
        features = engine.encode_frame(scene.image, scene.depth, camera_k=scene.camera_k)
        for kind, count in Counter(o.kind for o in scene.objects).items():
            members = [o for o in scene.objects if o.kind == kind]
            result = engine.query(features, f"pick up all the {kind}s")
            if count in (2, 3) and exact_set([o.mask for o in result.objects], [o.mask for o in members]):
                return scene, kind, members
    pytest.fail("no usable scene: the generator or the embedded model changed")


@contextmanager
def _diagnostics(harness):
    """The node's latest /diagnostics values (a dict kept up to date while the block runs)."""
    from diagnostic_msgs.msg import DiagnosticArray

    seen: dict[str, str] = {}

    def keep(msg) -> None:
        for status in msg.status:
            if status.name.startswith("/zsris_node:"):
                seen.update({kv.key: kv.value for kv in status.values})

    subscription = harness.node.create_subscription(DiagnosticArray, "/diagnostics", keep, 10)
    try:
        yield seen
    finally:
        harness.node.destroy_subscription(subscription)


def _diagnostic_count(harness, key: str, timeout: float = 30.0) -> int:
    """The node's current value of a /diagnostics counter."""
    with _diagnostics(harness) as seen:
        return int(wait_until(lambda: seen.get(key), timeout, f"/diagnostics {key}"))


def _send_until_received(harness, send, timeout: float = 120.0, more_than: int = 0) -> None:
    """Publish depth + camera_info until the node's /diagnostics count both (a message sent
    before the subscription matched is lost, so it is sent again); ``more_than``: the depth
    frames it had counted before, so a new one must arrive."""
    with _diagnostics(harness) as seen:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            send()
            until = time.monotonic() + 3.0  # diagnostics come once a second
            while time.monotonic() < until:
                if int(seen.get("depth_frames_received", 0)) > more_than and int(seen.get("camera_info_received", 0)):
                    return
                time.sleep(0.05)
        pytest.fail(f"the node never reported depth and camera_info received (diagnostics: {seen})")


def _mask(result) -> np.ndarray:
    return np.frombuffer(bytes(result.mask.data), dtype=np.uint8).reshape(result.mask.height, result.mask.width) > 0
