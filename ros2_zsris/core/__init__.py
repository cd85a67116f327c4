"""ROS-free core of ros2_zsris: proposals, CLIP region features, text, matching, geometry.

Public API (small and stable):
    ZsrisEngine(config).encode_frame(image, depth=None, *, masks=None, camera_k=None) -> FrameFeatures
    ZsrisEngine.query(features, command) -> Result
    EngineConfig (method: zsris | gl-clip-paper) / ModelConfig / ProposalConfig / FusionConfig,
    Status, ZsrisError
"""

from .config import EngineConfig, FusionConfig, GroundingConfig, ModelConfig, ProposalConfig
from .engine import ZsrisEngine
from .errors import ConfigError, InputError, WeightsError, ZsrisError
from .results import FrameFeatures, Result, Status

__all__ = [
    "ConfigError",
    "EngineConfig",
    "GroundingConfig",
    "FrameFeatures",
    "FusionConfig",
    "InputError",
    "ModelConfig",
    "ProposalConfig",
    "Result",
    "Status",
    "WeightsError",
    "ZsrisEngine",
    "ZsrisError",
]
