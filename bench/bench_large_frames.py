"""Camera-size frames over best-effort Fast DDS, with and without config/fastdds_large_data.xml.

For each resolution: publish N rgb8 frames at a fixed rate (best effort, as camera drivers do)
(1) to zsris_node, counting what the node reports received on /diagnostics, and (2) to a plain
subscriber process that records latency (receipt time minus header stamp, same host clock).
"with profile" loads the profile in every process; "without" loads a profile with no transport
settings (rmw_fastrtps defaults: a 512 KiB shared-memory segment under LOCALHOST discovery).

    .venv/bin/python bench/bench_large_frames.py [--frames 150] [--rate 30] [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "test"))
PLAIN_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<dds xmlns="http://www.eprosima.com"><profiles>
<participant profile_name="plain" is_default_profile="true"><rtps/></participant></profiles></dds>"""
SIZES = [(640, 480), (1280, 720)]


def probe(count: int, timeout_s: float) -> None:
    """Subscriber process: print one JSON line with the latencies (ms) of the frames received."""
    import rclpy
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image

    rclpy.init()
    node = rclpy.create_node("latency_probe")
    latencies: list[float] = []

    def on_image(msg: Image) -> None:
        now = node.get_clock().now().nanoseconds
        latencies.append((now - (msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec)) / 1e6)

    node.create_subscription(Image, "probe_image", on_image, qos_profile_sensor_data)
    print("ready", flush=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and len(latencies) < count:
        rclpy.spin_once(node, timeout_sec=0.1)
    print(json.dumps(latencies), flush=True)
    node.destroy_node()
    rclpy.shutdown()


def publish(harness, publisher, width: int, height: int, frames: int, rate_hz: float) -> None:
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header

    from ros2_zsris.ros.conversions import fill_image

    pixels = np.random.default_rng(0).integers(0, 255, (height, width, 3), dtype=np.uint8)
    rate = harness.node.create_rate(rate_hz)
    for _ in range(frames):
        msg = Image()
        fill_image(msg, pixels, "rgb8", Header(stamp=harness.node.get_clock().now().to_msg(), frame_id="camera"))
        publisher.publish(msg)
        rate.sleep()


def received_by_node(harness, store: list) -> int:
    with harness.lock:
        values = [kv.value for a in store for s in a.status if s.name.startswith("/zsris_node:")
                  for kv in s.values if kv.key == "images_received"]
    return int(values[-1]) if values else -1


def run(profile: str, frames: int, rate_hz: float) -> list[dict]:
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.qos import qos_profile_sensor_data
    from ros_helpers import NODE, Harness, free_domain_id, ros_environment, wait_until
    from sensor_msgs.msg import Image

    os.environ["FASTDDS_DEFAULT_PROFILES_FILE"] = profile  # this process: must precede the first participant
    domain = free_domain_id()
    env = ros_environment(domain)
    node = subprocess.Popen([NODE, "--ros-args", "-p", "models.device:=cpu",
                             "-p", "proposals.backend:=classical", "-p", "models.clip_model:=zsris-tiny-clip",
                             "-p", "models.clip_weights:=embedded"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    harness = Harness(domain, "bench_large_frames")
    rows = []
    try:
        diagnostics: list = []
        harness.node.create_subscription(DiagnosticArray, "/diagnostics", harness.keep(diagnostics), 50)
        image_pub = harness.node.create_publisher(Image, "image", qos_profile_sensor_data)
        probe_pub = harness.node.create_publisher(Image, "probe_image", qos_profile_sensor_data)
        wait_until(lambda: image_pub.get_subscription_count() and received_by_node(harness, diagnostics) >= 0,
                   180, "zsris_node")
        for width, height in SIZES:
            before = received_by_node(harness, diagnostics)
            publish(harness, image_pub, width, height, frames, rate_hz)
            with contextlib.suppress(AssertionError):  # lost frames: the count below says how many
                wait_until(lambda b=before: received_by_node(harness, diagnostics) - b >= frames, 5, "frames")
            done = threading.Event()
            done.wait(2.5)  # let a last diagnostics report arrive (1 Hz)
            node_count = received_by_node(harness, diagnostics) - before
            probe_proc = subprocess.Popen([sys.executable, __file__, "--probe", str(frames)], env=env,
                                          stdout=subprocess.PIPE, text=True)
            assert probe_proc.stdout.readline().strip() == "ready"
            wait_until(lambda: probe_pub.get_subscription_count(), 60, "the latency probe")
            publish(harness, probe_pub, width, height, frames, rate_hz)
            latencies = json.loads(probe_proc.communicate(timeout=120)[0].strip().splitlines()[-1])
            rows.append({"size": f"{width}x{height}", "sent": frames, "node_received": node_count,
                         "probe_received": len(latencies),
                         "latency_p50_ms": float(np.percentile(latencies, 50)) if latencies else float("nan"),
                         "latency_p95_ms": float(np.percentile(latencies, 95)) if latencies else float("nan")})
    finally:
        harness.close()
        node.terminate()
        node.wait(timeout=30)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--probe", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--profile", choices=["large_data", "plain"], default="large_data")
    args = parser.parse_args()
    if args.probe:
        probe(args.probe, timeout_s=60.0)
        return 0
    if args.profile == "plain":
        path = Path(tempfile.gettempdir()) / "zsris_plain_profile.xml"
        path.write_text(PLAIN_PROFILE)
        profile = str(path)
    else:
        profile = str(REPO / "config" / "fastdds_large_data.xml")
    for row in run(profile, args.frames, args.rate):
        print(json.dumps({"profile": args.profile, "rate_hz": args.rate, **row}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
