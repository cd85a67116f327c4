"""The node as ROS tooling sees it, over real rclpy and Fast DDS in a domain of its own:
parameters (descriptors, rejection with reason, run-time changes), the ~/segment service,
/diagnostics, ~/markers, yuv and compressed inputs, 640x480 best-effort frames, and the
lifecycle driven through the standard services (bad checkpoint included).

The tests run in file order against one node (one start-up for the module)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import read_rgb
from ros_helpers import NODE, Harness, free_domain_id, ros_environment, wait_until

pytestmark = pytest.mark.ros
NAME = "zsris_if"
FRAME_ID = "camera_color_optical_frame"
K = [300.0, 0.0, 125.0, 0.0, 310.0, 60.0, 0.0, 0.0, 1.0]
COMMAND_TIMEOUT = 2


@pytest.fixture(scope="module")
def node(vit_b32_openai, tmp_path_factory):
    domain = free_domain_id()
    log = tmp_path_factory.mktemp("node_if") / "node.log"
    args = [NODE, "--ros-args", "-r", f"__node:={NAME}", "-p", f"models.clip_weights:={vit_b32_openai}",
            "-p", "models.device:=cpu", "-p", "proposals.backend:=classical", "-p", "proposals.min_area_px:=500",
            # integers where floats are declared: accepted, as ROS users expect
            "-p", f"command_timeout:={COMMAND_TIMEOUT}", "-p", "max_frame_age:=30"]
    with open(log, "w") as handle:
        process = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, env=ros_environment(domain))
    harness = Harness(domain)
    yield process, log, harness
    harness.close()
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


class Client:
    """The test's view of the node: publishers, subscriptions, service clients."""

    def __init__(self, harness: Harness):
        from diagnostic_msgs.msg import DiagnosticArray
        from lifecycle_msgs.srv import ChangeState, GetState
        from rcl_interfaces.srv import DescribeParameters, GetParameters, SetParameters
        from rclpy.qos import qos_profile_sensor_data
        from ros2_zsris.msg import ZsrisResult
        from ros2_zsris.srv import Segment
        from sensor_msgs.msg import CameraInfo, CompressedImage, Image
        from std_msgs.msg import Header, String
        from visualization_msgs.msg import MarkerArray

        self.h, node = harness, harness.node
        self.image_pub = node.create_publisher(Image, "image", qos_profile_sensor_data)  # best effort, as cameras
        self.compressed_pub = node.create_publisher(CompressedImage, "image/compressed", qos_profile_sensor_data)
        self.depth_pub = node.create_publisher(Image, "depth", 10)
        self.info_pub = node.create_publisher(CameraInfo, "camera_info", 10)
        self.command_pub = node.create_publisher(String, "command", 50)
        self.results, self.diagnostics, self.markers, self.encoded = [], [], [], []
        node.create_subscription(ZsrisResult, f"/{NAME}/result", harness.keep(self.results), 50)
        node.create_subscription(DiagnosticArray, "/diagnostics", harness.keep(self.diagnostics), 50)
        node.create_subscription(MarkerArray, f"/{NAME}/markers", harness.keep(self.markers), 10)
        node.create_subscription(Header, f"/{NAME}/frame_encoded", harness.keep(self.encoded), 50)
        self.segment = node.create_client(Segment, f"/{NAME}/segment")
        self.change_state = node.create_client(ChangeState, f"/{NAME}/change_state")
        self.get_state = node.create_client(GetState, f"/{NAME}/get_state")
        self.set_parameters = node.create_client(SetParameters, f"/{NAME}/set_parameters")
        self.get_parameters = node.create_client(GetParameters, f"/{NAME}/get_parameters")
        self.describe = node.create_client(DescribeParameters, f"/{NAME}/describe_parameters")

    def stamp(self):
        return self.h.node.get_clock().now().to_msg()

    def header(self, stamp=None):
        from std_msgs.msg import Header

        return Header(stamp=stamp or self.stamp(), frame_id=FRAME_ID)

    def health(self) -> dict | None:
        """Key/values of the node's newest diagnostic status, or None before the first."""
        with self.h.lock:
            ours = [s for a in self.diagnostics for s in a.status if s.name.startswith(f"/{NAME}:")]
        if not ours:
            return None
        return {"level": ours[-1].level, "message": ours[-1].message, **{kv.key: kv.value for kv in ours[-1].values}}

    def report_after(self, stamp_ns: int, timeout: float = 60.0) -> dict:
        """The node's first diagnostic report stamped at or after stamp_ns."""
        def after() -> dict | None:
            with self.h.lock:
                late = [s for a in self.diagnostics if a.header.stamp.sec * 1_000_000_000 + a.header.stamp.nanosec
                        >= stamp_ns for s in a.status if s.name.startswith(f"/{NAME}:")]
            return {kv.key: kv.value for kv in late[0].values} if late else None
        return wait_until(after, timeout, "a diagnostic report after the frames")

    def wait_health(self, condition, what: str, timeout: float = 60.0) -> dict:
        return wait_until(lambda: (h := self.health()) is not None and condition(h) and h, timeout, what)

    def set(self, **values):
        from rcl_interfaces.srv import SetParameters
        from rclpy.parameter import Parameter

        request = SetParameters.Request(parameters=[Parameter(name.replace("__", "."), value=v).to_parameter_msg()
                                                    for name, v in values.items()])
        return self.h.call(self.set_parameters, request).results

    def transition(self, transition_id: int) -> bool:
        from lifecycle_msgs.srv import ChangeState

        request = ChangeState.Request()
        request.transition.id = transition_id
        return self.h.call(self.change_state, request, timeout=300).success

    def state(self) -> str:
        from lifecycle_msgs.srv import GetState

        return self.h.call(self.get_state, GetState.Request()).current_state.label

    def call_segment(self, command: str, pixels: np.ndarray | None = None, encoding: str = "rgb8"):
        from ros2_zsris.srv import Segment

        from ros2_zsris.ros.conversions import fill_image

        request = Segment.Request(command=command)
        if pixels is not None:
            fill_image(request.image, pixels, encoding, self.header())
        return self.h.call(self.segment, request, timeout=300).result

    def command_and_wait(self, text: str, timeout: float = 120.0):
        from std_msgs.msg import String

        before = len(self.results)
        self.command_pub.publish(String(data=text))
        return wait_until(lambda: len(self.results) > before and self.results[before], timeout, f"answer to {text!r}")


