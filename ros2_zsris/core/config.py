"""Plain configuration records, with the defaults of shared/docs/METHOD.md.

Like open_clip's model configs: data only, validated once, no behaviour. The ROS
parameters and the CLI flags map one-to-one onto these fields.

Each section record remembers which of its settings were *given* (passed to its constructor or
assigned later) as opposed to left at the general default, because a model may bring defaults
of its own: the embedded default's settings (``apply_embedded_settings``) replace only settings
nobody gave, so an explicit ``ProposalConfig(backend="sam")`` stays SAM even though "sam" is
also the general default. Every entry point builds the records from what its user gave (node:
parameters from a file, ``-p`` or ``set_parameters``; CLI: the flags typed).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields

from .errors import ConfigError

_GIVEN = "_given_settings"


def settings_record(cls):
    """A dataclass that records the names of the fields its user set (see the module docstring)."""
    cls = dataclass(cls)
    names = tuple(item.name for item in fields(cls))
    init = cls.__init__

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        object.__setattr__(self, _GIVEN, set(names[:len(args)]) | set(kwargs))

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        given = self.__dict__.get(_GIVEN)  # absent while __init__ fills in the defaults
        if given is not None and name in names:
            given.add(name)

    cls.__init__, cls.__setattr__ = __init__, __setattr__
    return cls


def given_settings(record) -> frozenset[str]:
    """Names of the fields of a section record that its user set."""
    return frozenset(record.__dict__.get(_GIVEN, ()))


def set_default(record, name: str, value) -> None:
    """Replace a setting's default without marking it given (a model's own default)."""
    object.__setattr__(record, name, value)


PROPOSAL_BACKENDS = ("sam", "sam2", "classical", "given")
ZSRIS_METHOD, PAPER_METHOD = "zsris", "gl-clip-paper"
METHODS = (ZSRIS_METHOD, PAPER_METHOD)


@settings_record
class ProposalConfig:
    """Segment-anything automatic masks plus the filters later SAM-based RIS work uses."""

    backend: str = "sam"
    points_per_side: int = 8
    points_per_batch: int = 64
    pred_iou_thresh: float = 0.7
    stability_score_thresh: float = 0.7
    box_nms_thresh: float = 0.7
    min_mask_region_area: int = 800
    min_area_px: int = 2000
    overlap_thresh: float = 0.4
    max_proposals: int = 50

    def validate(self) -> None:
        _check(self.backend in PROPOSAL_BACKENDS, "proposals.backend", self.backend,
               "use 'sam' (needs a SAM checkpoint), 'sam2' (needs a SAM 2 / 2.1 checkpoint), 'classical' "
               "(no weights) or 'given' (every frame comes with its own masks)")
        _check(self.points_per_side >= 1, "proposals.points_per_side", self.points_per_side,
               "use a positive integer (8 is the METHOD.md default)")
        _check(self.points_per_batch >= 1, "proposals.points_per_batch", self.points_per_batch,
               "use a positive integer")
        for name in ("pred_iou_thresh", "stability_score_thresh", "box_nms_thresh", "overlap_thresh"):
            value = getattr(self, name)
            _check(0.0 <= value <= 1.0, f"proposals.{name}", value, "use a value in [0, 1]")
        _check(self.min_mask_region_area >= 0, "proposals.min_mask_region_area",
               self.min_mask_region_area, "use 0 (off) or a pixel count")
        _check(self.min_area_px >= 0, "proposals.min_area_px", self.min_area_px,
               "use 0 (off) or a pixel count")
        _check(self.max_proposals >= 1, "proposals.max_proposals", self.max_proposals,
               "use a positive integer")


@settings_record
class ModelConfig:
    """Which networks to load and from where; see model_loading for the accepted forms."""

    clip_model: str = "ViT-B-32"
    clip_weights: str = ""
    sam_model: str = "vit_b"
    sam_checkpoint: str = ""
    spacy_model: str = "auto"
    device: str = "auto"
    precision: str = "auto"


@settings_record
class FusionConfig:
    """How global/local visual and sentence/phrase text features are mixed and judged."""

    alpha: float = 0.95
    beta: float = 0.5
    global_blocks: int = 3
    min_score: float = -1.0

    def validate(self) -> None:
        _check(0.0 <= self.alpha <= 1.0, "alpha", self.alpha,
               "use a value in [0, 1] (0.95 RefCOCO/RefCOCO+, 0.85 RefCOCOg)")
        _check(0.0 <= self.beta <= 1.0, "beta", self.beta, "use a value in [0, 1] (0.5 default)")
        _check(self.global_blocks >= 1, "global_blocks", self.global_blocks,
               "use a positive number of final transformer blocks (3 default)")
        _check(-1.0 <= self.min_score <= 1.0, "min_score", self.min_score,
               "use a cosine similarity in [-1, 1]; -1 disables the threshold")


READERS = ("combined", "learned", "rules")


@settings_record
class CommandConfig:
    """How spoken commands are reduced to referring expressions (comma-separated lists)."""

    robot_names: str = "robot"
    extra_actions: str = ""
    context_timeout: float = 30.0  # s; how long an answer stays the context of follow-ups ("the other one")
    # combined: the trained reader with the rules where they are right (language/reading.py);
    # learned: the trained reader alone; rules: the hand-written rules alone (bench/COMMANDS.md)
    reader: str = "combined"

    def validate(self) -> None:
        _check(self.context_timeout >= 0, "command.context_timeout", self.context_timeout,
               "use seconds >= 0 (0 forgets every answer at once: follow-ups are refused)")
        _check(self.reader in READERS, "command.reader", self.reader, f"use one of {', '.join(READERS)}")

    def names(self) -> tuple[str, ...]:
        return tuple(n.strip() for n in self.robot_names.split(",") if n.strip())

    def actions(self) -> tuple[str, ...]:
        return tuple(a.strip() for a in self.extra_actions.split(",") if a.strip())


@settings_record
class GroundingConfig:
    """Spatial words (left, second, closest, next to ...): on = the ranking of core/grounding;
    off = global-local CLIP on the whole expression, as the paper does. ``vocabulary``
    (comma-separated object names the model knows) makes the ranking's belief that a proposal
    is the target a zero-shot classification against those names and background
    (core/grounding/beliefs.py); empty = beliefs relative to the frame's best proposal."""

    spatial: bool = True
    vocabulary: str = ""

    def names(self) -> tuple[str, ...]:
        from .grounding.beliefs import vocabulary_names

        return vocabulary_names(self.vocabulary)


