"""Lifecycle transitions of zsris_node (the managed-node state machine of ROS 2).

configure: read and validate the parameters and load the models; a bad checkpoint or value
fails the transition with the error (logged, in /diagnostics) and the node stays up,
unconfigured, to be fixed with set_parameters and configured again. activate: subscribe to the
inputs and enable the outputs. deactivate: unsubscribe (queued commands are still answered,
with status error). cleanup: free the models (and GPU memory).
"""

from __future__ import annotations

import gc
import time

from rclpy.lifecycle import State, TransitionCallbackReturn
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import String

from ..core import ZsrisEngine, ZsrisError
from ..core.conversation import Conversation


class LifecycleCallbacks:
    """Mixed into ZsrisNode (a rclpy LifecycleNode); uses the node's attributes."""

    def on_configure(self, state: State) -> TransitionCallbackReturn:
        try:
            settings, engine_config = self.params.read()
            engine = self._engine_override or ZsrisEngine(engine_config)
        except ZsrisError as error:
            self.config_error = str(error)
            self.get_logger().error(f"configure failed: {error}")
            return TransitionCallbackReturn.FAILURE
        except Exception as error:  # noqa: BLE001 - a model library's own error: report it, stay up
            self.config_error = f"{type(error).__name__}: {error}"
            self.get_logger().error(f"configure failed while loading the models: {self.config_error}")
            return TransitionCallbackReturn.FAILURE
        vars(self.settings).update(vars(settings))
        if self._engine_override is not None:
            engine.config.fusion = engine_config.fusion
        self.config_error = ""
        self.engine = engine
        self.conversation = Conversation(engine.config.command.context_timeout)
        self.follow.configure(engine.config.follow)
        models = engine.config.models
        self.get_logger().info(f"method {engine.config.method}; models: CLIP {models.clip_model} "
                               f"({models.clip_weights}), proposals {engine.config.proposals.backend}, "
                               f"device {engine.device}")
        if engine.embedded_settings:
            self.get_logger().info("embedded default: using its own settings " + ", ".join(engine.embedded_settings))
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: State) -> TransitionCallbackReturn:
        sensor_qos = qos_profile_sensor_data if self.settings.image_qos == "sensor_data" else QoSProfile(
            depth=5, reliability=ReliabilityPolicy.RELIABLE)
        if self.settings.image_transport == "compressed":
            # image_transport naming: <image topic>/compressed, after remapping of `image`
            topic = self.resolve_topic_name("image") + "/compressed"
            image_sub = self.create_subscription(CompressedImage, topic, self._on_compressed_image, sensor_qos,
                                                 callback_group=self._inputs)
        else:
            image_sub = self.create_subscription(Image, "image", self._on_image, sensor_qos,
                                                 callback_group=self._inputs)
        self._subscriptions_active = [
            image_sub,
            self.create_subscription(Image, "depth", self.depth.on_depth, sensor_qos, callback_group=self._inputs),
            self.create_subscription(CameraInfo, "camera_info", self.depth.on_camera_info, sensor_qos,
                                     callback_group=self._inputs),
            # reliable keep-all: DDS flow control holds a burst instead of dropping it; the node
            # answers everything beyond max_pending_commands at once with `busy`
            self.create_subscription(String, "command", self._on_command,
                                     QoSProfile(history=HistoryPolicy.KEEP_ALL, reliability=ReliabilityPolicy.RELIABLE),
                                     callback_group=self._command_group),
        ]
        self._last_image_s = time.monotonic()  # the no-image warning counts from activation
        self.get_logger().info(f"active: images from {image_sub.topic_name} ({self.settings.image_qos})")
        return super().on_activate(state)

    def on_deactivate(self, state: State) -> TransitionCallbackReturn:
        self._unsubscribe()
        self.follow.stop("the node was deactivated")
        return super().on_deactivate(state)

    def on_cleanup(self, state: State) -> TransitionCallbackReturn:
        self.follow.stop("the node was cleaned up")
        self._release_engine()
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: State) -> TransitionCallbackReturn:
        self._unsubscribe()
        self._release_engine()
        return TransitionCallbackReturn.SUCCESS

    def _unsubscribe(self) -> None:
        for subscription in self._subscriptions_active:
            self.destroy_subscription(subscription)
        self._subscriptions_active = []

    def _release_engine(self) -> None:
        """Drop the models; a worker still using them keeps its own reference until done."""
        engine, self.engine = self.engine, None
        self.frames.clear()
        if engine is not None and str(engine.device).startswith("cuda"):
            import torch

            del engine
            gc.collect()
            torch.cuda.empty_cache()
