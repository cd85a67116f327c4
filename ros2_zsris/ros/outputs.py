"""What the node publishes for an answer or a followed frame: the ZsrisResult and the plain
topics beside it (mask, pixel and 3D centroids, destination point, RViz markers, overlay).
ZsrisResult.objects holds every object the command names, each with its mask, box and pixel and
3D centroid (issue 20); the plain topics carry the first object, the markers and overlay all.

Every output carries the source image's header, so consumers can synchronise by stamp. The
plain topics exist so a consumer without the custom message (a grasp planner listening to a
PointStamped) gets the essentials too.
"""

from __future__ import annotations

import numpy as np
from geometry_msgs.msg import PointStamped
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import Header
from visualization_msgs.msg import MarkerArray

from ..core import Result, Status
from ..core.overlay import draw_overlay
from ..core.tracking import TrackUpdate
from .commands import PendingCommand
from .conversions import fill_image
from .depth_sync import DepthSync
from .frame_cache import EncodedFrame
from .markers import result_markers

try:
    from ros2_zsris.msg import ZsrisObject, ZsrisResult
except ImportError as error:  # pragma: no cover - only without generated messages
    raise ImportError("ros2_zsris.msg is missing: build the package with colcon (or `make setup`)") from error

RESULT_HISTORY = 1000  # results kept for slow subscribers (a burst answers hundreds of `busy` at once)
TRACK_HISTORY = 120  # ~/track: four seconds at camera rate (a track's catch-up comes at once) for a reliable subscriber


