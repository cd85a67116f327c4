"""A client that proves the node answers every command exactly once: bursts, floods, soaks,
bad inputs, publisher restarts, shutdown; for follow mode, ~/track too. Used by
test/test_reliability.py and test/test_follow_node.py (small counts, CI) and bench/reliability.py,
bench/bench_follow_node.py (the full counts).

Each result is matched to its command by ``command_index`` (the node numbers the commands it
receives; this client is the only one commanding a fresh node on a private domain, and one
reliable writer keeps the order) and checked against the command's text. Texts repeat, as a
robot's do, so the node's text cache works as in use. ``settle`` sends a probe and waits for
its answer, after which every earlier answer has arrived, so a duplicate would be counted.
"""

from __future__ import annotations

import collections
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PointStamped
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header, String
from std_srvs.srv import Trigger

from ros2_zsris.msg import ZsrisResult
from ros2_zsris.srv import Segment

from .conversions import fill_image

KEEP_ALL_RELIABLE = QoSProfile(history=HistoryPolicy.KEEP_ALL, reliability=ReliabilityPolicy.RELIABLE)


def node_command(executable: str, clip_weights: str, node_name: str = "zsris_node", **params) -> list[str]:
    """zsris_node with random-weight CLIP and classical proposals (timing and plumbing only)."""
    command = [executable, "--ros-args", "-r", f"__node:={node_name}", "-p", f"models.clip_weights:={clip_weights}",
               "-p", "models.device:=cpu", "-p", "proposals.backend:=classical", "-p", "proposals.min_area_px:=500"]
    for name, value in params.items():
        command += ["-p", f"{name}:={value}"]
    return command


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS for process {pid}")


EXPRESSIONS = ["the book", "the man on the left", "the red mug", "open book", "the remote on the table"]


@dataclass
class Sent:
    text: str
    sent_s: float  # perf_counter at publish


@dataclass
class Answers:
    """Per-command bookkeeping: every command answered exactly once?"""

    sent: dict[str, Sent] = field(default_factory=dict)
    results: dict[str, list[tuple[float, ZsrisResult]]] = field(default_factory=lambda: collections.defaultdict(list))
    unknown: list[ZsrisResult] = field(default_factory=list)  # results for commands this client never sent

    def missing(self) -> list[str]:
        return [text for text in self.sent if not self.results.get(text)]

    def duplicated(self) -> list[str]:
        return [text for text, got in self.results.items() if len(got) > 1]

    def statuses(self, keys=None) -> collections.Counter:
        return collections.Counter(got[0][1].status for text, got in self.results.items()
                                   if got and (keys is None or text in keys))

    def latencies_ms(self, keys=None) -> list[float]:
        return sorted((got[0][0] - self.sent[text].sent_s) * 1000.0 for text, got in self.results.items()
                      if got and text in self.sent and (keys is None or text in keys))