@settings_record
class FollowConfig:
    """Follow mode ("follow the red cup"): optical flow moves the answer from frame to frame, and
    the full pipeline re-grounds the expression now and then to correct it (core/tracking)."""

    reground_period: float = 1.0  # s between re-groundings on newly encoded frames
    reground_below: float = 0.5  # track confidence under which a re-grounding is used at once
    lost_after_frames: int = 15  # consecutive frames without the object before the track is `lost`
    lost_below: float = 0.15  # track confidence under which a frame counts as without the object
    agree_overlap: float = 0.5  # a re-grounded mask overlapping the track this much is the same object
    switch_after: int = 3  # disagreeing re-groundings in a row after which the track takes theirs
    history_frames: int = 90  # frames kept to catch up from the answer's frame and to place corrections
    max_points: int = 200  # optical-flow features followed per frame
    search_seconds: float = 10.0  # after `lost`, how long (frame stamps) the object is searched for again; 0: never
    confirm_margin: float = 0.02  # a first answer leading the next candidate by less is confirmed on the next frame

    def validate(self) -> None:
        _check(self.reground_period >= 0, "follow.reground_period", self.reground_period,
               "use seconds >= 0 (0: re-ground on every encoded frame)")
        for name in ("reground_below", "lost_below", "agree_overlap"):
            value = getattr(self, name)
            _check(0.0 <= value <= 1.0, f"follow.{name}", value, "use a value in [0, 1]")
        for name in ("lost_after_frames", "switch_after", "history_frames"):
            value = getattr(self, name)
            _check(value >= 1, f"follow.{name}", value, "use a positive number of frames")
        _check(self.max_points >= 8, "follow.max_points", self.max_points,
               "use at least 8 features (200 default)")
        _check(self.search_seconds >= 0, "follow.search_seconds", self.search_seconds,
               "use seconds >= 0 (0: a lost object is not searched for)")
        _check(self.confirm_margin >= 0, "follow.confirm_margin", self.confirm_margin,
               "use a score margin >= 0 (0: never confirm a first answer)")


@dataclass
class EngineConfig:
    models: ModelConfig = field(default_factory=ModelConfig)
    proposals: ProposalConfig = field(default_factory=ProposalConfig)
    fusion: FusionConfig = field(default_factory=FusionConfig)
    command: CommandConfig = field(default_factory=CommandConfig)
    grounding: GroundingConfig = field(default_factory=GroundingConfig)
    follow: FollowConfig = field(default_factory=FollowConfig)
    text_cache_size: int = 256
    # zsris: the project's pipeline; gl-clip-paper: the official Global-Local CLIP, exactly (core/paper.py)
    method: str = ZSRIS_METHOD

    def validate(self) -> None:
        _check(self.method in METHODS, "method", self.method,
               f"use one of {', '.join(METHODS)} ('gl-clip-paper' reproduces the published method)")
        self.proposals.validate()
        self.fusion.validate()
        self.command.validate()
        self.follow.validate()
        _check(self.text_cache_size >= 0, "text_cache_size", self.text_cache_size,
               "use 0 (off) or a positive number of cached command encodings")


def apply_embedded_settings(config: EngineConfig, force: bool = False) -> list[str]:
    """With the embedded weights (or ``force``: the embedded model's architecture with other
    weights, e.g. a random-weight control), every setting the user did not give takes the
    embedded model's value (ros2_zsris/embedded: EMBEDDED_SETTINGS); what the user gave is kept,
    also when it equals the general default (``proposals.backend: sam``, ``fusion.alpha: 0.95``).
    Returns 'section.name=value' for each setting changed, for the log."""
    from ..embedded import EMBEDDED_SETTINGS

    if config.models.clip_weights != "embedded" and not force:
        return []
    changed = []
    for (section, name), value in EMBEDDED_SETTINGS.items():
        record = getattr(config, section)
        if name not in given_settings(record) and getattr(record, name) != value:
            set_default(record, name, value)
            changed.append(f"{section}.{name}={value}")
    return changed


def _check(ok: bool, setting: str, value: object, fix: str) -> None:
    if not ok:
        raise ConfigError(f"invalid value {value!r}", setting=setting, fix=fix)
