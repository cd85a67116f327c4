"""zsris-eval-bag: replay a bag through the node (or the core) and score it.

modes: paced (DDS, wait for each result), realtime (DDS, recorded rate, count drops),
offline (core engine, no DDS), score (score the results already recorded in the bag).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..core.errors import ZsrisError
from .cli import run_tool
from .make_bag import add_topic_arguments, topics_from_args
from .segment_cli import add_model_arguments, engine_config_from_args, given_masks_path, given_settings_from_args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zsris-eval-bag", description=__doc__)
    parser.add_argument("bag", help="rosbag2 directory (mcap or sqlite3)")
    parser.add_argument("--mode", default="paced", choices=["paced", "realtime", "offline", "score"])
    parser.add_argument("--out", default="out/eval", help="report folder")
    parser.add_argument("--timeout", type=float, default=120.0, help="paced: seconds to wait for each result")
    parser.add_argument("--use-running-node", action="store_true",
                        help="replay to a node already running (on --domain-id, else ROS_DOMAIN_ID) instead of "
                             "starting one")
    parser.add_argument("--domain-id", type=int, default=None,
                        help="ROS domain of the replay; default: a free one on this host when the tool starts its "
                             "own node, so no other node can answer its commands")
    parser.add_argument("--storage", default="mcap", help="storage of the recorded output bag")
    parser.add_argument("--no-progress", action="store_true")
    add_topic_arguments(parser)
    add_model_arguments(parser)
    return parser


def _progress(total: int, disabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="cmd", disable=disabled or not sys.stderr.isatty() and total < 20)


def run(args) -> int:
    from ..evaluation.episodes import load_frames, predictions_from_bag
    from ..evaluation.report import score, write_report

    if given_masks_path(args):
        raise ZsrisError(f"--proposals {args.proposals}: a mask file belongs to one photo; a bag has many frames",
                         fix="use --proposals sam or classical here (zsris-segment takes a .npz of masks)")
    topics = topics_from_args(args)
    out = Path(args.out)
    frames = load_frames(Path(args.bag), topics)
    total = sum(len(f.commands) for f in frames)
    if total == 0:
        print(f"zsris-eval-bag: error: no commands on '{topics.command}' in {args.bag} "
              f"(topics: --command-topic/--image-topic)", file=sys.stderr)
        return 2
    output_bag = out / "outputs"
    if output_bag.exists():
        shutil.rmtree(output_bag)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    frame_counts = {"frames_sent": None, "frames_encoded": None}  # known only when replaying to a node
    with _progress(total, args.no_progress) as progress:
        if args.mode == "score":
            predictions = predictions_from_bag(Path(args.bag), topics)
        elif args.mode == "offline":
            from ..core import ZsrisEngine
            from ..evaluation.offline import run_offline

            engine = ZsrisEngine(engine_config_from_args(args))
            predictions = run_offline(engine, frames, output_bag, topics, args.storage, progress)
        else:
            predictions, frame_counts = _replay_over_dds(args, frames, topics, output_bag, progress)
    wall_s = time.perf_counter() - start
    report = score(frames, predictions)
    report.update(mode=args.mode, method=args.method, bag=str(args.bag), wall_s=wall_s, **frame_counts,
                  throughput_commands_per_s=total / wall_s if wall_s > 0 else None)
    title = f"zsris-eval-bag: {Path(args.bag).name} ({args.mode}, method {args.method})"
    paths = write_report(report, out, frames, predictions, title)
    summary = {k: report[k] for k in ("method", "metrics", "latency", "commands", "frames", "frames_sent",
                                      "frames_encoded", "unanswered", "statuses", "wall_s",
                                      "throughput_commands_per_s", "sets")}
    print(json.dumps(summary))
    print(f"report: {paths[1]}")
    return 0


def _replay_over_dds(args, frames, topics, output_bag, progress):
    import rclpy

    from ..ros.dds import use_large_data_profile
    from ..ros.replay import Replayer

    use_large_data_profile()  # both sides: this process publishes the frames, the node inherits it
    domain_id = _domain_for(args)
    node, log_path = (None, None) if args.use_running_node else _start_node(args, topics, domain_id)
    rclpy.init(domain_id=domain_id)
    replayer = Replayer(topics)
    try:
        deadline = time.monotonic() + 180.0
        while not replayer.wait_until_connected(1.0):
            if node is not None and node.poll() is not None:
                raise ZsrisError(f"zsris_node exited during start-up:\n{_tail(log_path)}")
            if time.monotonic() > deadline:
                raise ZsrisError(f"no node answered on {topics.result} within 180 s",
                                 fix="start zsris_node (or drop --use-running-node), check the topic names")
        if args.mode == "paced":
            predictions = replayer.paced(frames, args.timeout, progress)
        else:
            predictions = replayer.realtime(frames, args.timeout, progress)
        replayer.check_single_publisher()
        replayer.record(output_bag, args.storage)
        return predictions, {"frames_sent": replayer.sent_frames, "frames_encoded": len(set(replayer.encoded))}
    finally:
        replayer.close()
        rclpy.shutdown()
        if node is not None:
            node.terminate()
            node.wait(timeout=20)


def _domain_for(args) -> int | None:
    """Its own node: a private domain (free on this host) unless --domain-id says otherwise;
    a running node: --domain-id, else ROS_DOMAIN_ID (None: rclpy reads it)."""
    from ..ros.domains import MAX_DOMAIN_ID, free_domain_id

    if args.domain_id is not None:
        if not 0 <= args.domain_id <= MAX_DOMAIN_ID:
            raise ZsrisError(f"invalid --domain-id {args.domain_id}", fix=f"use 0..{MAX_DOMAIN_ID}")
        return args.domain_id
    return None if args.use_running_node else free_domain_id()


def _tail(path: Path | None, lines: int = 15) -> str:
    return "\n".join(path.read_text().splitlines()[-lines:]) if path and path.is_file() else ""


def _start_node(args, topics, domain_id: int):
    log_path = Path(tempfile.gettempdir()) / f"zsris_eval_node_{os.getpid()}.log"
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain_id))
    with open(log_path, "w") as log:
        return subprocess.Popen(node_command(args, topics), stdout=log, stderr=subprocess.STDOUT, env=env), log_path


def node_command(args, topics) -> list[str]:
    """zsris_node with the replay's topics and timing, and the model flags the user typed."""
    node_name = topics.result.strip("/").split("/")[0]
    executable = shutil.which("zsris_node") or str(Path(sys.executable).parent / "zsris_node")
    command = [executable, "--ros-args", "-r", f"__node:={node_name}",
               "-r", f"image:={topics.image}", "-r", f"command:={topics.command}",
               # replay ties commands to frames by order (paced waits for each encoding), so frame age
               # must not expire them; the node gives up before the replay does, so its answer is seen
               "-p", "image_qos:=reliable", "-p", "max_frame_age:=3600.0", "-p", f"command_timeout:={args.timeout / 2}",
               "-p", f"method:={args.method}"]
    # only the flags typed: the node keeps its defaults (or the embedded model's own) for the rest
    for name, value in given_settings_from_args(args).items():
        if value != "":  # rcl rejects an empty `-p name:=`; the node's default is empty anyway
            command += ["-p", f"{name}:={value}"]
    return command


def main(argv: list[str] | None = None) -> int:
    return run_tool(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
