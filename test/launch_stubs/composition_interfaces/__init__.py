"""A stand-in for the composition_interfaces message package, for the launch tests only (never
installed, never imported by the product).

launch_ros.actions imports composition_interfaces.srv at import time (the services of C++
component containers); the package is not on PyPI, so a venv without a ROS install lacks it. A
node launched with launch_ros.actions.Node never calls those services (../shared/wheels/README.md),
so the ``ros2 launch`` process of test/test_launch.py gets this directory on its PYTHONPATH.
"""
