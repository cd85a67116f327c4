"""Train the embedded tiny CLIP on procedural tabletop scenes (2 CPU cores, minutes).

    .venv/bin/python -m ros2_zsris.tabletop.train_tiny_clip --minutes 17 \\
        --out ros2_zsris/embedded/zsris-tiny-clip.pt

Images are made by the engine's own preprocessing, so the model sees at training time
exactly what it sees at run time: local crops (object alone, background filled, box crop)
and whole scenes with token masking before the last blocks (the global branch). Captions
name colour, kind, size and position; the contrastive loss is multi-positive ("the cup"
matches every cup in the batch). Saved as an open_clip state dict in fp16.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..core.vision.classical import ClassicalProposalGenerator
from ..core.vision.encoders import RegionEncoder
from ..core.vision.loading import ClipBundle, load_clip
from ..embedded import EMBEDDED_MODEL
from .evaluate import embedded_engine_config
from .scenes import COLOURS, KINDS, make_scene


def position_word(obj, width: int) -> str | None:
    x = obj.centre[0] / width
    return "left" if x < 0.4 else "right" if x > 0.6 else None


def caption(obj, width: int, rng: random.Random, with_context: bool) -> tuple[str, dict]:
    """A caption and the attributes it commits to (for multi-positive targets)."""
    spec: dict = {"kind": obj.kind}
    roll = rng.random()
    if roll < 0.6:
        spec["colour"] = obj.colour
    elif roll < 0.75:
        spec = {"colour": obj.colour}
    words = " ".join(x for x in (spec.get("colour"), spec.get("kind")) if x) or obj.kind
    if with_context and rng.random() < 0.5:
        if obj.size in ("large", "small") and "kind" in spec and rng.random() < 0.4:
            spec["size"] = obj.size
            words = f"{'big' if obj.size == 'large' else 'small'} {words}"
        elif (side := position_word(obj, width)) is not None:
            spec["side"] = side
            words = f"{words} on the {side}"
    article = rng.choice(("the ", "a ", ""))
    return f"{article}{words}".strip(), spec


BACKGROUND_CAPTIONS = ("background", "the table", "the wall", "nothing")


def compatible(obj, spec: dict, width: int) -> bool:
    if obj is None or spec.get("background"):  # background regions match only background captions
        return obj is None and bool(spec.get("background"))
    return (spec.get("kind", obj.kind) == obj.kind and spec.get("colour", obj.colour) == obj.colour
            and spec.get("size", obj.size) == obj.size and spec.get("side", position_word(obj, width))
            == position_word(obj, width))


def proposal_examples(scene, proposals, rng: random.Random, per_scene: int = 4) -> list[tuple]:
    """Masks as the pipeline proposes them: a proposal that covers an object (IoU > 0.7) is that
    object; one that covers none (IoU < 0.3) is background; others are ambiguous and skipped."""
    found = proposals(scene.image)
    examples = []
    for mask in found.masks:
        ious = [(mask & o.mask).sum() / max((mask | o.mask).sum(), 1) for o in scene.objects]
        best = int(np.argmax(ious))
        if ious[best] > 0.7:
            examples.append((mask, scene.objects[best]))
        elif ious[best] < 0.3:
            examples.append((mask, None))
    rng.shuffle(examples)
    return examples[:per_scene]


def _label(obj, width, rng, with_context):
    if obj is None:
        return rng.choice(BACKGROUND_CAPTIONS), {"background": True}
    return caption(obj, width, rng, with_context=with_context)


def batch(encoder: RegionEncoder, rng: random.Random, nprng, scenes: int, proposals=None):
    """Local crops and global (masked) examples with captions and attribute specs."""
    local_images, global_inputs, items = [], [], []
    for index in range(scenes):
        scene = make_scene(nprng)
        if not scene.objects:
            continue
        width = scene.image.shape[1]
        pairs = [(o.mask, o) for o in scene.objects]
        if proposals is not None and index % 2 == 0:
            pairs += proposal_examples(scene, proposals, rng)
        pixels = encoder.image_tensor(scene.image)
        masks = torch.from_numpy(np.stack([mask for mask, _ in pairs]))
        local_images.append(encoder.local_crops(pixels, masks))
        global_inputs.append((pixels, masks))
        for _, obj in pairs:
            items.append(("local", obj, *_label(obj, width, rng, False), width))
        for _, obj in pairs:
            items.append(("global", obj, *_label(obj, width, rng, True), width))
    # order: for each scene, local items then global items; rebuild in the same order below
    return local_images, global_inputs, items


def embed_images(encoder: RegionEncoder, local_images, global_inputs) -> torch.Tensor:
    visual = encoder.clip.model
    out = []
    for crops, (pixels, masks) in zip(local_images, global_inputs, strict=True):
        out.append(visual.encode_image(crops))
        whole = encoder._normalise(encoder._resize(pixels, encoder.clip.image_size))
        out.append(encoder._vit_global(whole, masks))
    return torch.cat(out)


def train(minutes: float, out: Path, seed: int = 0, scenes_per_step: int = 20, lr: float = 5e-4) -> dict:
    torch.manual_seed(seed)
    rng, nprng = random.Random(seed), np.random.default_rng(seed)
    clip: ClipBundle = load_clip(EMBEDDED_MODEL, "random", torch.device("cpu"), torch.float32)
    model = clip.model.train()
    encoder = RegionEncoder(clip, global_blocks=3)  # as the engine runs it
    proposals = ClassicalProposalGenerator(embedded_engine_config().proposals)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1)
    warmup, start, step, losses = 100, time.monotonic(), 0, []
    budget = minutes * 60
    while time.monotonic() - start < budget:
        progress = (time.monotonic() - start) / budget
        for group in optimiser.param_groups:
            group["lr"] = lr * min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * progress))
        local_images, global_inputs, items = batch(encoder, rng, nprng, scenes_per_step, proposals)
        images = F.normalize(embed_images(encoder, local_images, global_inputs), dim=-1)
        texts = [item[2] for item in items]
        unique = list(dict.fromkeys(texts))
        text_features = F.normalize(model.encode_text(clip.tokenizer(unique)), dim=-1)
        specs = {t: item[3] for item, t in zip(items, texts, strict=True)}
        targets = torch.tensor([[float(compatible(item[1], specs[t], item[4])) for t in unique] for item in items])
        logits = model.logit_scale.exp().clamp(max=100) * images @ text_features.T
        image_loss = -(F.log_softmax(logits, dim=1) * targets / targets.sum(1, keepdim=True)).sum(1).mean()
        has = targets.sum(0) > 0
        text_loss = -(F.log_softmax(logits.T[has], dim=1) * (targets.T[has] / targets.T[has].sum(1, keepdim=True))
                      ).sum(1).mean()
        loss = 0.5 * (image_loss + text_loss)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
        if step % 50 == 0:
            print(f"step {step} loss {np.mean(losses[-50:]):.3f} lr {optimiser.param_groups[0]['lr']:.2e} "
                  f"{time.monotonic() - start:.0f}s", flush=True)
        step += 1
    model.eval()
    accuracy = zero_shot_accuracy(encoder, seed + 1000)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}, out)
    return {"steps": step, "final_loss": float(np.mean(losses[-50:])), **accuracy,
            "size_mb": out.stat().st_size / 1e6}


@torch.no_grad()
def zero_shot_accuracy(encoder: RegionEncoder, seed: int, scenes: int = 60) -> dict:
    """Kind and colour classification of held-out local crops against all class prompts."""
    nprng = np.random.default_rng(seed)
    model = encoder.clip.model
    kinds = F.normalize(model.encode_text(encoder.clip.tokenizer([f"the {k}" for k in KINDS])), dim=-1)
    colours = F.normalize(model.encode_text(encoder.clip.tokenizer([f"the {c} object" for c in COLOURS])), dim=-1)
    hits = {"kind": [], "colour": []}
    for _ in range(scenes):
        scene = make_scene(nprng)
        if not scene.objects:
            continue
        masks = torch.from_numpy(np.stack([o.mask for o in scene.objects]))
        crops = encoder.local_crops(encoder.image_tensor(scene.image), masks)
        features = F.normalize(model.encode_image(crops), dim=-1)
        for obj, feature in zip(scene.objects, features, strict=True):
            hits["kind"].append(KINDS[int((kinds @ feature).argmax())] == obj.kind)
            hits["colour"].append(list(COLOURS)[int((colours @ feature).argmax())] == obj.colour)
    return {f"zero_shot_{k}_accuracy": float(np.mean(v)) for k, v in hits.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=17.0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(train(args.minutes, args.out, args.seed))


if __name__ == "__main__":
    main()
