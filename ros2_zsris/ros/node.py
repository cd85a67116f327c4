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
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PointStamped
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.lifecycle import LifecycleNode, TransitionCallbackReturn
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header, String
from visualization_msgs.msg import MarkerArray

from ..core import Result, Status, ZsrisEngine, ZsrisError
from ..core.config import FusionConfig
from ..core.conversation import Conversation
from ..core.engine import command_problem
from ..core.geometry import CameraIntrinsics, back_project, depth_in_metres, robust_mask_depth
from ..core.overlay import draw_overlay
from .conversions import UnsupportedEncoding, compressed_to_rgb, depth_to_array, fill_image, image_to_rgb
from .dds import use_large_data_profile
from .diagnostics import Health, health_status
from .frame_cache import EncodedFrame, FrameCache
from .lifecycle import LifecycleCallbacks
from .markers import result_markers
from .params import NodeParameters, NodeSettings, apply_runtime
from .service import SegmentService

try:
    from ros2_zsris.msg import ZsrisResult
except ImportError as error:  # pragma: no cover - only without generated messages
    raise ImportError("ros2_zsris.msg is missing: build the package with colcon (or `make setup`)") from error


DEPTH_WAIT_S = 1.0  # longest wait of a colour frame for its depth frame before encoding


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


class ZsrisNode(LifecycleCallbacks, LifecycleNode):
    """Lifecycle node: configure loads the models, activate subscribes, deactivate stops
    answering, cleanup frees the models (see lifecycle.py). ``autostart`` does both at start."""

    def __init__(self, engine: ZsrisEngine | None = None, node_name: str = "zsris_node"):
        super().__init__(node_name)
        self._engine_override = engine
        self.engine: ZsrisEngine | None = None
        self.config_error = ""
        self.params = NodeParameters(self, self._is_configured, self._on_parameters_changed)
        self.settings = NodeSettings()
        self.settings.frame_cache_size = int(self.get_parameter("frame_cache_size").value)
        self.frames = FrameCache(self.settings.frame_cache_size)
        # follow-ups ("no, the other one") refer to this node's previous answer, for a bounded time
        # (command.context_timeout; set again at configure)
        self.conversation = Conversation(float(self.get_parameter("command.context_timeout").value))
        self._latest_image: tuple[Header, np.ndarray, float] | None = None
        self._image_ready = threading.Condition()
        self._depths: collections.deque = collections.deque(maxlen=30)
        self._camera_info: CameraInfo | None = None
        self._depth_arrived = threading.Condition()
        self._commands: queue.Queue[PendingCommand | None] = queue.Queue()
        self._command_count = 0
        self._warned: set[str] = set()
        self._last_image_s = time.monotonic()
        self._newest_received_s = 0.0
        self._last_status = ""
        self.stats = collections.Counter()
        self._running = True
        self._make_interfaces()
        self._threads = [threading.Thread(target=self._encode_loop, name="zsris-encode", daemon=True),
                         threading.Thread(target=self._answer_loop, name="zsris-answer", daemon=True)]
        for thread in self._threads:
            thread.start()
        if bool(self.get_parameter("autostart").value) and self.trigger_configure() == TransitionCallbackReturn.SUCCESS:
            self.trigger_activate()

    # ------------------------------------------------------------------ wiring
    def _make_interfaces(self) -> None:
        """Outputs and services that live as long as the node; subscriptions come and go with
        activate/deactivate (lifecycle.py). ~/result is a plain publisher: every command that
        reached the node is answered, even one still queued when the node is deactivated."""
        self._inputs = MutuallyExclusiveCallbackGroup()
        self._command_group = MutuallyExclusiveCallbackGroup()
        self._subscriptions_active: list = []
        self.mask_pub = self.create_lifecycle_publisher(Image, "~/mask", 10)
        self.centroid_pub = self.create_lifecycle_publisher(PointStamped, "~/centroid", 10)
        self.centroid_px_pub = self.create_lifecycle_publisher(PointStamped, "~/centroid_px", 10)
        self.destination_pub = self.create_lifecycle_publisher(PointStamped, "~/destination", 10)
        self.result_pub = self.create_publisher(ZsrisResult, "~/result", 50)
        self.overlay_pub = self.create_lifecycle_publisher(Image, "~/overlay", 2)
        self.encoded_pub = self.create_lifecycle_publisher(Header, "~/frame_encoded", 10)
        self.markers_pub = self.create_lifecycle_publisher(MarkerArray, "~/markers", 10)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.segment_service = SegmentService(self)
        self.create_timer(1.0, self._watchdog, callback_group=self._inputs)
        self.create_timer(1.0, self._publish_diagnostics, callback_group=MutuallyExclusiveCallbackGroup())

    # ------------------------------------------------------------------ callbacks (never block)
    def _on_compressed_image(self, msg: CompressedImage) -> None:
        self._on_image(msg, compressed_to_rgb)

    def _on_image(self, msg: Image, convert=image_to_rgb) -> None:
        self._last_image_s = time.monotonic()
        self.stats["images_received"] += 1
        try:
            rgb = convert(msg)
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
            with self._depth_arrived:
                self._depths.append((stamp_seconds(msg.header.stamp), depth_to_array(msg)))
                self._depth_arrived.notify_all()
        except ZsrisError as error:
            self._warn_once(f"depth:{msg.encoding}", f"dropping depth images: {error}")

    def _on_camera_info(self, msg: CameraInfo) -> None:
        with self._depth_arrived:
            self._camera_info = msg
            self._depth_arrived.notify_all()

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
        if not self.is_active:
            return
        silent = time.monotonic() - self._last_image_s
        if silent > self.settings.no_image_warning_period:
            topic = self.resolve_topic_name("image")
            self.get_logger().warning(
                f"no image received on {topic} for {silent:.0f} s: is the camera running, and does its QoS "
                f"match image_qos='{self.settings.image_qos}'? (a reliable subscriber gets nothing from a "
                "best-effort camera; with best effort, frames over ~0.5 MB such as 640x480 rgb8 can be lost "
                "by Fast DDS unless the camera driver loads config/fastdds_large_data.xml, see README)",
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
            engine = self.engine
            if engine is None:  # cleaned up while the frame waited
                continue
            try:
                features = engine.encode_frame(rgb, *self._depth_for_encoding(stamp_s, rgb.shape[:2]))
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
        engine = self.engine
        if engine is None or not self.is_active:
            self._publish_result(pending, Result(Status.ERROR, command=pending.text, message=(
                f"node is {self.lifecycle_state} (lifecycle): command not processed; activate the node")), None)
            return
        followup = self._followup_frame(pending.text)
        if followup is not None:  # "no, the other one", "pick it up": the previous answer's frame
            self._publish_result(pending, engine.query(followup.features, pending.text,
                                                       context=self.conversation, frame=followup), followup)
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
        result = engine.query(frame.features, pending.text, context=self.conversation, frame=frame)
        self._publish_result(pending, result, frame)

    def _followup_frame(self, text: str) -> EncodedFrame | None:
        """The previous answer's frame when the command is "the other one" / "pick it up" and context is fresh."""
        if command_problem(text):
            return None  # answered with the problem by query()
        engine = self.engine
        if engine is None or not engine.command_parser.parse(text).followup:
            return None  # the parse is cached: query() does not parse again ("other" or "it")
        turn = self.conversation.current()
        return turn.frame if turn is not None and isinstance(turn.frame, EncodedFrame) else None

    # ------------------------------------------------------------------ output
    def _publish_result(self, pending: PendingCommand, result: Result, frame: EncodedFrame | None) -> None:
        msg = self.result_message(pending, result, frame)
        self.result_pub.publish(msg)
        self.stats[f"status_{result.status.value}"] += 1
        self._last_status = result.status.value
        if result.status is Status.OK and frame is not None:
            self.mask_pub.publish(msg.mask)
            self.centroid_px_pub.publish(PointStamped(header=msg.header, point=msg.centroid_px))
            if msg.has_point_3d:
                self.centroid_pub.publish(PointStamped(header=msg.header, point=msg.point_3d))
            if msg.destination_has_point_3d:
                self.destination_pub.publish(PointStamped(header=msg.header, point=msg.destination_point_3d))
            self.markers_pub.publish(result_markers(msg))
            if self.settings.publish_overlay or self.overlay_pub.get_subscription_count() > 0:
                overlay = Image()
                anchors = [frame.features.masks[i] for i in result.anchor_indices]
                fill_image(overlay, draw_overlay(frame.image, result, anchors), "rgb8", msg.header)
                self.overlay_pub.publish(overlay)

    def result_message(self, pending: PendingCommand, result: Result, frame: EncodedFrame | None) -> ZsrisResult:
        """The ZsrisResult for one answer (topic and service alike)."""
        header = frame.header if frame else Header(stamp=self.get_clock().now().to_msg(), frame_id="")
        msg = ZsrisResult(header=header, command_index=pending.index, command=pending.text,
                          action=result.action, expression=result.expression, target_phrase=result.target_phrase,
                          status=result.status.value, message=result.message, score=float(result.score),
                          margin=float(result.margin), num_candidates=len(result.scores),
                          depth_m=float("nan"), interpretation=result.interpretation,
                          anchor_indices=[int(i) for i in result.anchor_indices],
                          action_verb=result.action_verb, destination=result.destination,
                          destination_expression=result.destination_expression,
                          destination_status=result.destination_status, context=result.context,
                          unanswered=result.unanswered)
        msg.frame_age_s = float(pending.arrival_s - frame.stamp_s) if frame else float("nan")
        msg.timing_stages = list(result.timings_ms)
        msg.timing_ms = [float(v) for v in result.timings_ms.values()]
        if frame is not None and result.mask is not None:
            self._fill_geometry(msg, result, frame)
        if frame is not None and result.destination_mask is not None:
            self._fill_destination(msg, result, frame)
        return msg

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

    def _fill_destination(self, msg: ZsrisResult, result: Result, frame: EncodedFrame) -> None:
        """The destination object's mask, box and pixel/3D centroid, through the same depth path."""
        fill_image(msg.destination_mask, result.destination_mask.astype(np.uint8) * 255, "mono8", frame.header)
        x0, y0, x1, y1 = result.destination_box
        msg.destination_box.x_offset, msg.destination_box.y_offset = x0, y0
        msg.destination_box.width, msg.destination_box.height = x1 - x0 + 1, y1 - y0 + 1
        msg.destination_centroid_px.x, msg.destination_centroid_px.y = result.destination_centroid_px
        located = self._locate_3d(Result(Status.OK, command="", mask=result.destination_mask,
                                         centroid_px=result.destination_centroid_px), frame)
        if located.point is not None:
            msg.destination_has_point_3d = True
            msg.destination_point_3d.x, msg.destination_point_3d.y, msg.destination_point_3d.z = located.point
        elif located.reason:
            msg.message = (msg.message + "; " if msg.message else "") + f"no 3D destination: {located.reason}"

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

    def _depth_for_encoding(self, stamp_s: float, size: tuple[int, int]) -> tuple[np.ndarray | None,
                                                                                   np.ndarray | None]:
        """The depth frame and K that spatial words may use ("closest", "behind"): only when
        depth is in stamp tolerance and registered to the image; otherwise 2D reasoning.
        Once a depth stream is in use, a colour frame waits up to DEPTH_WAIT_S for its depth
        and camera_info, as an approximate-time synchroniser would (they travel separately)."""
        def matching():
            if not self._depths or self._camera_info is None:
                return None
            stamp, depth = min(list(self._depths), key=lambda item: abs(item[0] - stamp_s))
            return depth if abs(stamp - stamp_s) <= self.settings.depth_max_stamp_diff else None

        with self._depth_arrived:
            if self._depths:
                self._depth_arrived.wait_for(lambda: matching() is not None or not self._running, DEPTH_WAIT_S)
            depth, info = matching(), self._camera_info
        if depth is None or info is None or depth.shape != size or (info.height, info.width) != size:
            return None, None
        return depth, np.asarray(info.k, dtype=np.float64).reshape(3, 3)

    def _warn_once(self, key: str, text: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.get_logger().warning(text)

    # ------------------------------------------------------------------ state, parameters, health
    @property
    def lifecycle_state(self) -> str:
        return self._state_machine.current_state[1]

    @property
    def is_active(self) -> bool:
        return self.lifecycle_state == "active"

    def _is_configured(self) -> bool:
        return self.engine is not None

    def _on_parameters_changed(self, changes: dict) -> None:
        """Run-time changes were validated by NodeParameters; apply them to the live records."""
        engine = self.engine
        # unconfigured: fusion values are read from the parameters at the next configure
        apply_runtime(self.settings, engine.config.fusion if engine is not None else FusionConfig(), changes)
        self.get_logger().info("parameters changed: " + ", ".join(f"{k}={v}" for k, v in changes.items()))

    def _publish_diagnostics(self) -> None:
        newest = self.frames.wait_for(float("-inf"), 0.0)
        with self._image_ready:
            newest_received = self._newest_received_s
        engine = self.engine
        models = (f"CLIP {engine.config.models.clip_model} ({engine.config.models.clip_weights or 'default'}), "
                  f"proposals {engine.config.proposals.backend}") if engine else "not loaded"
        answered = sum(v for k, v in self.stats.items() if k.startswith("status_"))
        health = Health(
            state=self.lifecycle_state, models_loaded=engine is not None, models=models,
            device=str(engine.device) if engine else "", images_received=self.stats["images_received"],
            images_rejected=self.stats["images_rejected"], frames_encoded=self.stats["frames_encoded"],
            frames_superseded=self.stats["images_superseded"], frames_failed=self.stats["frames_failed"],
            encode_ms=newest.features.timings_ms.get("encode_total", math.nan) if newest else math.nan,
            commands_received=self._command_count, commands_answered=answered,
            commands_pending=self._commands.qsize(), last_status=self._last_status,
            seconds_since_image=time.monotonic() - self._last_image_s,
            encode_lag_s=(newest_received - newest.stamp_s) if newest else 0.0,
            no_image_warning_period=self.settings.no_image_warning_period,
            max_frame_age=self.settings.max_frame_age, config_error=self.config_error)
        status = health_status(f"{self.get_fully_qualified_name()}: zsris", health)
        self.diagnostics_pub.publish(DiagnosticArray(header=Header(stamp=self.get_clock().now().to_msg()),
                                                     status=[status]))

    def shutdown(self) -> None:
        self._running = False
        self._commands.put(None)
        with self._image_ready:
            self._image_ready.notify_all()
        for thread in self._threads:
            thread.join(timeout=5.0)


def main(argv: list[str] | None = None) -> int:
    use_large_data_profile()  # before rclpy.init creates the participant, unless the user set one
    rclpy.init(args=argv if argv is not None else sys.argv)
    node = ZsrisNode()
    executor = MultiThreadedExecutor(num_threads=4)
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
