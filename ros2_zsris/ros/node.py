"""zsris_node: camera frames and commands in; mask, centroid and result out.

Threads: subscriptions only hand data over (never block); one encoder thread encodes the
newest image (older unencoded images are superseded and counted); one answer thread
answers commands strictly in arrival order, each exactly once, with a status; one follow
thread moves a followed object on every frame (follow.py). Commands beyond
``max_pending_commands`` are answered at once from the subscription callback (they do not
queue behind the others); SIGINT/SIGTERM answer every pending command before exit.

The node is the wiring: lifecycle.py (transitions), params.py (parameters), depth_sync.py
(depth and camera_info by stamp), outputs.py (what is published), follow.py (follow mode),
service.py (~/segment), diagnostics.py, markers.py.
"""

from __future__ import annotations

import collections
import ctypes
import math
import os
import queue
import signal
import sys
import threading
import time

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.clock import JumpThreshold
from rclpy.duration import Duration
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.lifecycle import LifecycleNode, TransitionCallbackReturn
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header, String

from ..core import Result, Status, ZsrisEngine, ZsrisError
from ..core.config import FusionConfig
from ..core.conversation import Conversation
from ..core.engine import command_problem, validate_image
from .commands import PendingCommand
from .conversions import UnsupportedEncoding, compressed_to_rgb, image_to_rgb
from .dds import use_large_data_profile
from .depth_sync import DepthSync, stamp_seconds
from .diagnostics import Health, health_status, slow_encoding
from .faults import encoding_failure
from .follow import FollowWorker
from .frame_cache import EncodedFrame, FrameCache, no_frame_message
from .lifecycle import LifecycleCallbacks
from .log_throttle import ProblemLog
from .outputs import Outputs
from .params import NodeParameters, NodeSettings, apply_runtime
from .service import SegmentService

