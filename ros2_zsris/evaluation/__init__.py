"""Scoring referring segmentation: metrics, rosbag2 input/output, reports (no rclpy)."""
