"""The arguments of launch/zsris.launch.py and what each becomes (no launch or rclpy import:
readable and testable without a ROS install).

A setting argument left out is *not set*: it overrides nothing, so the ``params_file``'s value
wins, and a setting neither gives stays "not given", which lets the embedded default's own
settings apply to it (core.config.apply_embedded_settings). Only the arguments a user types
become parameter overrides, applied after the file.

Topics: the camera inputs are remapped to the usual driver topics (absolute: one camera serves
every namespace); the command topic defaults to ``zsris/command``, *relative*, so that inside a
namespace (``namespace:=robot1``) it is ``/robot1/zsris/command`` and two robots never act on
each other's commands; the outputs are the node's private ``~/`` topics, namespaced with it.
"""

from __future__ import annotations

from collections.abc import Mapping

NOT_SET = ""  # the default of every optional argument: nothing is passed to the node

INPUTS = {  # remapped always; name -> (default, description)
    "image": ("/camera/color/image_raw", "colour image topic (compressed: <image>/compressed)"),
    "depth": ("/camera/aligned_depth_to_color/image_raw", "depth registered to the colour image"),
    "camera_info": ("/camera/color/camera_info", "colour camera intrinsics"),
    "command": ("zsris/command", "std_msgs/String commands (relative: inside the node's namespace)"),
}
OUTPUTS = ("result", "mask", "centroid", "centroid_px", "overlay", "markers", "segment")  # remap ~/<name>
SETTINGS = {  # argument -> (parameter, type, description)
    "device": ("models.device", str, "auto, cpu, cuda or cuda:N"),
    "precision": ("models.precision", str, "auto, fp32 or fp16 (GPU)"),
    "clip_model": ("models.clip_model", str, "open_clip model name (ViT-B-32, RN50, zsris-tiny-clip, ...)"),
    "clip_weights": ("models.clip_weights", str, "pretrained tag, checkpoint path, embedded or random"),
    "sam_model": ("models.sam_model", str, "vit_b, vit_l, vit_h; proposals sam2: hiera_t, hiera_s, hiera_b+, hiera_l"),
    "sam_checkpoint": ("models.sam_checkpoint", str, "official SAM (or SAM 2 / 2.1) checkpoint path"),
    "proposals": ("proposals.backend", str, "sam, sam2, classical (no weights) or given (masks come with frames)"),
    "method": ("method", str, "zsris or gl-clip-paper (the official Global-Local CLIP)"),
    "image_qos": ("image_qos", str, "sensor_data (best effort) or reliable"),
    "image_transport": ("image_transport", str, "raw or compressed"),
    "use_sim_time": ("use_sim_time", bool, "true: use /clock (bag replay)"),
}
UNSET_HELP = " (not set: the params_file's value, else the node's default)"


def parameter_overrides(values: Mapping[str, str]) -> dict[str, tuple[str, type]]:
    """{parameter: (value, type)} for each setting argument given a value (``values``: every
    argument's value as launch resolved it, NOT_SET for those left out)."""
    return {parameter: (values[argument], kind) for argument, (parameter, kind, _) in SETTINGS.items()
            if values.get(argument, NOT_SET) != NOT_SET}


def remappings(values: Mapping[str, str]) -> list[tuple[str, str]]:
    """The inputs always (their defaults name the usual driver topics); an output only when given."""
    return [(topic, values.get(topic) or default) for topic, (default, _) in INPUTS.items()] + [
        ("~/" + name, values[name]) for name in OUTPUTS if values.get(name, NOT_SET) != NOT_SET]
