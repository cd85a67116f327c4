"""zsris-segment as a user runs it: the installed console script, in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

CLI = shutil.which("zsris-segment") or str(Path(sys.executable).parent / "zsris-segment")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=600)


def test_json_mask_and_overlay_on_a_real_photo(tmp_path, vit_b32_openai, refcoco_samples):
    sample = refcoco_samples[0]
    out, overlay = tmp_path / "mask.png", tmp_path / "overlay.png"
    done = run_cli(str(sample.image_path), sample.expression, "--json", "--out", str(out), "--overlay", str(overlay),
                   "--clip-model", "ViT-B-32", "--clip-weights", str(vit_b32_openai), "--proposals", "classical",
                   "--min-area", "500", "--device", "cpu")
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("target_phrase", "score", "margin", "box", "centroid_px", "mask_area", "timings_ms", "status"):
        assert key in summary
    assert summary["status"] == "ok" and summary["target_phrase"] == "the book page"
    assert summary["interpretation"] == "target 'the book page' | rightmost"
    mask = np.asarray(Image.open(out))
    photo = np.asarray(Image.open(sample.image_path))
    assert mask.shape == photo.shape[:2] and set(np.unique(mask)) <= {0, 255}
    assert int((mask == 255).sum()) == summary["mask_area"] > 0
    ys, xs = np.nonzero(mask)
    assert summary["box"] == [xs.min(), ys.min(), xs.max(), ys.max()]
    drawn = np.asarray(Image.open(overlay).convert("RGB"))
    assert drawn.shape == photo.shape and not np.array_equal(drawn, photo)
    assert {"proposals", "global_features", "local_features", "text_features"} <= set(summary["timings_ms"])


def test_missing_weights_is_one_clear_message_and_exit_2(refcoco_samples):
    done = run_cli(str(refcoco_samples[0].image_path), "the book", "--sam-checkpoint", "")
    assert done.returncode == 2
    assert "error: no CLIP weights configured" in done.stderr and "--clip-weights" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_image_and_bad_checkpoint_messages(tmp_path, vit_b32_openai, refcoco_samples):
    done = run_cli(str(tmp_path / "nope.jpg"), "the cup", "--clip-weights", str(vit_b32_openai))
    assert done.returncode == 2 and "image file" in done.stderr and "does not exist" in done.stderr
    done = run_cli(str(vit_b32_openai), "the cup", "--clip-weights", str(vit_b32_openai))
    assert done.returncode == 2 and "not a readable image" in done.stderr
    done = run_cli(str(refcoco_samples[0].image_path), "the cup", "--clip-weights", str(vit_b32_openai),
                   "--sam-model", "vit_b", "--sam-checkpoint", str(tmp_path / "missing.pth"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "missing.pth' does not exist" in done.stderr and "--sam-checkpoint" in done.stderr


def test_paper_method_on_given_masks_from_an_npz(tmp_path, vit_b32_openai, refcoco_samples):
    """--proposals masks.npz skips proposal generation; the chosen mask is one of the file's,
    never the empty one, and its index is the file's."""
    sample = refcoco_samples[0]
    height, width = np.asarray(Image.open(sample.image_path)).shape[:2]
    masks = np.zeros((3, height, width), np.uint8)
    masks[0, :, : width // 2] = 255
    masks[2, :, width // 2:] = 255  # mask 1 stays empty
    np.savez(tmp_path / "masks.npz", masks=masks)
    out = tmp_path / "mask.png"
    done = run_cli(str(sample.image_path), sample.expression, "--json", "--out", str(out), "--method", "gl-clip-paper",
                   "--clip-weights", str(vit_b32_openai), "--proposals", str(tmp_path / "masks.npz"),
                   "--device", "cpu")
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["method"] == "gl-clip-paper" and summary["status"] == "ok"
    assert summary["index"] in (0, 2) and summary["scores"][1] is None and summary["num_candidates"] == 3
    assert "proposals" not in summary["timings_ms"]
    assert np.array_equal(np.asarray(Image.open(out)) == 255, masks[summary["index"]] != 0)
    np.savez(tmp_path / "wrong.npz", masks=masks[:, :10])
    done = run_cli(str(sample.image_path), "the book", "--clip-weights", str(vit_b32_openai),
                   "--proposals", str(tmp_path / "wrong.npz"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"the photo is {height}x{width}" in done.stderr and "--proposals" in done.stderr


def test_flags_typed_stay_as_given_with_the_embedded_weights():
    """A flag typed is kept even when it equals the general default (--proposals sam, --alpha
    0.95); a flag left out takes the embedded model's own setting. zsris-segment builds the
    engine config from the flags, zsris-eval-bag passes only the typed ones to the node."""
    from ros2_zsris.core.config import apply_embedded_settings
    from ros2_zsris.tools import eval_bag, make_bag
    from ros2_zsris.tools.segment_cli import build_parser, engine_config_from_args

    embedded = ["--clip-model", "zsris-tiny-clip", "--clip-weights", "embedded"]
    typed = engine_config_from_args(build_parser().parse_args(
        ["photo.jpg", "the cup", *embedded, "--proposals", "sam", "--alpha", "0.95", "--min-area", "2000"]))
    applied = apply_embedded_settings(typed)
    assert (typed.proposals.backend, typed.fusion.alpha, typed.proposals.min_area_px) == ("sam", 0.95, 2000)
    assert "proposals.max_proposals=60" in applied and not any(s.startswith("fusion.alpha") for s in applied)
    left_out = engine_config_from_args(build_parser().parse_args(["photo.jpg", "the cup", *embedded]))
    apply_embedded_settings(left_out)
    assert (left_out.proposals.backend, left_out.fusion.alpha, left_out.proposals.min_area_px) == ("classical", 0.5, 60)
    args = eval_bag.build_parser().parse_args(["bag", *embedded, "--alpha", "0.95"])
    command = " ".join(eval_bag.node_command(args, make_bag.topics_from_args(args)))
    assert "-p fusion.alpha:=0.95" in command and "-p models.clip_weights:=embedded" in command
    assert "proposals.backend" not in command and "fusion.beta" not in command and "min_area_px" not in command