class ReliabilityClient:
    """Publishes frames and commands to one node and records its results, in its own context."""

    def __init__(self, domain_id: int, node_name: str = "zsris_node", image_reliable: bool = True):
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node("zsris_reliability_client", context=self.context)
        self.node_name = node_name
        self.image_qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE if image_reliable
                                    else ReliabilityPolicy.BEST_EFFORT)
        self._make_publishers()
        self.answers = Answers()
        self.encoded: set[int] = set()
        self._changed = threading.Condition()
        self.node.create_subscription(ZsrisResult, f"/{node_name}/result", self._on_result, KEEP_ALL_RELIABLE)
        self.node.create_subscription(Header, f"/{node_name}/frame_encoded", self._on_encoded, 100)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self.executor.spin, daemon=True)
        self._thread.start()

    def _make_publishers(self) -> None:
        self.image_pub = self.node.create_publisher(Image, "image", self.image_qos)
        self.command_pub = self.node.create_publisher(String, "command", KEEP_ALL_RELIABLE)

    # ------------------------------------------------------------------ receiving
    def _on_result(self, msg: ZsrisResult) -> None:
        with self._changed:
            sent = self.answers.sent.get(msg.command_index)
            if sent is not None and sent.text == msg.command:
                self.answers.results[msg.command_index].append((time.perf_counter(), msg))
            else:
                self.answers.unknown.append(msg)
            self._changed.notify_all()

    def _on_encoded(self, header: Header) -> None:
        with self._changed:
            self.encoded.add(header.stamp.sec * 1_000_000_000 + header.stamp.nanosec)
            self._changed.notify_all()

    def wait(self, predicate, timeout_s: float) -> bool:
        """Until predicate holds; re-checked whenever a result or an encoded frame arrives."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout=timeout_s)

    def poll(self, predicate, timeout_s: float, period_s: float = 0.05) -> bool:
        """For conditions no message announces (graph changes, a node's own state)."""
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                return False
            self.wait(lambda: False, period_s)
        return True

    # ------------------------------------------------------------------ connecting
    def connect(self, process: subprocess.Popen | None = None, log: Path | None = None, timeout_s: float = 180.0,
                probe_frame: np.ndarray | None = None, probe: bool = True) -> None:
        """Matched endpoints, then the node's own acknowledgement: a probe command answered
        (and a probe frame reported encoded), so nothing sent afterwards goes unheard.
        probe=False: endpoints only (the caller has its own acknowledgement)."""
        result_topic = f"/{self.node_name}/result"
        deadline = time.monotonic() + timeout_s
        while not (self.image_pub.get_subscription_count() and self.command_pub.get_subscription_count()
                   and self.node.count_publishers(result_topic)):
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"node exited during start-up: {tail(log)}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"node not matched within {timeout_s} s: {tail(log)}")
            self.wait(lambda: False, 0.1)  # discovery has no event to wait on in rclpy
        if probe_frame is not None:
            self.send_frame_confirmed(probe_frame, max(1.0, deadline - time.monotonic()))
        if probe:
            self.settle(max(1.0, deadline - time.monotonic()))

    def restart_publishers(self, timeout_s: float = 60.0) -> None:
        """The camera/command publishers go away and come back (a driver restart)."""
        self.node.destroy_publisher(self.image_pub)
        self.node.destroy_publisher(self.command_pub)
        self._make_publishers()
        deadline = time.monotonic() + timeout_s
        while not (self.image_pub.get_subscription_count() and self.command_pub.get_subscription_count()):
            if time.monotonic() > deadline:
                raise TimeoutError("restarted publishers not matched")
            self.wait(lambda: False, 0.05)

    # ------------------------------------------------------------------ sending
    def send_frame(self, pixels: np.ndarray, encoding: str = "rgb8", stamp_ns: int | None = None, **overrides) -> int:
        msg = Image()
        stamp_ns = self.node.get_clock().now().nanoseconds if stamp_ns is None else stamp_ns
        header = Header(frame_id="camera_color_optical_frame")
        header.stamp.sec, header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
        fill_image(msg, pixels, encoding, header)
        for name, value in overrides.items():  # malformed messages (step, data, ...)
            setattr(msg, name, value)
        self.image_pub.publish(msg)
        return stamp_ns

    def send_frame_confirmed(self, pixels: np.ndarray, timeout_s: float = 60.0, stamp_ns: int | None = None) -> int:
        stamp = self.send_frame(pixels, stamp_ns=stamp_ns)
        if not self.wait(lambda: stamp in self.encoded, timeout_s):
            raise TimeoutError(f"frame {stamp} not reported encoded within {timeout_s} s")
        return stamp

    def command(self, text: str | None = None) -> int:
        """Publish a command (from one thread); returns its key: its position among this
        client's commands, which is the node's command_index for it."""
        with self._changed:
            key = len(self.answers.sent)
            text = text if text is not None else EXPRESSIONS[key % len(EXPRESSIONS)]
            self.answers.sent[key] = Sent(text, time.perf_counter())
        self.command_pub.publish(String(data=text))
        return key

    def wait_answered(self, keys, timeout_s: float) -> bool:
        keys = list(keys)
        return self.wait(lambda: all(self.answers.results.get(t) for t in keys), timeout_s)

    def answer_of(self, text: str, timeout_s: float):
        """Send one command and return the node's (first) answer to it, or None when none came."""
        key = self.command(text)
        return self.answers.results[key][0][1] if self.wait_answered([key], timeout_s) else None

    def settle(self, timeout_s: float = 60.0) -> str:
        """A probe command answered: every command sent before it has its answer in by now."""
        probe = self.command("probe")
        if not self.wait_answered([probe], timeout_s):
            raise TimeoutError(f"probe command not answered within {timeout_s} s")
        return probe

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=1.0)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)


