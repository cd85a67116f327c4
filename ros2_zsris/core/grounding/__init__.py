"""Grounding stage: spatial predicates over the proposals and the ranking that combines them
with CLIP's scores."""

from .ranking import Grounding, ground, object_groups
from .regions import RegionGeometry, region_geometry

__all__ = ["Grounding", "RegionGeometry", "ground", "object_groups", "region_geometry"]
