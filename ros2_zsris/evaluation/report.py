"""Score predictions against ground truth and write JSON, markdown, a figure and overlays."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from .episodes import Frame, Prediction
from .metrics import MaskScore, exact_set, latency_summary, score_mask, summarise

OVERLAY_CASES = 3
MIN_OVERLAY_WIDTH = 480  # pixels: small scenes are scaled up so a reviewer can read them


def score(frames: list[Frame], predictions: list[Prediction | None]) -> dict:
    """Pair the i-th command with the i-th prediction (None = unanswered)."""
    cases = [case for frame in frames for case in frame.commands]
    records, scores, sets = [], [], []
    for case, prediction in zip(cases, predictions + [None] * (len(cases) - len(predictions)), strict=False):
        record = {"index": case.index, "command": case.text,
                  "status": prediction.status if prediction else "unanswered",
                  "latency_ms": prediction.latency_ms if prediction else None,
                  "target_phrase": prediction.target_phrase if prediction else "",
                  "interpretation": prediction.interpretation if prediction else ""}
        if case.truth is not None:
            mask = prediction.mask if prediction and prediction.mask is not None and prediction.status == "ok" else None
            if mask is not None and mask.shape != case.truth.shape:
                # answered on another frame (realtime: the command overtook its image): counts as wrong
                record["other_frame"] = True
                mask = None
            result = score_mask(mask, case.truth)
            scores.append(result)
            record.update(iou=result.iou, intersection=result.intersection, union=result.union)
        if case.truth_objects is not None:
            sets.append(_score_set(case.truth_objects, prediction))
            record.update(sets[-1])
        records.append(record)
    latencies = [r["latency_ms"] for r in records if r["latency_ms"] is not None]
    return {
        "metrics": summarise(scores),
        "latency": latency_summary(latencies),
        "commands": len(cases),
        "frames": sum(1 for f in frames if f.image.size),
        "unanswered": sum(r["status"] == "unanswered" for r in records),
        "answered_on_other_frame": sum(bool(r.get("other_frame")) for r in records),
        "statuses": dict(Counter(r["status"] for r in records)),
        "sets": {"count": len(sets), **{key: float(np.mean([s[key] for s in sets])) if sets else None
                                        for key in ("exact_set", "exact_in_order", "count_exact")}},
        "records": records,
    }


def _score_set(truths: list[np.ndarray], prediction: Prediction | None) -> dict:
    """A command with a set's truth: exact set (one to one, IoU > 0.5), the same in the order
    named, and the count alone. The bag does not say which commands are lists, so both are given."""
    answered = prediction is not None and prediction.status == "ok"
    objects = [m for m in prediction.objects if m.shape == truths[0].shape] if answered else []
    return {"objects": len(objects), "true_objects": len(truths), "exact_set": exact_set(objects, truths),
            "exact_in_order": exact_set(objects, truths, ordered=True),
            "count_exact": answered and prediction.count == len(truths)}


def write_report(report: dict, out_dir: Path, frames: list[Frame], predictions: list[Prediction | None],
                 title: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "results.json", out_dir / "report.md"]
    written[0].write_text(json.dumps(report, indent=1))
    written.append(_figure(report, out_dir / "figure.png"))
    written += _overlays(report, frames, predictions, out_dir / "overlays")
    written[1].write_text(_markdown(report, title, [p for p in written[2:]], out_dir))
    return written


def _set_rows(sets: dict | None) -> list[str]:
    """Commands with a set's truth (several objects): exact-set accuracy."""
    if not sets or not sets["count"]:
        return []
    return [f"| commands naming several objects | {sets['count']} |",
            f"| exact set (one to one, IoU > 0.5) | {sets['exact_set']:.4f} |",
            f"| exact set in the order named | {sets['exact_in_order']:.4f} |",
            f"| count exact | {sets['count_exact']:.4f} |"]


