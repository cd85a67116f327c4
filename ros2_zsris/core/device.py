"""Choose the torch device and precision at run time (CUDA when present, else CPU)."""

from __future__ import annotations

import torch

from .errors import ConfigError

_PRECISIONS = ("auto", "fp32", "fp16")


def resolve_device(spec: str) -> torch.device:
    """Turn 'auto', 'cpu', 'cuda' or 'cuda:N' into a usable device, or explain why not."""
    spec = (spec or "auto").strip().lower()
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec == "cuda" or spec.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ConfigError(
                f"device '{spec}' was requested but this machine has no usable CUDA GPU "
                f"(torch {torch.__version__}, cuda available: False)",
                setting="device",
                fix="use device 'auto' or 'cpu', or install a CUDA build of torch",
            )
        index = int(spec.split(":", 1)[1]) if ":" in spec else 0
        if index >= torch.cuda.device_count():
            raise ConfigError(
                f"device '{spec}' does not exist: this machine has {torch.cuda.device_count()} GPU(s)",
                setting="device",
                fix=f"use one of cuda:0..cuda:{torch.cuda.device_count() - 1}",
            )
        return torch.device("cuda", index)
    raise ConfigError(
        f"unknown device '{spec}'", setting="device", fix="use 'auto', 'cpu', 'cuda' or 'cuda:N'"
    )


def resolve_dtype(precision: str, device: torch.device) -> torch.dtype:
    """fp16 only on GPU: CPU half-precision kernels are slow or missing."""
    precision = (precision or "auto").strip().lower()
    if precision not in _PRECISIONS:
        raise ConfigError(
            f"unknown precision '{precision}'", setting="precision", fix="use auto, fp32 or fp16"
        )
    if precision == "fp16" and device.type != "cuda":
        raise ConfigError(
            "precision fp16 needs a CUDA device; on CPU use fp32",
            setting="precision",
            fix="set precision to 'auto' or 'fp32', or device to a GPU",
        )
    if precision == "auto":
        return torch.float16 if device.type == "cuda" else torch.float32
    return torch.float16 if precision == "fp16" else torch.float32


def cpu_computes_bf16() -> bool:
    """True where the CPU has bf16 matrix instructions (AMX tiles or AVX512-BF16).

    There a bf16 matrix product runs several times faster than fp32 (measured ~10x for a
    4096x768x3072 product with AMX); elsewhere oneDNN emulates bf16 and it is slower than fp32.
    """
    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def resolve_sam_dtype(precision: str, device: torch.device) -> torch.dtype:
    """The dtype of SAM's / SAM 2's matrix products (image encoder and prompt decoder).

    ``auto``: bf16 where the hardware computes it natively (a CPU with AMX / AVX512-BF16, a
    GPU that supports bf16), else fp32; ``fp32`` forces fp32 everywhere; ``fp16`` (GPU only).
    bf16 keeps fp32's range, so nothing overflows, and its masks were checked against the
    library's fp32 masks (bench/RESULTS.md); normalisations and softmax stay fp32 (autocast).
    """
    resolve_dtype(precision, device)  # the same validation and messages as for CLIP
    precision = (precision or "auto").strip().lower()
    if precision == "fp16":
        return torch.float16
    if precision == "fp32":
        return torch.float32
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    return torch.bfloat16 if cpu_computes_bf16() else torch.float32
