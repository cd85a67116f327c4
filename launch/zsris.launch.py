"""ros2 launch ros2_zsris zsris.launch.py [namespace:=robot1] [image:=/camera/color/image_raw]
    [params_file:=...] [use_sim_time:=true] [log_level:=debug] [result:=/perception/result]

The node loads config/fastdds_large_data.xml (FASTDDS_DEFAULT_PROFILES_FILE) unless you set one:
the camera driver must run with it too, or best-effort 640x480+ frames never arrive (README).
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from launch import LaunchDescription

PACKAGE = "ros2_zsris"
EXECUTABLE = "zsris_node"
PROFILE_ENV = "FASTDDS_DEFAULT_PROFILES_FILE"
INPUTS = {
    "image": ("/camera/color/image_raw", "colour image topic (compressed: <image>/compressed)"),
    "depth": ("/camera/aligned_depth_to_color/image_raw", "depth registered to the colour image"),
    "camera_info": ("/camera/color/camera_info", "colour camera intrinsics"),
    "command": ("/zsris/command", "std_msgs/String commands"),
}
OUTPUTS = {  # remappings of the node's private outputs; the default keeps ~/<name>
    name: ("~/" + name, f"remap the node's ~/{name} output")
    for name in ("result", "mask", "centroid", "centroid_px", "overlay", "markers", "segment")
}
SETTINGS = {
    "device": ("auto", "auto, cpu, cuda or cuda:N", "models.device"),
    "clip_model": ("ViT-B-32", "open_clip model name", "models.clip_model"),
    "clip_weights": ("", "pretrained tag, checkpoint path or random", "models.clip_weights"),
    "sam_model": ("vit_b", "vit_b, vit_l or vit_h", "models.sam_model"),
    "sam_checkpoint": ("", "official SAM checkpoint path", "models.sam_checkpoint"),
    "proposals": ("sam", "sam or classical", "proposals.backend"),
    "image_qos": ("sensor_data", "sensor_data or reliable", "image_qos"),
    "image_transport": ("raw", "raw or compressed", "image_transport"),
}


def generate_launch_description() -> LaunchDescription:
    share = get_package_share_directory(PACKAGE)
    declared = [
        DeclareLaunchArgument("params_file", default_value=os.path.join(share, "config", "zsris.yaml"),
                              description="parameter file (keyed /**: ros__parameters)"),
        DeclareLaunchArgument("namespace", default_value="", description="namespace of the node and its topics"),
        DeclareLaunchArgument("node_name", default_value="zsris_node", description="node name"),
        DeclareLaunchArgument("use_sim_time", default_value="false", description="use /clock (bag replay)"),
        DeclareLaunchArgument("log_level", default_value="info", description="debug, info, warn, error"),
    ]
    declared += [DeclareLaunchArgument(name, default_value=default, description=text)
                 for name, (default, text) in {**INPUTS, **OUTPUTS}.items()]
    declared += [DeclareLaunchArgument(name, default_value=default, description=text)
                 for name, (default, text, _) in SETTINGS.items()]
    overrides = {parameter: LaunchConfiguration(name) for name, (_, _, parameter) in SETTINGS.items()}
    overrides["use_sim_time"] = LaunchConfiguration("use_sim_time")
    env = {} if os.environ.get(PROFILE_ENV) else {PROFILE_ENV: os.path.join(share, "config", "fastdds_large_data.xml")}
    node = Node(
        package=PACKAGE,
        executable=EXECUTABLE,
        name=LaunchConfiguration("node_name"),
        namespace=LaunchConfiguration("namespace"),
        output="screen",
        parameters=[LaunchConfiguration("params_file"), overrides],
        remappings=[(topic, LaunchConfiguration(topic)) for topic in INPUTS]
        + [("~/" + name, LaunchConfiguration(name)) for name in OUTPUTS],
        arguments=["--ros-args", "--log-level", LaunchConfiguration("log_level")],
        additional_env=env,
    )
    return LaunchDescription([*declared, node])