class FollowClient(ReliabilityClient):
    """The reliability client plus ~/track, ~/centroid, depth and camera_info publishers, the follow
    services and the node's latest /diagnostics values."""

    def __init__(self, domain_id: int, image_reliable: bool = True):
        super().__init__(domain_id, image_reliable=image_reliable)
        self.tracks: list = []
        self.track_received: dict[int, float] = {}  # id(message) -> perf_counter at receipt
        self.track_published: dict[int, float] = {}  # id(message) -> when the node published it (s)
        self.centroids: list[PointStamped] = []
        self.diagnostics: dict[str, str] = {}
        self.node.create_subscription(ZsrisResult, f"/{self.node_name}/track", self._on_track, KEEP_ALL_RELIABLE)
        self.node.create_subscription(PointStamped, f"/{self.node_name}/centroid", self._on_centroid, 100)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)
        self.depth_pub = self.node.create_publisher(Image, "depth", self.image_qos)
        self.info_pub = self.node.create_publisher(CameraInfo, "camera_info", self.image_qos)
        self.segment = self.node.create_client(Segment, f"/{self.node_name}/segment")
        self.stop_following = self.node.create_client(Trigger, f"/{self.node_name}/stop_following")

    def _on_centroid(self, msg) -> None:
        with self._changed:
            self.centroids.append(msg)
            self._changed.notify_all()

    def _on_diagnostics(self, msg) -> None:
        with self._changed:
            self.diagnostics.update({kv.key: kv.value for status in msg.status for kv in status.values})
            self._changed.notify_all()

    def counter(self, key: str) -> int:
        """A /diagnostics counter of the node (0 until it is first reported)."""
        with self._changed:
            return int(self.diagnostics.get(key, 0))

    def _on_track(self, msg, info) -> None:
        with self._changed:
            self.tracks.append(msg)
            self.track_received[id(msg)] = time.perf_counter()
            self.track_published[id(msg)] = info["source_timestamp"] * 1e-9  # the node's clock (same host)
            self._changed.notify_all()

    def track_for(self, stamp_ns: int, track_id: int, timeout_s: float = 60.0):
        """The node's ~/track message of track ``track_id`` for the frame stamped ``stamp_ns``
        (its acknowledgement of that frame)."""
        def found():
            return next((t for t in self.tracks if t.track_id == track_id and
                         t.header.stamp.sec * 1_000_000_000 + t.header.stamp.nanosec == stamp_ns), None)
        if not self.wait(lambda: found() is not None, timeout_s):
            raise TimeoutError(f"no ~/track of track {track_id} for frame {stamp_ns} within {timeout_s} s")
        return found()

    def wait_track_status(self, track_id: int, status: str, timeout_s: float = 60.0):
        def found():
            return next((t for t in self.tracks if t.track_id == track_id and t.status == status), None)
        if not self.wait(lambda: found() is not None, timeout_s):
            raise TimeoutError(f"no ~/track {track_id} with status {status} within {timeout_s} s: last "
                               f"{[(t.track_id, t.status) for t in self.tracks[-5:]]}")
        return found()

    def nothing_followed(self) -> None:
        """Start without a track (an earlier test or run may have left one running)."""
        self.call(self.stop_following, Trigger.Request())

    def call(self, client, request, timeout_s: float = 120.0):
        if not client.wait_for_service(timeout_sec=timeout_s):
            raise TimeoutError(f"{client.srv_name} not available within {timeout_s} s")
        done = threading.Event()
        future = client.call_async(request)
        future.add_done_callback(lambda _: done.set())
        if not done.wait(timeout_s):
            raise TimeoutError(f"no answer from {client.srv_name} within {timeout_s} s")
        return future.result()


def tail(path: Path | None, lines: int = 30) -> str:
    return "\n".join(Path(path).read_text().splitlines()[-lines:]) if path and Path(path).is_file() else ""


def start_node(command: list[str], domain_id: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain_id), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    env.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")
    with open(log, "w") as handle:
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


# ---------------------------------------------------------------------- scenarios
def burst(client: ReliabilityClient, count: int, timeout_s: float = 300.0) -> dict:
    """count commands published at once on an encoded frame."""
    keys = [client.command() for _ in range(count)]
    answered = client.wait_answered(keys, timeout_s)
    client.settle()
    busy = [t for t in keys if "busy" in client.answers.results[t][0][1].message] if answered else []
    processed = [t for t in keys if t not in busy]
    first_busy = min((client.answers.results[t][0][0] for t in busy), default=float("nan"))
    last_processed = max((client.answers.results[t][0][0] for t in processed), default=float("nan"))
    return {"commands": count, "answered": count - len(client.answers.missing()),
            "duplicated": len(client.answers.duplicated()), "busy": len(busy),
            "statuses": dict(client.answers.statuses(keys)),
            "busy_latency_ms_p50": round(percentile(client.answers.latencies_ms(busy), 50), 1),
            "busy_latency_ms_max": round(max(client.answers.latencies_ms(busy), default=float("nan")), 1),
            "busy_before_last_processed": bool(busy) and first_busy < last_processed,
            "processed_in_order": _in_order(client, processed)}


