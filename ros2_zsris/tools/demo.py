"""`make demo`: the main job on a bundled photo, with whatever weights are configured.

Weights come from the environment (ZSRIS_CLIP_MODEL, ZSRIS_CLIP_WEIGHTS, ZSRIS_SAM_MODEL,
ZSRIS_SAM_CHECKPOINT) so that `make demo ZSRIS_CLIP_WEIGHTS=...` works. With no CLIP
weights there is nothing honest to show: the demo says so, and how to fix it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coffee.jpg"
EXPRESSIONS = ("the coffee cup", "the saucer", "the spoon on the right")


def main() -> int:
    from ..core import EngineConfig, ModelConfig, ProposalConfig, ZsrisEngine, ZsrisError
    from ..core.overlay import draw_overlay
    from .segment_cli import read_rgb, write_png

    clip_weights = os.environ.get("ZSRIS_CLIP_WEIGHTS", "")
    sam_checkpoint = os.environ.get("ZSRIS_SAM_CHECKPOINT", "")
    models = ModelConfig(clip_model=os.environ.get("ZSRIS_CLIP_MODEL", "ViT-B-32"), clip_weights=clip_weights,
                         sam_model=os.environ.get("ZSRIS_SAM_MODEL", "vit_b"), sam_checkpoint=sam_checkpoint)
    proposals = ProposalConfig(backend="sam" if sam_checkpoint else "classical")
    print(f"zsris demo: CLIP {models.clip_model} weights '{clip_weights or '(none)'}', "
          f"proposals: {'SAM ' + models.sam_model + ' from ' + sam_checkpoint if sam_checkpoint else 'classical'}")
    try:
        engine = ZsrisEngine(EngineConfig(models=models, proposals=proposals))
    except ZsrisError as error:
        print(f"zsris demo: cannot run the model: {error}")
        print("zsris demo: pretrained CLIP weights cannot be downloaded on this machine. Supply them with\n"
              "  make demo ZSRIS_CLIP_MODEL=ViT-B-32 ZSRIS_CLIP_WEIGHTS=/path/to/ViT-B-32.pt "
              "[ZSRIS_SAM_CHECKPOINT=/path/to/sam_vit_b_01ec64.pth]\n"
              "  or, on a networked machine, ZSRIS_CLIP_WEIGHTS=openai. Setup is complete; `make test` runs the suite.")
        return 0
    image = read_rgb(str(EXAMPLE))
    features = engine.encode_frame(image)
    out = Path("out")
    for expression in EXPRESSIONS:
        result = engine.query(features, expression)
        name = out / f"demo_{expression.replace(' ', '_')}.png"
        write_png(str(name), draw_overlay(image, result))
        print(json.dumps({**result.to_json_dict(), "overlay": str(name)}))
    print(f"zsris demo: frame encoding {features.timings_ms}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
