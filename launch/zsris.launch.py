"""ros2 launch ros2_zsris zsris.launch.py [image:=/camera/color/image_raw] [params_file:=...]"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from launch import LaunchDescription

PACKAGE = "ros2_zsris"
EXECUTABLE = "zsris_node"
ARGUMENTS = {
    "image": ("/camera/color/image_raw", "colour image topic"),
    "depth": ("/camera/aligned_depth_to_color/image_raw", "depth registered to the colour image"),
    "camera_info": ("/camera/color/camera_info", "colour camera intrinsics"),
    "command": ("/zsris/command", "std_msgs/String commands"),
    "device": ("auto", "auto, cpu, cuda or cuda:N"),
    "clip_model": ("ViT-B-32", "open_clip model name"),
    "clip_weights": ("", "pretrained tag, checkpoint path or random"),
    "sam_model": ("vit_b", "vit_b, vit_l or vit_h"),
    "sam_checkpoint": ("", "official SAM checkpoint path"),
    "proposals": ("sam", "sam or classical"),
    "image_qos": ("sensor_data", "sensor_data or reliable"),
}


def generate_launch_description() -> LaunchDescription:
    default_params = os.path.join(get_package_share_directory(PACKAGE), "config", "zsris.yaml")
    declared = [DeclareLaunchArgument("params_file", default_value=default_params,
                                      description="parameter file (ros__parameters)")]
    declared += [DeclareLaunchArgument(name, default_value=default, description=text)
                 for name, (default, text) in ARGUMENTS.items()]
    overrides = {
        "models.device": LaunchConfiguration("device"),
        "models.clip_model": LaunchConfiguration("clip_model"),
        "models.clip_weights": LaunchConfiguration("clip_weights"),
        "models.sam_model": LaunchConfiguration("sam_model"),
        "models.sam_checkpoint": LaunchConfiguration("sam_checkpoint"),
        "proposals.backend": LaunchConfiguration("proposals"),
        "image_qos": LaunchConfiguration("image_qos"),
    }
    node = Node(
        package=PACKAGE,
        executable=EXECUTABLE,
        name="zsris_node",
        output="screen",
        parameters=[LaunchConfiguration("params_file"), overrides],
        remappings=[(topic, LaunchConfiguration(topic)) for topic in ("image", "depth", "camera_info", "command")],
    )
    return LaunchDescription([*declared, node])