@pytest.fixture(scope="module")
def client(node) -> Client:
    process, log, harness = node
    c = Client(harness)
    wait_until(lambda: process.poll() is not None or (
        c.image_pub.get_subscription_count() and c.command_pub.get_subscription_count()
        and harness.node.count_publishers(f"/{NAME}/result")), 180, "the node's subscriptions")
    assert process.poll() is None, Path(log).read_text()[-3000:]
    return c


@pytest.fixture(scope="module")
def small_photo(refcoco_samples) -> np.ndarray:
    return np.ascontiguousarray(read_rgb(refcoco_samples[0].image_path)[::2, ::2])


def test_started_with_integers_for_floats_and_reports_health(client):
    from rcl_interfaces.srv import DescribeParameters, GetParameters

    health = client.wait_health(lambda h: h["lifecycle_state"] == "active", "an active node's diagnostics")
    assert health["models"].startswith("CLIP ViT-B-32") and health["device"] == "cpu"
    values = client.h.call(client.get_parameters, GetParameters.Request(names=["max_frame_age", "command_timeout"]))
    assert [v.integer_value for v in values.values] == [30, COMMAND_TIMEOUT]
    described = client.h.call(client.describe, DescribeParameters.Request(
        names=["fusion.alpha", "frame_cache_size", "models.clip_weights"])).descriptors
    alpha, cache, weights = described
    assert (alpha.floating_point_range[0].from_value, alpha.floating_point_range[0].to_value) == (0.0, 1.0)
    assert cache.read_only and not weights.read_only and "configure" in weights.additional_constraints


