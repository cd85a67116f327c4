"""zsris_node: camera frames and commands in; mask, centroid and result out.

Threads: subscriptions only hand data over (never block); one encoder thread encodes the
newest image (older unencoded images are superseded and counted); one answer thread
answers commands strictly in arrival order, each exactly once, with a status.
"""

from __future__ import annotations

import collections
import math
import queue
import sys
import threading
import time
from dataclasses import dataclass

import numpy as np
import rclpy
from geometry_msgs.msg import PointStamped
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header, String

from ..core import Result, Status, ZsrisEngine, ZsrisError
from ..core.geometry import CameraIntrinsics, back_project, depth_in_metres, robust_mask_depth
from ..core.overlay import draw_overlay
from .conversions import UnsupportedEncoding, depth_to_array, fill_image, image_to_rgb
from .frame_cache import EncodedFrame, FrameCache
from .params import declare_and_read

try:
    from ros2_zsris.msg import ZsrisResult
except ImportError as error:  # pragma: no cover - only without generated messages
    raise ImportError("ros2_zsris.msg is missing: build the package with colcon (or `make setup`)") from error


@dataclass
class PendingCommand:
    index: int
    text: str
    arrival_s: float
    newest_received_s: float  # stamp of the newest image received before the command (0: none)
    rejected: str = ""  # why it is answered without processing (queue full)


@dataclass
class Point3D:
    point: tuple[float, float, float] | None
    depth_m: float
    reason: str


def stamp_seconds(stamp) -> float:
    return float(stamp.sec) + float(stamp.nanosec) * 1e-9


