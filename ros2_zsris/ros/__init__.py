"""Thin ROS 2 adapter around the core engine: node, message conversion, parameters."""
