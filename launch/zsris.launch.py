"""ros2 launch ros2_zsris zsris.launch.py [namespace:=robot1] [params_file:=my_robot.yaml]
    [clip_model:=... clip_weights:=... proposals:=... device:=...] [image:=/camera/color/image_raw]

Settings come from the params_file (none by default; config/zsris.yaml lists every parameter
with its default, copy the lines you change) and from the arguments you give: an argument left
out sets nothing, so the file's value wins, and an argument given wins over the file
(ros2_zsris/ros/launch_args.py). The command topic is zsris/command inside the namespace.

The node loads config/fastdds_large_data.xml (FASTDDS_DEFAULT_PROFILES_FILE) unless you set one:
the camera driver must run with it too, or best-effort 640x480+ frames never arrive (README).
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

from launch import LaunchDescription
from ros2_zsris.ros.launch_args import INPUTS, NOT_SET, OUTPUTS, SETTINGS, UNSET_HELP, parameter_overrides, remappings

PACKAGE = "ros2_zsris"
EXECUTABLE = "zsris_node"
PROFILE_ENV = "FASTDDS_DEFAULT_PROFILES_FILE"


def generate_launch_description() -> LaunchDescription:
    declared = [
        DeclareLaunchArgument("params_file", default_value=NOT_SET,
                              description="parameter file (keyed /**: ros__parameters); default none"),
        DeclareLaunchArgument("namespace", default_value="", description="namespace of the node and its topics"),
        DeclareLaunchArgument("node_name", default_value="zsris_node", description="node name"),
        DeclareLaunchArgument("log_level", default_value="info", description="debug, info, warn, error"),
    ]
    declared += [DeclareLaunchArgument(name, default_value=default, description=text)
                 for name, (default, text) in INPUTS.items()]
    declared += [DeclareLaunchArgument(name, default_value=NOT_SET, description=f"remap the node's ~/{name} output")
                 for name in OUTPUTS]
    declared += [DeclareLaunchArgument(name, default_value=NOT_SET, description=text + UNSET_HELP)
                 for name, (_, _, text) in SETTINGS.items()]
    return LaunchDescription([*declared, OpaqueFunction(function=_node)])


def _node(context, *args, **kwargs) -> list[Node]:
    """The node, with only the settings given as overrides (read once the arguments are known)."""
    values = dict(context.launch_configurations)
    share = get_package_share_directory(PACKAGE)
    overrides = {parameter: ParameterValue(value, value_type=kind)
                 for parameter, (value, kind) in parameter_overrides(values).items()}
    env = {} if os.environ.get(PROFILE_ENV) else {PROFILE_ENV: os.path.join(share, "config", "fastdds_large_data.xml")}
    return [Node(
        package=PACKAGE,
        executable=EXECUTABLE,
        name=LaunchConfiguration("node_name"),
        namespace=LaunchConfiguration("namespace"),
        output="screen",
        parameters=[path for path in [values["params_file"]] if path != NOT_SET] + ([overrides] if overrides else []),
        remappings=remappings(values),
        arguments=["--ros-args", "--log-level", LaunchConfiguration("log_level")],
        additional_env=env,
    )]