def test_parameters_rejected_with_reason_and_applied_at_run_time(client, vit_engine, small_photo):
    rejected = client.set(fusion__alpha=7.0)[0]
    assert not rejected.successful and "fusion.alpha" in rejected.reason and "7.0" in rejected.reason
    read_only = client.set(frame_cache_size=10)[0]
    assert not read_only.successful and "read-only" in read_only.reason
    while_active = client.set(models__clip_model="RN50")[0]
    assert not while_active.successful and "configure" in while_active.reason
    wrong_type = client.set(command_timeout="soon")[0]
    assert not wrong_type.successful and "command_timeout" in wrong_type.reason
    assert client.set(fusion__alpha=1)[0].successful  # an integer for a float, applied at once
    try:
        answer = client.call_segment("the left book page", small_photo)
        expected = vit_engine.query(vit_engine.encode_frame(small_photo), "the left book page", alpha=1.0)
        assert answer.status == "ok" and answer.score == pytest.approx(expected.score, abs=1e-4)
        default = vit_engine.query(vit_engine.encode_frame(small_photo), "the left book page")
        assert default.score != pytest.approx(expected.score, abs=1e-4), "alpha made no difference: test is void"
    finally:
        assert client.set(fusion__alpha=0.95)[0].successful


def test_segment_service_on_given_image_and_on_newest_frame(client, vit_engine, small_photo):
    from sensor_msgs.msg import Image

    from ros2_zsris.ros.conversions import fill_image

    given = client.call_segment("the right book page", small_photo)
    expected = vit_engine.segment(small_photo, "the right book page")
    mask = np.frombuffer(bytes(given.mask.data), np.uint8).reshape(given.mask.height, given.mask.width)
    assert given.status == "ok" and given.command == "the right book page"
    np.testing.assert_array_equal(mask == 255, expected.mask)
    two = "pick up the left book page and the right book page"  # every object named comes back (issue 20)
    pair, expected_pair = client.call_segment(two, small_photo), vit_engine.segment(small_photo, two)
    assert pair.count == 2 and [o.index for o in pair.objects] == [o.index for o in expected_pair.objects]
    assert [o.expression for o in pair.objects] == ["the left book page", "the right book page"]
    bad = client.call_segment("the book", small_photo[:, :, 0].copy(), encoding="rgb8")  # data too short
    assert bad.status == "error" and "bytes" in bad.message
    header = client.header()
    msg = Image()
    fill_image(msg, small_photo, "rgb8", header)
    before = len(client.encoded)
    client.image_pub.publish(msg)
    wait_until(lambda: any(e.stamp == header.stamp for e in client.encoded[before:]), 120, "the frame encoded")
    newest = client.call_segment("the right book page")
    assert newest.status == "ok" and newest.header.stamp == header.stamp and newest.header.frame_id == FRAME_ID
    assert newest.score == pytest.approx(expected.score, abs=1e-4)


def test_yuv_frame_answered_with_3d_markers(client, vit_engine, small_photo):
    from sensor_msgs.msg import CameraInfo, Image

    from ros2_zsris.ros.conversions import fill_image, image_to_rgb

    height, width = small_photo.shape[:2]
    stamp = client.stamp()
    depth = Image(header=client.header(stamp), height=height, width=width, encoding="32FC1", step=width * 4)
    depth.data = np.full((height, width), 0.8, np.float32).tobytes()
    wait_until(lambda: client.depth_pub.get_subscription_count() and client.info_pub.get_subscription_count(),
               60, "depth and camera_info subscriptions")
    client.info_pub.publish(CameraInfo(header=client.header(stamp), width=width, height=height, k=K))
    client.depth_pub.publish(depth)
    yuv = Image()
    fill_image(yuv, cv2.cvtColor(small_photo, cv2.COLOR_RGB2YUV_UYVY), "yuv422", client.header(stamp))
    yuv.step = width * 2
    before = len(client.encoded)
    client.image_pub.publish(yuv)
    wait_until(lambda: any(e.stamp == stamp for e in client.encoded[before:]), 120, "the yuv frame encoded")
    result = client.command_and_wait("the right book page")
    expected = vit_engine.segment(image_to_rgb(yuv), "the right book page")
    assert result.status == "ok" and result.header.stamp == stamp, result.message
    mask = np.frombuffer(bytes(result.mask.data), np.uint8).reshape(height, width)
    np.testing.assert_array_equal(mask == 255, expected.mask)
    assert result.has_point_3d and result.depth_m == pytest.approx(0.8), result.message
    markers = wait_until(lambda: [m for m in client.markers if m.markers and m.markers[0].header.stamp == stamp],
                         30, "markers for the answer")[-1].markers
    sphere, label = markers[1], markers[2]
    assert markers[0].action == markers[0].DELETEALL and sphere.header.frame_id == FRAME_ID
    assert (sphere.pose.position.x, sphere.pose.position.z) == pytest.approx(
        (result.point_3d.x, result.point_3d.z), abs=1e-6)
    assert label.type == label.TEXT_VIEW_FACING and result.target_phrase in label.text


