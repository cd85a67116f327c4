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
