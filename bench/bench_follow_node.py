"""Follow mode through the node at camera rate, counted from the command's frame by an independent
client over DDS: generated 640x480 sequences streamed best effort at 30 fps for ``--seconds`` (the
sequence back and forth; as a camera driver does, with config/fastdds_large_data.xml), "follow
<expression>" published after ``--before`` frames of the stream, and every frame published after
the command checked for its ~/track result.

    .venv/bin/python bench/bench_follow_node.py                    # quiet
    .venv/bin/python bench/bench_follow_node.py --busy-loops 2     # two CPU-bound processes beside it
    .venv/bin/python bench/bench_follow_node.py --depth            # with depth + camera_info: 3D on every result

Per sequence the stream runs without pause; the client then waits for the last frame's result,
stops the track and reads the node's counters on /diagnostics. Figures: coverage (frames published
after the command with a result / frames published after the command), how long the first answer
took (the encoder's time: everything before it is answered at once when it comes), and for the
frames published after the first answer arrived ("live") the result arrival spacing (consecutive
~/track results at the client) and latency (a frame's publish to its result); mean IoU of the
results with the truth; what the node dropped / interpolated / shed (its own counters); with
--depth the share of results that carry a 3D centroid. The load average is printed before and
after: say it with every figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SEED = 4711  # sequences only: coverage and timing are not tuned on them


def main() -> int:
    from ros2_zsris.ros.follow_stream import busy_loops, follow_node

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sequences", type=int, default=4)
    parser.add_argument("--frames", type=int, default=150, help="frames of each generated sequence")
    parser.add_argument("--seconds", type=float, default=10.0, help="stream length (the sequence back and forth)")
    parser.add_argument("--before", type=int, default=20, help="frames streamed before the follow command")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--busy-loops", type=int, default=0, help="CPU-bound processes beside the node")
    parser.add_argument("--depth", action="store_true", help="stream 32FC1 depth and camera_info too")
    parser.add_argument("--log", type=Path, default=Path("out/bench_follow_node.log"))
    args = parser.parse_args()
    sequences = _chosen(args)
    rows = []
    with follow_node(args.log) as client:
        _warm_up(client, sequences[0].frames[0].image)
        with busy_loops(args.busy_loops):
            load_before = os.getloadavg()
            for sequence in sequences:
                received = _counter_now(client, "images_received")
                rows.append(_run(client, sequence, args))
                rows[-1]["received"] = _counter_now(client, "images_received") - received
                _print_row(rows[-1])
            load_after = os.getloadavg()
        client.poll(lambda: client.counter("tracks_stopped") >= len(rows), 10.0)
        counters = {key: client.counter(key) for key in ("images_received", "track_frames_dropped",
                                                          "track_frames_interpolated", "plain_outputs_skipped",
                                                          "track_frames_caught_up", "track_burst_ack_timeouts")}
        counters.update({key: client.diagnostics.get(key, "nan") for key in ("follow_frame_cpu_ms_p95",
                                                                             "follow_publish_cpu_ms_p95")})
    _print_table(args, rows, counters, load_before, load_after)
    return 0


def _chosen(args) -> list:
    """The first sequences whose frames from the command's on the embedded model answers right (the
    first answer comes seconds later on a loaded machine; the bench measures following, not the tiny
    model's vision)."""
    from ros2_zsris.core import ZsrisEngine
    from ros2_zsris.tabletop.evaluate import embedded_engine_config
    from ros2_zsris.tabletop.follow_eval import frame_iou
    from ros2_zsris.tabletop.sequences import iter_sequences

    engine = ZsrisEngine(embedded_engine_config("cpu"))
    chosen = []
    for sequence in iter_sequences(args.seed, frames=args.frames):
        frames = range(args.before, min(args.frames, args.before + 100), 30)  # where the first answer may come
        answers = [engine.query(engine.encode_frame(sequence.frames[i].image), sequence.expression) for i in frames]
        if all(a.mask is not None and frame_iou(a.mask, sequence.truth(i)) > 0.7 for a, i in zip(answers, frames,
                                                                                                   strict=True)):
            chosen.append(sequence)
        if len(chosen) == args.sequences:
            return chosen
    raise RuntimeError("unreachable")


def _warm_up(client, image: np.ndarray) -> None:
    """Best effort may lose a frame: send one until the node reports it encoded (models warm)."""
    for _ in range(20):
        stamp = client.send_frame(image)
        if client.wait(lambda s=stamp: s in client.encoded, 60.0):
            return
    raise TimeoutError("no frame reached the node")


