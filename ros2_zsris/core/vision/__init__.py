"""Vision stage: mask proposals (SAM, SAM 2, classical), CLIP region encoders, model loading.

Everything here depends on the image alone, so the engine runs it once per frame."""
