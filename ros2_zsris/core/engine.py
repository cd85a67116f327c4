"""The two-stage engine: ``encode_frame`` once per image, ``query`` once per command.

A robot asks several questions about one frame, so everything that depends only on
the image (proposals, global and local region embeddings) is computed once and kept
in :class:`FrameFeatures`; a query costs a parse, two text encodings and a matmul.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import numpy as np
import torch

from .config import PAPER_METHOD, EngineConfig, apply_embedded_settings
from .conversation import Conversation
from .device import resolve_device, resolve_dtype, resolve_sam_dtype
from .geometry import CameraIntrinsics, mask_box, mask_centroid
from .grounding import ground, region_geometry
from .grounding.beliefs import contrast_prompts, kind_text, phrase_belief
from .grounding.matcher import Match, best_match, fuse_text, fuse_visual
from .inputs import command_problem, given_proposals, masks_required, validate_depth, validate_image
from .language import ExpressionStructure, analyse, normalise_expression
from .language.command import CommandParser
from .language.lexicon import GENERIC_HEADS
from .language.reader import CommandReader
from .language.text import TextEncoder, load_spacy, target_phrase
from .objects import answer_objects
from .paper import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    PaperRegionEncoder,
    fuse_text_official,
    fuse_visual_official,
    official_text,
)
from .results import FrameFeatures, ObjectAnswer, Result, Status
from .vision.classical import ClassicalProposalGenerator
from .vision.encoders import RegionEncoder
from .vision.loading import LOG, load_clip, load_sam
from .vision.proposals import Proposals, SamProposalGenerator
from .vision.sam2_backend import fast_sam2_generator, load_sam2

_GENERIC_WORDS = GENERIC_HEADS - {"stuff"}  # words a kind can stand in for: "the left one"


class ZsrisEngine:
    """Zero-shot referring segmentation with global-local CLIP features."""

    def __init__(self, config: EngineConfig | None = None):
        self.config = config or EngineConfig()
        self.embedded_settings = apply_embedded_settings(self.config)
        self.config.validate()
        models = self.config.models
        self.device = resolve_device(models.device)
        self.dtype = resolve_dtype(models.precision, self.device)
        self.clip = load_clip(models.clip_model, models.clip_weights, self.device, self.dtype)
        self.propose = self._build_proposal_generator()
        self.nlp = load_spacy(models.spacy_model)
        self.command_parser = self._build_command_parser()
        self.region_encoder = self._build_region_encoder()
        self.text_encoder = TextEncoder(self.clip, self.config.text_cache_size)
        self._targets: dict[tuple[str, bool], tuple[ExpressionStructure | None, str]] = {}

    def _build_command_parser(self) -> CommandParser:
        command = self.config.command
        reader = CommandReader() if command.reader != "rules" else None
        if reader is not None:
            LOG.info("command reader: %s (trained model %s)", command.reader, reader.path)
        return CommandParser(self.nlp, command.names(), command.actions(), reader=reader, mode=command.reader)

    def _build_proposal_generator(self):
        proposals, models = self.config.proposals, self.config.models
        if proposals.backend in ("sam", "sam2"):
            dtype = resolve_sam_dtype(models.precision, self.device)
            LOG.info("%s proposals: matrix products in %s (precision %s on %s%s)", proposals.backend,
                     str(dtype).removeprefix("torch."), models.precision, self.device,
                     "; set precision fp32 to force fp32" if dtype != torch.float32 else "")
        if proposals.backend == "sam":
            sam = load_sam(models.sam_model, models.sam_checkpoint, self.device)
            return SamProposalGenerator(sam, proposals, compute_dtype=dtype)
        if proposals.backend == "given":
            return masks_required
        if proposals.backend == "sam2":
            model = load_sam2(models.sam_model, models.sam_checkpoint, self.device)
            return SamProposalGenerator(model, proposals, fast_sam2_generator, compute_dtype=dtype)
        return ClassicalProposalGenerator(proposals)

    def _build_region_encoder(self) -> RegionEncoder:
        if self.config.method == PAPER_METHOD:
            LOG.info("method %s: image normalisation ImageNet mean %s std %s (the official data loader's), "
                     "resizes without antialias (torchvision 0.11)", PAPER_METHOD, IMAGENET_MEAN, IMAGENET_STD)
            return PaperRegionEncoder(self.clip, self.config.fusion.global_blocks)
        return RegionEncoder(self.clip, self.config.fusion.global_blocks)

    # ------------------------------------------------------------------ frames
    def encode_frame(self, image: np.ndarray, depth: np.ndarray | None = None, *,
                     masks: np.ndarray | None = None, camera_k: np.ndarray | None = None) -> FrameFeatures:
        """Proposals, region embeddings and region geometry of one RGB uint8 (H, W, 3) image.

        ``depth``: aligned depth (H, W), float metres or uint16 millimetres, 0/NaN unknown;
        ``camera_k``: the 3x3 intrinsics of the image; with both, spatial words use 3D.
        ``masks`` ((N, H, W) bool) replaces proposal generation (the user's own segmenter,
        the paper's FreeSOLO masks); their order is kept, so result indices are theirs, and
        empty ones are kept but never chosen.
        """
        image = validate_image(image)
        height, width = image.shape[:2]
        depth_m = validate_depth(depth, (height, width))
        timings: dict[str, float] = {}
        if masks is None:
            with self._timed(timings, "proposals"):
                proposals: Proposals = self.propose(image)
        else:
            proposals = given_proposals(masks, (height, width))
        intrinsics = CameraIntrinsics.from_k(camera_k) if camera_k is not None else None
        with self._timed(timings, "region_geometry"):
            regions = region_geometry(proposals.masks, depth_m, intrinsics)
        nonempty = proposals.masks.any(axis=(1, 2))
        global_embeddings = torch.zeros((len(proposals), self._embed_dim()))
        local_embeddings = torch.zeros_like(global_embeddings)
        if nonempty.any():
            pixels = self.region_encoder.image_tensor(image)
            chosen = torch.from_numpy(proposals.masks[nonempty]).to(self.device)
            rows = torch.from_numpy(np.flatnonzero(nonempty))
            with self._timed(timings, "global_features"):
                global_embeddings[rows] = self.region_encoder.global_embeddings(pixels, chosen).cpu()
            with self._timed(timings, "local_features"):
                local_embeddings[rows] = self.region_encoder.local_embeddings(pixels, chosen).cpu()
            timings["encode_total"] = sum(timings.values())
        return FrameFeatures((height, width), proposals.masks, proposals.scores, global_embeddings,
                             local_embeddings, not self.clip.is_vit, timings, depth=depth_m, regions=regions)

    # ------------------------------------------------------------------ commands
    def query(self, features: FrameFeatures, command: str, *, alpha: float | None = None,
              beta: float | None = None, context: Conversation | None = None, frame: object = None) -> Result:
        """Answer one command on an encoded frame; never runs the vision models.

        With a ``context`` (one per robot/node), "no, the other one" is answered from the
        previous answer's ranking on that answer's frame, "the one left of it" reads "it" as
        the previous answer, and every answered command becomes the context of the next;
        ``frame`` is the caller's handle on ``features``, kept with it.
        """
        fusion = self.config.fusion
        alpha = fusion.alpha if alpha is None else alpha
        beta = fusion.beta if beta is None else beta
        timings: dict[str, float] = {}
        problem = command_problem(command)
        if problem:
            return Result(Status.ERROR, command=str(command), message=problem)
        if self.config.method == PAPER_METHOD:
            # The official pipeline: the expression as given, no command parsing, no spatial stage.
            return self._query_paper(features, command, alpha, beta)
        with self._timed(timings, "parse"):
            parsed = self.command_parser.parse(command)
            expression = parsed.expression
        with self._timed(timings, "analysis"):  # the expression's structure (spatial words) and target
            structure, phrase = (self._target(expression, parsed.doc) if parsed.has_referent and not parsed.followup
                                 else (None, ""))
        result = Result(Status.OK, command=command, action=parsed.action, expression=expression,
                        target_phrase=phrase, timings_ms=timings, action_verb=parsed.action_verb,
                        destination=parsed.destination, unanswered=parsed.unanswered)
        if parsed.followup == "other" or (parsed.followup == "same" and context is not None
                                          and context.current() is not None):
            self._answer_from_context(result, parsed, context, alpha, beta)
        elif not parsed.has_referent:
            result.status, result.message = Status.NO_REFERENT, parsed.reason
        elif self._has_candidates(result, features) and _names_several(parsed, structure):
            answer_objects(self, result, parsed, features, alpha, beta)
            if parsed.destination:
                self._ground_destination(result, parsed, features, alpha, beta)
            if context is not None:
                context.remember(features, result, frame)
        elif result.status is Status.OK:
            matched = self._with_anchor(result, parsed, features, context)
            if matched == expression:  # "no, the left one": 'one' is the previous answer's kind
                matched = self._with_kind(result, parsed, _head_of(structure, phrase), features, context)
            if matched != expression:  # "the one left of it": 'it' is now the previous answer's words
                structure, result.target_phrase = self._target(matched, None)
            if structure is not None:
                self._ground_spatial(result, features, structure, alpha)
            else:
                self._match(result, features, matched, result.target_phrase, alpha, beta)
            if parsed.destination:
                self._ground_destination(result, parsed, features, alpha, beta)
            if context is not None:
                context.remember(features, result, frame)
        if parsed.unanswered:
            result.message = _join(result.message, f"not answered: '{parsed.unanswered}'")
        _one_object(result)
        timings["query_total"] = sum(timings.values())
        return result

    def answer_without_frame(self, command: str) -> Result | None:
        """The answer to a command that needs no camera frame, or None when it needs one: a bad
        command (error) or one that names nothing to find (no_referent: "stop", "thanks", "don't
        touch the cup"). A robot told "stop" must not wait for the camera to answer."""
        problem = command_problem(command)
        if problem:
            return Result(Status.ERROR, command=str(command), message=problem)
        if self.config.method == PAPER_METHOD:
            return None
        parsed = self.command_parser.parse(command)
        if parsed.has_referent or parsed.followup:
            return None
        return Result(Status.NO_REFERENT, command=command, action=parsed.action, expression=parsed.expression,
                      action_verb=parsed.action_verb, message=parsed.reason)

    def _target(self, expression: str, doc) -> tuple[ExpressionStructure | None, str]:
        """(structure, target phrase): the structure when the expression has spatial words and the
        spatial stage is on (its target phrase drops them), else None and the GL-CLIP phrase rule.
        ``doc``: the command parser's parse of ``expression``, reused when the text matches.
        Robots repeat commands, so the answer is kept per expression (structures are read-only)."""
        key = (expression, self.config.grounding.spatial)
        found = self._targets.get(key) or self._read_target(expression, doc)
        if key not in self._targets and self.config.text_cache_size > 0:
            self._targets[key] = found
            while len(self._targets) > self.config.text_cache_size:
                self._targets.pop(next(iter(self._targets)))
        return found

    def _read_target(self, expression: str, doc) -> tuple[ExpressionStructure | None, str]:
        """The structure when it has spatial words (spatial stage on) or names a set ("the cups":
        read with the spatial stage off too, its spatial words then dropped)."""
        text = normalise_expression(expression)
        structure = analyse(doc if doc is not None and doc.text == text else self.nlp(text))
        if structure.quantity is not None and not self.config.grounding.spatial:
            structure.location = structure.extreme = structure.ordinal = structure.relation = None
        if structure.quantity is not None or (structure.is_spatial and self.config.grounding.spatial):
            return structure, structure.target.text
        return None, target_phrase(doc if doc is not None else self.nlp(expression))

    def phrase_beliefs(self, features: FrameFeatures, structure: ExpressionStructure, alpha: float,
                       timings: dict[str, float]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Cosine scores and beliefs w (grounding/beliefs.py) of the target phrase, then of each
        relation anchor, for every proposal."""
        phrases = [structure.target, *(structure.relation.anchors if structure.relation else ())]
        names = self.config.grounding.names()
        contrast = {p.text: [kind_text(p), *contrast_prompts(p, names)] for p in phrases} if names else {}
        texts = list(dict.fromkeys([p.text for p in phrases] + [t for ts in contrast.values() for t in ts]))
        with self._timed(timings, "text_features"):
            encoded = self.text_encoder.encode(texts)
        with self._timed(timings, "spatial"):
            visual = fuse_visual(features, alpha)
            scores = (visual @ torch.nn.functional.normalize(encoded, dim=-1).T).numpy()
            column = {text: k for k, text in enumerate(texts)}
            scale = self._logit_scale()
            beliefs = []
            for phrase in phrases:
                kind, *others = contrast.get(phrase.text, [None])
                beliefs.append(phrase_belief(phrase, scores[:, column[phrase.text]],
                                             scores[:, column[kind]] if kind else None,
                                             scores[:, [column[t] for t in others]] if kind else None, scale))
        return [scores[:, column[p.text]] for p in phrases], beliefs

    def _ground_spatial(self, result: Result, features: FrameFeatures, structure: ExpressionStructure,
                        alpha: float, exclude: np.ndarray | None = None) -> None:
        """CLIP scores of the target (and anchor) phrases, their beliefs, then the spatial ranking;
        ``exclude``: proposals that may not be the answer (a list's earlier items)."""
        timings = result.timings_ms
        phrase_scores, beliefs = self.phrase_beliefs(features, structure, alpha, timings)
        with self._timed(timings, "spatial"):
            regions = features.regions or region_geometry(features.masks, features.depth)
            target_scores = phrase_scores[0]
            grounding = ground(structure, target_scores, phrase_scores[1:], regions, features.masks,
                               self._logit_scale(), target_belief=beliefs[0], anchor_beliefs=beliefs[1:],
                               exclude=exclude)
        ranking = grounding.ranking.tolist()
        order = np.argsort(-grounding.ranking, kind="stable")
        margin = float(ranking[order[0]] - ranking[order[1]]) if len(order) > 1 else float("inf")
        self._fill_answer(result, features, Match(grounding.index, ranking[grounding.index], margin, ranking))
        result.anchor_indices = grounding.anchor_indices
        result.interpretation = structure.describe(grounding.anchor_indices)
        target_score = float(target_scores[grounding.index])
        if target_score < self.config.fusion.min_score:
            result.status = Status.BELOW_THRESHOLD
            result.message = (f"the target's CLIP score {target_score:.3f} is below min_score "
                              f"{self.config.fusion.min_score:.3f}")

    def _logit_scale(self) -> float:
        """The model's own temperature turns cosine gaps into confidence ratios."""
        scale = getattr(self.clip.model, "logit_scale", None)
        return float(scale.exp().clamp(max=100).item()) if isinstance(scale, torch.Tensor) else 100.0

    def _answer_from_context(self, result: Result, parsed, context: Conversation | None, alpha: float,
                             beta: float) -> None:
        """'no, the other one': the next-best candidate of the previous answer, on its frame;
        'pick it up', 'move it to the left': the previous answer itself."""
        turn = context.current() if context is not None else None
        if turn is None:
            timeout = f"{context.timeout_s:g}" if context is not None else "n/a"
            result.status = Status.NO_REFERENT
            result.message = (f"'{result.expression}' refers to a previous answer, but there is none within "
                              f"command.context_timeout={timeout} s: name the object instead")
            return
        index = turn.next_candidate() if parsed.followup == "other" else turn.answer
        if index is None:
            result.status = Status.NO_REFERENT
            result.message = f"no other candidate left for '{turn.expression}' on that frame"
            return
        if parsed.followup == "other":
            context.show(turn, index)
        self._fill_answer(result, turn.features, _ranked_match(index, turn.scores))
        result.expression, result.target_phrase, result.context = turn.expression, turn.target_phrase, \
            parsed.followup
        rank = turn.ranking.index(index) + 1
        result.message = (f"context: '{parsed.expression}' answered with candidate {index} (rank {rank}) of the "
                          f"previous command '{turn.expression}' on the same frame")
        if result.score < self.config.fusion.min_score:
            result.status = Status.BELOW_THRESHOLD
        if parsed.destination:
            self._ground_destination(result, parsed, turn.features, alpha, beta)

    def _with_anchor(self, result: Result, parsed, features: FrameFeatures, context: Conversation | None) -> str:
        """'the one left of it': the text matched names the previous answer instead of 'it'."""
        if not parsed.anchor_is_previous:
            return result.expression
        turn = context.current() if context is not None else None
        if turn is None or turn.features is not features:
            result.message = _join(result.message, f"no previous answer on this frame for '{parsed.anchor_word}'")
            return result.expression
        words = result.expression.split()
        anchored = " ".join(words[: len(words) - len(parsed.anchor_word.split())] + turn.expression.split())
        result.context = "anchor"
        result.message = _join(result.message, f"context: '{parsed.anchor_word}' is the previous answer "
                                               f"'{turn.expression}' (candidate {turn.answer}); matched "
                                               f"'{anchored}'")
        return anchored

    def _with_kind(self, result: Result, parsed, own_head: str, features: FrameFeatures,
                   context: Conversation | None) -> str:
        """'no, the left one', 'the bigger one', 'the red one' said right after an answer on the same
        frame: the kind-less 'one' takes the previous target's head noun ('the left cup'), as a person
        means it; without such context the expression is matched as it is (any object).
        ``own_head``: the expression's own head noun ('cup' of 'the cup with one handle')."""
        words = result.expression.split()
        generic = [i for i, w in enumerate(words) if w in _GENERIC_WORDS]
        if not generic or parsed.anchor_is_previous or own_head:
            return result.expression
        turn = context.current() if context is not None else None
        if turn is None or turn.features is not features:
            return result.expression
        head = _head_of(*self._target(turn.expression, None))
        if not head:
            return result.expression
        words[generic[0]] = head + ("s" if words[generic[0]].endswith("s") else "")
        kinded = " ".join(words)
        result.context = "kind"
        result.message = _join(result.message, f"context: '{parsed.expression}' is about the previous answer's "
                                               f"kind '{head}' ('{turn.expression}'); matched '{kinded}'")
        return kinded

    def _ground_destination(self, result: Result, parsed, features: FrameFeatures, alpha: float,
                            beta: float) -> None:
        """The object a destination names, on the same frame with the same matching, never the target itself."""
        result.destination_expression = parsed.destination_object
        if not parsed.destination_object:
            result.destination_status = "text"  # a direction or a person: no mask
            return
        phrase = target_phrase(self.nlp(parsed.destination_object))
        sentence, noun_phrase = self.text_encoder.encode([parsed.destination_object, phrase])
        match = best_match(fuse_visual(features, alpha), fuse_text(sentence, noun_phrase, beta))
        answered = {o.index for o in result.objects} | ({result.index} if result.index >= 0 else set())
        if answered and len(match.scores) > len(answered):
            order = sorted(range(len(match.scores)), key=lambda i: -match.scores[i])
            match = _ranked_match(next(i for i in order if i not in answered), match.scores)
        mask = features.masks[match.index]
        result.destination_mask, result.destination_index, result.destination_score = mask, match.index, match.score
        result.destination_box, result.destination_centroid_px = mask_box(mask), mask_centroid(mask)
        below = match.score < self.config.fusion.min_score
        result.destination_status = (Status.BELOW_THRESHOLD if below else Status.OK).value

    def _query_paper(self, features: FrameFeatures, command: str, alpha: float, beta: float) -> Result:
        """gl-clip-paper: official text, fusion and score (core/paper.py), argmax."""
        timings: dict[str, float] = {}
        with self._timed(timings, "parse"):
            sentence, phrase = official_text(self.nlp, command)
        result = Result(Status.OK, command=command, expression=sentence, target_phrase=phrase, timings_ms=timings)
        if self._has_candidates(result, features):
            resnet = not self.clip.is_vit
            self._match(result, features, sentence, phrase, alpha, beta,
                        fuse=partial(fuse_text_official, resnet=resnet),
                        fuse_image=partial(fuse_visual_official, resnet=resnet))
        _one_object(result)
        timings["query_total"] = sum(timings.values())
        return result

    @staticmethod
    def _has_candidates(result: Result, features: FrameFeatures) -> bool:
        """False (and the result says why) when no proposal can be chosen."""
        if features.num_proposals == 0:
            result.status, result.message = Status.NO_PROPOSALS, "the frame produced no mask proposals"
        elif not features.nonempty.any():
            result.status, result.message = (Status.NO_PROPOSALS,
                                             f"all {features.num_proposals} given masks are empty")
        else:
            return True
        return False

    def _match(self, result: Result, features: FrameFeatures, expression: str, phrase: str,
               alpha: float, beta: float, fuse=fuse_text, fuse_image=fuse_visual,
               exclude: np.ndarray | None = None) -> None:
        timings, fusion = result.timings_ms, self.config.fusion
        with self._timed(timings, "text_features"):
            sentence, noun_phrase = self.text_encoder.encode([expression, phrase])
        with self._timed(timings, "match"):
            text = fuse(sentence, noun_phrase, beta)
            valid = features.nonempty if exclude is None else features.nonempty & ~exclude
            match = best_match(fuse_image(features, alpha), text, valid)
        self._fill_answer(result, features, match)
        result.interpretation = f"target '{phrase}' | global-local CLIP on the whole expression"
        # min_score -1 (the default) is no threshold; paper mode's ResNet scores are dot products, not cosines
        if fusion.min_score > -1.0 and match.score < fusion.min_score:
            result.status = Status.BELOW_THRESHOLD
            result.message = _join(result.message,
                                   f"best score {match.score:.3f} is below min_score {fusion.min_score:.3f}")

    def segment(self, image: np.ndarray, command: str, *, depth: np.ndarray | None = None,
                masks: np.ndarray | None = None) -> Result:
        """One-shot convenience: encode and query; the frame timings join the result's."""
        features = self.encode_frame(image, depth=depth, masks=masks)
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
        timings[stage] = timings.get(stage, 0.0) + (time.perf_counter() - start) * 1000.0  # a list: per item


def _names_several(parsed, structure: ExpressionStructure | None) -> bool:
    """A list ("the cup and the ball"), a set ("all the cups") or a counting question (core/objects.py)."""
    return len(parsed.objects) > 1 or parsed.count or (structure is not None and structure.quantity is not None)


def _one_object(result: Result) -> None:
    """A single referent's answer as the one entry of ``objects``: equal to the single-object fields."""
    if not result.objects and result.mask is not None and result.status in (Status.OK, Status.BELOW_THRESHOLD):
        result.objects = [ObjectAnswer(result.mask, result.index, result.score, result.box, result.centroid_px,
                                       result.expression)]
        result.count = 1


def _head_of(structure: ExpressionStructure | None, phrase: str) -> str:
    """The head noun of an analysed expression ('cup' of 'the red cup on the left'); '' if generic."""
    if structure is not None:
        return structure.target.head
    last = phrase.split()[-1:] if phrase else []
    return "" if not last or last[0] in _GENERIC_WORDS else last[0]


def _join(message: str, more: str) -> str:
    return f"{message}; {more}" if message else more


def _ranked_match(index: int, scores: list[float]) -> Match:
    """The candidate ``index`` as a match: its score, and its margin over the best other one."""
    others = [s for i, s in enumerate(scores) if i != index]
    return Match(index=index, score=scores[index], margin=scores[index] - max(others) if others else float("inf"),
                 scores=list(scores))
