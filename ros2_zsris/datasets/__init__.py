"""Labelled referring-segmentation data (ROS-free): loaders and mask codecs."""