PROBLEM_LOG_PERIOD_S = 5.0  # each distinct input problem: logged at once, then at most once per period
JUMP_BACK_S = 1.0  # a clock jump back larger than this clears the frame cache


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
        self.engine_lock = threading.Lock()  # queries come from the answer, service and follow threads
        self._commands_in_flight = 0  # queued or being answered (guarded by _accept_lock)
        self._last_encode_s = float("-inf")  # monotonic start of the last encoding
        self._commands: queue.Queue[PendingCommand | None] = queue.Queue()
        self._command_count = 0
        self._warned: set[str] = set()
        self.problems = ProblemLog(self.get_logger().warning, period_s=PROBLEM_LOG_PERIOD_S)
        self._last_image_s = time.monotonic()
        self._last_status = ""
        self.stats = collections.Counter()
        self._stats_lock = threading.Lock()
        self._running = True
        self._accepting = True  # False once shutting down: new commands are answered at once
        self._accept_lock = threading.Lock()  # no command slips into the queue after it is drained
        self.depth = DepthSync(lambda: self.settings.depth_max_stamp_diff, self.problems, lambda: self._running)
        self._make_interfaces()
        self._jump_handle = self.get_clock().create_jump_callback(
            JumpThreshold(min_forward=None, min_backward=Duration(seconds=-JUMP_BACK_S), on_clock_change=False),
            post_callback=self._on_time_jump)
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
        self.outputs = Outputs(self, self.depth, self.settings.max_pending_commands)
        self.follow = FollowWorker(self, self.outputs)
        self.encoded_pub = self.create_lifecycle_publisher(Header, "~/frame_encoded", 10)
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
            rgb = validate_image(convert(msg))
        except UnsupportedEncoding as error:
            self.problems.report(f"dropping images: {error}", key=f"encoding:{msg.encoding}")
            self._count("images_rejected")
            return
        except ZsrisError as error:
            self.problems.report(f"dropping a malformed image: {error}")
            self._count("images_rejected")
            return
        except Exception as error:  # noqa: BLE001 - a converter's own error (e.g. OpenCV on odd-width yuv422)
            self.problems.report(f"dropping a malformed {msg.encoding} image: {type(error).__name__}: {error}")
            self._count("images_rejected")
            return
        stamp_s = stamp_seconds(msg.header.stamp)
        if stamp_s == 0.0:
            self._warn_once("zero-stamp", "image stamps are zero: using receipt time to judge frame age")
            stamp_s = self.get_clock().now().nanoseconds * 1e-9
        with self._image_ready:
            if self.frames.received(stamp_s):
                self._count("time_jumps")
                self.follow.new_timeline("the image stamps jumped back")
                self.get_logger().warning(
                    f"image stamps jumped back (to {stamp_s:.3f} s; a bag played with --loop, or sim time reset): "
                    "cleared the frame cache, so no command is answered on a frame from before the jump")
            if self._latest_image is not None:
                self._count("images_superseded")
                self.frames.superseded(self._latest_image[2])
            self._latest_image = (msg.header, rgb, stamp_s)
            self._image_ready.notify()
        self.follow.offer(msg.header, rgb, stamp_s)

    def _on_command(self, msg: String, info) -> None:
        arrival_s = self.get_clock().now().nanoseconds * 1e-9
        with self._image_ready:  # consistent with an image handed over at the same moment
            request = self.frames.request(arrival_s - self.settings.max_frame_age)
        pending = PendingCommand(self._command_count, msg.data, arrival_s, request,
                                 time.monotonic() + self.settings.command_timeout,
                                 published_s=info["source_timestamp"] * 1e-9)
        self._command_count += 1
        with self._accept_lock:
            accepting, waiting = self._accepting, self._commands.qsize()
            if accepting and waiting < self.settings.max_pending_commands:
                self._commands.put(pending)
                self._commands_in_flight += 1
                return
        if not accepting:
            self._reject(pending, "shutting down: command not processed")
        else:  # answered here, at once: a busy answer must not queue behind the commands it waits for
            self._reject(pending, f"busy: {waiting} pending (max_pending_commands={self.settings.max_pending_commands})"
                                  ": command not processed; send it again later or raise max_pending_commands")

    def _reject(self, pending: PendingCommand, reason: str) -> None:
        self._count("commands_rejected")
        self._publish_result(pending, Result(Status.ERROR, command=pending.text, message=reason), None)

    def _on_time_jump(self, jump) -> None:
        now_s = self.get_clock().now().nanoseconds * 1e-9
        if self.frames.clear_after(now_s):
            self._count("time_jumps")
            self.follow.new_timeline("the clock jumped back")
            self.get_logger().warning(
                f"the clock jumped back by {-jump.delta.nanoseconds * 1e-9:.1f} s (sim time reset?): cleared the "
                "frame cache, so no command is answered on a frame from before the jump")

    def _watchdog(self) -> None:
        self.problems.flush()
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
            if not self._encoding_wanted():
                self.frames.superseded(stamp_s)  # a command arriving now waits for the next frame
                self._count("frames_skipped_following")
                continue
            self._last_encode_s = time.monotonic()
            self.frames.encoding()
            try:
                paired = self.depth.for_encoding(stamp_s, rgb.shape[:2])
                features = engine.encode_frame(rgb, paired.depth, camera_k=paired.camera_k)
            except Exception as error:  # noqa: BLE001 - one bad frame must not stop the node
                reason = encoding_failure(error, self.engine.device)
                self.problems.report(reason)
                self.frames.failed(stamp_s, reason)
                self._count("frames_failed")
                continue
            self.frames.add(EncodedFrame(stamp_s, header, rgb, features, depth_missing=paired.missing))
            self._count("frames_encoded")
            if paired.missing:
                self._count("frames_without_depth")
            if self._running:  # never publish once shutdown has begun (the context may be gone)
                self.encoded_pub.publish(header)

    def _encoding_wanted(self) -> bool:
        """While following, the CPU belongs to the per-frame tracking: a frame is encoded only
        when a command waits for one, for the next re-grounding (follow.reground_period), or while
        the follower wants every encoded frame (a first answer to confirm, a lost object to find)."""
        engine = self.engine
        if self.follow.wants_every_frame_encoded() or engine is None or self._commands_in_flight:
            return True
        return time.monotonic() - self._last_encode_s >= engine.config.follow.reground_period

    def _answer_loop(self) -> None:
        while self._running:
            try:
                pending = self._commands.get(timeout=0.5)
            except queue.Empty:
                continue
            if pending is None:
                break
            try:
                if self._accepting:
                    self._answer(pending)
                else:
                    self._reject(pending, "shutting down: command not processed")
            except Exception as error:  # noqa: BLE001 - every command gets an answer
                self._publish_result(pending, Result(Status.ERROR, command=str(pending.text),
                                                     message=f"internal error: {error}"), None)
            finally:
                with self._accept_lock:
                    self._commands_in_flight -= 1

    def _answer(self, pending: PendingCommand) -> None:
        with self.follow.frames_kept_for(pending.text, pending.since_s(self.settings.max_frame_age)):
            self._answer_command(pending)

    def _answer_command(self, pending: PendingCommand) -> None:
        engine = self.engine
        if engine is None or not self.is_active:
            self._publish_result(pending, Result(Status.ERROR, command=pending.text, message=(
                f"node is {self.lifecycle_state} (lifecycle): command not processed; activate the node")), None)
            return
        refused = engine.answer_without_frame(pending.text)
        if refused is not None:  # "stop", "thanks", "don't touch it": no frame needed
            self._stop_following(pending, refused)
            self._publish_result(pending, refused, None)
            return
        followup = self._followup_frame(pending.text)
        if followup is not None:  # "no, the other one", "pick it up": the previous answer's frame
            with self.engine_lock:
                result = engine.query(followup.features, pending.text, context=self.conversation, frame=followup)
            self._publish_result(pending, result, followup)
            return
        # The command refers to what the camera showed when it was spoken: if that frame is
        # still being encoded, wait for it rather than answer on an older one; if it proved
        # unusable, the newest usable frame within max_frame_age answers instead.
        answer = self.frames.wait_for(pending.frame_request, pending.deadline_monotonic - time.monotonic())
        frame = answer.frame
        if frame is None and answer.failure:
            message = answer.failure if answer.failure == "shutting down" else (
                f"the frame this command refers to could not be used and no other frame within "
                f"max_frame_age={self.settings.max_frame_age:.2f} s was: {answer.failure}")
            self._publish_result(pending, Result(Status.ERROR, command=pending.text, message=message), None)
            return
        if frame is None:
            self._publish_result(pending, Result(Status.NO_FRAME, command=pending.text, message=no_frame_message(
                answer, pending.frame_request, self.settings.max_frame_age, self.settings.command_timeout)), None)
            return
        with self.engine_lock:
            result = engine.query(frame.features, pending.text, context=self.conversation, frame=frame)
        self._publish_result(pending, result, frame)

    def _stop_following(self, pending: PendingCommand, result: Result) -> None:
        """'stop', 'stop following': the track ends, and the answer says so."""
        if not result.message.startswith("stop"):
            return
        stopped = self.follow.stop(f"stopped by command {pending.index} '{pending.text}'")
        if stopped is not None:
            result.message += f"; stopped following '{stopped.expression}' (track {stopped.track_id})"

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
        """~/result (and the plain topics); a follow command's answer also starts its track."""
        track = result.action == "follow" and result.status is Status.OK and frame is not None \
            and result.mask is not None and self._accepting
        msg = self.outputs.message(pending, result, frame)
        track_id = self.follow.start(msg, result, frame, pending.since_s(self.settings.max_frame_age)) if track else 0
        if result.action == "follow" and not track:
            msg.message = (msg.message + "; " if msg.message else "") + "not following: nothing was found to follow"
        self.outputs.publish(msg, result, frame, track_id)
        self.stats[f"status_{result.status.value}"] += 1
        self._last_status = result.status.value

    def result_message(self, pending: PendingCommand, result: Result, frame: EncodedFrame | None):
        """The ZsrisResult for one answer (topic and service alike)."""
        return self.outputs.message(pending, result, frame)

    def _count(self, name: str) -> None:
        with self._stats_lock:
            self.stats[name] += 1

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
        newest = self.frames.newest()
        newest_received = self.frames.newest_received_s
        engine = self.engine
        models = (f"CLIP {engine.config.models.clip_model} ({engine.config.models.clip_weights or 'default'}), "
                  f"proposals {engine.config.proposals.backend}") if engine else "not loaded"
        answered = sum(v for k, v in self.stats.items() if k.startswith("status_"))
        encode_s = self.frames.encode_time_s()
        slow = slow_encoding(encode_s, self.settings.max_frame_age, self.settings.command_timeout)
        if slow:
            self._warn_once(f"slow-encoding:{self.settings.max_frame_age}", slow)
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
            max_frame_age=self.settings.max_frame_age, config_error=self.config_error,
            depth_frames_received=self.depth.depth_received, camera_info_received=self.depth.camera_info_received,
            follow=self.follow.health(), encode_time_s=encode_s, slow_encoding=slow,
            frames_without_depth=self.stats["frames_without_depth"])
        status = health_status(f"{self.get_fully_qualified_name()}: zsris", health)
        self.diagnostics_pub.publish(DiagnosticArray(header=Header(stamp=self.get_clock().now().to_msg()),
                                                     status=[status]))

    def shutdown(self, timeout_s: float = 1.0) -> bool:
        """Answer every pending command with `error` "shutting down" while the context is still
        valid, then stop the workers. False when the encoder is still inside the model (a daemon
        thread, not waited for: SAM can take tens of seconds)."""
        with self._accept_lock:
            self._accepting = False
        self.frames.close()  # a command waiting for a frame returns at once
        self._commands.put(None)
        self._threads[1].join(timeout=timeout_s)  # the answer thread drains the queue first
        while True:  # whatever it could not reach in time
            try:
                pending = self._commands.get_nowait()
            except queue.Empty:
                break
            if pending is not None:
                self._reject(pending, "shutting down: command not processed")
        self._running = False
        with self._image_ready:
            self._image_ready.notify_all()
        self.depth.wake()
        self.follow.close(timeout_s / 4)
        self.outputs.result_pub.wait_for_all_acked(Duration(seconds=timeout_s / 2))
        self._threads[0].join(timeout=timeout_s / 4)
        return not self._threads[0].is_alive()