def _markdown(report: dict, title: str, pictures: list[Path], out_dir: Path) -> str:
    m, lat = report["metrics"], report["latency"]

    def ms(value):
        return "n/a" if value is None else f"{value:.0f} ms"

    lines = [f"# {title}", "", f"{report['commands']} commands on {report['frames']} frames; "
             f"{report['unanswered']} unanswered; {report['answered_on_other_frame']} answered on another frame "
             f"(scored as empty); statuses {report['statuses']}", "",
             *([f"frames sent to the node: {report['frames_sent']}, reported encoded: {report['frames_encoded']}",
                ""] if report.get("frames_sent") is not None else []),
             *([f"wall time {report['wall_s']:.1f} s, {report['throughput_commands_per_s']:.2f} commands/s", ""]
               if report.get("wall_s") else []),
             "| metric | value |", "|---|---|",
             f"| expressions scored | {m['count']} |", f"| mIoU | {m['mIoU']:.4f} |", f"| oIoU | {m['oIoU']:.4f} |",
             *[f"| {k} | {m[k]:.4f} |" for k in m if k.startswith("Prec@")],
             f"| latency p50 / p95 / max | {ms(lat['p50_ms'])} / {ms(lat['p95_ms'])} / {ms(lat['max_ms'])} |",
             *_set_rows(report.get("sets")), "", *[f"![{p.stem}]({p.relative_to(out_dir)})" for p in pictures], ""]
    return "\n".join(lines)


def _figure(report: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ious = [r["iou"] for r in report["records"] if "iou" in r]
    latencies = sorted(r["latency_ms"] for r in report["records"] if r["latency_ms"] is not None)
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    left.hist(ious, bins=np.linspace(0, 1, 11), color="#3b6ea8")
    left.set(title="per-expression IoU", xlabel="IoU", ylabel="expressions")
    if latencies:
        right.plot(latencies, np.arange(1, len(latencies) + 1) / len(latencies), color="#a83b3b")
    right.set(title="command-to-result latency CDF", xlabel="ms", ylabel="share")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def _overlays(report, frames, predictions, folder: Path) -> list[Path]:
    scored = [r for r in report["records"] if "iou" in r]
    if not scored:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    by_index = {case.index: (frame, case) for frame in frames for case in frame.commands}
    ordered = sorted(scored, key=lambda r: r["iou"])
    chosen = [("worst", r) for r in ordered[:OVERLAY_CASES]] + [("best", r) for r in ordered[::-1][:OVERLAY_CASES]]
    paths = []
    for rank, (label, record) in enumerate(chosen):
        frame, case = by_index[record["index"]]
        prediction = predictions[record["index"]] if record["index"] < len(predictions) else None
        path = folder / f"{label}_{rank % OVERLAY_CASES}_iou{record['iou']:.2f}.png"
        _case_picture(frame.image, case.truth, prediction, record).save(path)
        paths.append(path)
    return paths


def _case_picture(image: np.ndarray, truth: np.ndarray, prediction, record: dict):
    """The case as a person reviews it: prediction tinted red, ground truth outlined green, and
    a caption with the command, what was understood and whether the answer was right."""
    from PIL import Image, ImageDraw

    from ..core.overlay import outline_mask

    canvas = image.astype(np.float32).copy()
    if prediction is not None and prediction.mask is not None and prediction.mask.shape == truth.shape:
        canvas[prediction.mask] = 0.5 * canvas[prediction.mask] + 0.5 * np.array([220, 40, 40])
    canvas = canvas.astype(np.uint8)
    outline_mask(canvas, truth, (40, 220, 40))
    picture = Image.fromarray(canvas)
    if picture.width < MIN_OVERLAY_WIDTH:
        scale = MIN_OVERLAY_WIDTH / picture.width
        picture = picture.resize((MIN_OVERLAY_WIDTH, round(picture.height * scale)), Image.NEAREST)
    verdict = "RIGHT" if record["iou"] > 0.5 else "WRONG"
    lines = [f"{verdict}  IoU {record['iou']:.2f}  command: {record['command']}",
             f"understood: {record.get('interpretation') or record.get('target_phrase', '')}",
             "red: answer   green outline: ground truth"]
    framed = Image.new("RGB", (picture.width, picture.height + 16 * len(lines) + 8), (20, 20, 20))
    framed.paste(picture, (0, 0))
    draw = ImageDraw.Draw(framed)
    for row, text in enumerate(lines):
        draw.text((6, picture.height + 4 + 16 * row), text[:110], fill=(255, 255, 255))
    return framed


__all__ = ["MaskScore", "score", "write_report"]