def _in_order(client: ReliabilityClient, keys: list[str]) -> bool:
    indices = [client.answers.results[t][0][1].command_index for t in keys if client.answers.results.get(t)]
    arrivals = [client.answers.results[t][0][0] for t in keys if client.answers.results.get(t)]
    return indices == sorted(indices) and arrivals == sorted(arrivals)


def stream(client: ReliabilityClient, frames: list[np.ndarray], duration_s: float, frames_per_s: float,
           commands_per_s: float, process: subprocess.Popen | None = None, max_outstanding: int | None = None,
           sample_rss_every_s: float = 5.0) -> dict:
    """Frames and commands at fixed rates (flood), or commands as fast as answers come back
    with at most max_outstanding unanswered (soak). RSS of the node sampled as it runs."""
    start = time.perf_counter()
    next_frame = next_command = next_rss = start
    keys: list[str] = []
    rss: list[tuple[float, float]] = []
    frames_sent = 0
    while (now := time.perf_counter()) - start < duration_s:
        if process is not None and now >= next_rss:
            rss.append((now - start, rss_mb(process.pid)))
            next_rss += sample_rss_every_s
        if frames_per_s and now >= next_frame:
            client.send_frame(frames[frames_sent % len(frames)])
            frames_sent += 1
            next_frame += 1.0 / frames_per_s
        if max_outstanding is not None:
            if _outstanding(client, keys, max_outstanding) < max_outstanding:
                keys.append(client.command())
            else:
                client.wait(lambda: _outstanding(client, keys, max_outstanding) < max_outstanding, 0.01)
            continue
        if commands_per_s and now >= next_command:
            keys.append(client.command())
            next_command += 1.0 / commands_per_s
        wake = min(next_frame if frames_per_s else float("inf"), next_command if commands_per_s else float("inf"))
        time.sleep(max(0.0, min(wake, next_rss) - time.perf_counter()))
    client.wait_answered(keys, 120.0)
    client.settle()
    if process is not None:
        rss.append((time.perf_counter() - start, rss_mb(process.pid)))
    latencies = client.answers.latencies_ms(set(keys))
    figures = {"duration_s": round(time.perf_counter() - start, 1), "frames_sent": frames_sent,
               "commands": len(keys), "answered": sum(1 for t in keys if client.answers.results.get(t)),
               "duplicated": sum(1 for t in keys if len(client.answers.results.get(t, ())) > 1),
               "statuses": dict(client.answers.statuses(set(keys))),
               "busy": sum(1 for t in keys if client.answers.results.get(t)
                           and client.answers.results[t][0][1].message.startswith("busy")),
               "latency_ms_p50": round(percentile(latencies, 50), 1),
               "latency_ms_p95": round(percentile(latencies, 95), 1)}
    if rss:
        figures.update(rss_growth(rss))
    return figures


def _outstanding(client: ReliabilityClient, keys: list[str], limit: int) -> int:
    return sum(1 for t in keys[-limit * 2:] if not client.answers.results.get(t))


def rss_growth(samples: list[tuple[float, float]], warm_up_fraction: float = 0.2) -> dict:
    """RSS growth after warm-up: last sample vs the first sample past the warm-up period."""
    end = samples[-1][0]
    warm = next(mb for t, mb in samples if t >= end * warm_up_fraction)
    return {"rss_mb_start": round(samples[0][1], 1), "rss_mb_after_warm_up": round(warm, 1),
            "rss_mb_end": round(samples[-1][1], 1), "rss_growth_after_warm_up_pct": round(
                100.0 * (samples[-1][1] - warm) / warm, 2)}


BAD_IMAGES = {  # every class of bad image the README names, as sent by a broken driver
    "unsupported encoding": lambda c, img: c.send_frame(img, encoding="hsv8"),
    "odd-width yuv422 (the converter itself fails)": lambda c, img: c.send_frame(img, encoding="yuv422"),
    "data shorter than height*step": lambda c, img: c.send_frame(img, data=bytes(10)),
    "zero size": lambda c, img: c.send_frame(np.zeros((0, 0, 3), np.uint8)),
    "step smaller than a row": lambda c, img: c.send_frame(img, step=3),
    "1x1 image": lambda c, img: c.send_frame(np.zeros((1, 1, 3), np.uint8)),
}
BAD_COMMANDS = ["", "   ", "x" * 5000, "la tasse à café ☕", "robot", "take it", "'; DROP TABLE frames; --"]
