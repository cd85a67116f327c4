"""The embedded default model: a tiny open_clip-architecture CLIP trained by this project on
its own procedural tabletop scenes (see MODEL_CARD.md). Its config is registered with
open_clip so it loads through exactly the code that loads real CLIP checkpoints."""

from pathlib import Path

EMBEDDED_DIR = Path(__file__).resolve().parent
EMBEDDED_MODEL = "zsris-tiny-clip"
EMBEDDED_WEIGHTS = EMBEDDED_DIR / f"{EMBEDDED_MODEL}.pt"
# Measured on held-out scenes (bench/TABLETOP.md): this model's kind knowledge sits in the local
# branch, so it is run with more local weight than real CLIP's 0.95 (METHOD.md).
EMBEDDED_ALPHA = 0.5
# THE one place for the embedded default's settings. Every entry point (node, CLI, bag tools,
# demo, benches) goes through ZsrisEngine, which applies these to every setting the user did
# not give (config.apply_embedded_settings): tabletop objects are small (60 px
# areas, not RefCOCO's 2000), there are no SAM weights (classical proposals), alpha as above, and
# the object names it was trained on (MODEL_CARD.md), against which the spatial ranking classifies
# each proposal (core/grounding/beliefs.py).
EMBEDDED_VOCABULARY = "cube,ball,cup,bottle,cone,ring"
EMBEDDED_SETTINGS = {
    ("fusion", "alpha"): EMBEDDED_ALPHA,
    ("proposals", "backend"): "classical",
    ("proposals", "min_area_px"): 60,
    ("proposals", "max_proposals"): 60,
    # classical levels overlap a lot: only near-duplicates go, so an object's own mask is never
    # dropped for a coarser region that also holds its neighbour (IoU ~0.5 with it)
    ("proposals", "overlap_thresh"): 0.9,
    ("grounding", "vocabulary"): EMBEDDED_VOCABULARY,
}
