"""The two-stage engine: ``encode_frame`` once per image, ``query`` once per command.

A robot asks several questions about one frame, so everything that depends only on
the image (proposals, global and local region embeddings) is computed once and kept
in :class:`FrameFeatures`; a query costs a parse, two text encodings and a matmul.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

from .classical_proposals import ClassicalProposalGenerator
from .command import CommandParser
from .config import EngineConfig
from .device import resolve_device, resolve_dtype
from .errors import InputError
from .geometry import mask_box, mask_centroid
from .matcher import best_match, fuse_text, fuse_visual
from .model_loading import load_clip, load_sam
from .proposals import Proposals, SamProposalGenerator
from .results import FrameFeatures, Result, Status
from .sam2_proposals import fast_sam2_generator, load_sam2
from .text import TextEncoder, load_spacy, target_phrase
from .visual import RegionEncoder

MAX_COMMAND_CHARS = 1000


class ZsrisEngine:
    """Zero-shot referring segmentation with global-local CLIP features."""

    def __init__(self, config: EngineConfig | None = None):
        self.config = config or EngineConfig()
        self.config.validate()
        models = self.config.models
        self.device = resolve_device(models.device)
        self.dtype = resolve_dtype(models.precision, self.device)
        self.clip = load_clip(models.clip_model, models.clip_weights, self.device, self.dtype)
        self.propose = self._build_proposal_generator()
        self.nlp = load_spacy(models.spacy_model)
        self.command_parser = CommandParser(self.nlp, self.config.command.names(), self.config.command.actions())
        self.region_encoder = RegionEncoder(self.clip, self.config.fusion.global_blocks)
        self.text_encoder = TextEncoder(self.clip, self.config.text_cache_size)

    def _build_proposal_generator(self):
        proposals = self.config.proposals
        if proposals.backend == "sam":
            sam = load_sam(self.config.models.sam_model, self.config.models.sam_checkpoint, self.device)
            return SamProposalGenerator(sam, proposals)
        if proposals.backend == "sam2":
            model = load_sam2(self.config.models.sam_model, self.config.models.sam_checkpoint, self.device)
            return SamProposalGenerator(model, proposals, fast_sam2_generator)
        return ClassicalProposalGenerator(proposals)

    # ------------------------------------------------------------------ frames
    def encode_frame(self, image: np.ndarray) -> FrameFeatures:
        """Proposals and region embeddings of one RGB uint8 (H, W, 3) image."""
        image = validate_image(image)
        timings: dict[str, float] = {}
        with self._timed(timings, "proposals"):
            proposals: Proposals = self.propose(image)
        height, width = image.shape[:2]
        if len(proposals) == 0:
            empty = torch.zeros((0, self._embed_dim()))
            return FrameFeatures((height, width), proposals.masks, proposals.scores, empty, empty,
                                 not self.clip.is_vit, timings)
        pixels = self.region_encoder.image_tensor(image)
        masks = torch.from_numpy(proposals.masks).to(self.device)
        with self._timed(timings, "global_features"):
            global_embeddings = self.region_encoder.global_embeddings(pixels, masks).cpu()
        with self._timed(timings, "local_features"):
            local_embeddings = self.region_encoder.local_embeddings(pixels, masks).cpu()
        timings["encode_total"] = sum(timings.values())
        return FrameFeatures((height, width), proposals.masks, proposals.scores,
                             global_embeddings, local_embeddings, not self.clip.is_vit, timings)

    # ------------------------------------------------------------------ commands
    def query(self, features: FrameFeatures, command: str, *, alpha: float | None = None,
              beta: float | None = None) -> Result:
        """Answer one command on an encoded frame; never runs the vision models."""
        fusion = self.config.fusion
        alpha = fusion.alpha if alpha is None else alpha
        beta = fusion.beta if beta is None else beta
        timings: dict[str, float] = {}
        problem = command_problem(command)
        if problem:
            return Result(Status.ERROR, command=str(command), message=problem)
        with self._timed(timings, "parse"):
            parsed = self.command_parser.parse(command)
            expression = parsed.expression
            if parsed.has_referent:
                phrase = target_phrase(parsed.doc if parsed.doc is not None else self.nlp(expression))
            else:
                phrase = ""
        result = Result(Status.OK, command=command, action=parsed.action, expression=expression,
                        target_phrase=phrase, timings_ms=timings)
        if not parsed.has_referent:
            result.status, result.message = Status.NO_REFERENT, parsed.reason
        elif features.num_proposals == 0:
            result.status, result.message = Status.NO_PROPOSALS, "the frame produced no mask proposals"
        else:
            self._match(result, features, expression, phrase, alpha, beta)
        timings["query_total"] = sum(timings.values())
        return result

    def _match(self, result: Result, features: FrameFeatures, expression: str, phrase: str,
               alpha: float, beta: float) -> None:
        timings, fusion = result.timings_ms, self.config.fusion
        with self._timed(timings, "text_features"):
            sentence, noun_phrase = self.text_encoder.encode([expression, phrase])
        with self._timed(timings, "match"):
            text = fuse_text(sentence, noun_phrase, beta)
            match = best_match(fuse_visual(features, alpha), text)
        self._fill_answer(result, features, match)
        if match.score < fusion.min_score:
            result.status = Status.BELOW_THRESHOLD
            result.message = f"best score {match.score:.3f} is below min_score {fusion.min_score:.3f}"

    def segment(self, image: np.ndarray, command: str) -> Result:
        """One-shot convenience: encode and query; the frame timings join the result's."""
        features = self.encode_frame(image)
        result = self.query(features, command)
        result.timings_ms = {**features.timings_ms, **result.timings_ms}
        return result

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _fill_answer(result: Result, features: FrameFeatures, match) -> None:
        mask = features.masks[match.index]
        result.mask = mask
        result.index = match.index
        result.score, result.margin, result.scores = match.score, match.margin, match.scores
        result.box = mask_box(mask)
        result.centroid_px = mask_centroid(mask)

    def _embed_dim(self) -> int:
        return int(self.clip.model.text_projection.shape[-1]) if hasattr(
            self.clip.model, "text_projection") and self.clip.model.text_projection is not None else 0

    @contextmanager
    def _timed(self, timings: dict[str, float], stage: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        timings[f"{stage}"] = (time.perf_counter() - start) * 1000.0


def validate_image(image: np.ndarray) -> np.ndarray:
    """The engine's single image format: contiguous uint8 RGB (H, W, 3), non-empty."""
    if not isinstance(image, np.ndarray):
        raise InputError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"image must be RGB with shape (H, W, 3), got shape {image.shape}",
                         fix="convert grey or RGBA images to RGB first")
    if image.dtype != np.uint8:
        raise InputError(f"image must be uint8, got {image.dtype}", fix="scale to 0..255 and cast to uint8")
    if image.shape[0] < 2 or image.shape[1] < 2:
        raise InputError(f"image is too small to segment: {image.shape[1]}x{image.shape[0]} pixels")
    return np.ascontiguousarray(image)


def command_problem(command: object) -> str:
    """Why a command cannot be answered at all, or '' when it can be parsed."""
    if not isinstance(command, str):
        return f"command must be text, got {type(command).__name__}"
    if not command.strip():
        return "empty command: nothing to look for"
    if len(command) > MAX_COMMAND_CHARS:
        return f"command too long ({len(command)} characters, limit {MAX_COMMAND_CHARS})"
    return ""
