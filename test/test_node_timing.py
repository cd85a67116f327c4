"""Which frame a command is answered on, over real rclpy and Fast DDS (each node in a domain of
its own): depth frames that never come (best-effort transport drops them; here the test leaves
them out on purpose), and an encoder slower than every timing setting (SAM vit_b with random
weights on the CPU, the node's default timings: the robot without a GPU of issue 21)."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from ros_helpers import NODE, HealthWatch, free_domain_id, wait_until

from ros2_zsris.ros.reliability import ReliabilityClient, node_command, start_node, tail
from ros2_zsris.tabletop.scenes import make_scenes

pytestmark = pytest.mark.ros
FRAME_ID = "camera_color_optical_frame"


def start(command: list[str], log: Path, node_name: str):
    """The node and a client on a free domain, connected (matched endpoints, no probe)."""
    domain = free_domain_id()
    process = start_node(command, domain, log)
    client = ReliabilityClient(domain, node_name=node_name, image_reliable=False)  # best effort, as cameras
    health = HealthWatch(client.node)
    client.connect(process, log, probe=False)
    return process, client, health


def stop(process: subprocess.Popen, client: ReliabilityClient) -> None:
    client.close()
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


# ---------------------------------------------------------------------- depth that drops
DEPTH_NODE = "zsris_depth"


@pytest.fixture(scope="module")
def depth_node(tmp_path_factory):
    log = tmp_path_factory.mktemp("depth_node") / "node.log"
    command = [NODE, "--ros-args", "-r", f"__node:={DEPTH_NODE}", "-p", "models.clip_model:=zsris-tiny-clip",
               "-p", "models.clip_weights:=embedded", "-p", "models.device:=cpu",
               # generous, so that a loaded machine never makes a frame too old: which frame is
               # chosen is decided by depth here, and by max_frame_age in test_frame_cache.py
               "-p", "max_frame_age:=60.0", "-p", "command_timeout:=60.0", "-p", "depth_max_stamp_diff:=0.01"]
    process, client, health = start(command, log, DEPTH_NODE)
    yield process, client, health, log
    stop(process, client)


class Camera:
    """Colour, depth and camera_info publishers (best effort) that re-send until the node counts
    what they sent: a message best effort loses is sent again, never silently missing."""

    def __init__(self, client: ReliabilityClient, health: HealthWatch, node_name: str):
        from rclpy.qos import qos_profile_sensor_data
        from sensor_msgs.msg import CameraInfo, Image

        self.client, self.health, self.name = client, health, f"/{node_name}"
        self.depth_pub = client.node.create_publisher(Image, "depth", qos_profile_sensor_data)
        self.info_pub = client.node.create_publisher(CameraInfo, "camera_info", qos_profile_sensor_data)
        wait_until(lambda: self.depth_pub.get_subscription_count() and self.info_pub.get_subscription_count(),
                   60, "the node's depth and camera_info subscriptions")

    def _until_counted(self, publish, key: str, what: str) -> None:
        before = self.health.count(self.name, key)
        for _ in range(10):
            publish()
            try:
                self.health.wait(self.name, lambda h: int(h[key]) > before, 5.0, what)
                return
            except AssertionError:
                continue  # lost on the way: send it again
        pytest.fail(f"{what} never counted by the node ({key})")

    def info(self, shape: tuple[int, int], k: np.ndarray) -> None:
        from sensor_msgs.msg import CameraInfo

        msg = CameraInfo(height=shape[0], width=shape[1], k=[float(v) for v in k.ravel()])
        msg.header.frame_id = FRAME_ID
        self._until_counted(lambda: self.info_pub.publish(msg), "camera_info_received", "camera_info")

    def depth(self, stamp_ns: int, metres: float, shape: tuple[int, int]) -> None:
        from sensor_msgs.msg import Image

        msg = Image(height=shape[0], width=shape[1], encoding="32FC1", step=shape[1] * 4)
        msg.header.frame_id = FRAME_ID
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
        msg.data = np.full(shape, metres, "<f4").tobytes()
        self._until_counted(lambda: self.depth_pub.publish(msg), "depth_frames_received", f"depth frame {stamp_ns}")

    def colour(self, pixels: np.ndarray, stamp_ns: int) -> None:
        """Until the node reports the frame encoded (~/frame_encoded, reliable)."""
        for _ in range(10):
            self.client.send_frame(pixels, stamp_ns=stamp_ns)
            if self.client.wait(lambda: stamp_ns in self.client.encoded, 30.0):
                return
        pytest.fail(f"colour frame {stamp_ns} never reported encoded")


def test_a_command_is_answered_on_the_newest_frame_that_has_its_depth(depth_node):
    """Frames A (with depth) and B (newer, its depth dropped): the command is answered on A, with
    its 3D centroid, not on B without one. Then C, whose depth comes after it, waits for it."""
    process, client, health, log = depth_node
    scene = make_scenes(4242, 1)[0]
    shape = scene.image.shape[:2]
    camera = Camera(client, health, DEPTH_NODE)
    camera.info(shape, scene.camera_k)
    now = client.node.get_clock().now().nanoseconds
    a, b, c = now, now + 200_000_000, now + 400_000_000  # 5 Hz
    camera.depth(a, 1.25, shape)
    camera.colour(scene.image, a)
    camera.colour(scene.image, b)  # no depth: the node waits DEPTH_WAIT_S for it, then encodes in 2D
    report = health.wait(f"/{DEPTH_NODE}", lambda h: int(h["frames_without_depth"]) >= 1, 30,
                         "frame B counted as encoded without its depth")
    assert int(report["frames_without_depth"]) == 1, report
    expression = scene.referrals[0].expression
    on_a = client.answer_of(expression, 120.0)
    assert on_a is not None and on_a.status == "ok", on_a
    assert on_a.header.stamp.sec * 1_000_000_000 + on_a.header.stamp.nanosec == a, "answered on the frame without depth"
    assert on_a.has_point_3d and on_a.depth_m == pytest.approx(1.25), on_a.message
    client.send_frame(scene.image, stamp_ns=c)  # colour first, its depth right after: C waits for it
    camera.depth(c, 0.75, shape)
    assert client.wait(lambda: c in client.encoded, 60.0), "frame C never encoded"
    on_c = client.answer_of(expression, 120.0)
    assert on_c.status == "ok" and on_c.header.stamp.sec * 1_000_000_000 + on_c.header.stamp.nanosec == c
    assert on_c.has_point_3d and on_c.depth_m == pytest.approx(0.75), on_c.message
    assert health.count(f"/{DEPTH_NODE}", "frames_without_depth") == 1
    assert process.poll() is None, tail(log)


# ---------------------------------------------------------------------- an encoder slower than its timings
SLOW_NODE = "zsris_slow"
MAX_FRAME_AGE, COMMAND_TIMEOUT = 2.0, 5.0  # the node's defaults, left unset below


@pytest.fixture(scope="module")
def slow_node(tmp_path_factory, vit_b32_openai, sam_vit_b_checkpoint):
    """SAM vit_b on the CPU (tens of seconds a frame here), every timing at its default. Random
    SAM weights: the quality thresholds are opened so that frames have proposals."""
    log = tmp_path_factory.mktemp("slow_node") / "node.log"
    command = node_command(NODE, str(vit_b32_openai), SLOW_NODE, **{
        "proposals.backend": "sam", "models.sam_model": "vit_b", "models.sam_checkpoint": str(sam_vit_b_checkpoint),
        "proposals.pred_iou_thresh": 0.0, "proposals.stability_score_thresh": 0.0,
        "proposals.min_mask_region_area": 0, "proposals.min_area_px": 100})
    process, client, health = start(command, log, SLOW_NODE)
    yield process, client, health, log
    stop(process, client)


def test_a_slow_encoder_answers_commands_on_fresh_frames(slow_node, book_photo):
    """A camera at 10 Hz; a command while the first frame is being encoded, another right after
    its answer: both ok, on frames captured within max_frame_age of the command (or later). The
    node says once in its log and on /diagnostics that encoding is slower than max_frame_age."""
    process, client, health, log = slow_node
    name = f"/{SLOW_NODE}"
    photo = np.ascontiguousarray(book_photo[::2, ::2])
    running = threading.Event()
    running.set()

    def camera():
        while running.is_set():
            client.send_frame(photo)
            time.sleep(0.1)

    thread = threading.Thread(target=camera, daemon=True)
    thread.start()
    try:
        health.wait(name, lambda h: int(h["images_received"]) > 0 and h["lifecycle_state"] == "active", 120,
                    "the node receiving the camera")
        answers = []
        for text in ("the left book page", "the right book page"):
            answer = client.answer_of(text, 600.0)
            assert answer is not None, f"no answer to {text!r}: {tail(log)}"
            answers.append(answer)
        report = health.wait(name, lambda h: h["slow_encoding"] != "", 60, "the slow-encoding warning")
    finally:
        running.clear()
        thread.join(timeout=5)
    for answer in answers:
        assert answer.status == "ok", (answer.status, answer.message)
        assert answer.frame_age_s <= MAX_FRAME_AGE, f"answered on a frame {answer.frame_age_s:.1f} s old"
    encode_s = float(report["encode_time_s"])
    print(f"slow encoder: encode_time_s {encode_s:.1f}; answers " + ", ".join(
        f"{a.status} (frame age {a.frame_age_s:.1f} s)" for a in answers))
    assert encode_s > COMMAND_TIMEOUT, f"encoding took {encode_s:.1f} s: too fast for this test to mean anything"
    assert report["level"] == b"\x01" and f"encoding takes {encode_s:.1f} s" in report["slow_encoding"]
    assert f"max_frame_age={MAX_FRAME_AGE:.2f}" in report["message"] and "models.device" in report["message"]
    assert Path(log).read_text().count("longer than max_frame_age") == 1
    assert process.poll() is None
