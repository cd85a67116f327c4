"""`make demo`: the product working on a fresh offline machine.

Without configured weights it uses the embedded default (zsris-tiny-clip, trained by this
project on procedural tabletop scenes, with classical proposals): it writes a small bag of
held-out tabletop scenes, replays it through the real node over DDS, and prints each command
with its answer and IoU; then follow mode: a generated camera sequence (pan, zoom, an arm in
front of the object, a dimming lamp, the object finally leaving the view) streamed to the node
after "follow <object>", with the per-frame IoU of ~/track and the track's end. With
ZSRIS_CLIP_WEIGHTS (and optionally ZSRIS_CLIP_MODEL, ZSRIS_SAM_MODEL, ZSRIS_SAM_CHECKPOINT) it runs
those real weights on a bundled photo instead.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coffee.jpg"
EXPRESSIONS = ("the coffee cup", "the saucer", "the spoon on the right")
OUT = Path("out") / "demo"


def main() -> int:
    if os.environ.get("ZSRIS_CLIP_WEIGHTS"):
        return real_weights_demo()
    return embedded_demo()


def embedded_demo() -> int:
    import shutil

    from ..embedded import EMBEDDED_MODEL
    from ..evaluation.datasets_to_bag import write_frames_bag
    from ..ros.domains import free_domain_id
    from ..tabletop.evaluate import HELD_OUT_SEED, tabletop_frames
    from .eval_bag import main as eval_bag

    print(f"zsris demo: no real weights configured (ZSRIS_CLIP_WEIGHTS), so using the EMBEDDED DEFAULT: "
          f"CLIP '{EMBEDDED_MODEL}' trained by this project on procedural tabletop scenes (see "
          "ros2_zsris/embedded/MODEL_CARD.md), with classical (weight-free) proposals. It knows 6 object kinds "
          "and 8 colours on a table, nothing else.")
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    counts = write_frames_bag(tabletop_frames(HELD_OUT_SEED + 7, 4), OUT / "tabletop_bag", "mcap")
    print(f"zsris demo: wrote {OUT / 'tabletop_bag'} ({counts['frames']} scenes, {counts['commands']} commands); "
          "replaying it through zsris_node over DDS ...", flush=True)
    os.environ.setdefault("ROS_DOMAIN_ID", str(free_domain_id()))
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    code = eval_bag([str(OUT / "tabletop_bag"), "--mode", "paced", "--out", str(OUT / "report"),
                     "--clip-model", EMBEDDED_MODEL, "--clip-weights", "embedded",
                     "--device", "cpu", "--timeout", "60", "--no-progress"])
    if code != 0:
        return code
    report = json.loads((OUT / "report" / "results.json").read_text())
    for record in report["records"]:
        print(f"  {record['command']!r:48} -> {record['status']:<12} target '{record['target_phrase']}'  "
              f"IoU {record.get('iou', float('nan')):.2f}")
    m = report["metrics"]
    print(f"zsris demo: Prec@0.5 {m['Prec@0.5']:.2f}, mIoU {m['mIoU']:.2f} over {m['count']} commands; "
          f"report {OUT / 'report' / 'report.md'}, overlays in {OUT / 'report' / 'overlays'}")
    return follow_demo()


FOLLOW_SEED, FOLLOW_FRAMES = 20261201, 60


def follow_demo() -> int:
    """"follow <object>" through a fresh node; frames sent one at a time, each answered on ~/track."""
    import itertools
    import sys as _sys

    import numpy as np

    from ..core import ZsrisEngine
    from ..embedded import EMBEDDED_MODEL
    from ..ros.dds import use_large_data_profile
    from ..ros.domains import free_domain_id
    from ..ros.reliability import FollowClient, node_command, start_node, tail
    from ..tabletop.evaluate import embedded_engine_config
    from ..tabletop.follow_eval import frame_iou
    from ..tabletop.sequences import iter_sequences

    engine = ZsrisEngine(embedded_engine_config("cpu"))
    sequence = next(s for s in itertools.islice(iter_sequences(FOLLOW_SEED, frames=FOLLOW_FRAMES, leave=True), 8)
                    if frame_iou(engine.query(engine.encode_frame(s.frames[0].image), s.expression).mask,
                                 s.truth(0)) > 0.7)
    del engine
    use_large_data_profile()
    domain = free_domain_id()
    node = str(Path(_sys.executable).parent / "zsris_node")
    process = start_node(node_command(node, "embedded", **{"models.clip_model": EMBEDDED_MODEL,
                                                           "proposals.min_area_px": 60, "image_qos": "reliable",
                                                           "max_frame_age": 600.0, "command_timeout": 120.0}),
                         domain, OUT / "follow_node.log")
    client = FollowClient(domain)
    try:
        client.connect(process, OUT / "follow_node.log", probe_frame=sequence.frames[0].image)
        first = client.send_frame_confirmed(sequence.frames[0].image, timeout_s=300.0)
        answer = client.answer_of(f"follow {sequence.expression}", 120.0)
        if answer is None:
            raise TimeoutError(f"the node did not answer 'follow {sequence.expression}' within 120 s")
        print(f"zsris demo: follow mode: 'follow {sequence.expression}' -> {answer.status}, track {answer.track_id}; "
              f"streaming {FOLLOW_FRAMES - 1} frames (camera pans and zooms, an arm passes in front, the lamp dims, "
              "then the object leaves the view) ...", flush=True)
        client.track_for(first, answer.track_id)
        ious, end = [], None
        for index in range(1, FOLLOW_FRAMES):
            update = client.track_for(client.send_frame(sequence.frames[index].image), answer.track_id)
            if update.status != "ok":
                end = (index, update)
                break
            mask = np.frombuffer(bytes(update.mask.data), np.uint8).reshape(update.mask.height, update.mask.width)
            ious.append(frame_iou(mask > 0, sequence.truth(index)))
        leave = sequence.events["leave"][0]
        print(f"  ~/track: {len(ious)} frames answered, mean IoU {np.mean(ious[:leave - 1]):.2f} while the object "
              f"was in view (occluded frames included)")
        if end is not None:
            print(f"  frame {end[0]}: {end[1].status}: {end[1].message}")
    except Exception as error:  # noqa: BLE001 - the demo says what went wrong
        print(f"zsris demo: follow mode failed: {error}\n{tail(OUT / 'follow_node.log')}", file=_sys.stderr)
        return 1
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)
    return 0


def real_weights_demo() -> int:
    from ..core import EngineConfig, ModelConfig, ProposalConfig, ZsrisEngine, ZsrisError
    from ..core.overlay import draw_overlay
    from .segment_cli import read_rgb, write_png

    sam_checkpoint = os.environ.get("ZSRIS_SAM_CHECKPOINT", "")
    models = ModelConfig(clip_model=os.environ.get("ZSRIS_CLIP_MODEL", "ViT-B-32"),
                         clip_weights=os.environ["ZSRIS_CLIP_WEIGHTS"],
                         sam_model=os.environ.get("ZSRIS_SAM_MODEL", "vit_b"), sam_checkpoint=sam_checkpoint)
    print(f"zsris demo: using the configured weights: CLIP {models.clip_model} '{models.clip_weights}', "
          f"proposals {'SAM ' + models.sam_model + ' ' + sam_checkpoint if sam_checkpoint else 'classical'}")
    try:
        engine = ZsrisEngine(EngineConfig(models=models,
                                          proposals=ProposalConfig(backend="sam" if sam_checkpoint else "classical")))
    except ZsrisError as error:
        print(f"zsris demo: error: {error}", file=sys.stderr)
        return 2
    image = read_rgb(str(EXAMPLE))
    features = engine.encode_frame(image)
    for expression in EXPRESSIONS:
        result = engine.query(features, expression)
        name = OUT / f"{expression.replace(' ', '_')}.png"
        write_png(str(name), draw_overlay(image, result))
        print(json.dumps({**result.to_json_dict(), "overlay": str(name)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
