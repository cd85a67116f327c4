"""Node parameters: declared up front with descriptors, validated once at start-up.

Names mirror core.config (``models.*``, ``proposals.*``, ``fusion.*``) plus the node's own
timing and QoS settings; config/zsris.yaml lists every one with its default.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node

from ..core.config import CommandConfig, EngineConfig, FusionConfig, ModelConfig, ProposalConfig
from ..core.errors import ConfigError

QOS_CHOICES = ("sensor_data", "reliable")


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

    def validate(self) -> None:
        if self.image_qos not in QOS_CHOICES:
            raise ConfigError(f"invalid value {self.image_qos!r}", setting="image_qos",
                              fix="use 'sensor_data' (best effort, works with every camera) or 'reliable'")
        for name in ("max_frame_age", "command_timeout", "depth_max_stamp_diff", "no_image_warning_period"):
            if getattr(self, name) < 0:
                raise ConfigError(f"invalid value {getattr(self, name)!r}", setting=name, fix="use seconds >= 0")
        for name in ("frame_cache_size", "max_pending_commands"):
            if getattr(self, name) < 1:
                raise ConfigError(f"invalid value {getattr(self, name)!r}", setting=name, fix="use an integer >= 1")


DESCRIPTIONS = {
    "image_qos": "QoS of the image/depth/camera_info subscriptions: sensor_data (best effort) or reliable",
    "max_frame_age": "s; a command is answered on the newest frame stamped at most this long before it arrived",
    "command_timeout": "s; how long a command waits for a usable frame before it is answered with no_frame",
    "frame_cache_size": "encoded frames kept (newest by stamp)",
    "depth_max_stamp_diff": "s; largest depth/colour stamp difference accepted for the 3D centroid",
    "max_pending_commands": "commands queued beyond this are answered at once with status error",
    "publish_overlay": "publish ~/overlay even when nobody subscribes",
    "no_image_warning_period": "s; warn when no image has arrived for this long (QoS mismatch?)",
    "models.clip_model": "open_clip model name (ViT-B-32, RN50, ...)",
    "models.clip_weights": "open_clip pretrained tag, checkpoint file path, or 'random'",
    "models.sam_model": "vit_b, vit_l, vit_h (vit_tiny: tests); backend sam2: hiera_t, hiera_s, hiera_b+, hiera_l",
    "models.sam_checkpoint": "official SAM (or SAM 2 / 2.1) checkpoint file",
    "models.spacy_model": "spaCy English pipeline name, or auto",
    "models.device": "auto, cpu, cuda or cuda:N",
    "models.precision": "auto, fp32 or fp16 (GPU only)",
    "proposals.backend": "sam, sam2 or classical (no weights)",
    "command.robot_names": "comma-separated wake words stripped from commands (the robot's name)",
    "command.extra_actions": "comma-separated extra action verbs/phrases stripped from commands",
}


def _declare_group(node: Node, prefix: str, record) -> None:
    for item in fields(record):
        name = f"{prefix}{item.name}"
        node.declare_parameter(name, getattr(record, item.name),
                               ParameterDescriptor(description=DESCRIPTIONS.get(name, "see config/zsris.yaml")))


def _read_group(node: Node, prefix: str, record_type):
    values = {}
    for item in fields(record_type):
        value = node.get_parameter(f"{prefix}{item.name}").value
        default = getattr(record_type(), item.name)
        if isinstance(default, float) and isinstance(value, int):
            value = float(value)
        if type(value) is not type(default):
            raise ConfigError(f"parameter has type {type(value).__name__}, expected {type(default).__name__}",
                              setting=f"{prefix}{item.name}", fix="fix the value in the parameter file")
        values[item.name] = value
    return record_type(**values)


def declare_and_read(node: Node) -> tuple[NodeSettings, EngineConfig]:
    """Declare every parameter with its default, then read and validate them."""
    groups = (("", NodeSettings), ("models.", ModelConfig), ("proposals.", ProposalConfig), ("fusion.", FusionConfig),
              ("command.", CommandConfig))
    for prefix, record_type in groups:
        _declare_group(node, prefix, record_type())
    settings, models, proposals, fusion, command = (_read_group(node, prefix, t) for prefix, t in groups)
    settings.validate()
    engine_config = EngineConfig(models=models, proposals=proposals, fusion=fusion, command=command)
    engine_config.validate()
    return settings, engine_config
