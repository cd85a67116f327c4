"""Follow mode through the node at camera rate: generated 640x480 sequences published best effort
at 30 fps (as a camera driver does, with config/fastdds_large_data.xml), "follow <expression>"
after the first frame, and every ~/track result counted against the frames sent.

    .venv/bin/python bench/bench_follow_node.py [--sequences 4] [--frames 90] [--fps 30]

Per sequence: frame 0 is sent until the node reports it encoded, the follow command is answered,
then frames 1.. go out at the rate without waiting; afterwards the client waits for the last
frame's result (or a timeout), stops the track and reads the node's drop counter on /diagnostics.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FINAL_SEED = 4711


def main() -> int:
    from ros2_zsris.core import ZsrisEngine
    from ros2_zsris.ros.dds import use_large_data_profile
    from ros2_zsris.ros.domains import free_domain_id
    from ros2_zsris.ros.reliability import FollowClient, node_command, start_node, tail
    from ros2_zsris.tabletop.evaluate import embedded_engine_config
    from ros2_zsris.tabletop.follow_eval import frame_iou
    from ros2_zsris.tabletop.sequences import iter_sequences

    parser = argparse.ArgumentParser()
    parser.add_argument("--sequences", type=int, default=4)
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=FINAL_SEED)
    parser.add_argument("--log", type=Path, default=Path("out/bench_follow_node.log"))
    args = parser.parse_args()
    engine = ZsrisEngine(embedded_engine_config("cpu"))
    chosen = []
    for sequence in iter_sequences(args.seed, frames=args.frames):  # first frames the model answers right
        answer = engine.query(engine.encode_frame(sequence.frames[0].image), sequence.expression)
        if answer.mask is not None and frame_iou(answer.mask, sequence.truth(0)) > 0.7:
            chosen.append(sequence)
        if len(chosen) == args.sequences:
            break
    del engine
    use_large_data_profile()
    domain = free_domain_id()
    args.log.parent.mkdir(parents=True, exist_ok=True)
    process = start_node(node_command(str(Path(sys.executable).parent / "zsris_node"), "embedded",
                                      **{"models.clip_model": "zsris-tiny-clip", "proposals.min_area_px": 60,
                                         "max_frame_age": 600.0, "command_timeout": 120.0}), domain, args.log)
    client = FollowClient(domain, image_reliable=False)
    rows = []
    try:
        client.connect(process, args.log, probe=False)
        for sequence in chosen:
            rows.append(_run(client, sequence, args.fps, frame_iou))
            row = rows[-1]
            latency = row["latency_ms"]
            print(f"{row['expression']:24s} answered {row['answered']}/{row['sent']} mIoU {row['mean_iou']:.3f} "
                  f"latency p50 {np.percentile(latency, 50) if len(latency) else float('nan'):.1f} ms", flush=True)
        dropped = _diagnostic(client, "track_frames_dropped")
    except Exception:
        print(tail(args.log, 60))
        raise
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)
    sent = sum(r["sent"] for r in rows)
    answered = sum(r["answered"] for r in rows)
    latencies = np.concatenate([r["latency_ms"] for r in rows])
    print(f"\ncommand: `.venv/bin/python bench/bench_follow_node.py {' '.join(sys.argv[1:])}`\n")
    print("| sequences | frames sent (after the first) | ~/track results | share | mean IoU | latency p50 | p95 | "
          "dropped by the node (counted) |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {len(rows)} | {sent} | {answered} | {answered / max(sent, 1):.1%} | "
          f"{np.mean([r['mean_iou'] for r in rows]):.3f} | {np.percentile(latencies, 50):.1f} ms | "
          f"{np.percentile(latencies, 95):.1f} ms | {dropped} |")
    return 0


def _run(client, sequence, fps: float, frame_iou) -> dict:
    client.nothing_followed()
    stamp = _until_encoded(client, sequence.frames[0].image)
    answer = client.answer_of(f"follow {sequence.expression}", 120.0)
    if answer is None:
        raise TimeoutError("follow command not answered")
    if not answer.tracking:
        raise RuntimeError(f"no track started: {answer.status} {answer.message}")
    client.track_for(stamp, answer.track_id)
    sent: dict[int, tuple[int, float]] = {}
    start = time.perf_counter()
    for index in range(1, len(sequence.frames)):
        time.sleep(max(0.0, start + index / fps - time.perf_counter()))
        sent[client.send_frame(sequence.frames[index].image)] = (index, time.perf_counter())
    last = max(sent)
    with contextlib.suppress(TimeoutError):  # the last frame itself may be the one lost
        client.track_for(last, answer.track_id, timeout_s=10.0)
    with client._changed:
        got = {t.header.stamp.sec * 1_000_000_000 + t.header.stamp.nanosec: t for t in client.tracks
               if t.track_id == answer.track_id}
    answered = [s for s in sent if s in got and got[s].status == "ok"]
    ious = [frame_iou(_mask(got[s]), sequence.truth(sent[s][0])) for s in answered]
    return {"expression": sequence.expression, "sent": len(sent), "answered": len(answered),
            "mean_iou": float(np.mean(ious)) if ious else 0.0,
            "latency_ms": np.array([(_received(client, got[s]) - sent[s][1]) * 1000.0 for s in answered])}


def _until_encoded(client, image: np.ndarray) -> int:
    """Best effort may lose a frame: send it again until the node reports one encoded."""
    for _ in range(20):
        stamp = client.send_frame(image)
        if client.wait(lambda s=stamp: s in client.encoded, 60.0):
            return stamp
    raise TimeoutError("the first frame never reached the node")


def _received(client, msg) -> float:
    return client.track_received[id(msg)]


def _mask(msg) -> np.ndarray:
    return np.frombuffer(bytes(msg.mask.data), np.uint8).reshape(msg.mask.height, msg.mask.width) > 0


def _diagnostic(client, key: str) -> str:
    from diagnostic_msgs.msg import DiagnosticArray

    values: dict[str, str] = {}
    client.node.create_subscription(DiagnosticArray, "/diagnostics", lambda m: values.update(
        {kv.key: kv.value for status in m.status for kv in status.values}), 10)
    client.poll(lambda: "following" in values, 10.0)
    return values.get(key, "0")


if __name__ == "__main__":
    sys.exit(main())
