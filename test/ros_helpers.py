"""DDS test plumbing: a free ROS domain per test, a harness in its own rclpy context, and waits
on conditions (matched endpoints, the node's own messages), never on sleeps."""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path

from ros2_zsris.ros.dds import use_large_data_profile
from ros2_zsris.ros.domains import free_domain_id

NODE = os.environ.get("ZSRIS_NODE") or shutil.which("zsris_node") or str(Path(sys.executable).parent / "zsris_node")


def ros_environment(domain: int) -> dict:
    """Environment for a node process: its domain, loopback discovery, the large-data profile."""
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    env.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")
    use_large_data_profile(env)
    return env


def wait_until(condition, timeout: float, what: str, poll: float = 0.02):
    """Poll ``condition`` (cheap, state kept by subscription callbacks) until true or timeout."""
    deadline = time.monotonic() + timeout
    event = threading.Event()
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        event.wait(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Harness:
    """A test node in its own rclpy context and domain, spun by a background executor."""

    def __init__(self, domain: int, name: str = "zsris_test_harness"):
        import rclpy
        from rclpy.executors import MultiThreadedExecutor

        use_large_data_profile()  # this process publishes camera frames: it needs the profile too
        os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain)
        self.node = rclpy.create_node(name, context=self.context)
        self.lock = threading.Lock()
        self.executor = MultiThreadedExecutor(num_threads=2, context=self.context)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def keep(self, store: list):
        def callback(msg):
            with self.lock:
                store.append(msg)
        return callback

    def call(self, client, request, timeout: float = 120.0):
        assert client.wait_for_service(timeout_sec=timeout), f"service {client.srv_name} not available"
        future = client.call_async(request)
        done = threading.Event()
        future.add_done_callback(lambda _: done.set())
        assert done.wait(timeout), f"no answer from {client.srv_name} within {timeout} s"
        return future.result()

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        self.context.try_shutdown()


class HealthWatch:
    """The newest /diagnostics key/values of each node, as they arrive: the node's own counters
    (images, depth frames, frames encoded...) are the acknowledgements tests wait on."""

    def __init__(self, node):
        from diagnostic_msgs.msg import DiagnosticArray

        self._latest: dict[str, dict] = {}
        self._changed = threading.Condition()
        node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 50)

    def _on_diagnostics(self, msg) -> None:
        with self._changed:
            for status in msg.status:
                node_name = status.name.split(":")[0]  # "/robot1/zsris_node: zsris"
                self._latest[node_name] = {"level": status.level, "message": status.message,
                                           **{kv.key: kv.value for kv in status.values}}
            self._changed.notify_all()

    def wait(self, node_name: str, condition, timeout: float, what: str) -> dict:
        """The first report of ``node_name`` (fully qualified) for which ``condition`` holds."""
        def holds():
            health = self._latest.get(node_name)
            return health if health is not None and condition(health) else None
        with self._changed:
            if not self._changed.wait_for(lambda: holds() is not None, timeout=timeout):
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last report of "
                                     f"{node_name}: {self._latest.get(node_name)}")
            return holds()

    def count(self, node_name: str, key: str) -> int:
        with self._changed:
            return int(self._latest.get(node_name, {}).get(key, 0))


__all__ = ["NODE", "Harness", "HealthWatch", "free_domain_id", "ros_environment", "wait_until"]
