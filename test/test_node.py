"""The real node in its own process, over real rclpy and Fast DDS (loopback only)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import read_rgb
from ros_helpers import NODE, free_domain_id, ros_environment

from ros2_zsris.core.geometry import CameraIntrinsics, back_project

pytestmark = pytest.mark.ros
FRAME_ID = "camera_color_optical_frame"
K = [300.0, 0.0, 250.0, 0.0, 310.0, 120.0, 0.0, 0.0, 1.0]
COMMAND_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def ros_env():
    env = ros_environment(free_domain_id())
    os.environ.update(env)  # the harness below uses the global context of this process
    return env


@pytest.fixture(scope="module")
def node_process(ros_env, vit_b32_openai, tmp_path_factory):
    log = tmp_path_factory.mktemp("node") / "node.log"
    args = [NODE, "--ros-args", "-p", f"models.clip_weights:={vit_b32_openai}", "-p", "models.device:=cpu",
            "-p", "proposals.backend:=classical", "-p", "proposals.min_area_px:=500",
            "-p", f"command_timeout:={COMMAND_TIMEOUT}", "-p", "max_frame_age:=600.0",  # encoding: seconds when loaded
            "-p", "depth_max_stamp_diff:=0.05"]
    with open(log, "w") as handle:
        process = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, env=ros_env)
    yield process, log
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


class Harness:
    """A test node: publishes camera data and commands, records every output."""

    def __init__(self):
        import rclpy
        from geometry_msgs.msg import PointStamped
        from rclpy.executors import SingleThreadedExecutor
        from ros2_zsris.msg import ZsrisResult
        from sensor_msgs.msg import CameraInfo, Image
        from std_msgs.msg import Header, String

        rclpy.init()
        self.node = rclpy.create_node("zsris_test_harness")
        self.image_pub = self.node.create_publisher(Image, "image", 10)
        self.depth_pub = self.node.create_publisher(Image, "depth", 10)
        self.info_pub = self.node.create_publisher(CameraInfo, "camera_info", 10)
        self.command_pub = self.node.create_publisher(String, "command", 100)
        self.results, self.masks, self.centroids, self.destinations, self.encoded = [], [], [], [], []
        self.lock = threading.Lock()
        self.node.create_subscription(ZsrisResult, "/zsris_node/result", self._keep(self.results), 200)
        self.node.create_subscription(Image, "/zsris_node/mask", self._keep(self.masks), 50)
        self.node.create_subscription(PointStamped, "/zsris_node/centroid", self._keep(self.centroids), 50)
        self.encoded = []
        self.destination_sub = self.node.create_subscription(PointStamped, "/zsris_node/destination",
                                                             self._keep(self.destinations), 50)
        self.node.create_subscription(Header, "/zsris_node/frame_encoded", self._keep(self.encoded), 200)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def _keep(self, store):
        def callback(msg):
            with self.lock:
                store.append(msg)
        return callback

    def wait_for_node(self, process, log, timeout=180.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert process.poll() is None, f"node exited: {Path(log).read_text()[-3000:]}"
            if self.image_pub.get_subscription_count() and self.command_pub.get_subscription_count() and \
                    self.node.count_publishers("/zsris_node/result") and \
                    self.node.count_publishers("/zsris_node/destination") and \
                    self.node.count_publishers("/zsris_node/frame_encoded"):
                time.sleep(1.0)
                return
            time.sleep(0.2)
        pytest.fail(f"node did not come up: {Path(log).read_text()[-3000:]}")

    def stamp(self):
        return self.node.get_clock().now().to_msg()

    def wait_encoded(self, header, timeout: float = 300.0) -> bool:
        """The node's acknowledgement that this frame (a header or its stamp) is encoded: commands
        then find it whatever the machine's load (they would otherwise race the encoder against
        command_timeout)."""
        stamp = getattr(header, "stamp", header)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if any((e.stamp.sec, e.stamp.nanosec) == (stamp.sec, stamp.nanosec) for e in self.encoded):
                    return True
            time.sleep(0.05)
        pytest.fail(f"frame {stamp} not reported encoded within {timeout} s")

    def send_image(self, pixels: np.ndarray, encoding="rgb8", stamp=None, step=None, data=None):
        from sensor_msgs.msg import Image
        from std_msgs.msg import Header

        from ros2_zsris.ros.conversions import fill_image

        msg = Image()
        fill_image(msg, pixels, encoding, Header(stamp=stamp or self.stamp(), frame_id=FRAME_ID))
        if step is not None:
            msg.step = step
        if data is not None:
            msg.data = data
        self.image_pub.publish(msg)
        return msg.header

    def send_depth(self, depth: np.ndarray, stamp):
        from sensor_msgs.msg import Image
        from std_msgs.msg import Header

        msg = Image(header=Header(stamp=stamp, frame_id=FRAME_ID), height=depth.shape[0], width=depth.shape[1],
                    encoding="32FC1", is_bigendian=0, step=depth.shape[1] * 4)
        msg.data = depth.astype("<f4").tobytes()
        self.depth_pub.publish(msg)

    def send_info(self, width, height, stamp):
        from sensor_msgs.msg import CameraInfo
        from std_msgs.msg import Header

        self.info_pub.publish(CameraInfo(header=Header(stamp=stamp, frame_id=FRAME_ID), width=width, height=height,
                                         k=K))

    def command(self, text: str):
        from std_msgs.msg import String

        self.command_pub.publish(String(data=text))

    def wait_results(self, count: int, timeout: float = 120.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.results) >= count:
                    return list(self.results)
            time.sleep(0.05)
        with self.lock:
            return list(self.results)

    def close(self):
        import rclpy

        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown()


@pytest.fixture(scope="module")
def harness(node_process):
    process, log = node_process
    h = Harness()
    h.wait_for_node(process, log)
    yield h
    h.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def test_command_before_any_frame_is_answered_no_frame(harness):
    harness.command("the red mug")
    (result,) = harness.wait_results(1, timeout=COMMAND_TIMEOUT + 30)
    assert result.status == "no_frame" and result.command == "the red mug" and result.command_index == 0
    assert "max_frame_age" in result.message and result.mask.height == 0


def test_photo_command_mask_centroid_and_3d(harness, vit_engine, refcoco_samples):
    sample = refcoco_samples[0]
    photo = read_rgb(sample.image_path)
    height, width = photo.shape[:2]
    stamp = harness.stamp()
    depth = np.full((height, width), 1.25, dtype=np.float32)
    depth[:, :5] = np.nan  # invalid pixels are ignored
    depth[:5, :] = 0.0
    harness.send_info(width, height, stamp)
    harness.send_depth(depth, stamp)
    time.sleep(0.3)
    header = harness.send_image(photo, encoding="rgb8", stamp=stamp)
    harness.wait_encoded(header)
    before = len(harness.results)
    harness.command(sample.expression)
    harness.command("open book")  # second command, same frame: answered from the cache
    results = harness.wait_results(before + 2)[before:]
    assert [r.command for r in results] == [sample.expression, "open book"]
    first = results[0]
    assert first.status == "ok", first.message
    assert (first.header.stamp.sec, first.header.stamp.nanosec) == (header.stamp.sec, header.stamp.nanosec)
    assert first.header.frame_id == FRAME_ID == first.mask.header.frame_id
    expected = vit_engine.segment(photo, sample.expression)
    mask = np.frombuffer(bytes(first.mask.data), dtype=np.uint8).reshape(height, width)
    assert first.mask.encoding == "mono8" and set(np.unique(mask)) <= {0, 255}
    np.testing.assert_array_equal(mask == 255, expected.mask)
    assert first.target_phrase == expected.target_phrase == "the book page"
    assert first.interpretation == expected.interpretation == "target 'the book page' | rightmost"
    assert (first.centroid_px.x, first.centroid_px.y) == pytest.approx(expected.centroid_px, abs=1e-3)
    assert first.has_point_3d and first.depth_m == pytest.approx(1.25)
    point = back_project(*expected.centroid_px, 1.25, CameraIntrinsics.from_k(K))
    assert (first.point_3d.x, first.point_3d.y, first.point_3d.z) == pytest.approx(point, abs=1e-4)
    def this_answer(centroid) -> bool:  # the second command's centroid may arrive too: pick ours
        return abs(centroid.point.x - point[0]) < 1e-4 and abs(centroid.point.z - point[2]) < 1e-4

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(this_answer(c) for c in list(harness.centroids)):
        time.sleep(0.05)
    matching = [c for c in list(harness.centroids) if this_answer(c)]
    assert matching and matching[0].header.frame_id == FRAME_ID, [(c.point.x, c.point.z) for c in harness.centroids]
    assert "encode_total" not in first.timing_stages and "query_total" in first.timing_stages
    assert results[1].status == "ok" and results[1].command_index == first.command_index + 1


def test_destination_and_the_other_one_over_dds(harness, vit_engine, refcoco_samples):
    """One sentence gives both points (~/centroid and ~/destination); "no, the other one" is
    answered from the previous ranking on the previous frame."""
    photo = read_rgb(refcoco_samples[0].image_path)
    height, width = photo.shape[:2]
    stamp = harness.stamp()
    harness.send_info(width, height, stamp)
    harness.send_depth(np.full((height, width), 0.8, dtype=np.float32), stamp)
    time.sleep(0.3)
    header = harness.send_image(photo, encoding="rgb8", stamp=stamp)
    assert harness.wait_encoded(stamp), "the node never acknowledged the frame on ~/frame_encoded"
    command = "robot, put the open book in the basket please"
    before = len(harness.results)
    harness.command(command)
    harness.command("no, the other one")
    first, other = harness.wait_results(before + 2)[before:]
    features = vit_engine.encode_frame(photo)
    expected = vit_engine.query(features, command)
    assert first.status == "ok" and (first.action, first.action_verb, first.expression) == (
        "put down", "put", "the open book")
    assert (first.destination, first.destination_expression, first.destination_status) == (
        "in the basket", "the basket", "ok")
    mask = np.frombuffer(bytes(first.destination_mask.data), dtype=np.uint8).reshape(height, width)
    np.testing.assert_array_equal(mask == 255, expected.destination_mask)
    assert (first.destination_centroid_px.x, first.destination_centroid_px.y) == pytest.approx(
        expected.destination_centroid_px, abs=1e-3)
    point = back_project(*expected.destination_centroid_px, 0.8, CameraIntrinsics.from_k(K))
    assert first.destination_has_point_3d and (first.destination_point_3d.x, first.destination_point_3d.y,
                                               first.destination_point_3d.z) == pytest.approx(point, abs=1e-4)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not harness.destinations:
        time.sleep(0.05)
    assert harness.destinations and harness.destinations[-1].header.frame_id == FRAME_ID
    assert harness.destinations[-1].point.z == pytest.approx(0.8)
    ranking = sorted(range(len(expected.scores)), key=lambda i: -expected.scores[i])
    assert other.status == "ok" and other.context == "other" and other.expression == "the open book"
    assert (other.header.stamp.sec, other.header.stamp.nanosec) == (header.stamp.sec, header.stamp.nanosec)
    other_mask = np.frombuffer(bytes(other.mask.data), dtype=np.uint8).reshape(height, width)
    np.testing.assert_array_equal(other_mask == 255, features.masks[ranking[1]])


def test_bad_input_keeps_the_node_up_and_every_command_answered(harness, node_process, refcoco_samples):
    process, log = node_process
    photo = read_rgb(refcoco_samples[0].image_path)
    small = photo[::4, ::4].copy()
    harness.send_image(small, encoding="rgb8")
    bad = small.copy()
    harness.send_image(bad, encoding="hsv8")
    harness.send_image(bad, data=bytes(10))  # shorter than height*step
    harness.send_image(np.zeros((0, 0, 3), np.uint8))
    harness.send_image(bad, step=3)  # step smaller than a row
    time.sleep(0.5)
    rss_before = rss_mb(process.pid)
    for _ in range(100):  # a burst: newer frames supersede unencoded ones, memory stays bounded
        last = harness.send_image(small)
    harness.wait_encoded(last)  # the newest frame of a burst is always encoded
    before = len(harness.results)
    commands = ["", "x" * 5000, "la tasse à café ☕", "the book", "   "]
    for text in commands:
        harness.command(text)
    results = harness.wait_results(before + len(commands))[before:]
    assert [r.command for r in results] == commands
    assert [r.command_index for r in results] == list(range(results[0].command_index,
                                                           results[0].command_index + len(commands)))
    statuses = [r.status for r in results]
    assert statuses[0] == statuses[1] == statuses[4] == "error" and statuses[2] == statuses[3] == "ok"
    assert "too long" in results[1].message and "empty" in results[0].message
    assert process.poll() is None
    assert rss_mb(process.pid) - rss_before < 400, "memory grew by more than 400 MB over a 100-frame burst"
    text = Path(log).read_text()
    assert text.count("unsupported image encoding 'hsv8'") == 1
    assert "image data has 10 bytes" in text


def test_launch_file_and_config_reference_the_real_package():
    import ast

    import yaml

    repo = Path(__file__).resolve().parents[1]
    tree = ast.parse((repo / "launch" / "zsris.launch.py").read_text())
    constants = {node.targets[0].id: node.value.value for node in ast.walk(tree)
                 if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                 and isinstance(node.targets[0], ast.Name)}
    assert constants["PACKAGE"] == "ros2_zsris" and constants["EXECUTABLE"] == "zsris_node"
    setup = (repo / "setup.py").read_text()
    assert "zsris_node = ros2_zsris.ros.node:main" in setup and "config/zsris.yaml" in setup
    assert "install(PROGRAMS scripts/zsris_node" in (repo / "CMakeLists.txt").read_text()
    launch_text = (repo / "launch" / "zsris.launch.py").read_text()
    arguments_text = (repo / "ros2_zsris" / "ros" / "launch_args.py").read_text()  # the table it declares
    for argument in ("namespace", "params_file", "log_level", "FASTDDS", "launch_args"):
        assert argument in launch_text, argument
    for argument in ("use_sim_time", "image_transport", "precision", "method", "sam2"):
        assert argument in arguments_text, argument
    assert "install(DIRECTORY launch config" in (repo / "CMakeLists.txt").read_text()
    assert "\nament_python_install_package" not in (repo / "CMakeLists.txt").read_text()  # only in the comment
    params = yaml.safe_load((repo / "config" / "zsris.yaml").read_text())["/**"]["ros__parameters"]
    from ros2_zsris.core.config import CommandConfig, FusionConfig, ModelConfig, ProposalConfig
    from ros2_zsris.ros.params import NodeSettings

    for key, record in (("models", ModelConfig), ("proposals", ProposalConfig), ("fusion", FusionConfig),
                        ("command", CommandConfig)):
        assert set(params[key]) == set(record.__dataclass_fields__), key
    assert set(NodeSettings.__dataclass_fields__) <= set(params)
