"""pip install of the ros2_zsris Python package (the venv of `make test` / `make demo`).

In a ROS 2 workspace colcon builds the package through CMakeLists.txt instead, which
also generates ros2_zsris.msg; here scripts/build_msgs.sh does that part.
"""

from setuptools import find_packages, setup

setup(
    name="ros2_zsris",
    version="0.1.0",
    description="Zero-shot referring image segmentation node for ROS 2 (global-local CLIP + SAM)",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["ros2_zsris", "ros2_zsris.*"]),
    package_data={"ros2_zsris.embedded": ["*.pt", "*.json", "*.md", "command_reader/*", "command_reader/*/*"],
                  "ros2_zsris.reader_training": ["*.cfg"]},
    install_requires=[
        "numpy",
        "pillow",
        "opencv-python-headless",
        "open_clip_torch",
        "segment-anything",
        "spacy>=3.8,<3.9",
        "scikit-image",
        "scipy",
    ],
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/ros2_zsris"]),
        ("share/ros2_zsris", ["package.xml"]),
        ("share/ros2_zsris/launch", ["launch/zsris.launch.py"]),
        ("share/ros2_zsris/config", ["config/zsris.yaml", "config/fastdds_large_data.xml"]),
    ],
    entry_points={
        "console_scripts": [
            "zsris-segment = ros2_zsris.tools.segment_cli:main",
            "zsris-demo = ros2_zsris.tools.demo:main",
            "zsris_node = ros2_zsris.ros.node:main",
            "zsris-make-bag = ros2_zsris.tools.make_bag:main",
            "zsris-eval-bag = ros2_zsris.tools.eval_bag:main",
        ],
    },
)
