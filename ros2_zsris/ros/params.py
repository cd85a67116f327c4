"""Node parameters: declared with descriptors (ranges, read_only), validated, changed at run time.

Names mirror core.config (``models.*``, ``proposals.*``, ``fusion.*``, ``command.*``, ``grounding.*``,
``follow.*``) plus the
node's own timing and QoS settings; config/zsris.yaml lists every one with its default.

Three kinds of parameter:
- runtime (timing, fusion weights): validated and applied at once by ``set_parameters``;
- configure-time (models, proposals, command parser, QoS, transport): accepted only while the
  lifecycle node is unconfigured and used at the next configure/activate;
- read_only (``autostart``, ``frame_cache_size``): fixed for the life of the process.
Float parameters accept integers (``-p max_frame_age:=2``), as ROS users expect.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, fields

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.node import Node
from rclpy.parameter import Parameter

from ..core.config import (
    CommandConfig,
    EngineConfig,
    FollowConfig,
    FusionConfig,
    GroundingConfig,
    ModelConfig,
    ProposalConfig,
)
from ..core.errors import ConfigError

QOS_CHOICES = ("sensor_data", "reliable")
TRANSPORT_CHOICES = ("raw", "compressed")


@dataclass
class NodeSettings:
    image_qos: str = "sensor_data"
    max_frame_age: float = 2.0
    command_timeout: float = 5.0
    frame_cache_size: int = 3
    depth_max_stamp_diff: float = 0.05
    max_pending_commands: int = 100
    publish_overlay: bool = False
    no_image_warning_period: float = 5.0
    autostart: bool = True
    image_transport: str = "raw"

    def validate(self) -> None:
        if self.image_qos not in QOS_CHOICES:
            raise ConfigError(f"invalid value {self.image_qos!r}", setting="image_qos",
                              fix="use 'sensor_data' (best effort, works with every camera) or 'reliable'")
        if self.image_transport not in TRANSPORT_CHOICES:
            raise ConfigError(f"invalid value {self.image_transport!r}", setting="image_transport",
                              fix="use 'raw' (sensor_msgs/Image on image) or 'compressed' "
                                  "(sensor_msgs/CompressedImage on image/compressed)")
        for name in ("max_frame_age", "command_timeout", "depth_max_stamp_diff", "no_image_warning_period"):
            if getattr(self, name) < 0:
                raise ConfigError(f"invalid value {getattr(self, name)!r}", setting=name, fix="use seconds >= 0")
        for name in ("frame_cache_size", "max_pending_commands"):
            if getattr(self, name) < 1:
                raise ConfigError(f"invalid value {getattr(self, name)!r}", setting=name, fix="use an integer >= 1")


DESCRIPTIONS = {
    "image_qos": "QoS of the image/depth/camera_info subscriptions: sensor_data (best effort) or reliable",
    "image_transport": "raw (sensor_msgs/Image on image) or compressed (CompressedImage on image/compressed)",
    "max_frame_age": "s; a command is answered on the newest frame stamped at most this long before it arrived",
    "command_timeout": "s; how long a command waits for a usable frame before it is answered with no_frame "
                       "(+ 3 x the measured encode time while such a frame is being encoded)",
    "frame_cache_size": "encoded frames kept (newest by stamp)",
    "depth_max_stamp_diff": "s; largest depth/colour stamp difference accepted for the 3D centroid",
    "max_pending_commands": "commands queued beyond this are answered at once with status error",
    "publish_overlay": "publish ~/overlay even when nobody subscribes",
    "no_image_warning_period": "s; warn when no image has arrived for this long (QoS mismatch?)",
    "autostart": "configure and activate at start (false: wait for lifecycle transitions)",
    "models.clip_model": "open_clip model name (ViT-B-32, RN50, ...)",
    "models.clip_weights": "open_clip pretrained tag, checkpoint file path, or 'random'",
    "models.sam_model": "vit_b, vit_l, vit_h (vit_tiny: tests); backend sam2: hiera_t, hiera_s, hiera_b+, hiera_l",
    "models.sam_checkpoint": "official SAM (or SAM 2 / 2.1) checkpoint file",
    "models.spacy_model": "spaCy English pipeline name, or auto",
    "models.device": "auto, cpu, cuda or cuda:N",
    "models.precision": "auto (CLIP fp16 on GPU; SAM/SAM 2 in bf16 where the CPU/GPU has it), fp32, or fp16 (GPU)",
    "proposals.backend": "sam, sam2, classical (no weights) or given (masks come with each frame)",
    "method": "zsris (the project's pipeline) or gl-clip-paper (the official Global-Local CLIP, exactly)",
    "fusion.alpha": "global vs local visual feature weight",
    "fusion.beta": "sentence vs target noun phrase weight",
    "fusion.min_score": "below this score the status is below_threshold (-1 disables)",
    "command.robot_names": "comma-separated wake words stripped from commands (the robot's name)",
    "command.extra_actions": "comma-separated extra action verbs/phrases stripped from commands",
    "grounding.spatial": "rank by spatial words (left, second, closest, next to ...); false = GL-CLIP only",
    "command.context_timeout": "s; how long an answer stays the context of follow-ups ('no, the other one')",
    "command.reader": "combined (the trained command reader with the rules where they are right), learned or rules",
    "follow.reground_period": "s between re-groundings of a followed object on newly encoded frames",
    "follow.reground_below": "track confidence under which the next encoded frame re-grounds the object at once",
    "follow.lost_after_frames": "frames in a row without the followed object before the track ends as lost",
    "follow.lost_below": "track confidence under which a frame counts as without the object",
    "follow.agree_overlap": "overlap (of the smaller mask) for a re-grounded answer to be the followed object",
    "follow.switch_after": "disagreeing re-groundings in a row after which the track takes the new answer",
    "follow.history_frames": "camera frames kept (grey) to catch up from the answer's frame; raise with slow encoders",
    "follow.max_points": "optical-flow features followed per frame",
    "follow.search_seconds": "s (frame stamps) a lost object is searched for on encoded frames; 0: not searched",
    "follow.confirm_margin": "a follow command's answer leading the next candidate by less is confirmed on the next "
                             "encoded frame",
}
# Changed at run time, validated and applied at once.
RUNTIME = {"max_frame_age", "command_timeout", "depth_max_stamp_diff", "max_pending_commands", "publish_overlay",
           "no_image_warning_period", "fusion.alpha", "fusion.beta", "fusion.min_score"}
READ_ONLY = {"autostart", "frame_cache_size"}
FLOAT_RANGES = {"max_frame_age": (0.0, 1e6), "command_timeout": (0.0, 1e6), "depth_max_stamp_diff": (0.0, 1e3),
                "no_image_warning_period": (0.0, 1e6), "fusion.alpha": (0.0, 1.0), "fusion.beta": (0.0, 1.0),
                "fusion.min_score": (-1.0, 1.0), "follow.reground_period": (0.0, 1e6),
                "follow.reground_below": (0.0, 1.0), "follow.lost_below": (0.0, 1.0),
                "follow.agree_overlap": (0.0, 1.0), "follow.search_seconds": (0.0, 1e6),
                "follow.confirm_margin": (0.0, 2.0)}
INT_RANGES = {"frame_cache_size": (1, 1000), "max_pending_commands": (1, 100000), "fusion.global_blocks": (1, 48),
              "proposals.points_per_side": (1, 256), "proposals.max_proposals": (1, 10000),
              "follow.lost_after_frames": (1, 100000), "follow.switch_after": (1, 1000),
              "follow.history_frames": (1, 100000), "follow.max_points": (8, 5000)}
GROUPS = (("", NodeSettings), ("models.", ModelConfig), ("proposals.", ProposalConfig), ("fusion.", FusionConfig),
          ("command.", CommandConfig), ("grounding.", GroundingConfig), ("follow.", FollowConfig))


def descriptor(name: str, default) -> ParameterDescriptor:
    """Description, range and mutability of one parameter, as `ros2 param describe` shows them."""
    when = ("changed at run time" if name in RUNTIME else "read only: restart to change" if name in READ_ONLY
            else "takes effect at the next configure (lifecycle cleanup + configure)")
    desc = ParameterDescriptor(description=DESCRIPTIONS.get(name, "see config/zsris.yaml"),
                               additional_constraints=when, read_only=name in READ_ONLY)
    if isinstance(default, float):
        desc.dynamic_typing = True  # an integer (`-p max_frame_age:=2`) is accepted, then read as float
        if name in FLOAT_RANGES:
            desc.floating_point_range = [FloatingPointRange(from_value=FLOAT_RANGES[name][0],
                                                            to_value=FLOAT_RANGES[name][1])]
    elif isinstance(default, int) and not isinstance(default, bool) and name in INT_RANGES:
        desc.integer_range = [IntegerRange(from_value=INT_RANGES[name][0], to_value=INT_RANGES[name][1])]
    return desc


def coerce(name: str, value, default):
    """A parameter value as the type of its default; int -> float allowed, anything else raises."""
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not type(default):
        raise ConfigError(f"parameter has type {type(value).__name__}, expected {type(default).__name__}",
                          setting=name, fix="fix the value in the parameter file or the set_parameters call")
    return value


class NodeParameters:
    """Declares every parameter, reads them into config records, and guards run-time changes."""

    def __init__(self, node: Node, is_configured: Callable[[], bool], on_change: Callable[[dict], None]):
        self.node = node
        self._is_configured = is_configured
        self._on_change = on_change
        self.declare_errors: dict[str, str] = {}  # bad start-up values, until set again
        for prefix, record_type in GROUPS:
            for item in fields(record_type):
                self._declare(f"{prefix}{item.name}", getattr(record_type(), item.name))
        self._declare("method", EngineConfig().method)
        # Given by the user (a parameter file, -p, launch overrides, later set_parameters), as
        # opposed to left at the declared default: a model's own defaults (the embedded
        # default's settings) replace only the others. rclpy keeps the start-up values, without
        # a public accessor, in the dict declare_parameter takes initial values from.
        self.given: set[str] = set(node._parameter_overrides)
        node.add_on_set_parameters_callback(self._validate_change)
        node.add_post_set_parameters_callback(self._apply_change)

    def _declare(self, name: str, default) -> None:
        try:
            self.node.declare_parameter(name, default, descriptor(name, default))
        except Exception as error:  # noqa: BLE001 - an out-of-range override must not crash the node
            self.declare_errors[name] = f"{name}: {error}"
            self.node.declare_parameter(name, default, descriptor(name, default), ignore_override=True)

    def read(self, overrides: dict | None = None, check_declared: bool = True) -> tuple[NodeSettings, EngineConfig]:
        """Validated settings and engine config from the current values (plus ``overrides``);
        raises ConfigError naming the parameter."""
        overrides = overrides or {}
        errors = [text for name, text in self.declare_errors.items() if name not in overrides and check_declared]
        if errors:
            raise ConfigError("; ".join(errors), setting="parameters",
                              fix="fix the value(s) in the parameter file or on the command line, or set them "
                                  "with set_parameters and configure again")
        given = self.given | set(overrides)
        records = []
        for prefix, record_type in GROUPS:
            values = {}  # only the given ones: the others are the records' own defaults
            for item in fields(record_type):
                name = f"{prefix}{item.name}"
                if name in given:
                    value = overrides[name] if name in overrides else self.node.get_parameter(name).value
                    values[item.name] = coerce(name, value, getattr(record_type(), item.name))
            records.append(record_type(**values))
        settings, models, proposals, fusion, command, grounding, follow = records
        settings.validate()
        name = "method"
        method = coerce(name, overrides[name] if name in overrides else self.node.get_parameter(name).value,
                        EngineConfig().method)
        engine_config = EngineConfig(models=models, proposals=proposals, fusion=fusion, command=command,
                                     grounding=grounding, follow=follow, method=method)
        try:
            engine_config.validate()
        except ConfigError as error:
            if error.setting and "." not in error.setting and hasattr(fusion, error.setting):
                raise ConfigError(error.problem, setting=f"fusion.{error.setting}", fix=error.fix) from error
            raise
        return settings, engine_config

    def _validate_change(self, parameters: list[Parameter]) -> SetParametersResult:
        changes = {p.name: p.value for p in parameters}
        frozen = sorted(n for n in changes if n not in RUNTIME and n not in READ_ONLY)
        if frozen and self._is_configured():
            return SetParametersResult(successful=False, reason=(
                f"{', '.join(frozen)} take(s) effect at configure: deactivate and clean up the node "
                "(lifecycle), set it, then configure again"))
        try:
            self.read(changes, check_declared=False)
        except ConfigError as error:
            return SetParametersResult(successful=False, reason=str(error))
        return SetParametersResult(successful=True)

    def _apply_change(self, parameters: list[Parameter]) -> None:
        for parameter in parameters:
            self.declare_errors.pop(parameter.name, None)
            self.given.add(parameter.name)
        self._on_change({p.name: p.value for p in parameters})


def apply_runtime(settings: NodeSettings, fusion: FusionConfig, changes: dict) -> None:
    """Copy accepted run-time changes into the live records (in place: the worker threads hold them)."""
    for name, value in changes.items():
        if name.startswith("fusion.") and name in RUNTIME:
            field_name = name.split(".", 1)[1]
            setattr(fusion, field_name, coerce(name, value, getattr(FusionConfig(), field_name)))
        elif name in RUNTIME and name in {f.name for f in dataclasses.fields(NodeSettings)}:
            setattr(settings, name, coerce(name, value, getattr(NodeSettings(), name)))