def test_vga_best_effort_frames_reach_the_node(client):
    """640x480 rgb8 (921 KB) over best effort at 30 fps: most are lost without the large-data
    profile on the publisher (README: 47/150 arrived). Best effort may still lose a frame now and
    then on a loaded machine (the node's keep-last-5 queue, a busy executor), so the frames the
    node did not count are sent again, and the test fails when more than SPARE of FRAMES had to
    be: a bound that a run without the profile cannot meet. The node's own counter decides."""
    from sensor_msgs.msg import Image

    from ros2_zsris.ros.conversions import fill_image

    frames, spare = 60, 15
    start = int(client.wait_health(lambda h: True, "diagnostics")["images_received"])
    pixels = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    rate = client.h.node.create_rate(30)
    sent = counted = 0
    while counted < frames:
        missing = frames - counted
        assert sent + missing <= frames + spare, (
            f"{sent} frames sent, {counted} counted by the node: more than {spare} of {frames} lost over best effort")
        for _ in range(missing):
            msg = Image()
            fill_image(msg, pixels, "rgb8", client.header())
            client.image_pub.publish(msg)
            rate.sleep()
        sent += missing
        counted = int(client.report_after(client.h.node.get_clock().now().nanoseconds + 1_000_000_000)
                      ["images_received"]) - start  # a frame not counted 1 s after it was sent is lost
    assert counted >= frames and sent <= frames + spare
    print(f"640x480 best effort: {sent} frames sent for {frames} counted by the node")


def test_lifecycle_bad_checkpoint_reconfigure_and_compressed_input(client, node, vit_b32_openai, vit_engine,
                                                                  small_photo, tmp_path):
    from lifecycle_msgs.msg import Transition
    from sensor_msgs.msg import CompressedImage

    process, log, _ = node
    assert client.state() == "active"
    assert client.transition(Transition.TRANSITION_DEACTIVATE) and client.state() == "inactive"
    inactive = client.call_segment("the book", small_photo)
    assert inactive.status == "error" and "inactive" in inactive.message
    assert client.transition(Transition.TRANSITION_CLEANUP) and client.state() == "unconfigured"
    client.wait_health(lambda h: h["level"] == b"\x02" and "not loaded" in h["message"], "ERROR: models not loaded")
    broken = tmp_path / "ViT-B-32.pt"
    broken.write_bytes(b"not a checkpoint")
    assert all(r.successful for r in client.set(models__clip_weights=str(broken), image_transport="compressed"))
    assert not client.transition(Transition.TRANSITION_CONFIGURE)
    assert client.state() == "unconfigured" and process.poll() is None
    failed = client.wait_health(lambda h: str(broken) in h["message"] or "checkpoint" in h["message"],
                                "the configure error in diagnostics")
    assert failed["level"] == b"\x02"
    assert client.set(models__clip_weights=str(vit_b32_openai))[0].successful
    assert client.transition(Transition.TRANSITION_CONFIGURE) and client.transition(Transition.TRANSITION_ACTIVATE)
    assert client.state() == "active"
    wait_until(lambda: client.compressed_pub.get_subscription_count(), 60, "the compressed image subscription")
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(small_photo, cv2.COLOR_RGB2BGR))
    stamp = client.stamp()
    msg = CompressedImage(header=client.header(stamp), format="jpeg")
    msg.data = jpeg.tobytes()
    before = len(client.encoded)
    client.compressed_pub.publish(msg)
    wait_until(lambda: any(e.stamp == stamp for e in client.encoded[before:]), 120, "the jpeg frame encoded")
    result = client.command_and_wait("the right book page")
    decoded = cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    expected = vit_engine.segment(decoded, "the right book page")
    assert result.status == "ok" and result.header.stamp == stamp, result.message
    mask = np.frombuffer(bytes(result.mask.data), np.uint8).reshape(result.mask.height, result.mask.width)
    np.testing.assert_array_equal(mask == 255, expected.mask)