def main(argv: list[str] | None = None) -> int:
    use_large_data_profile()  # before rclpy.init creates the participant, unless the user set one
    # rclpy's own handlers invalidate the context at the signal, before pending commands can
    # be answered; these only ask the spin loop to stop.
    rclpy.init(args=argv if argv is not None else sys.argv, signal_handler_options=SignalHandlerOptions.NO)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    node = ZsrisNode()  # a model that fails to load fails the configure transition; the node stays up
    executor = MultiThreadedExecutor(num_threads=4)
    executor.add_node(node)
    try:
        while not stop.is_set() and rclpy.ok():
            executor.spin_once(timeout_sec=0.1)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    node.get_logger().info("shutting down: answering pending commands")
    node.shutdown()
    executor.shutdown(timeout_sec=0.5)
    node.destroy_node()
    rclpy.try_shutdown()
    exit_now(0)
    return 0  # not reached


def exit_now(code: int) -> None:
    """Leave without interpreter teardown. With torch, spaCy and Fast DDS loaded it took about
    5 s on 2 cores and could end in a C++ "terminate called without an active exception" (threads
    destroyed at exit, or the encoder still inside torch); every command is answered by now."""
    sys.stdout.flush()
    sys.stderr.flush()
    ctypes.CDLL(None).fflush(None)  # C stdio buffers (rcutils logging) too
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