def _run(client, sequence, args) -> dict:
    from ros2_zsris.ros.follow_stream import stream_follow
    from ros2_zsris.tabletop.follow_eval import frame_iou

    client.nothing_followed()
    order = _ping_pong(len(sequence.frames), int(args.seconds * args.fps))
    frames = [sequence.frames[i].image for i in order]
    depths = [sequence.frames[i].depth for i in order] if args.depth else None
    run = stream_follow(client, frames, f"follow {sequence.expression}", args.before, args.fps, depths,
                        sequence.camera_k)
    if not run.track_id:
        raise RuntimeError(f"no track started: {run.answer.status if run.answer else 'no answer'}")
    client.nothing_followed()
    client.wait_track_status(run.track_id, "stopped", 60.0)
    results = run.results()
    index = {stamp: i for i, (stamp, _) in enumerate(run.sent)}
    ious = [frame_iou(_mask(msg), sequence.truth(order[index[stamp]])) for stamp, (msg, _) in results.items()
            if stamp in index and index[stamp] >= args.before]
    after = [results[stamp][0] for stamp, _ in run.after_command() if stamp in results]
    first = min((index[stamp] for stamp in results if stamp in index), default=-1)
    answered_at = run.answer_received
    live = [(stamp, sent) for stamp, sent in run.after_command() if sent > answered_at]
    live_arrivals = sorted(results[stamp][1] for stamp, _ in live if stamp in results)
    return {"expression": sequence.expression, "sent": len(run.after_command()), "covered": run.covered(),
            "frames": len(run.sent), "first_answered": first - args.before,
            "answer_s": answered_at - run.sent[args.before - 1][1], "live_sent": len(live),
            "live_covered": len(live_arrivals),
            "spacing": np.diff(live_arrivals) * 1000.0 if len(live_arrivals) > 1 else np.zeros(0),
            "send_spacing": np.diff([sent for _, sent in live]) * 1000.0,
            "publish_spacing": np.diff(sorted(run.published[stamp] for stamp, _ in live if stamp in run.published))
            * 1000.0,
            "latency": np.array([(results[stamp][1] - sent) * 1000.0 for stamp, sent in live if stamp in results]),
            "iou": float(np.mean(ious)) if ious else 0.0,
            "with_3d": sum(msg.has_point_3d for msg in after), "results": len(after)}


def _ping_pong(length: int, count: int) -> list[int]:
    """Frame indices forwards, backwards, forwards ... (a longer stream of the same smooth motion)."""
    cycle = list(range(length)) + list(range(length - 2, 0, -1))
    return [cycle[i % len(cycle)] for i in range(count)]


def _counter_now(client, key: str) -> int:
    """A node counter from a /diagnostics message published after this call (1 Hz)."""
    with client._changed:
        client.diagnostics.clear()
    client.poll(lambda: key in client.diagnostics, 10.0)
    return client.counter(key)


def _mask(msg) -> np.ndarray:
    return np.frombuffer(bytes(msg.mask.data), np.uint8).reshape(msg.mask.height, msg.mask.width) > 0


def _print_row(row: dict) -> None:
    print(f"{row['expression']:24s} {row['covered']}/{row['sent']} frames after the command answered "
          f"({row['received']}/{row['frames']} frames reached the node), first answer {row['answer_s']:.1f} s after "
          f"the command, first answered frame {row['first_answered']:+d} from the command; after the answer: "
          f"{row['live_covered']}/{row['live_sent']} answered, spacing p95 {_p(row['spacing'], 95):.1f} ms, "
          f"latency p95 {_p(row['latency'], 95):.1f} ms; mIoU {row['iou']:.3f}; 3D {row['with_3d']}/{row['results']}",
          flush=True)


def _p(values, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def _print_table(args, rows: list[dict], counters: dict, load_before, load_after) -> None:
    sent, covered = sum(r["sent"] for r in rows), sum(r["covered"] for r in rows)
    live_sent, live_covered = sum(r["live_sent"] for r in rows), sum(r["live_covered"] for r in rows)
    spacing = np.concatenate([r["spacing"] for r in rows])
    send_spacing = np.concatenate([r["send_spacing"] for r in rows])
    publish_spacing = np.concatenate([r["publish_spacing"] for r in rows])
    latency = np.concatenate([r["latency"] for r in rows])
    received = sum(r["received"] for r in rows)
    with_3d = f"{sum(r['with_3d'] for r in rows)}/{sum(r['results'] for r in rows)}" if args.depth else "no depth"
    print(f"\ncommand: `.venv/bin/python bench/bench_follow_node.py {' '.join(sys.argv[1:])}` "
          f"(load average before {load_before[0]:.2f}, after {load_after[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M')})\n")
    print("| busy loops | streams | frames after the command | answered | coverage | reached the node | first answer "
          "p50 | max | live frames answered | live spacing p50 | p95 | (frames sent: spacing p95) | "
          "(node publish spacing p95) | live latency p50 | "
          "p95 | mean IoU | node: "
          "dropped | interpolated | plain outputs shed | caught up | ack timeouts | follower CPU/frame p95 | "
          "publish CPU/message p95 | 3D on results |")
    print("|---" * 24 + "|")
    print(f"| {args.busy_loops} | {len(rows)} | {sent} | {covered} | {covered / max(sent, 1):.1%} | "
          f"{received}/{sum(r['frames'] for r in rows)} | {np.median([r['answer_s'] for r in rows]):.1f} s | "
          f"{max(r['answer_s'] for r in rows):.1f} s | {live_covered}/{live_sent} | {_p(spacing, 50):.1f} ms | "
          f"{_p(spacing, 95):.1f} ms | {_p(send_spacing, 95):.1f} ms | {_p(publish_spacing, 95):.1f} ms | "
          f"{_p(latency, 50):.1f} ms | "
          f"{_p(latency, 95):.1f} ms | "
          f"{np.mean([r['iou'] for r in rows]):.3f} | {counters['track_frames_dropped']} | "
          f"{counters['track_frames_interpolated']} | {counters['plain_outputs_skipped']} | "
          f"{counters['track_frames_caught_up']} | {counters['track_burst_ack_timeouts']} | "
          f"{counters['follow_frame_cpu_ms_p95']} ms | {counters['follow_publish_cpu_ms_p95']} ms | {with_3d} |")


if __name__ == "__main__":
    sys.exit(main())
