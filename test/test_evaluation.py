"""Metrics, rosbag2 files and the bag evaluator: hand-computed cases and real replays."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import rect

from ros2_zsris.evaluation.bag_io import RESULT_TYPE, BagWriter, Topics, read_messages, result_cdr, typestore
from ros2_zsris.evaluation.datasets_to_bag import frames_from_refs_jsonl, write_frames_bag
from ros2_zsris.evaluation.episodes import Prediction, load_frames
from ros2_zsris.evaluation.metrics import MaskScore, score_mask, summarise
from ros2_zsris.evaluation.report import score

EVAL = shutil.which("zsris-eval-bag") or str(Path(sys.executable).parent / "zsris-eval-bag")
MAKE = shutil.which("zsris-make-bag") or str(Path(sys.executable).parent / "zsris-make-bag")


def test_metrics_on_hand_computed_cases():
    truth = rect(10, 10, 0, 4, 0, 5)  # 20 px
    shifted = rect(10, 10, 0, 4, 2, 7)  # 20 px, overlap 3 columns x 4 rows = 12
    assert score_mask(shifted, truth) == MaskScore(12, 28)
    assert score_mask(None, truth) == MaskScore(0, 20)  # unanswered: counts as an empty prediction
    assert score_mask(np.zeros((10, 10), bool), np.zeros((10, 10), bool)).iou == 0.0  # empty union -> 0
    summary = summarise([MaskScore(12, 28), MaskScore(20, 20), MaskScore(0, 20)])
    assert summary["mIoU"] == pytest.approx((12 / 28 + 1 + 0) / 3)
    assert summary["oIoU"] == pytest.approx(32 / 68)
    assert summary["Prec@0.5"] == pytest.approx(1 / 3) and summary["Prec@0.9"] == pytest.approx(1 / 3)
    assert summarise([MaskScore(7, 10)])["Prec@0.7"] == 0.0  # strictly above the threshold
    with pytest.raises(ValueError, match="differ in size"):
        score_mask(np.zeros((2, 2), bool), np.zeros((3, 3), bool))


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_bag_round_trip(tmp_path, storage, refcoco_samples):
    frames = list(frames_from_refs_jsonl(refcoco_samples[0].image_path.parents[1] / "refs.jsonl", limit=2))
    counts = write_frames_bag(frames, tmp_path / "bag", storage)
    assert counts == {"frames": 2, "commands": sum(len(f.expressions) for f in frames)}
    loaded = load_frames(tmp_path / "bag", Topics())
    assert len(loaded) == 2
    for original, back in zip(frames, loaded, strict=True):
        np.testing.assert_array_equal(back.image, original.image)
        assert [c.text for c in back.commands] == [e for e, _ in original.expressions]
        for case, (_, mask) in zip(back.commands, original.expressions, strict=True):
            np.testing.assert_array_equal(case.truth, mask)
        assert back.stamp_ns == back.log_ns  # header stamp equals log time


def test_bags_from_other_writers_and_topic_names(tmp_path):
    """A bag written with plain rosbags (bgr8, other topics, no ground truth) is replayable."""
    from rosbags.rosbag2 import StoragePlugin, Writer

    store = typestore()
    types = store.types
    pixels = np.zeros((4, 6, 3), np.uint8)
    pixels[..., 0] = 200  # blue in bgr8
    with Writer(tmp_path / "other", version=9, storage_plugin=StoragePlugin.SQLITE3) as writer:
        image_conn = writer.add_connection("/cam/rgb", "sensor_msgs/msg/Image", typestore=store)
        text_conn = writer.add_connection("/speech/text", "std_msgs/msg/String", typestore=store)
        header = types["std_msgs/msg/Header"](stamp=types["builtin_interfaces/msg/Time"](sec=5, nanosec=7),
                                               frame_id="cam")
        image = types["sensor_msgs/msg/Image"](header=header, height=4, width=6, encoding="bgr8", is_bigendian=0,
                                               step=18, data=pixels.reshape(-1))
        writer.write(image_conn, 100, store.serialize_cdr(image, "sensor_msgs/msg/Image"))
        writer.write(text_conn, 200, store.serialize_cdr(types["std_msgs/msg/String"](data="grab the cup"),
                                                         "std_msgs/msg/String"))
    frames = load_frames(tmp_path / "other", Topics(image="/cam/rgb", command="/speech/text"))
    assert len(frames) == 1 and frames[0].stamp_ns == 5_000_000_007
    assert frames[0].image[0, 0].tolist() == [0, 0, 200]  # converted to RGB
    assert frames[0].commands[0].text == "grab the cup" and frames[0].commands[0].truth is None


def _bag_with_results(path: Path, truth: np.ndarray, predicted: np.ndarray) -> None:
    store = typestore()
    with BagWriter(path, "mcap") as bag:
        bag.image("/camera/image", 1_000, np.zeros(truth.shape + (3,), np.uint8))
        bag.image("/zsris/ground_truth_mask", 2_000, truth.astype(np.uint8) * 255)
        bag.string("/zsris/command", 3_000, "the box")
        bag.raw("/zsris_node/result", RESULT_TYPE, 4_000,
                result_cdr(store, 1_000, "cam", 0, "the box", "ok", mask=predicted, target_phrase="the box"))


@pytest.mark.parametrize("shift", [0, 5])
def test_score_mode_on_planted_predictions(tmp_path, shift):
    truth = rect(40, 60, 10, 20, 10, 30)  # 10 x 20 = 200 px
    predicted = rect(40, 60, 10, 20, 10 + shift, 30 + shift)  # shifted right: overlap 10 x 15
    expected_iou = 1.0 if shift == 0 else 150 / 250
    _bag_with_results(tmp_path / "bag", truth, predicted)
    done = subprocess.run([EVAL, str(tmp_path / "bag"), "--mode", "score", "--out", str(tmp_path / "report"),
                           "--no-progress"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "report" / "results.json").read_text())
    assert report["metrics"]["mIoU"] == pytest.approx(expected_iou)
    assert report["metrics"]["oIoU"] == pytest.approx(expected_iou)
    assert report["unanswered"] == 0 and report["records"][0]["target_phrase"] == "the box"


@pytest.mark.parametrize("answer_order", [(0, 1), (1, 0), (0,)])
def test_score_mode_on_planted_set_answers(tmp_path, answer_order):
    """A command naming two objects: its truth a label image (1: the first named, 2: the second),
    the recorded result's ZsrisResult.objects scored one to one, in order, and by count."""
    from ros2_zsris.core.results import ObjectAnswer
    from ros2_zsris.evaluation.episodes import set_truth_image

    first, second = rect(40, 60, 5, 15, 5, 20), rect(40, 60, 20, 35, 30, 50)
    answers = [ObjectAnswer(m, k, 0.9, (0, 0, 1, 1), (1.0, 1.0), "the boxes") for k, m in enumerate((first, second))]
    chosen = [answers[k] for k in answer_order]
    store = typestore()
    with BagWriter(tmp_path / "bag", "mcap") as bag:
        bag.image("/camera/image", 1_000, np.zeros((40, 60, 3), np.uint8))
        bag.image("/zsris/ground_truth_mask", 2_000, set_truth_image([first, second]))
        bag.string("/zsris/command", 3_000, "pick up the box and the other box")
        bag.raw("/zsris_node/result", RESULT_TYPE, 4_000,
                result_cdr(store, 1_000, "cam", 0, "pick up the box and the other box", "ok", mask=chosen[0].mask,
                           objects=chosen, count=len(chosen)))
    frames = load_frames(tmp_path / "bag", Topics())
    case = frames[0].commands[0]
    assert case.truth is None and [m.sum() for m in case.truth_objects] == [first.sum(), second.sum()]
    done = subprocess.run([EVAL, str(tmp_path / "bag"), "--mode", "score", "--out", str(tmp_path / "report"),
                           "--no-progress"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    sets = json.loads((tmp_path / "report" / "results.json").read_text())["sets"]
    complete = len(answer_order) == 2
    assert sets["count"] == 1 and sets["exact_set"] == float(complete) and sets["count_exact"] == float(complete)
    assert sets["exact_in_order"] == float(answer_order == (0, 1))
    assert "exact set in the order named" in (tmp_path / "report" / "report.md").read_text()


def test_unanswered_commands_are_counted_and_lower_the_score(tmp_path, refcoco_samples):
    frames = list(frames_from_refs_jsonl(refcoco_samples[0].image_path.parents[1] / "refs.jsonl", limit=2))
    write_frames_bag(frames, tmp_path / "bag", "mcap")
    loaded = load_frames(tmp_path / "bag", Topics())
    perfect = Prediction("ok", loaded[0].commands[0].truth)
    report = score(loaded, [perfect])  # the second command never answered
    assert report["unanswered"] == 1 and report["statuses"] == {"ok": 1, "unanswered": 1}
    wrong_frame = Prediction("ok", np.ones((3, 3), bool))  # a mask of another image's size
    mismatched = score(loaded, [perfect, wrong_frame])
    assert mismatched["answered_on_other_frame"] == 1 and mismatched["records"][1]["iou"] == 0.0
    assert report["metrics"]["mIoU"] == pytest.approx(0.5) and report["metrics"]["Prec@0.9"] == pytest.approx(0.5)


def _check_report(folder: Path, commands: int) -> dict:
    report = json.loads((folder / "results.json").read_text())
    assert report["commands"] == commands and len(report["records"]) == commands
    markdown = (folder / "report.md").read_text()
    assert "mIoU" in markdown and "oIoU" in markdown and "figure.png" in markdown
    from PIL import Image

    with Image.open(folder / "figure.png") as figure:
        assert figure.size[0] > 300
    assert sorted(p.name.split("_")[0] for p in (folder / "overlays").glob("*.png")).count("best") >= 1
    results = list(read_messages(folder / "outputs", ["/zsris_node/result"]))
    assert len(results) == commands
    return report


@pytest.mark.parametrize("method", ["zsris", "gl-clip-paper"])
def test_offline_mode_runs_the_core_on_the_bag(tmp_path, vit_b32_openai, refcoco_samples, method):
    refs = refcoco_samples[0].image_path.parents[1] / "refs.jsonl"
    subprocess.run([MAKE, str(tmp_path / "bag"), "--refs-jsonl", str(refs), "--limit", "3"], check=True,
                   capture_output=True, timeout=120)
    done = subprocess.run([EVAL, str(tmp_path / "bag"), "--mode", "offline", "--out", str(tmp_path / "report"),
                           "--clip-weights", str(vit_b32_openai), "--proposals", "classical", "--min-area", "500",
                           "--device", "cpu", "--no-progress", "--method", method],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = _check_report(tmp_path / "report", 3)
    assert report["unanswered"] == 0 and report["statuses"] == {"ok": 3}
    assert 0.0 <= report["metrics"]["mIoU"] <= 1.0
    assert report["method"] == method and json.loads(done.stdout.splitlines()[0])["method"] == method
    assert f"method {method}" in (tmp_path / "report" / "report.md").read_text()


def test_offline_mode_scores_sets_on_tabletop_scenes(tmp_path):
    """The embedded default on generated scenes with set truth (development seed 7): every command
    naming several objects is scored, and most are exactly right (bench/SETS.md has the figures)."""
    from ros2_zsris.tabletop.evaluate import tabletop_frames

    write_frames_bag(tabletop_frames(7, 3, sets=True), tmp_path / "bag", "mcap")
    done = subprocess.run([EVAL, str(tmp_path / "bag"), "--mode", "offline", "--out", str(tmp_path / "report"),
                           "--clip-model", "zsris-tiny-clip", "--clip-weights", "embedded", "--device", "cpu",
                           "--no-progress"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "report" / "results.json").read_text())
    sets = report["sets"]
    assert sets["count"] >= 10 and sets["exact_set"] >= 0.5, sets
    assert report["metrics"]["count"] + sets["count"] == report["commands"]  # every truth scored once
    results = list(read_messages(tmp_path / "report" / "outputs", ["/zsris_node/result"]))
    assert max(len(m.msg.objects) for m in results) >= 2  # the objects are in the recorded results too


@pytest.mark.ros
@pytest.mark.parametrize("mode", ["paced", "realtime"])
def test_replay_through_the_node_over_dds(tmp_path, mode, vit_b32_openai, refcoco_samples):
    from ros_helpers import free_domain_id, ros_environment

    refs = refcoco_samples[0].image_path.parents[1] / "refs.jsonl"
    subprocess.run([MAKE, str(tmp_path / "bag"), "--refs-jsonl", str(refs), "--limit", "3", "--storage", "sqlite3",
                    "--period", "3.0"], check=True, capture_output=True, timeout=120)
    env = ros_environment(free_domain_id())
    done = subprocess.run([EVAL, str(tmp_path / "bag"), "--mode", mode, "--out", str(tmp_path / "report"),
                           "--clip-weights", str(vit_b32_openai), "--proposals", "classical", "--min-area", "500",
                           "--device", "cpu", "--timeout", "60", "--no-progress"],
                          capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    report = _check_report(tmp_path / "report", 3)
    assert report["unanswered"] == 0, report["statuses"]
    assert report["statuses"] == {"ok": 3} and report["latency"]["p50_ms"] > 0
    if mode == "paced":  # paced waits for each frame's encoding: every answer is on its own frame
        assert report["answered_on_other_frame"] == 0
    assert [r["command"] for r in report["records"]] == [s.expression for s in refcoco_samples[:3]]


def test_official_refcoco_layout_to_bag(tmp_path):
    """refs(unc).p + instances.json + train2014 images, as the REFER toolkit downloads them."""
    import pickle

    from PIL import Image

    from ros2_zsris.evaluation.datasets_to_bag import frames_from_refcoco

    root = tmp_path / "refer"
    (root / "refcoco").mkdir(parents=True)
    images = root / "images" / "mscoco" / "images" / "train2014"
    images.mkdir(parents=True)
    Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(images / "COCO_train2014_000000000009.jpg")
    refs = [
        {"ref_id": 1, "ann_id": 11, "image_id": 9, "split": "val", "sentences": [{"sent": "left box"},
                                                                                 {"sent": "the box"}]},
        {"ref_id": 2, "ann_id": 12, "image_id": 9, "split": "val", "sentences": [{"sent": "crowd"}]},
        {"ref_id": 3, "ann_id": 11, "image_id": 9, "split": "train", "sentences": [{"sent": "not in val"}]},
    ]
    (root / "refcoco" / "refs(unc).p").write_bytes(pickle.dumps(refs))
    crowd = {"size": [20, 30], "counts": [20 * 25, 20 * 5]}  # column-major: the last 5 columns
    instances = {"images": [{"id": 9, "file_name": "COCO_train2014_000000000009.jpg", "height": 20, "width": 30}],
                 "annotations": [{"id": 11, "image_id": 9, "segmentation": [[2, 2, 12, 2, 12, 12, 2, 12]]},
                                 {"id": 12, "image_id": 9, "segmentation": crowd}]}
    (root / "refcoco" / "instances.json").write_text(json.dumps(instances))
    (frame,) = frames_from_refcoco(root, "refcoco", "unc", "val")
    assert [e for e, _ in frame.expressions] == ["left box", "the box", "crowd"]
    box = frame.expressions[0][1]
    assert box[2:12, 2:12].all() and box.sum() == 10 * 10  # pycocotools: pixel centres inside the polygon
    assert frame.expressions[2][1][:, 25:].all() and frame.expressions[2][1].sum() == 100
    counts = write_frames_bag([frame], tmp_path / "bag", "sqlite3")
    assert counts == {"frames": 1, "commands": 3}
    with pytest.raises(FileNotFoundError, match="official refcoco\\+ download layout"):
        next(frames_from_refcoco(root, "refcoco+", "unc", "val"))


def test_refcoco_polygons_rasterised_as_coco_defines_them():
    """pycocotools' rule: a pixel belongs to the polygon by its centre; the 1..8 x 1..6 square
    covers 7x5 pixels (a PIL outline fill would give 8x6) and a crowd RLE decodes column-major."""
    from ros2_zsris.evaluation.datasets_to_bag import annotation_mask

    mask = annotation_mask({"segmentation": [[1, 1, 8, 1, 8, 6, 1, 6]]}, 10, 10)
    assert mask.sum() == 35 and mask[1:6, 1:8].all()
    crowd = annotation_mask({"segmentation": {"size": [2, 5], "counts": [3, 5, 2]}}, 2, 5)
    np.testing.assert_array_equal(crowd, [[0, 0, 1, 1, 0], [0, 1, 1, 1, 0]])
