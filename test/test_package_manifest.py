"""package.xml names every third-party module the package and its tests import (a ROS user
installs dependencies from it with rosdep), and requirements/*.txt names every pip package."""

from __future__ import annotations

import ast
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# import name -> package.xml key (ROS packages import under their own name)
KEYS = {
    "numpy": "python3-numpy", "PIL": "python3-pil", "cv2": "python3-opencv", "torch": "python3-torch",
    "torchvision": "python3-torchvision", "skimage": "python3-skimage", "matplotlib": "python3-matplotlib",
    "tqdm": "python3-tqdm", "pycocotools": "python3-pycocotools", "open_clip": "python3-open-clip-torch-pip",
    "segment_anything": "python3-segment-anything-pip", "sam2": "python3-sam2-pip", "spacy": "python3-spacy-pip",
    "rosbags": "python3-rosbags-pip", "yaml": "python3-yaml", "pytest": "python3-pytest",
    "scipy": "python3-scipy",
}
# package.xml key -> pip requirement that provides it in the venv
PIP = {"python3-numpy": "numpy", "python3-pil": "pillow", "python3-opencv": "opencv-python-headless",
       "python3-torch": "torch", "python3-torchvision": "torchvision", "python3-skimage": "scikit-image",
       "python3-scipy": "scipy",
       "python3-matplotlib": "matplotlib", "python3-tqdm": "tqdm", "python3-pycocotools": "pycocotools",
       "python3-open-clip-torch-pip": "open_clip_torch", "python3-segment-anything-pip": "segment-anything",
       "python3-sam2-pip": "sam2",
       "python3-spacy-pip": "spacy", "python3-rosbags-pip": "rosbags", "python3-rosbags-image-pip": "rosbags-image",
       "python3-pytest": "pytest", "python3-pytest-timeout": "pytest-timeout", "python3-yaml": "pyyaml"}
OWN = {"ros2_zsris", "conftest", "ros_helpers", "official_fixture", "eval_commands", "launch_testing", "test_node",
       "test_cli"}
ROS_NOT_ON_PYPI = {"launch", "launch_ros"}  # a full ROS install has them; the venv has no launch


def imported_modules(paths: list[Path]) -> set[str]:
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - OWN - {"__future__"}


def manifest(*tags: str) -> set[str]:
    root = ET.parse(REPO / "package.xml").getroot()
    return {element.text.strip() for tag in tags for element in root.iter(tag)}


def key(module: str) -> str:
    return KEYS.get(module, module)


def test_runtime_imports_are_exec_or_build_dependencies():
    runtime = imported_modules([*(REPO / "ros2_zsris").rglob("*.py"), REPO / "launch" / "zsris.launch.py",
                                REPO / "scripts" / "zsris_node"])
    declared = manifest("depend", "exec_depend")
    missing = sorted(f"{m} ({key(m)})" for m in runtime if key(m) not in declared)
    assert not missing, f"imported but not in package.xml <exec_depend>/<depend>: {missing}"
    assert {"rclpy", "rcl_interfaces", "lifecycle_msgs", "diagnostic_msgs", "visualization_msgs",
            "ament_index_python", "python3-pycocotools", "python3-rosbags-image-pip"} <= declared


def test_test_imports_are_test_or_runtime_dependencies():
    tests = imported_modules(list((REPO / "test").glob("*.py")))
    declared = manifest("depend", "exec_depend", "test_depend")
    missing = sorted(f"{m} ({key(m)})" for m in tests if key(m) not in declared)
    assert not missing, f"imported by tests but not in package.xml: {missing}"


def test_every_python_key_has_a_pip_requirement():
    requirements = set()
    for path in (REPO / "requirements").glob("*.txt"):
        for line in path.read_text().splitlines():
            name = line.split("#")[0].strip().split("==")[0].split(">=")[0].split("<")[0].strip()
            if name:
                requirements.add(name.lower())
    python_keys = {k for k in manifest("exec_depend", "test_depend") if k.startswith("python3-")}
    missing = sorted(k for k in python_keys if PIP[k].lower() not in requirements)
    assert not missing, f"package.xml keys without a pip requirement: {missing}"
    ros_runtime = manifest("depend", "exec_depend") - python_keys - ROS_NOT_ON_PYPI - {"rosidl_default_runtime"}
    wheels = {r.removeprefix("ros-").replace("-", "_") for r in requirements if r.startswith("ros-")}
    assert not sorted(ros_runtime - wheels), f"ROS dependencies without a ros-* wheel: {sorted(ros_runtime - wheels)}"
