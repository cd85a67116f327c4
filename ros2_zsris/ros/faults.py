"""What the node says when encoding a frame fails, and the clean-up after an out-of-memory.

An out-of-memory on one large frame must not end the node: the memory is handed back, the
failure becomes the status of the commands that referred to that frame, and the next frame
is encoded as usual.
"""

from __future__ import annotations

import torch

from ..core.errors import ZsrisError

OOM_FIX = ("lower proposals.points_per_side or proposals.max_proposals, use models.precision:=fp16 on a GPU, "
           "free the GPU of other processes, or publish smaller images")


def is_out_of_memory(error: BaseException) -> bool:
    """torch raises OutOfMemoryError on CUDA and a RuntimeError naming the allocator on CPU."""
    if isinstance(error, MemoryError | torch.OutOfMemoryError):
        return True
    text = str(error).lower()
    return isinstance(error, RuntimeError) and ("out of memory" in text or "not enough memory" in text)


def encoding_failure(error: BaseException, device: torch.device) -> str:
    """A one-paragraph reason for the log and for the commands' status message."""
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    if is_out_of_memory(error):
        if device.type == "cuda":
            torch.cuda.empty_cache()
        return f"frame encoding failed: out of memory on {device} ({first_line})\n  how to fix: {OOM_FIX}"
    if isinstance(error, ZsrisError):
        return f"frame encoding failed: {error}"
    return f"frame encoding failed: {type(error).__name__}: {first_line}"