class Outputs:
    """The node's publishers and the messages they carry."""

    def __init__(self, node, depth: DepthSync, max_pending_commands: int):
        self.node = node
        self.depth = depth
        self.mask_pub = node.create_lifecycle_publisher(Image, "~/mask", 10)
        self.centroid_pub = node.create_lifecycle_publisher(PointStamped, "~/centroid", 10)
        self.centroid_px_pub = node.create_lifecycle_publisher(PointStamped, "~/centroid_px", 10)
        self.destination_pub = node.create_lifecycle_publisher(PointStamped, "~/destination", 10)
        # reliable, deep: a burst answers hundreds of `busy` at once and none may be lost.
        # A plain publisher: every command that reached the node is answered, even one still
        # queued when the node is deactivated.
        result_qos = QoSProfile(depth=max(RESULT_HISTORY, 2 * max_pending_commands),
                                reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST)
        self.result_pub = node.create_publisher(ZsrisResult, "~/result", result_qos)
        self.track_pub = node.create_publisher(ZsrisResult, "~/track", QoSProfile(
            depth=TRACK_HISTORY, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST))
        self.overlay_pub = node.create_lifecycle_publisher(Image, "~/overlay", 2)
        self.markers_pub = node.create_lifecycle_publisher(MarkerArray, "~/markers", 10)

    # ------------------------------------------------------------------ answers to commands
    def publish(self, msg: ZsrisResult, result: Result, frame: EncodedFrame | None, track_id: int = 0) -> None:
        """~/result for one command (``msg``: its message), and the plain topics when it found
        something; ``track_id``: the track this answer started (follow mode)."""
        if track_id:
            msg.tracking, msg.track_id = True, track_id
        self.result_pub.publish(msg)
        if result.status is Status.OK and frame is not None and result.mask is not None:
            self._plain(msg)
            if msg.destination_has_point_3d:
                self.destination_pub.publish(PointStamped(header=msg.header, point=msg.destination_point_3d))
            if self.node.settings.publish_overlay or self.overlay_pub.get_subscription_count() > 0:
                overlay = Image()
                anchors = [frame.features.masks[i] for i in result.anchor_indices
                           if i not in {o.index for o in result.objects}]
                fill_image(overlay, draw_overlay(frame.image, result, anchors), "rgb8", msg.header)
                self.overlay_pub.publish(overlay)
        elif result.status is Status.OK and frame is not None:  # "how many cones": none; RViz drops the last answer
            self.markers_pub.publish(result_markers(msg))

    def message(self, pending: PendingCommand, result: Result, frame: EncodedFrame | None) -> ZsrisResult:
        """The ZsrisResult for one answer (topic and service alike)."""
        header = frame.header if frame else Header(stamp=self.node.get_clock().now().to_msg(), frame_id="")
        msg = ZsrisResult(header=header, command_index=pending.index, command=pending.text,
                          action=result.action, expression=result.expression, target_phrase=result.target_phrase,
                          status=result.status.value, message=result.message, score=float(result.score),
                          margin=float(result.margin), num_candidates=len(result.scores),
                          depth_m=float("nan"), interpretation=result.interpretation,
                          anchor_indices=[int(i) for i in result.anchor_indices],
                          action_verb=result.action_verb, destination=result.destination,
                          destination_expression=result.destination_expression,
                          destination_status=result.destination_status, context=result.context,
                          unanswered=result.unanswered, track_confidence=float("nan"))
        msg.frame_age_s = float(pending.arrival_s - frame.stamp_s) if frame else float("nan")
        msg.timing_stages = list(result.timings_ms)
        msg.timing_ms = [float(v) for v in result.timings_ms.values()]
        if frame is not None and result.mask is not None:
            self._fill_geometry(msg, result.mask, result.box, result.centroid_px, frame.stamp_s, frame.header)
        if frame is not None:
            self._fill_objects(msg, result, frame)
        if frame is not None and result.destination_mask is not None:
            self._fill_destination(msg, result, frame)
        return msg

    # ------------------------------------------------------------------ follow mode
    def track(self, update: TrackUpdate, header, stamp_s: float, start: ZsrisResult, full: bool = True) -> ZsrisResult:
        """~/track for one followed frame (and the plain topics while the object is found).
        ``start``: the answer that started the track (command, index, action, expression).
        ``full`` False (the follower is behind): ~/mask and ~/markers are left to the newest frame;
        the centroids are published for every frame."""
        msg = ZsrisResult(header=header, command_index=start.command_index, command=start.command,
                          action=start.action, action_verb=start.action_verb, expression=start.expression,
                          target_phrase=start.target_phrase, status=update.status, message=update.reason,
                          score=float("nan"), margin=float("nan"), depth_m=float("nan"),
                          interpretation=start.interpretation, tracking=update.found,
                          track_id=update.track_id, track_confidence=float(update.confidence),
                          track_source=update.source if update.found else "", frame_age_s=0.0)
        if update.mask is not None:  # every ok message has the image-size mask, empty when hidden
            self._fill_geometry(msg, update.mask, update.box, update.centroid_px, stamp_s, header)
        self.track_pub.publish(msg)
        if update.found and update.centroid_px is not None:
            self._plain(msg, images=full)
        return msg

    # ------------------------------------------------------------------ helpers
    def _plain(self, msg: ZsrisResult, images: bool = True) -> None:
        """The plain topics; ``images`` False: the centroids only (a follower behind sheds the rest)."""
        self.centroid_px_pub.publish(PointStamped(header=msg.header, point=msg.centroid_px))
        if msg.has_point_3d:
            self.centroid_pub.publish(PointStamped(header=msg.header, point=msg.point_3d))
        if images:
            self.mask_pub.publish(msg.mask)
            self.markers_pub.publish(result_markers(msg))

    def _fill_geometry(self, msg: ZsrisResult, mask: np.ndarray, box, centroid_px, stamp_s: float, header) -> None:
        fill_image(msg.mask, mask.astype(np.uint8) * 255, "mono8", header)
        if box is None or centroid_px is None:
            return
        x0, y0, x1, y1 = box
        msg.box.x_offset, msg.box.y_offset = x0, y0
        msg.box.width, msg.box.height = x1 - x0 + 1, y1 - y0 + 1
        msg.centroid_px.x, msg.centroid_px.y = centroid_px
        located = self.depth.locate(mask, centroid_px, stamp_s)
        msg.depth_m = float(located.depth_m)
        if located.point is not None:
            msg.has_point_3d = True
            msg.point_3d.x, msg.point_3d.y, msg.point_3d.z = located.point
        elif located.reason:
            msg.message = (msg.message + "; " if msg.message else "") + f"no 3D centroid: {located.reason}"

    def _fill_objects(self, msg: ZsrisResult, result: Result, frame: EncodedFrame) -> None:
        """Every object answered, each with its 3D centroid through the same depth path; the first
        is the single-object fields' (its point is theirs)."""
        msg.count = int(result.count)
        for k, answer in enumerate(result.objects):
            item = ZsrisObject(score=float(answer.score), index=int(answer.index), expression=answer.expression)
            fill_image(item.mask, answer.mask.astype(np.uint8) * 255, "mono8", frame.header)
            x0, y0, x1, y1 = answer.box
            item.box.x_offset, item.box.y_offset = x0, y0
            item.box.width, item.box.height = x1 - x0 + 1, y1 - y0 + 1
            item.centroid_px.x, item.centroid_px.y = answer.centroid_px
            if k == 0 and answer.index == result.index:
                item.has_point_3d = msg.has_point_3d
                item.point_3d.x, item.point_3d.y, item.point_3d.z = msg.point_3d.x, msg.point_3d.y, msg.point_3d.z
            else:
                located = self.depth.locate(answer.mask, answer.centroid_px, frame.stamp_s)
                if located.point is not None:
                    item.has_point_3d = True
                    item.point_3d.x, item.point_3d.y, item.point_3d.z = located.point
                elif located.reason and f"no 3D centroid: {located.reason}" not in msg.message:
                    msg.message = (msg.message + "; " if msg.message else "") + (
                        f"no 3D centroid for object {k + 1}: {located.reason}")
            msg.objects.append(item)

    def _fill_destination(self, msg: ZsrisResult, result: Result, frame: EncodedFrame) -> None:
        """The destination object's mask, box and pixel/3D centroid, through the same depth path."""
        fill_image(msg.destination_mask, result.destination_mask.astype(np.uint8) * 255, "mono8", frame.header)
        x0, y0, x1, y1 = result.destination_box
        msg.destination_box.x_offset, msg.destination_box.y_offset = x0, y0
        msg.destination_box.width, msg.destination_box.height = x1 - x0 + 1, y1 - y0 + 1
        msg.destination_centroid_px.x, msg.destination_centroid_px.y = result.destination_centroid_px
        located = self.depth.locate(result.destination_mask, result.destination_centroid_px, frame.stamp_s)
        if located.point is not None:
            msg.destination_has_point_3d = True
            msg.destination_point_3d.x, msg.destination_point_3d.y, msg.destination_point_3d.z = located.point
        elif located.reason:
            msg.message = (msg.message + "; " if msg.message else "") + f"no 3D destination: {located.reason}"
