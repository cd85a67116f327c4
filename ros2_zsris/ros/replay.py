"""Replay a bag's frames and commands through a running node over DDS, recording its outputs.

paced: publish a frame, then each command, and wait for its result (or a timeout): nothing
is dropped by the replay itself. realtime: publish at the recorded rate without waiting,
and count what never came back.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.serialization import serialize_message
from sensor_msgs.msg import Image
from std_msgs.msg import Header, String

from ros2_zsris.msg import ZsrisResult

from ..core.errors import ZsrisError
from ..evaluation.bag_io import RESULT_TYPE, BagWriter, Topics, image_to_array
from ..evaluation.episodes import Frame, Prediction
from .conversions import fill_image


class Replayer:
    def __init__(self, topics: Topics, node_name: str = "zsris_node", reliable_images: bool = True):
        self.node = rclpy.create_node("zsris_replay")
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE if reliable_images
                         else ReliabilityPolicy.BEST_EFFORT)
        self.image_pub = self.node.create_publisher(Image, topics.image, qos)
        self.command_pub = self.node.create_publisher(String, topics.command, 100)
        self.results: list[tuple[float, ZsrisResult]] = []
        self.result_publishers: set[bytes] = set()  # GIDs: more than one means another node answers too
        self.published: list[tuple[int, str, object]] = []  # (ns, "image"/"command", pixels/case) as sent
        self._arrived = threading.Condition()
        self.node.create_subscription(ZsrisResult, topics.result, self._on_result, 200)
        encoded_topic = topics.result.rsplit("/", 1)[0] + "/frame_encoded"
        self.encoded: list[int] = []  # stamps (ns) of frames the node reported encoded
        self.node.create_subscription(Header, encoded_topic, self._on_encoded, 100)
        self.sent_frames = 0
        self.result_ns: list[int] = []  # wall-clock receipt time of each result, for the output bag
        self._matched = 0  # results before this position are paired with commands already
        self.topics = topics
        self._spinning = True
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        while self._spinning and rclpy.ok():
            rclpy.spin_once(self.node, timeout_sec=0.05)

    def _on_result(self, msg: ZsrisResult, info) -> None:
        with self._arrived:
            gid = (info.get("publisher_gid") or {}).get("data")
            if gid is not None:
                self.result_publishers.add(bytes(gid))
            self.results.append((time.perf_counter(), msg))
            self.result_ns.append(time.time_ns())
            self._arrived.notify_all()

    def check_single_publisher(self) -> None:
        """Results from two nodes cannot be scored: which answer belongs to which command?"""
        count = max(len(self.result_publishers), self.node.count_publishers(self.topics.result))
        if count > 1:
            nodes = sorted({f"{i.node_namespace.rstrip('/')}/{i.node_name}"
                            for i in self.node.get_publishers_info_by_topic(self.topics.result)})
            raise ZsrisError(
                f"results on {self.topics.result} come from {count} publishers ({', '.join(nodes) or 'unknown'}): "
                "another node answers these commands too, so the results cannot be scored",
                setting="--domain-id / --use-running-node",
                fix="let zsris-eval-bag start its own node (a private ROS domain), pass a --domain-id no other "
                    "node uses, or stop the other node")

    def _on_encoded(self, header: Header) -> None:
        with self._arrived:
            self.encoded.append(header.stamp.sec * 1_000_000_000 + header.stamp.nanosec)
            self._arrived.notify_all()

    def wait_until_connected(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.image_pub.get_subscription_count() and self.command_pub.get_subscription_count() \
                    and self.node.count_publishers(self.topics.result):
                time.sleep(0.5)
                self.check_single_publisher()
                return True
            time.sleep(0.1)
        return False

    def _publish_frame(self, frame: Frame) -> int:
        """Publish re-stamped to now, as a live camera would, so the node's max_frame_age
        applies as on a robot (recorded stamps are hours or years old)."""
        msg = Image()
        now = self.node.get_clock().now()
        fill_image(msg, frame.image, "rgb8", Header(stamp=now.to_msg(), frame_id="camera_color_optical_frame"))
        self.image_pub.publish(msg)
        self.sent_frames += 1
        self.published.append((now.nanoseconds, "image", frame.image))
        return now.nanoseconds

    def _publish_command(self, case) -> None:
        self.published.append((self.node.get_clock().now().nanoseconds, "command", case))
        self.command_pub.publish(String(data=case.text))

    def _publish_frame_confirmed(self, frame: Frame, timeout_s: float, tries: int = 3) -> bool:
        """Paced mode: resend a frame that the node did not report encoded (a frame can be lost
        while discovery settles); commands then refer to it without ambiguity."""
        for _ in range(tries):
            stamp = self._publish_frame(frame)
            with self._arrived:
                if self._arrived.wait_for(lambda s=stamp: s in self.encoded, timeout=timeout_s / tries):
                    return True
        return False

    def _wait_answer(self, text: str, timeout_s: float) -> tuple[float, ZsrisResult] | None:
        """The first unpaired result for this command text; a late answer to an earlier command
        (already counted unanswered) is skipped, so one timeout cannot shift every later pair."""
        def find():
            for position in range(self._matched, len(self.results)):
                if self.results[position][1].command == text:
                    return position
            return None

        with self._arrived:
            self._arrived.wait_for(lambda: find() is not None, timeout=timeout_s)
            position = find()
            if position is None:
                return None
            self._matched = position + 1
            return self.results[position]
    def paced(self, frames: list[Frame], timeout_s: float, progress=None) -> list[Prediction | None]:
        predictions: list[Prediction | None] = []
        for frame in frames:
            if frame.image.size:
                self._publish_frame_confirmed(frame, timeout_s)
            for case in frame.commands:
                start = time.perf_counter()
                self._publish_command(case)
                answer = self._wait_answer(case.text, timeout_s)
                self.check_single_publisher()
                predictions.append(_prediction(answer[1], (answer[0] - start) * 1000.0) if answer else None)
                if progress:
                    progress.update(1)
        return predictions

    def realtime(self, frames: list[Frame], grace_s: float, progress=None) -> list[Prediction | None]:
        events = [(f.log_ns, "frame", f, None) for f in frames if f.image.size]
        events += [(c.log_ns, "command", f, c) for f in frames for c in f.commands]
        events.sort(key=lambda e: e[0])
        sent: list[tuple[str, float]] = []
        t0_log, t0 = events[0][0] if events else 0, time.perf_counter()
        for log_ns, kind, frame, case in events:
            delay = (log_ns - t0_log) * 1e-9 - (time.perf_counter() - t0)
            if delay > 0:
                time.sleep(delay)
            if kind == "frame":
                self._publish_frame(frame)
            else:
                sent.append((case.text, time.perf_counter()))
                self._publish_command(case)
                if progress:
                    progress.update(1)
        deadline = time.monotonic() + grace_s
        predictions: list[Prediction | None] = []
        for text, start in sent:
            answer = self._wait_answer(text, max(0.0, deadline - time.monotonic()))
            predictions.append(_prediction(answer[1], (answer[0] - start) * 1000.0) if answer else None)
        return predictions

    def record(self, path: Path, storage: str) -> None:
        """The run as it happened, into one bag: images and commands as sent (stamps and times
        of the replay, so the results' headers match their images in RViz or Foxglove), ground
        truth just before its command, results when they arrived. `--mode score` re-scores it."""
        with BagWriter(path, storage) as bag:
            for sent_ns, kind, payload in self.published:
                if kind == "image":
                    bag.image(self.topics.image, sent_ns, payload)
                    continue
                if payload.truth is not None:
                    bag.image(self.topics.ground_truth, sent_ns - 1, payload.truth.astype(np.uint8) * 255)
                bag.string(self.topics.command, sent_ns, payload.text)
            previous_ns = 0
            for (_, msg), received_ns in zip(self.results, self.result_ns, strict=True):
                previous_ns = max(received_ns, previous_ns + 1)  # scoring reads results in arrival order
                bag.raw(self.topics.result, RESULT_TYPE, previous_ns, serialize_message(msg))

    def close(self) -> None:
        self._spinning = False
        self._thread.join(timeout=2.0)
        self.node.destroy_node()


def _prediction(msg: ZsrisResult, latency_ms: float) -> Prediction:
    mask = image_to_array(msg.mask) > 127 if msg.mask.height and msg.mask.width else None
    objects = [image_to_array(o.mask) > 127 for o in msg.objects if o.mask.height and o.mask.width]
    return Prediction(msg.status, mask, latency_ms, msg.target_phrase, float(msg.score), msg.interpretation,
                      objects, int(msg.count))
