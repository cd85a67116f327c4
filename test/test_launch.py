"""`ros2 launch ros2_zsris zsris.launch.py` for real: the ROS 2 launch system built from its
public sources (../shared/wheels, installed into the test venv by `make setup`), started as the
README's "ROS 2 node" section says, from the venv's colcon install space.

Two launches in one ROS domain, as two robots: robot1 with a params file and an argument that
overrides it, robot2 with only the embedded model's arguments. One start-up serves every check:
the file honoured and the argument winning over it, the embedded default's own settings applied
only where nothing was given, the Fast DDS profile set for each node, each robot answering only
the commands of its own namespace over DDS, and SIGINT ending both launches cleanly.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from ros_helpers import Harness, HealthWatch, free_domain_id, wait_until

from ros2_zsris.ros.launch_args import NOT_SET, SETTINGS, parameter_overrides, remappings
from ros2_zsris.tabletop.scenes import make_scenes

pytestmark = pytest.mark.ros
REPO = Path(__file__).resolve().parents[1]
VENV = Path(sys.prefix)  # make setup's venv: its prefix is the colcon install space
STUBS = REPO / "test" / "launch_stubs"  # composition_interfaces for the launch process (not on PyPI)
PROFILE = VENV / "share" / "ros2_zsris" / "config" / "fastdds_large_data.xml"
# The README's example, verbatim (test_the_readme_shows_what_this_test_runs)
MY_ROBOT_YAML = """\
/**:
  ros__parameters:
    max_frame_age: 30.0
    models:
      clip_model: zsris-tiny-clip
      clip_weights: embedded
      device: cpu
    proposals:
      backend: sam
    fusion:
      alpha: 0.95
"""
LAUNCHES = {
    "robot1": "ros2 launch ros2_zsris zsris.launch.py namespace:=robot1 params_file:=my_robot.yaml "
              "proposals:=classical",
    "robot2": "ros2 launch ros2_zsris zsris.launch.py namespace:=robot2 clip_model:=zsris-tiny-clip "
              "clip_weights:=embedded device:=cpu",
}
SOURCE = ". .venv/setup.sh"
STUB_PATH = "export PYTHONPATH=$PWD/test/launch_stubs:$PYTHONPATH"


def test_launch_arguments_become_overrides_only_when_given():
    left_out = {name: NOT_SET for name in SETTINGS}
    assert parameter_overrides(left_out) == {}
    given = parameter_overrides({**left_out, "proposals": "classical", "precision": "fp32", "method": "gl-clip-paper",
                                 "use_sim_time": "true"})
    assert given == {"proposals.backend": ("classical", str), "models.precision": ("fp32", str),
                     "method": ("gl-clip-paper", str), "use_sim_time": ("true", bool)}
    topics = dict(remappings({"image": "/cam/image", "result": NOT_SET}))
    assert topics["image"] == "/cam/image" and topics["command"] == "zsris/command"  # relative: namespaced
    assert "~/result" not in topics


def test_the_readme_shows_what_this_test_runs():
    readme = (REPO / "README.md").read_text()
    for line in (SOURCE, STUB_PATH, *LAUNCHES.values()):
        assert line in readme, f"README does not show: {line}"
    assert MY_ROBOT_YAML in readme


def node_pid(output: str) -> int | None:
    match = re.search(r"\[zsris_node-1\]: process started with pid \[(\d+)\]", output)
    return int(match.group(1)) if match else None


@pytest.fixture(scope="module")
def robots(tmp_path_factory):
    """Both launches (as the README: the install space sourced, the stub on PYTHONPATH), and a
    harness on their domain."""
    if not (VENV / "bin" / "ros2").is_file():
        pytest.fail(f"{VENV}/bin/ros2 missing: `make setup` installs the launch wheels from ../shared/wheels")
    work = tmp_path_factory.mktemp("launch")
    (work / "my_robot.yaml").write_text(MY_ROBOT_YAML)
    domain = free_domain_id()
    env = {k: v for k, v in os.environ.items() if k != "FASTDDS_DEFAULT_PROFILES_FILE"}  # the launch file sets it
    env.update(ROS_DOMAIN_ID=str(domain), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", ROS_LOG_DIR=str(work / "log"))
    env.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")
    launched = {}
    for robot, command in LAUNCHES.items():
        script = f"cd {REPO} && . {VENV}/setup.sh && {STUB_PATH} && cd {work} && exec {command}"  # README
        log = work / f"{robot}.log"
        with open(log, "w") as handle:
            launched[robot] = (subprocess.Popen(["bash", "-c", script], stdout=handle, stderr=subprocess.STDOUT,
                                                env=env), log)
    harness = Harness(domain, "zsris_launch_test")
    health = HealthWatch(harness.node)
    yield launched, harness, health
    harness.close()
    for process, _ in launched.values():
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def up(robots, robot: str) -> dict:
    launched, _, health = robots
    process, log = launched[robot]
    report = health.wait(f"/{robot}/zsris_node", lambda h: h["lifecycle_state"] in ("active", "unconfigured") or
                         process.poll() is not None, 300, f"{robot} active (or failed to configure)")
    assert process.poll() is None and report["lifecycle_state"] == "active", log.read_text()[-3000:]
    return report


def parameters(robots, robot: str, names: list[str]) -> list:
    from rcl_interfaces.srv import GetParameters

    _, harness, _ = robots
    client = harness.node.create_client(GetParameters, f"/{robot}/zsris_node/get_parameters")
    return harness.call(client, GetParameters.Request(names=names)).values


def test_the_params_file_is_honoured_and_a_given_argument_wins_over_it(robots):
    launched, _, _ = robots
    report = up(robots, "robot1")
    assert report["models"] == "CLIP zsris-tiny-clip (embedded), proposals classical", report
    values = parameters(robots, "robot1", ["models.clip_model", "models.device", "proposals.backend", "fusion.alpha",
                                           "max_frame_age", "models.precision"])
    assert [v.string_value for v in values[:3]] == ["zsris-tiny-clip", "cpu", "classical"]  # file, file, argument
    assert (values[3].double_value, values[4].double_value, values[5].string_value) == (0.95, 30.0, "auto")
    log = launched["robot1"][1].read_text()
    embedded = next(line for line in log.splitlines() if "embedded default: using its own settings" in line)
    assert "proposals.min_area_px=60" in embedded  # not given: the embedded model's own
    assert "fusion.alpha" not in embedded and "proposals.backend" not in embedded  # given (0.95 by the file)


def test_default_arguments_with_the_embedded_model(robots):
    launched, _, _ = robots
    report = up(robots, "robot2")
    assert report["models"] == "CLIP zsris-tiny-clip (embedded), proposals classical", report
    values = parameters(robots, "robot2", ["proposals.backend", "image_qos", "use_sim_time"])
    assert (values[0].string_value, values[1].string_value, values[2].bool_value) == ("sam", "sensor_data", False)
    log = launched["robot2"][1].read_text()
    assert "proposals.backend=classical" in log and "fusion.alpha=0.5" in log  # nothing given: the embedded model's


def test_the_fast_dds_profile_is_set_for_each_node(robots):
    launched, _, _ = robots
    for robot, (_, log) in launched.items():
        up(robots, robot)
        pid = node_pid(log.read_text())
        assert pid is not None, log.read_text()[-2000:]
        variables = Path(f"/proc/{pid}/environ").read_text().split("\0")  # as the process was started
        environ = dict(item.split("=", 1) for item in variables if "=" in item)
        assert environ.get("FASTDDS_DEFAULT_PROFILES_FILE") == str(PROFILE), robot


def test_each_robot_answers_only_the_commands_of_its_namespace(robots):
    from rclpy.qos import qos_profile_sensor_data
    from ros2_zsris.msg import ZsrisResult
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header, String

    from ros2_zsris.ros.conversions import fill_image
    from ros2_zsris.ros.reliability import KEEP_ALL_RELIABLE

    _, harness, _ = robots
    node = harness.node
    for robot in ("robot1", "robot2"):
        up(robots, robot)
    camera = node.create_publisher(Image, "/camera/color/image_raw", qos_profile_sensor_data)
    commands = {r: node.create_publisher(String, f"/{r}/zsris/command", KEEP_ALL_RELIABLE)
                for r in ("robot1", "robot2")}
    results: dict[str, list] = {"robot1": [], "robot2": []}
    encoded: dict[str, list] = {"robot1": [], "robot2": []}
    for robot in results:
        node.create_subscription(ZsrisResult, f"/{robot}/zsris_node/result", harness.keep(results[robot]),
                                 KEEP_ALL_RELIABLE)
        node.create_subscription(Header, f"/{robot}/zsris_node/frame_encoded", harness.keep(encoded[robot]), 10)
    wait_until(lambda: camera.get_subscription_count() == 2 and all(p.get_subscription_count() == 1
                                                                   for p in commands.values()), 120,
               "both robots on the camera, each on its own command topic")
    assert node.count_subscribers("/zsris/command") == 0  # the old absolute default: nobody listens there
    scene = make_scenes(4242, 1)[0]
    header = Header(stamp=node.get_clock().now().to_msg(), frame_id="camera_color_optical_frame")
    frame = Image()
    fill_image(frame, scene.image, "rgb8", header)
    for _ in range(10):  # best effort: sent again until both robots report it encoded
        camera.publish(frame)
        try:
            wait_until(lambda: all(any(e.stamp == header.stamp for e in encoded[r]) for r in encoded), 30,
                       "the frame encoded by both robots")
            break
        except AssertionError:
            continue
    expression = scene.referrals[0].expression
    sent = [("robot1", f"robot, {expression}"), ("robot2", expression), ("robot1", f"please, {expression}")]
    stamps = [header.stamp]
    streaming = threading.Event()

    def stream() -> None:  # the camera keeps streaming, as on a robot: a slow encoder answers on a newer frame
        while not streaming.wait(0.2):
            frame.header.stamp = node.get_clock().now().to_msg()
            stamps.append(frame.header.stamp)
            camera.publish(frame)

    camera_thread = threading.Thread(target=stream, daemon=True)
    camera_thread.start()
    try:
        for count, (robot, text) in enumerate(sent):
            commands[robot].publish(String(data=text))
            expected = sum(1 for r, _ in sent[:count + 1] if r == robot)
            wait_until(lambda r=robot, n=expected: len(results[r]) >= n, 120, f"{robot}'s answer to {text!r}")
    finally:
        streaming.set()
        camera_thread.join()
    for robot in results:
        mine = [text for r, text in sent if r == robot]
        with harness.lock:
            answers = list(results[robot])
        assert [a.command for a in answers] == mine, (robot, [a.command for a in answers])
        assert [a.command_index for a in answers] == list(range(len(mine)))
        assert all(a.status == "ok" and a.header.stamp in stamps for a in answers), [a.message for a in answers]


def test_sigint_ends_both_launches_cleanly(robots):
    launched, _, _ = robots
    for process, _ in launched.values():
        process.send_signal(signal.SIGINT)
    for process, log in launched.values():
        assert process.wait(timeout=120) == 0, log.read_text()[-3000:]
        text = log.read_text()
        assert "process has finished cleanly" in text and "shutting down: answering pending commands" in text, text
        assert "terminate called" not in text and "Traceback" not in text
