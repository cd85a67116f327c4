"""One full-size run: SAM vit_b (official checkpoint format) + CLIP ViT-B/32 on a real photo.

Slow on CPU (about a minute), so it runs once per CI; the other tests use the
2-block SAM or classical proposals through the same code.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import fast_engine_config

from ros2_zsris.core import Status, ZsrisEngine


@pytest.mark.slow
def test_sam_vit_b_checkpoint_through_the_whole_pipeline(sam_vit_b_checkpoint, vit_b32_openai, book_photo):
    checkpoint = sam_vit_b_checkpoint
    assert checkpoint.stat().st_size > 300e6  # the real vit_b architecture, not a toy
    config = fast_engine_config(vit_b32_openai, checkpoint)
    config.models.sam_model = "vit_b"
    config.proposals.points_per_side = 8
    engine = ZsrisEngine(config)
    assert len(engine.propose.generator.predictor.model.image_encoder.blocks) == 12
    features = engine.encode_frame(book_photo)
    result = engine.query(features, "right book page")
    assert result.status in (Status.OK, Status.NO_PROPOSALS)
    if result.status is Status.OK:
        assert result.mask.shape == book_photo.shape[:2]
        assert result.index == int(np.argmax(result.scores))
    assert features.timings_ms["proposals"] > 0
