"""CLIP image features of mask proposals: global (object in its scene) and local (alone).

Global context (METHOD.md section 2): the whole image is encoded once; the proposal
masks enter only at the end, so N proposals cost one stem pass plus a batched tail.
  * ViT: blocks 0..L-k-1 run once; before each of the last k blocks every patch token
    is multiplied by the proposal's soft mask on the patch grid (CLS unmasked).
  * ResNet: the layer4 map is L2-normalised over channels, multiplied by the soft mask
    and pooled by CLIP's attention pooling.
Local context (section 3): background set to a constant, tight crop, resize, and all
crops through the image encoder in one batch.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..geometry import mask_box
from .loading import ClipBundle


class RegionEncoder:
    """Turns (image, proposal masks) into per-proposal global and local CLIP embeddings."""

    def __init__(self, clip: ClipBundle, global_blocks: int = 3):
        self.clip = clip
        self.global_blocks = global_blocks
        self._mean = torch.tensor(clip.mean, device=clip.device).view(1, 3, 1, 1)
        self._std = torch.tensor(clip.std, device=clip.device).view(1, 3, 1, 1)
        if clip.is_vit:
            depth = len(clip.model.visual.transformer.resblocks)
            if not 1 <= global_blocks <= depth:
                from .errors import ConfigError

                raise ConfigError(
                    f"global_blocks={global_blocks} but {clip.model_name} has {depth} blocks",
                    setting="global_blocks",
                    fix=f"use a value between 1 and {depth}",
                )

    # ------------------------------------------------------------------ helpers
    def image_tensor(self, image: np.ndarray) -> torch.Tensor:
        """uint8 HxWx3 RGB -> float (1, 3, H, W) in [0, 1] on the model's device."""
        tensor = torch.from_numpy(np.array(image, dtype=np.uint8, copy=True)).to(self.clip.device)
        return tensor.permute(2, 0, 1).unsqueeze(0).float() / 255.0

    def _normalise(self, pixels: torch.Tensor) -> torch.Tensor:
        return ((pixels - self._mean) / self._std).to(self.clip.dtype)

    def _resize(self, tensor: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
        size = (size, size) if isinstance(size, int) else size
        return F.interpolate(tensor, size=size, mode="bilinear", align_corners=False, antialias=True)

    def soft_grid_masks(self, masks: torch.Tensor, grid: int) -> torch.Tensor:
        """(N, H, W) bool -> (N, grid, grid) float: the mask's coverage of each patch cell."""
        return self._resize(masks.float().unsqueeze(1), grid).squeeze(1).clamp(0.0, 1.0)

    # ------------------------------------------------------------------ global
    @torch.no_grad()
    def global_embeddings(self, image: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """(1,3,H,W) pixels in [0,1], (N,H,W) bool masks -> (N, D) float32."""
        whole = self._normalise(self._resize(image, self.clip.image_size))  # squashed, no crop
        if self.clip.is_vit:
            return self._vit_global(whole, masks).float()
        return self._resnet_global(whole, masks).float()

    def _vit_global(self, whole: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        visual = self.clip.model.visual
        grid = visual.grid_size[0]
        tokens = visual._embeds(whole)  # (1, 1 + grid*grid, width), after ln_pre
        blocks = visual.transformer.resblocks
        head, tail = blocks[: len(blocks) - self.global_blocks], blocks[len(blocks) - self.global_blocks:]
        tokens = self._run_blocks(head, tokens)
        soft = self.soft_grid_masks(masks, grid).flatten(1)  # (N, grid*grid)
        token_weights = torch.cat([torch.ones_like(soft[:, :1]), soft], dim=1).unsqueeze(-1)
        tokens = tokens.expand(masks.shape[0], -1, -1)
        for block in tail:
            tokens = self._run_blocks([block], tokens * token_weights.to(tokens.dtype))
        pooled, _ = visual._pool(tokens)
        return pooled @ visual.proj if visual.proj is not None else pooled

    def _run_blocks(self, blocks, tokens: torch.Tensor) -> torch.Tensor:
        batch_first = getattr(self.clip.model.visual.transformer, "batch_first", True)
        x = tokens if batch_first else tokens.transpose(0, 1)
        for block in blocks:
            x = block(x)
        return x if batch_first else x.transpose(0, 1)

    def _resnet_global(self, whole: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        visual = self.clip.model.visual
        x = visual.stem(whole)
        x = visual.layer4(visual.layer3(visual.layer2(visual.layer1(x))))  # (1, C, g, g)
        x = F.normalize(x, dim=1)
        soft = self.soft_grid_masks(masks, x.shape[-1]).unsqueeze(1).to(x.dtype)  # (N, 1, g, g)
        return visual.attnpool(x * soft)

    # ------------------------------------------------------------------ local
    @torch.no_grad()
    def local_embeddings(self, image: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """Each proposal alone: background filled, cropped to its box, one batched pass."""
        crops = self.local_crops(image, masks)
        return self.clip.model.encode_image(crops).float()

    def local_crops(self, image: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """(N, 3, S, S) normalised crops; outside the mask the CLIP mean in normalised space.

        The fill follows the reference implementation (light grey once de-normalised).
        """
        size = self.clip.image_size
        fill = self._mean.to(self.clip.dtype)
        crops = []
        height, width = masks.shape[-2:]
        for mask in masks:  # an empty mask (never chosen by the engine) gives a crop of pure fill
            x0, y0, x1, y1 = mask_box(mask.cpu().numpy()) or (0, 0, width - 1, height - 1)
            pixels = self._normalise(self._resize(image[:, :, y0:y1 + 1, x0:x1 + 1], size))
            inside = self._resize(mask[y0:y1 + 1, x0:x1 + 1].float()[None, None], size).clamp(0, 1)
            inside = inside.to(pixels.dtype)
            crops.append(pixels * inside + fill * (1 - inside))
        return torch.cat(crops, dim=0)
