"""The stored outputs of the official Global-Local CLIP code, and the weights they were computed with.

test/data/paper_official/ (written by bench/official_gl_clip.py, which runs the official code):
masks.npz (the proposal masks, bit-packed), <model>.npz (official global and local features,
FreeSOLO boxes and scores per sample), fixture.json (samples, sentences, the official sentence and
phrase per sentence, the checkpoint seed and digest, what was stubbed).

Seeded random CLIP checkpoints in OpenAI's release format, the same bits on every machine:
OpenAI ships CLIP as TorchScript archives; the official Global-Local CLIP code loads them
with its `clip.load`, which reads a file handle with torch.jit.load first and cannot fall
back to a plain state dict on the same (now exhausted) handle. So the checkpoint is written
as a TorchScript archive whose state dict has OpenAI's names (and its three meta entries).

The official-code fixture (test/data/paper_official/) was computed with these weights; a
full ViT-B/32 state dict is ~350 MB, so the test regenerates it from the seed instead of
storing it, and checks its digest against the one the fixture recorded. open_clip's own
initialisation is run in float64 and then rounded to float32: torch's float32 normal_
takes a vectorised path whose bits depend on the CPU's instruction set (AVX2 and the
portable build differed), its float64 path does not.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import torch

OFFICIAL_DIR = Path(__file__).resolve().parent / "data" / "paper_official"


def seeded_openai_state_dict(model_name: str, seed: int) -> dict[str, torch.Tensor]:
    """open_clip's random initialisation of ``model_name`` with QuickGELU, seeded, as float32,
    plus OpenAI's three meta entries (so every CLIP loader takes it for an OpenAI file)."""
    from ros2_zsris.core.vision.torchvision_compat import ensure_torchvision_importable

    ensure_torchvision_importable()
    import open_clip

    default = torch.get_default_dtype()
    torch.manual_seed(seed)
    torch.set_default_dtype(torch.float64)
    try:
        model = open_clip.create_model(model_name, pretrained=None, force_quick_gelu=True)
    finally:
        torch.set_default_dtype(default)
    state = {key: value.float() if value.is_floating_point() else value.clone()
             for key, value in model.state_dict().items()}
    size = model.visual.image_size
    state["input_resolution"] = torch.tensor(size[0] if isinstance(size, (tuple, list)) else size)
    state["context_length"] = torch.tensor(model.context_length)
    state["vocab_size"] = torch.tensor(model.vocab_size)
    return state


def state_digest(state: dict[str, torch.Tensor]) -> str:
    """sha256 over the sorted keys, dtypes, shapes and bytes of a state dict."""
    digest = hashlib.sha256()
    for key in sorted(state):
        tensor = state[key].detach().cpu().contiguous()
        digest.update(f"{key}|{tensor.dtype}|{tuple(tensor.shape)}".encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


class _Weights(torch.nn.Module):
    """A module tree holding a state dict under its own names: scripted, it is an archive whose
    state_dict() is exactly ``state`` (OpenAI's archives hold a traced CLIP; loaders use only
    its state dict)."""

    def __init__(self, state: dict[str, torch.Tensor]):
        super().__init__()
        for key, tensor in state.items():
            owner = self
            *path, leaf = key.split(".")
            for part in path:
                if part not in owner._modules:
                    owner.add_module(part, torch.nn.Module())
                owner = owner._modules[part]
            if tensor.is_floating_point():
                owner.register_parameter(leaf, torch.nn.Parameter(tensor, requires_grad=False))
            else:
                owner.register_buffer(leaf, tensor)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def write_seeded_openai_clip(path: Path, model_name: str, seed: int) -> str:
    """Write the seeded checkpoint to ``path`` as a TorchScript archive; return its digest."""
    state = seeded_openai_state_dict(model_name, seed)
    with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript; OpenAI's files are TorchScript all the same
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.script(_Weights(state)).save(str(path))
    return state_digest(state)


# --------------------------------------------------------------------------- fixture files
def save_masks(path: Path, masks: dict[str, np.ndarray]) -> None:
    """{'s<row>': (N, H, W) bool} -> masks.npz, bit-packed along the rows."""
    packed = {}
    for key, stack in masks.items():
        packed[key] = np.packbits(stack, axis=-1)
        packed[f"{key}_shape"] = np.array(stack.shape)
    np.savez_compressed(path, **packed)


def load_masks(path: Path) -> dict[str, np.ndarray]:
    """masks.npz -> {'s<row>': (N, H, W) bool}."""
    with np.load(path) as data:
        return {key: np.unpackbits(data[key], axis=-1, count=int(data[f"{key}_shape"][-1])).astype(bool)
                for key in data.files if not key.endswith("_shape")}


def load_official(model_name: str, directory: Path = OFFICIAL_DIR) -> tuple[dict, dict[str, np.ndarray]]:
    """(fixture.json, the model's arrays) as stored by bench/official_gl_clip.py."""
    meta = json.loads((directory / "fixture.json").read_text())
    with np.load(directory / f"{model_name}.npz") as data:
        arrays = {key: data[key] for key in data.files}
    return meta, arrays
