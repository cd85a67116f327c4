"""Re-acquisition through the node, counted by an independent client over DDS: generated 640x480
sequences in which the followed object leaves the view and comes back (ros2_zsris/tabletop/
return_sequences.py), streamed best effort at 30 fps after the follow command was answered.

    .venv/bin/python bench/bench_reacquire_node.py --seed 90818                 # leaves and returns
    .venv/bin/python bench/bench_reacquire_node.py --seed 90819 --lookalike     # a copy of it in view meanwhile
    .venv/bin/python bench/bench_reacquire_node.py --busy-loops 2               # two CPU-bound processes beside it

Per sequence: the first frame is sent until the node reports it encoded, "follow <expression>" is
answered (the sequences chosen are those whose first frame the embedded model answers right), then
the rest streams without pause. Counted: was the track lost while the object was away, and did a
result with status reacquired and the same track_id arrive, how long after the frame on which the
object is back (at least half in view) was published (target: within 1 s), on the object (IoU with
its truth) and never on the look-alike (any result after the loss whose mask lies on the copy
counts as a re-acquisition of a different object).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SWITCH_IOU = 0.3


def main() -> int:
    from ros2_zsris.ros.follow_stream import busy_loops, follow_node

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sequences", type=int, default=10)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=27)
    parser.add_argument("--lookalike", action="store_true")
    parser.add_argument("--busy-loops", type=int, default=0)
    parser.add_argument("--log", type=Path, default=Path("out/bench_reacquire_node.log"))
    args = parser.parse_args()
    engine = _engine()
    rows = []
    with follow_node(args.log) as client, busy_loops(args.busy_loops):
        load_before = os.getloadavg()
        for sequence in _sequences(args, engine):
            rows.append(_run(client, sequence, args))
            print(_describe(rows[-1]), flush=True)
        load_after = os.getloadavg()
    _print_table(args, rows, load_before, load_after)
    return 0


def _engine():
    from ros2_zsris.core import ZsrisEngine
    from ros2_zsris.tabletop.evaluate import embedded_engine_config

    return ZsrisEngine(embedded_engine_config("cpu"))


def _sequences(args, engine):
    """The first ``--sequences`` return sequences of the seed whose first frame the model answers right."""
    from ros2_zsris.tabletop.follow_eval import frame_iou
    from ros2_zsris.tabletop.return_sequences import iter_return_sequences

    found = 0
    for sequence in iter_return_sequences(args.seed, frames=args.frames, lookalike=args.lookalike):
        answer = engine.query(engine.encode_frame(sequence.frames[0].image), sequence.expression)
        if answer.mask is not None and frame_iou(answer.mask, sequence.truth(0)) > 0.7:
            found += 1
            yield sequence
            if found == args.sequences:
                return


def _run(client, sequence, args) -> dict:
    from ros2_zsris.ros.follow_stream import stamp_ns, stream_follow
    from ros2_zsris.tabletop.follow_eval import frame_iou

    client.nothing_followed()
    for _ in range(20):  # best effort may lose a frame
        first = client.send_frame(sequence.frames[0].image)
        if client.wait(lambda s=first: s in client.encoded, 60.0):
            break
    answer = client.answer_of(f"follow {sequence.expression}", 120.0)
    if answer is None or not answer.tracking:
        raise RuntimeError(f"no track started: {answer.status if answer else 'no answer'}")
    client.track_for(first, answer.track_id)
    run = stream_follow(client, [frame.image for frame in sequence.frames[1:]], None, 0, args.fps, answer=answer)
    client.nothing_followed()
    client.wait(lambda: any(t.track_id == answer.track_id and t.status in ("stopped", "lost")
                            and not t.message.count("searching for it") for t in client.tracks), 30.0)
    index = {stamp: i + 1 for i, (stamp, _) in enumerate(run.sent)}  # frame index in the sequence
    gone, back = sequence.events["away"]
    copy = len(sequence.scene.objects) - 1 if args.lookalike else None
    messages = sorted(((msg, arrival) for msg, arrival in run.tracks if stamp_ns(msg.header) in index),
                      key=lambda item: index[stamp_ns(item[0].header)])
    lost = next((index[stamp_ns(m.header)] for m, _ in messages if m.status == "lost"
                 and index[stamp_ns(m.header)] >= gone), None)  # lost while away (an earlier loss is not this one)
    again = next(((m, a) for m, a in messages if m.status == "reacquired" and lost is not None
                  and index[stamp_ns(m.header)] > lost), None)
    on_copy = copy is not None and any(
        m.status in ("ok", "reacquired") and lost is not None and index[stamp_ns(m.header)] > lost
        and frame_iou(_mask(m), sequence.frames[index[stamp_ns(m.header)]].masks[copy]) > SWITCH_IOU
        for m, _ in messages)
    row = {"expression": sequence.expression, "lost_at": lost, "gone": gone, "back": back, "on_copy": on_copy,
           "reacquired_at": None, "delay_s": float("nan"), "iou": float("nan"), "same_id": False}
    if again is not None:
        msg, arrival = again
        at = index[stamp_ns(msg.header)]
        returned = run.sent[back - 1][1]  # when the frame it is back on was published
        row.update(reacquired_at=at, delay_s=arrival - returned, same_id=msg.track_id == answer.track_id,
                   iou=frame_iou(_mask(msg), sequence.truth(at)))
    return row


def _mask(msg) -> np.ndarray:
    return np.frombuffer(bytes(msg.mask.data), np.uint8).reshape(msg.mask.height, msg.mask.width) > 0


def _describe(row: dict) -> str:
    found = (f"reacquired on frame {row['reacquired_at']} ({row['reacquired_at'] - row['back']:+d}), "
             f"{row['delay_s']:.2f} s after its return was published, IoU {row['iou']:.2f}, same id {row['same_id']}"
             if row["reacquired_at"] is not None else "not reacquired")
    return (f"{row['expression']:22s} away {row['gone']}-{row['back']}, lost on {row['lost_at']}: {found}"
            f"{'; ON THE LOOK-ALIKE' if row['on_copy'] else ''}")


def _print_table(args, rows: list[dict], load_before, load_after) -> None:
    within = sum(1 for r in rows if r["same_id"] and r["delay_s"] <= 1.0 and r["iou"] > 0.5)
    delays = [r["delay_s"] for r in rows if r["reacquired_at"] is not None]
    print(f"\ncommand: `.venv/bin/python bench/bench_reacquire_node.py {' '.join(sys.argv[1:])}` "
          f"(load average before {load_before[0]:.2f}, after {load_after[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M')})\n")
    print("| busy loops | look-alike | sequences | lost while away | reacquired, same track_id, on the object, "
          "within 1 s of its return | reacquired at all | on the look-alike | delay p50 | max |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.busy_loops} | {'yes' if args.lookalike else 'no'} | {len(rows)} | "
          f"{sum(1 for r in rows if r['lost_at'] is not None)}/{len(rows)} | {within}/{len(rows)} | "
          f"{len(delays)}/{len(rows)} | {sum(r['on_copy'] for r in rows)}/{len(rows)} | "
          f"{np.median(delays) if delays else float('nan'):.2f} s | {max(delays) if delays else float('nan'):.2f} s |")


if __name__ == "__main__":
    sys.exit(main())
