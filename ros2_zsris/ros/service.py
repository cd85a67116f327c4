"""~/segment (ros2_zsris/srv/Segment): one command, one answer, for callers that want to wait;
~/stop_following (std_srvs/Trigger): end follow mode.

With an image in the request, that image is encoded and answered on (it does not enter the
frame cache); with an empty image, the node's newest encoded frame is used under the same
max_frame_age / command_timeout rule as topic commands. ``follow: true`` (or a follow command,
"follow the red cup") starts a track from the answer, on the camera stream: its frames come on
~/track; it needs the empty image. Service calls are numbered apart from topic commands (their
command_index counts service calls) and are not published on ~/result.
"""

from __future__ import annotations

import itertools
import time

from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from std_srvs.srv import Trigger

from ..core import Result, Status, ZsrisError
from .commands import PendingCommand
from .conversions import image_to_rgb
from .frame_cache import EncodedFrame, no_frame_message

try:
    from ros2_zsris.srv import Segment
except ImportError as error:  # pragma: no cover - only without generated interfaces
    raise ImportError("ros2_zsris.srv is missing: build the package with colcon (or `make setup`)") from error


class SegmentService:
    def __init__(self, node):
        self.node = node
        self._count = itertools.count()
        self.service = node.create_service(Segment, "~/segment", self._handle,
                                           callback_group=MutuallyExclusiveCallbackGroup())
        self.stop_service = node.create_service(Trigger, "~/stop_following", self._stop,
                                                callback_group=MutuallyExclusiveCallbackGroup())

    def _stop(self, request, response):
        stopped = self.node.follow.stop("stopped by ~/stop_following")
        response.success = stopped is not None
        response.message = (f"stopped following '{stopped.expression}' (track {stopped.track_id})" if stopped
                            else "nothing was being followed")
        return response

    def _handle(self, request, response):
        node = self.node
        now_s = node.get_clock().now().nanoseconds * 1e-9
        settings = self.node.settings
        pending = PendingCommand(next(self._count), request.command, now_s,
                                 self.node.frames.request(now_s - settings.max_frame_age),
                                 time.monotonic() + settings.command_timeout)
        with node.follow.frames_kept_for(request.command, pending.since_s(settings.max_frame_age), request.follow):
            try:
                result, frame = self._answer(request, pending)
            except ZsrisError as error:
                result, frame = Result(Status.ERROR, command=request.command, message=str(error)), None
            except Exception as error:  # noqa: BLE001 - every call gets an answer with a status
                result, frame = Result(Status.ERROR, command=request.command,
                                       message=f"internal error: {error}"), None
            response.result = node.result_message(pending, result, frame)
            follows = request.follow or result.action == "follow"
            if follows and result.status is Status.OK and frame is not None and result.mask is not None:
                response.result.tracking = True
                response.result.track_id = node.follow.start(response.result, result, frame,
                                                             pending.since_s(settings.max_frame_age))
        node.stats[f"service_{result.status.value}"] += 1
        return response

    def _answer(self, request, pending) -> tuple[Result, EncodedFrame | None]:
        node, engine = self.node, self.node.engine
        if engine is None or not node.is_active:
            return Result(Status.ERROR, command=request.command, message=(
                f"node is {node.lifecycle_state} (lifecycle): activate it before calling ~/segment")), None
        has_image = bool(request.image.height or request.image.width or len(request.image.data))
        if has_image and request.follow:
            return Result(Status.ERROR, command=request.command, message=(
                "follow needs the camera stream: send the request with an empty image (the node's newest "
                "frame), or follow=false to answer on this image")), None
        if has_image:
            rgb = image_to_rgb(request.image)
            stamp_s = request.image.header.stamp.sec + request.image.header.stamp.nanosec * 1e-9
            frame = EncodedFrame(stamp_s or pending.arrival_s, request.image.header, rgb, engine.encode_frame(rgb))
            pending.arrival_s = frame.stamp_s  # frame age 0: the caller chose the frame
        else:
            settings = node.settings
            answer = node.frames.wait_for(pending.frame_request, pending.deadline_monotonic - time.monotonic())
            frame = answer.frame
            if frame is None:
                reason = no_frame_message(answer, pending.frame_request, settings.max_frame_age,
                                          settings.command_timeout, asked="call arrived")
                return Result(Status.NO_FRAME, command=request.command,
                              message=f"{reason}; or send an image in the request"), None
        with node.engine_lock:
            return engine.query(frame.features, request.command), frame
