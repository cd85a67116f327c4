"""Make torchvision importable on a CPU-only torch whose torchvision wheel is CUDA-linked.

open_clip and segment-anything import torchvision. On the machines this project runs
CI on, only CUDA-linked torchvision wheels exist for the pinned CPU torch: the native
extension fails to load and ``import torchvision`` then dies registering meta kernels
for ``torchvision::nms``. When (and only when) the native extension cannot be loaded,
define the ``nms``/``qnms`` schemas and give ``nms`` a pure-torch CPU kernel, which is
all that segment-anything needs. With a working torchvision this module does nothing.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import torch

_state: dict[str, bool] = {"checked": False, "fallback_active": False}


def nms_reference(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy NMS with torchvision's semantics: indices kept, by decreasing score."""
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=boxes.device)
    boxes = boxes.float()
    x0, y0, x1, y1 = boxes.unbind(1)
    areas = (x1 - x0).clamp(min=0) * (y1 - y0).clamp(min=0)
    order = scores.argsort(descending=True, stable=True)
    suppressed = torch.zeros(len(order), dtype=torch.bool, device=boxes.device)
    keep = []
    for rank, i in enumerate(order.tolist()):
        if suppressed[rank]:
            continue
        keep.append(i)
        rest = order[rank + 1 :]
        ix0 = torch.maximum(x0[i], x0[rest])
        iy0 = torch.maximum(y0[i], y0[rest])
        ix1 = torch.minimum(x1[i], x1[rest])
        iy1 = torch.minimum(y1[i], y1[rest])
        inter = (ix1 - ix0).clamp(min=0) * (iy1 - iy0).clamp(min=0)
        iou = inter / (areas[i] + areas[rest] - inter).clamp(min=1e-12)
        suppressed[rank + 1 :] |= iou > iou_threshold
    return torch.tensor(keep, dtype=torch.long, device=boxes.device)


def _native_extension_loads() -> bool:
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return True  # nothing to repair; the import error will be torchvision's own
    candidates = sorted(Path(spec.submodule_search_locations[0]).glob("_C*.so"))
    candidates += sorted(Path(spec.submodule_search_locations[0]).glob("_C*.pyd"))
    if not candidates:
        return False
    try:
        torch.ops.load_library(str(candidates[0]))
    except (OSError, RuntimeError):
        return False
    return True


def _install_fallback() -> None:
    library = torch.library.Library("torchvision", "DEF")
    library.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    library.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    library.impl("nms", nms_reference, "CPU")
    _LIBRARIES.append(library)


_LIBRARIES: list[torch.library.Library] = []


def ensure_torchvision_importable() -> bool:
    """Call before the first import of torchvision; returns True if the fallback is active."""
    if _state["checked"]:
        return _state["fallback_active"]
    _state["checked"] = True
    if "torchvision" in sys.modules or _native_extension_loads():
        return False
    _install_fallback()
    _state["fallback_active"] = True
    import torchvision.ops.boxes as boxes

    # boxes.nms asks torchvision whether its C++ ops loaded before calling
    # torch.ops.torchvision.nms; that one op now exists, so answer for this module only.
    boxes._assert_has_ops = lambda: None
    return True