class ZsrisNode(Node):
    def __init__(self, engine: ZsrisEngine | None = None):
        super().__init__("zsris_node")
        self.settings, engine_config = declare_and_read(self)
        self.engine = engine or ZsrisEngine(engine_config)
        self.get_logger().info(
            f"method {engine_config.method}; models: CLIP {engine_config.models.clip_model} "
            f"({engine_config.models.clip_weights}), proposals {engine_config.proposals.backend}, "
            f"device {self.engine.device}")
        self.frames = FrameCache(self.settings.frame_cache_size)
        self._latest_image: tuple[Header, np.ndarray, float] | None = None
        self._image_ready = threading.Condition()
        self._depths: collections.deque = collections.deque(maxlen=30)
        self._camera_info: CameraInfo | None = None
        self._commands: queue.Queue[PendingCommand | None] = queue.Queue()
        self._command_count = 0
        self._warned: set[str] = set()
        self._last_image_s = time.monotonic()
        self._newest_received_s = 0.0
        self.stats = collections.Counter()
        self._running = True
        self._make_interfaces()
        self._threads = [threading.Thread(target=self._encode_loop, name="zsris-encode", daemon=True),
                         threading.Thread(target=self._answer_loop, name="zsris-answer", daemon=True)]
        for thread in self._threads:
            thread.start()

    # ------------------------------------------------------------------ wiring
    def _make_interfaces(self) -> None:
        sensor_qos = qos_profile_sensor_data if self.settings.image_qos == "sensor_data" else QoSProfile(
            depth=5, reliability=ReliabilityPolicy.RELIABLE)
        inputs = MutuallyExclusiveCallbackGroup()
        commands = MutuallyExclusiveCallbackGroup()
        self.create_subscription(Image, "image", self._on_image, sensor_qos, callback_group=inputs)
        self.create_subscription(Image, "depth", self._on_depth, sensor_qos, callback_group=inputs)
        self.create_subscription(CameraInfo, "camera_info", self._on_camera_info, sensor_qos, callback_group=inputs)
        self.create_subscription(String, "command", self._on_command, 50, callback_group=commands)
        self.mask_pub = self.create_publisher(Image, "~/mask", 10)
        self.centroid_pub = self.create_publisher(PointStamped, "~/centroid", 10)
        self.centroid_px_pub = self.create_publisher(PointStamped, "~/centroid_px", 10)
        self.result_pub = self.create_publisher(ZsrisResult, "~/result", 50)
        self.overlay_pub = self.create_publisher(Image, "~/overlay", 2)
        self.encoded_pub = self.create_publisher(Header, "~/frame_encoded", 10)
        self.create_timer(1.0, self._watchdog, callback_group=inputs)

    # ------------------------------------------------------------------ callbacks (never block)
    def _on_image(self, msg: Image) -> None:
        self._last_image_s = time.monotonic()
        try:
            rgb = image_to_rgb(msg)
        except UnsupportedEncoding as error:
            self._warn_once(f"encoding:{msg.encoding}", f"dropping images: {error}")
            self.stats["images_rejected"] += 1
            return
        except ZsrisError as error:
            self.get_logger().warning(f"dropping a malformed image: {error}", throttle_duration_sec=5.0)
            self.stats["images_rejected"] += 1
            return
        stamp_s = stamp_seconds(msg.header.stamp)
        if stamp_s == 0.0:
            self._warn_once("zero-stamp", "image stamps are zero: using receipt time to judge frame age")
            stamp_s = self.get_clock().now().nanoseconds * 1e-9
        with self._image_ready:
            if self._latest_image is not None:
                self.stats["images_superseded"] += 1
            self._latest_image = (msg.header, rgb, stamp_s)
            self._newest_received_s = max(self._newest_received_s, stamp_s)
            self._image_ready.notify()

    def _on_depth(self, msg: Image) -> None:
        try:
            self._depths.append((stamp_seconds(msg.header.stamp), depth_to_array(msg)))
        except ZsrisError as error:
            self._warn_once(f"depth:{msg.encoding}", f"dropping depth images: {error}")

    def _on_camera_info(self, msg: CameraInfo) -> None:
        self._camera_info = msg

    def _on_command(self, msg: String) -> None:
        with self._image_ready:
            newest_received = self._newest_received_s
        pending = PendingCommand(self._command_count, msg.data, self.get_clock().now().nanoseconds * 1e-9,
                                 newest_received)
        self._command_count += 1
        if self._commands.qsize() >= self.settings.max_pending_commands:
            # still answered by the answer thread, so results stay in arrival order
            pending.rejected = (f"command queue full ({self.settings.max_pending_commands} waiting): "
                                "command not processed")
        self._commands.put(pending)

    def _watchdog(self) -> None:
        silent = time.monotonic() - self._last_image_s
        if silent > self.settings.no_image_warning_period:
            topic = self.resolve_topic_name("image")
            self.get_logger().warning(
                f"no image received on {topic} for {silent:.0f} s: is the camera running, and does its QoS "
                f"match image_qos='{self.settings.image_qos}'? (a reliable subscriber gets nothing from a "
                "best-effort camera; with best effort, frames over ~0.5 MB such as 640x480 rgb8 can be lost "
                "by Fast DDS: try image_qos:=reliable)",
                throttle_duration_sec=max(self.settings.no_image_warning_period, 1.0))

    # ------------------------------------------------------------------ workers
    def _encode_loop(self) -> None:
        while self._running:
            with self._image_ready:
                self._image_ready.wait_for(lambda: self._latest_image is not None or not self._running, timeout=0.5)
                item, self._latest_image = self._latest_image, None
            if item is None:
                continue
            header, rgb, stamp_s = item
            try:
                features = self.engine.encode_frame(rgb)
            except Exception as error:  # noqa: BLE001 - one bad frame must not stop the node
                self.get_logger().error(f"frame encoding failed: {error}")
                self.stats["frames_failed"] += 1
                continue
            self.frames.add(EncodedFrame(stamp_s, header, rgb, features))
            self.stats["frames_encoded"] += 1
            self.encoded_pub.publish(header)

    def _answer_loop(self) -> None:
        while self._running:
            try:
                pending = self._commands.get(timeout=0.5)
            except queue.Empty:
                continue
            if pending is None:
                break
            try:
                self._answer(pending)
            except Exception as error:  # noqa: BLE001 - every command gets an answer
                self._publish_result(pending, Result(Status.ERROR, command=str(pending.text),
                                                     message=f"internal error: {error}"), None)

    def _answer(self, pending: PendingCommand) -> None:
        if pending.rejected:
            self._publish_result(pending, Result(Status.ERROR, command=pending.text, message=pending.rejected), None)
            return
        # The command refers to what the camera showed when it was spoken: if that frame is
        # still being encoded, wait for it rather than answer on an older one.
        not_before = max(pending.arrival_s - self.settings.max_frame_age, pending.newest_received_s)
        deadline = pending.arrival_s + self.settings.command_timeout
        frame = self.frames.wait_for(not_before, deadline - self.get_clock().now().nanoseconds * 1e-9)
        if frame is None:
            self._publish_result(pending, Result(Status.NO_FRAME, command=pending.text, message=(
                f"no frame stamped within max_frame_age={self.settings.max_frame_age:.2f} s of the command "
                f"arrived within command_timeout={self.settings.command_timeout:.2f} s")), None)
            return
        result = self.engine.query(frame.features, pending.text)
        self._publish_result(pending, result, frame)

    # ------------------------------------------------------------------ output
    def _publish_result(self, pending: PendingCommand, result: Result, frame: EncodedFrame | None) -> None:
        header = frame.header if frame else Header(stamp=self.get_clock().now().to_msg(), frame_id="")
        msg = ZsrisResult(header=header, command_index=pending.index, command=pending.text,
                          action=result.action, expression=result.expression, target_phrase=result.target_phrase,
                          status=result.status.value, message=result.message, score=float(result.score),
                          margin=float(result.margin), num_candidates=len(result.scores),
                          depth_m=float("nan"))
        msg.frame_age_s = float(pending.arrival_s - frame.stamp_s) if frame else float("nan")
        msg.timing_stages = list(result.timings_ms)
        msg.timing_ms = [float(v) for v in result.timings_ms.values()]
        if frame is not None and result.mask is not None:
            self._fill_geometry(msg, result, frame)
        self.result_pub.publish(msg)
        self.stats[f"status_{result.status.value}"] += 1
        if result.status is Status.OK and frame is not None:
            self.mask_pub.publish(msg.mask)
            self.centroid_px_pub.publish(PointStamped(header=header, point=msg.centroid_px))
            if msg.has_point_3d:
                self.centroid_pub.publish(PointStamped(header=header, point=msg.point_3d))
            if self.settings.publish_overlay or self.overlay_pub.get_subscription_count() > 0:
                overlay = Image()
                fill_image(overlay, draw_overlay(frame.image, result), "rgb8", header)
                self.overlay_pub.publish(overlay)

    def _fill_geometry(self, msg: ZsrisResult, result: Result, frame: EncodedFrame) -> None:
        fill_image(msg.mask, result.mask.astype(np.uint8) * 255, "mono8", frame.header)
        x0, y0, x1, y1 = result.box
        msg.box.x_offset, msg.box.y_offset = x0, y0
        msg.box.width, msg.box.height = x1 - x0 + 1, y1 - y0 + 1
        msg.centroid_px.x, msg.centroid_px.y = result.centroid_px
        located = self._locate_3d(result, frame)
        msg.depth_m = float(located.depth_m)
        if located.point is not None:
            msg.has_point_3d = True
            msg.point_3d.x, msg.point_3d.y, msg.point_3d.z = located.point
        elif located.reason:
            msg.message = (msg.message + "; " if msg.message else "") + f"no 3D centroid: {located.reason}"

    def _locate_3d(self, result: Result, frame: EncodedFrame) -> Point3D:
        """3D centroid from the depth image nearest in stamp, or the reason there is none."""
        if not self._depths:
            return Point3D(None, math.nan, "")  # depth not in use: documented, not an error
        info = self._camera_info
        if info is None:
            return Point3D(None, math.nan, "no camera_info received")
        stamp, depth = min(list(self._depths), key=lambda item: abs(item[0] - frame.stamp_s))
        height, width = result.mask.shape
        if abs(stamp - frame.stamp_s) > self.settings.depth_max_stamp_diff:
            return Point3D(None, math.nan, f"nearest depth stamp differs by {abs(stamp - frame.stamp_s):.3f} s "
                                           f"> depth_max_stamp_diff={self.settings.depth_max_stamp_diff}")
        if depth.shape != (height, width) or (info.width, info.height) != (width, height):
            return Point3D(None, math.nan, (
                f"depth {depth.shape[1]}x{depth.shape[0]} / camera_info {info.width}x{info.height} do not match "
                f"the image {width}x{height}: publish depth registered to the colour camera"))
        intrinsics = CameraIntrinsics.from_k(info.k)
        if not intrinsics.is_valid():
            return Point3D(None, math.nan, "camera_info K is not a valid pinhole matrix")
        z = robust_mask_depth(depth_in_metres(depth), result.mask)
        if z is None:
            return Point3D(None, math.nan, "too few valid depth pixels under the mask")
        return Point3D(back_project(*result.centroid_px, z, intrinsics), z, "")

    def _warn_once(self, key: str, text: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.get_logger().warning(text)

    def shutdown(self) -> None:
        self._running = False
        self._commands.put(None)
        with self._image_ready:
            self._image_ready.notify_all()
        for thread in self._threads:
            thread.join(timeout=5.0)


def main(argv: list[str] | None = None) -> int:
    rclpy.init(args=argv if argv is not None else sys.argv)
    node = None
    try:
        node = ZsrisNode()
    except ZsrisError as error:
        print(f"zsris_node: cannot start: {error}", file=sys.stderr)
        rclpy.try_shutdown()
        return 2
    executor = MultiThreadedExecutor(num_threads=3)
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
