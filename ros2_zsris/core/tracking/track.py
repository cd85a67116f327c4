"""The records of follow mode: one update per followed frame, a kept frame, a track and a search."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field

import numpy as np

from ..geometry import mask_box, mask_centroid
from .appearance import ColourModel
from .flow import FlowTracker, Region, crop, grow, place

MIN_VISIBLE_PX = 12
HOLD_LIMIT = 450  # frames kept at most while a follow command waits for its answer (15 s at 30 fps)


@dataclass
class TrackUpdate:
    """The followed object on one frame."""

    track_id: int
    stamp: float
    status: str  # "ok" (object found), "lost", "searching" (a lost object looked for), "reacquired", "stopped"
    mask: np.ndarray | None = field(repr=False, default=None)  # (H, W) bool: its visible pixels
    box: tuple[int, int, int, int] | None = None
    centroid_px: tuple[float, float] | None = None
    confidence: float = 0.0  # [0, 1]: flow agreement x visible share x share in view
    source: str = "flow"  # "start", "flow", "confirmed", "kept", "reacquired", "corrected"
    reason: str = ""
    expression: str = ""
    searching: bool = False  # the object is searched for after this update ("lost" or "searching")

    @property
    def found(self) -> bool:
        return self.status in ("ok", "reacquired")


@dataclass
class KeptFrame:
    """One past frame: its grey image, and where the track's shape was then (anchor -> frame)."""

    stamp: float
    grey: np.ndarray = field(repr=False)
    placement: np.ndarray | None = None  # 3x3 anchor->frame; None: no track on this frame
    track_id: int = -1


@dataclass
class Track:
    track_id: int
    expression: str
    size: tuple[int, int]  # (H, W) of the frames
    anchor: Region = field(repr=False, default=None)  # the object's full shape on the anchor frame
    support: Region = field(repr=False, default=None)  # the shape grown: where features are looked for
    placement: np.ndarray = field(default_factory=lambda: np.eye(3))  # anchor -> current frame
    seen_placement: np.ndarray = field(default_factory=lambda: np.eye(3))  # where it was last seen, moved with the view
    colours: ColourModel = field(default_factory=ColourModel)
    surround: ColourModel = field(default_factory=ColourModel)  # the table right around the object
    flow: FlowTracker | None = None
    bad_frames: int = 0
    disagreements: int = 0
    last_reground_s: float = float("-inf")
    confidence: float = 1.0
    last_source: str = "start"
    hidden: Region | None = field(repr=False, default=None)  # the shape's pixels hidden on the last frame
    seen: float = 1.0  # share of the shape visible on the last frame
    tentative: bool = False  # an uncertain first answer, not yet confirmed by a re-grounding
    lead: float = float("inf")  # how far the first answer led the next candidate (score)
    checks: int = 0  # re-groundings that looked at a tentative track
    note: str = ""  # said once, on the next update
    returned: Search | None = field(repr=False, default=None)  # found again on a camera frame, not yet confirmed
    returned_at: float = float("-inf")  # ... on the frame stamped this

    def set_anchor(self, mask: np.ndarray) -> None:
        self.anchor = crop(mask)
        self.support = grow(self.anchor)
        self.placement, self.seen_placement = np.eye(3), np.eye(3)

    def ring(self) -> Region:
        """The support without the object: where the table around it is seen on the anchor frame."""
        support = place(self.support, np.eye(3), self.size)
        height, width = support.mask.shape
        inside = self.anchor.full(self.size)[support.y0:support.y0 + height, support.x0:support.x0 + width]
        return Region(support.x0, support.y0, support.mask & ~inside)

    def shape(self, placement: np.ndarray | None = None) -> Region:
        return place(self.anchor, self.placement if placement is None else placement, self.size)

    def update(self, stamp: float, status: str, region: Region, confidence: float, source: str) -> TrackUpdate:
        """The update for one frame from the object's pixels there (box and centroid from the region:
        a catch-up makes hundreds at once)."""
        box, centroid = mask_box(region.mask), mask_centroid(region.mask)
        if box is not None:
            box = (box[0] + region.x0, box[1] + region.y0, box[2] + region.x0, box[3] + region.y0)
            centroid = (centroid[0] + region.x0, centroid[1] + region.y0)
        return TrackUpdate(self.track_id, stamp, status, region.full(self.size), box, centroid, confidence,
                           source, expression=self.expression)


@dataclass
class Search:
    """A lost track whose object is looked for again: its shape moves with the view."""

    track: Track
    since: float  # stamp of the frame it was lost on
    reason: str


class History(collections.deque):
    """The kept frames: the newest ``size``, and while a follow command waits for its answer
    (``held_from``: its frame's stamp) every frame from its frame on, up to HOLD_LIMIT, so the
    track can answer them all however long the encoder takes."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size
        self.held_from: float | None = None

    def append(self, kept: KeptFrame) -> None:
        super().append(kept)
        while len(self) > self.size and not self._held(self[0]):
            self.popleft()

    def _held(self, kept: KeptFrame) -> bool:
        return self.held_from is not None and kept.stamp >= self.held_from and len(self) <= HOLD_LIMIT
