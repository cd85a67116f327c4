"""rosbag2 (sqlite3 and mcap) through the pure-Python `rosbags` library: no ROS install needed,
and bags recorded by `ros2 bag record` or other tools read the same way."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from rosbags.typesys import Stores, get_types_from_msg, get_typestore

RESULT_TYPE = "ros2_zsris/msg/ZsrisResult"
OBJECT_TYPE = "ros2_zsris/msg/ZsrisObject"  # ZsrisResult.objects (issue 20)
MSG_DIR = Path(__file__).resolve().parents[2] / "msg"
STORAGES = {"sqlite3": StoragePlugin.SQLITE3, "mcap": StoragePlugin.MCAP}


@dataclass
class Topics:
    image: str = "/camera/image"
    command: str = "/zsris/command"
    ground_truth: str = "/zsris/ground_truth_mask"
    result: str = "/zsris_node/result"


def typestore():
    """ROS 2 message types plus ros2_zsris/msg/ZsrisResult (and the ZsrisObject it holds), parsed
    from msg/ at run time."""
    store = get_typestore(Stores.ROS2_KILTED)
    texts = {name: _msg_text(f"{name.rsplit('/', 1)[-1]}.msg") for name in (OBJECT_TYPE, RESULT_TYPE)}
    if all(texts.values()):
        types = {}
        for name, text in texts.items():
            types.update(get_types_from_msg(text, name))
        store.register(types)
    return store


def _msg_text(file_name: str) -> str:
    """From the source checkout, else the install prefix (colcon or `make setup`), else ament."""
    for candidate in (MSG_DIR / file_name, Path(sys.prefix) / "share" / "ros2_zsris" / "msg" / file_name):
        if candidate.is_file():
            return candidate.read_text()
    try:  # installed package: the definition ships in share/ros2_zsris/msg via rosidl
        from ament_index_python.packages import get_package_share_directory

        return (Path(get_package_share_directory("ros2_zsris")) / "msg" / file_name).read_text()
    except Exception:  # noqa: BLE001 - without it, result topics are simply not decodable
        return ""


def image_to_array(msg) -> np.ndarray:
    """sensor_msgs/Image (rosbags object) -> numpy: rgb8/bgr8/rgba8/bgra8 -> RGB, mono8 -> (H, W)."""
    channels = {"rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4, "mono8": 1}.get(msg.encoding)
    if channels is None:
        raise ValueError(f"unsupported image encoding '{msg.encoding}' in bag")
    rows = np.asarray(msg.data, dtype=np.uint8).reshape(msg.height, msg.step)[:, : msg.width * channels]
    pixels = rows.reshape(msg.height, msg.width, channels)
    if msg.encoding.startswith("bgr"):
        pixels = pixels[:, :, [2, 1, 0]]
    return pixels[:, :, 0] if channels == 1 else np.ascontiguousarray(pixels[:, :, :3])


@dataclass
class BagMessage:
    topic: str
    timestamp_ns: int
    msg: object


@dataclass
class BagWriter:
    """Writes images, commands, masks and raw CDR messages to one rosbag2."""

    path: Path
    storage: str = "mcap"
    frame_id: str = "camera_color_optical_frame"
    _store: object = field(default=None, init=False)
    _writer: Writer | None = field(default=None, init=False)
    _connections: dict = field(default_factory=dict, init=False)

    def __enter__(self) -> "BagWriter":
        if self.storage not in STORAGES:
            raise ValueError(f"unknown bag storage '{self.storage}': use one of {', '.join(STORAGES)}")
        self._store = typestore()
        self._writer = Writer(Path(self.path), version=8, storage_plugin=STORAGES[self.storage])
        self._writer.open()
        return self

    def __exit__(self, *exc) -> None:
        self._writer.close()

    @property
    def store(self):
        """The typestore messages are built with (for result_cdr)."""
        return self._store

    def _connection(self, topic: str, msgtype: str):
        if topic not in self._connections:
            self._connections[topic] = self._writer.add_connection(topic, msgtype, typestore=self._store)
        return self._connections[topic]

    def _header(self, stamp_ns: int):
        types = self._store.types
        stamp = types["builtin_interfaces/msg/Time"](sec=stamp_ns // 1_000_000_000, nanosec=stamp_ns % 1_000_000_000)
        return types["std_msgs/msg/Header"](stamp=stamp, frame_id=self.frame_id)

    def image(self, topic: str, stamp_ns: int, pixels: np.ndarray) -> None:
        encoding = "mono8" if pixels.ndim == 2 else "rgb8"
        step = pixels.shape[1] * (1 if pixels.ndim == 2 else 3)
        msg = self._store.types["sensor_msgs/msg/Image"](
            header=self._header(stamp_ns), height=pixels.shape[0], width=pixels.shape[1], encoding=encoding,
            is_bigendian=0, step=step, data=np.ascontiguousarray(pixels, dtype=np.uint8).reshape(-1))
        self.raw(topic, "sensor_msgs/msg/Image", stamp_ns, self._store.serialize_cdr(msg, "sensor_msgs/msg/Image"))

    def string(self, topic: str, stamp_ns: int, text: str) -> None:
        msg = self._store.types["std_msgs/msg/String"](data=text)
        self.raw(topic, "std_msgs/msg/String", stamp_ns, self._store.serialize_cdr(msg, "std_msgs/msg/String"))

    def raw(self, topic: str, msgtype: str, stamp_ns: int, cdr: bytes) -> None:
        self._writer.write(self._connection(topic, msgtype), stamp_ns, cdr)


def read_messages(path: Path, topics: list[str] | None = None) -> Iterator[BagMessage]:
    """Every message of the chosen topics in log-time order, decoded."""
    store = typestore()
    with Reader(Path(path)) as reader:
        connections = [c for c in reader.connections if topics is None or c.topic in topics]
        for connection, timestamp, raw in reader.messages(connections=connections):
            yield BagMessage(connection.topic, timestamp, store.deserialize_cdr(raw, connection.msgtype))


def bag_topics(path: Path) -> dict[str, str]:
    with Reader(Path(path)) as reader:
        return {c.topic: c.msgtype for c in reader.connections}


def result_cdr(store, stamp_ns: int, frame_id: str, index: int, command: str, status: str, *,
               mask: np.ndarray | None = None, target_phrase: str = "", expression: str = "", action: str = "",
               score: float = float("nan"), message: str = "", interpretation: str = "", objects=(),
               count: int = 0) -> bytes:
    """A ZsrisResult serialised like the node's, for results computed without the node.
    ``objects``: core ObjectAnswer records (mask, box, centroid_px, score, index, expression);
    without depth, so no 3D point."""
    types = store.types
    stamp = types["builtin_interfaces/msg/Time"](sec=stamp_ns // 1_000_000_000, nanosec=stamp_ns % 1_000_000_000)
    header = types["std_msgs/msg/Header"](stamp=stamp, frame_id=frame_id)
    point = types["geometry_msgs/msg/Point"]
    roi = types["sensor_msgs/msg/RegionOfInterest"](x_offset=0, y_offset=0, height=0, width=0, do_rectify=False)
    msg = types[RESULT_TYPE](
        header=header, command_index=index, command=command, action=action, expression=expression,
        target_phrase=target_phrase, status=status, message=message, score=score, margin=float("nan"),
        num_candidates=0, box=roi, centroid_px=point(x=0.0, y=0.0, z=0.0), has_point_3d=False,
        point_3d=point(x=0.0, y=0.0, z=0.0), depth_m=float("nan"), mask=_mono8(types, header, mask), timing_stages=[],
        timing_ms=np.zeros(0, np.float32), frame_age_s=0.0, interpretation=interpretation,
        anchor_indices=np.zeros(0, np.int32), action_verb="", destination="", destination_expression="",
        destination_status="", destination_box=roi, destination_centroid_px=point(x=0.0, y=0.0, z=0.0),
        destination_has_point_3d=False, destination_point_3d=point(x=0.0, y=0.0, z=0.0),
        destination_mask=_mono8(types, header, None), context="", unanswered="", tracking=False, track_id=0,
        track_confidence=float("nan"), track_source="", objects=[_object(types, header, o) for o in objects],
        count=count)
    return store.serialize_cdr(msg, RESULT_TYPE)


def _mono8(types, header, mask: np.ndarray | None):
    pixels = np.zeros((0, 0), np.uint8) if mask is None else mask.astype(np.uint8) * 255
    return types["sensor_msgs/msg/Image"](header=header, height=pixels.shape[0], width=pixels.shape[1],
                                          encoding="mono8" if mask is not None else "", is_bigendian=0,
                                          step=pixels.shape[1], data=pixels.reshape(-1))


def _object(types, header, answer):
    x0, y0, x1, y1 = answer.box
    point = types["geometry_msgs/msg/Point"]
    return types[OBJECT_TYPE](
        mask=_mono8(types, header, answer.mask),
        box=types["sensor_msgs/msg/RegionOfInterest"](x_offset=x0, y_offset=y0, height=y1 - y0 + 1, width=x1 - x0 + 1,
                                                      do_rectify=False),
        centroid_px=point(x=float(answer.centroid_px[0]), y=float(answer.centroid_px[1]), z=0.0), has_point_3d=False,
        point_3d=point(x=0.0, y=0.0, z=0.0), score=float(answer.score), index=int(answer.index),
        expression=answer.expression)
