"""Offline mode: the core engine directly on a bag's frames and commands, no DDS."""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path

from .bag_io import RESULT_TYPE, BagWriter, Topics, result_cdr
from .episodes import Frame, Prediction


def run_offline(engine, frames: list[Frame], output_bag: Path | None, topics: Topics, storage: str = "mcap",
                progress=None) -> list[Prediction]:
    predictions: list[Prediction] = []
    with BagWriter(output_bag, storage) if output_bag else nullcontext() as writer:
        for frame in frames:
            features = engine.encode_frame(frame.image) if frame.image.size else None
            for case in frame.commands:
                start = time.perf_counter()
                if features is None:
                    prediction = Prediction("no_frame")
                else:
                    result = engine.query(features, case.text)
                    prediction = Prediction(result.status.value, result.mask, None, result.target_phrase,
                                            result.score, result.interpretation, [o.mask for o in result.objects],
                                            result.count)
                prediction.latency_ms = (time.perf_counter() - start) * 1000.0
                predictions.append(prediction)
                if writer:
                    cdr = result_cdr(writer.store, frame.stamp_ns, writer.frame_id, case.index, case.text,
                                     prediction.status, mask=prediction.mask, target_phrase=prediction.target_phrase,
                                     score=prediction.score, interpretation=prediction.interpretation,
                                     objects=result.objects if features is not None else (),
                                     count=prediction.count or 0)
                    writer.raw(topics.result, RESULT_TYPE, case.log_ns, cdr)
                if progress:
                    progress.update(1)
    return predictions
