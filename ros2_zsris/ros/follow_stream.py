"""A camera stream with a follow command in the middle, as a robot's client sees it (over DDS, in
its own process): for bench/bench_follow_node.py, bench/bench_reacquire_node.py and the tests.

Frames go out at a fixed rate whatever the node does; the command is published between two
frames; every ~/track message is recorded with its arrival time. Coverage is counted from the
command's frame: of the frames published after the command, those that got a ~/track result
(status ok or reacquired) of the command's track. ``busy_loops`` starts CPU-bound processes beside
the node (the load of a robot's other software).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from .conversions import fill_image

FOUND = ("ok", "reacquired")


@contextlib.contextmanager
def busy_loops(count: int):
    """``count`` processes spinning on a CPU each (``while True: pass``), ended on exit."""
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield loops
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


@contextlib.contextmanager
def follow_node(log: Path):
    """The node as the follow benches run it (the embedded default, on a free ROS domain, frames
    large enough for the large-data profile) and a best-effort FollowClient matched to it; on an
    error the node's log tail is printed."""
    from .dds import use_large_data_profile
    from .domains import free_domain_id
    from .reliability import FollowClient, node_command, start_node, tail

    use_large_data_profile()
    domain = free_domain_id()
    log.parent.mkdir(parents=True, exist_ok=True)
    process = start_node(node_command(str(Path(sys.executable).parent / "zsris_node"), "embedded",
                                      **{"models.clip_model": "zsris-tiny-clip", "proposals.min_area_px": 60,
                                         "max_frame_age": 600.0, "command_timeout": 120.0}), domain, log)
    client = FollowClient(domain, image_reliable=False)
    try:
        client.connect(process, log, probe=False)
        yield client
    except Exception:
        print(tail(log, 60))
        raise
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)


def stamp_ns(header) -> int:
    return header.stamp.sec * 1_000_000_000 + header.stamp.nanosec


@dataclass
class StreamRun:
    """One sequence streamed with a follow command after ``before`` frames."""

    sent: list[tuple[int, float]] = field(default_factory=list)  # (stamp ns, perf_counter at publish) per frame
    before: int = 0  # frames published before the command
    command_key: int = -1
    answer: object = None  # the ZsrisResult answering the command
    answer_received: float = float("nan")  # perf_counter when it arrived
    tracks: list[tuple[object, float]] = field(default_factory=list)  # (~/track message, arrival) of its track
    published: dict[int, float] = field(default_factory=dict)  # frame stamp -> when the node published its result

    @property
    def track_id(self) -> int:
        return int(self.answer.track_id) if self.answer is not None and self.answer.tracking else 0

    def results(self) -> dict[int, tuple[object, float]]:
        """stamp -> (first found ~/track message for that frame, its arrival)."""
        out: dict[int, tuple[object, float]] = {}
        for msg, arrival in self.tracks:
            if msg.status in FOUND:
                out.setdefault(stamp_ns(msg.header), (msg, arrival))
        return out

    def after_command(self) -> list[tuple[int, float]]:
        return self.sent[self.before:]

    def covered(self) -> int:
        results = self.results()
        return sum(1 for stamp, _ in self.after_command() if stamp in results)

    def spacing_ms(self) -> np.ndarray:
        """Intervals between consecutive ~/track results (ok/reacquired) as they arrived."""
        arrivals = sorted(arrival for msg, arrival in self.tracks if msg.status in FOUND)
        return np.diff(arrivals) * 1000.0 if len(arrivals) > 1 else np.zeros(0)

    def latency_ms(self) -> np.ndarray:
        """Publish of a frame to the arrival of its result, for frames after the first answer."""
        results = self.results()
        return np.array([(results[stamp][1] - sent) * 1000.0 for stamp, sent in self.after_command()
                         if stamp in results])


def depth_messages(depth: np.ndarray, camera_k: np.ndarray, header: Header) -> tuple[Image, CameraInfo]:
    """32FC1 depth (metres) and the CameraInfo of a colour frame, with its header."""
    msg = Image(header=header, height=depth.shape[0], width=depth.shape[1], encoding="32FC1", is_bigendian=0,
                step=depth.shape[1] * 4)
    msg.data = np.ascontiguousarray(depth, dtype="<f4").tobytes()
    info = CameraInfo(header=header, height=depth.shape[0], width=depth.shape[1])
    info.k = [float(v) for v in np.asarray(camera_k, dtype=np.float64).ravel()]
    return msg, info


def stream_follow(client, frames: list[np.ndarray], command: str | None, before: int, fps: float,
                  depths: list[np.ndarray] | None = None, camera_k: np.ndarray | None = None,
                  settle_s: float = 120.0, answer=None) -> StreamRun:
    """Publish ``frames`` at ``fps`` (best effort or as the client's image QoS says), ``command``
    after ``before`` of them (or, ``command`` None, follow the track ``answer`` already started),
    then wait (up to ``settle_s``) for the last frame's result and return what arrived. With
    ``depths``, each frame's depth and camera_info go out just before it."""
    run = StreamRun(before=before, answer=answer)
    begin = len(client.tracks)
    images = [_image(frame) for frame in frames]
    start = time.perf_counter()
    for index, image in enumerate(images):
        time.sleep(max(0.0, start + index / fps - time.perf_counter()))
        if index == before and command is not None:
            run.command_key = client.command(command)
        header = Header(frame_id="camera_color_optical_frame")
        now = client.node.get_clock().now().nanoseconds
        header.stamp.sec, header.stamp.nanosec = divmod(now, 1_000_000_000)
        if depths is not None:
            depth, info = depth_messages(depths[index], camera_k, header)
            client.depth_pub.publish(depth)
            client.info_pub.publish(info)
        image.header = header
        client.image_pub.publish(image)
        run.sent.append((now, time.perf_counter()))
    if command is not None:
        client.wait_answered([run.command_key], settle_s)
        got = client.answers.results.get(run.command_key)
        run.answer_received, run.answer = got[0] if got else (float("nan"), None)
    if run.track_id:
        last = run.sent[-1][0]
        client.wait(lambda: any(stamp_ns(m.header) == last for m in client.tracks[begin:]
                                if m.track_id == run.track_id), settle_s)
    with client._changed:
        mine = [m for m in client.tracks[begin:] if m.track_id == run.track_id]
        run.tracks = [(m, client.track_received[id(m)]) for m in mine]
        run.published = {stamp_ns(m.header): client.track_published[id(m)] for m in reversed(mine)}
    return run


def _image(pixels: np.ndarray) -> Image:
    msg = Image()
    fill_image(msg, pixels, "rgb8", Header())
    return msg
