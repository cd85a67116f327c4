"""Paper mode ('gl-clip-paper'): what the official Global-Local CLIP code computes, step by step.

The project's own method ('zsris') improves on the paper; comparing with the published
numbers needs the paper's computation, including the parts that are accidents of the
authors' environment (Yu et al., CVPR 2023, Seonghoon-Yu/Zero-shot-RIS,
Our_method_with_free_solo.py with model/backbone.py and its modified CLIP):

  (a) text: the expression lower-cased, tokenised by spaCy and re-joined with single spaces;
      that string is what CLIP encodes, and it is parsed again for the phrase;
  (b) target phrase: the last token that is its own head; its noun chunk; else the chunk of
      its first child; else the whole sentence;
  (c) every tensor resize as torchvision 0.11 did it: bilinear, half-pixel centres, no
      antialias (the photo itself first goes through the data loader's PIL resize to a
      shorter side of 800, then back to its own size for the crops);
  (d) ImageNet mean/std (the data loader's), not CLIP's;
  (e) fusion and score, which differ by backbone:
      ViT (CLIPViTFM.calculate_score): the raw global and local features are mixed, the raw
      sentence and phrase features are mixed, both mixtures normalised: a cosine;
      ResNet (clip_backbone): the global feature is the attention pool of the L2-normalised,
      mask-weighted layer4 map (feature_map_masking), the local one is unit length
      (get_gloval_vector), each text feature is normalised (get_text_feature), and
      calculate_similarity_score normalises neither mixture: the score is a dot product;
  (f) the expression is used as given: no command parsing, no spatial stage.
Local crops follow the official order: mask the photo (outside: the ImageNet mean added
in normalised space), crop to the box FreeSOLO derives from the mask, resize.
Scores are reported without the official logit-scale factor (argmax and ranking unchanged).
test/test_paper.py holds all of this to outputs of the official code itself, run on real photos
(bench/official_gl_clip.py, fixture test/data/paper_official/).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .results import FrameFeatures
from .vision.encoders import RegionEncoder
from .vision.loading import ClipBundle

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
LOADER_SHORT_SIDE = 800  # the official data loader's T.Resize(800) on the PIL image


# --------------------------------------------------------------------------- text
def official_sentence(nlp, expression: str) -> str:
    """(a): lower-case, spaCy tokens re-joined by single spaces (single-space tokens dropped)."""
    return " ".join(token.text for token in nlp(expression.lower()) if token.text != " ")


def official_phrase(doc) -> str:
    """(b): the official target-phrase rule on a parsed sentence."""
    chunk_of = {i: chunk for chunk in doc.noun_chunks for i in range(chunk.start, chunk.end)}
    heads = [token for token in doc if token.head.i == token.i]
    if not heads:
        return doc.text
    head = heads[-1]
    if head.i not in chunk_of:
        children = list(head.children)
        if not children or children[0].i not in chunk_of:
            return doc.text
        head = children[0]
    return chunk_of[head.i].text


def official_text(nlp, expression: str) -> tuple[str, str]:
    """The string CLIP encodes and its target phrase; the official code parses twice."""
    sentence = official_sentence(nlp, expression)
    return sentence, official_phrase(nlp(sentence))


def fuse_text_official(sentence: torch.Tensor, phrase: torch.Tensor, beta: float,
                       resnet: bool = False) -> torch.Tensor:
    """(e) text: ViT mixes the raw features, then normalises (the project normalises each first);
    ResNet mixes the normalised features and leaves the mixture as it is."""
    if resnet:
        return beta * F.normalize(sentence, dim=-1) + (1.0 - beta) * F.normalize(phrase, dim=-1)
    return F.normalize(beta * sentence + (1.0 - beta) * phrase, dim=-1)


def fuse_visual_official(features: FrameFeatures, alpha: float, resnet: bool = False) -> torch.Tensor:
    """(e) visual: the global and local features as PaperRegionEncoder stored them, mixed; ViT
    then normalises the mixture, ResNet does not (its local feature is already unit length)."""
    mixed = alpha * features.global_embeddings + (1.0 - alpha) * features.local_embeddings
    return mixed if resnet else F.normalize(mixed, dim=-1)


# --------------------------------------------------------------------------- image
def resize_no_antialias(tensor: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
    """(c): torchvision 0.11's tensor resize: bilinear, align_corners=False, no antialias."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    return F.interpolate(tensor, size=size, mode="bilinear", align_corners=False, antialias=False)


def loader_size(height: int, width: int, short_side: int = LOADER_SHORT_SIDE) -> tuple[int, int]:
    """(height, width) after torchvision 0.11's PIL Resize(short_side): the long side truncated."""
    if min(height, width) == short_side:
        return height, width
    if width <= height:
        return int(short_side * height / width), short_side
    return short_side, int(short_side * width / height)


def freesolo_crop(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the crop the official code takes for a mask.

    FreeSOLO's box is centred on the mean occupied row/column, as wide and high as the
    number of occupied columns/rows, in float32, then truncated toward zero by
    ``.type(torch.int)``; the crop is [y1, y2) x [x1, x2). For a solid mask spanning
    columns a..b this is a-1..b-1 (one pixel left of the mask's own box). A crop of zero
    size, where the official code would fail, is widened to one pixel.
    """
    top, height = _freesolo_span(mask.any(axis=1))
    left, width = _freesolo_span(mask.any(axis=0))
    return top, left, height, width


def _freesolo_span(occupied: np.ndarray) -> tuple[int, int]:
    count = np.float32(occupied.sum())
    centre = np.float32((occupied * np.arange(occupied.size, dtype=np.float32)).sum(dtype=np.float32)
                        / max(count, np.float32(1e-6)))
    start = int(np.float32(centre - np.float32(0.5) * count))
    end = int(np.float32(centre + np.float32(0.5) * count))
    start = min(max(start, 0), occupied.size - 1)
    return start, max(min(end, occupied.size) - start, 1)


class PaperRegionEncoder(RegionEncoder):
    """The official global (ViT: token masking; ResNet: feature-map masking) and local (masked
    crop) features."""

    def __init__(self, clip: ClipBundle, global_blocks: int = 3):
        super().__init__(clip, global_blocks)
        self._mean = torch.tensor(IMAGENET_MEAN, device=clip.device).view(1, 3, 1, 1)
        self._std = torch.tensor(IMAGENET_STD, device=clip.device).view(1, 3, 1, 1)

    def _resize(self, tensor: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
        return resize_no_antialias(tensor, size)

    def image_tensor(self, image: np.ndarray) -> torch.Tensor:
        """The data loader: PIL bilinear resize to a shorter side of 800, ToTensor, ImageNet Normalize."""
        from PIL import Image

        height, width = loader_size(*image.shape[:2])
        resized = np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.BILINEAR))
        pixels = torch.from_numpy(np.array(resized, dtype=np.uint8, copy=True)).to(self.clip.device)
        pixels = pixels.permute(2, 0, 1).unsqueeze(0).float() / 255.0
        return (pixels - self._mean) / self._std

    @torch.no_grad()
    def global_embeddings(self, image: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """The loader tensor (already normalised) squashed to the CLIP input size, then ViT token
        masking (CLIPViTFM, masking_block 9 of 12) or ResNet feature-map masking
        (clip_backbone.feature_map_masking: layer4 normalised over channels, times the 7x7 mask,
        attention pool with the mean of all 49 cells as query); neither is normalised here."""
        whole = self._resize(image, self.clip.image_size).to(self.clip.dtype)
        if self.clip.is_vit:
            return self._vit_global(whole, masks).float()
        return self._resnet_global(whole, masks).float()

    @torch.no_grad()
    def local_embeddings(self, image: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """The crops through the image encoder; ResNet's are normalised (get_gloval_vector)."""
        local = super().local_embeddings(image, masks)
        return local if self.clip.is_vit else F.normalize(local, dim=-1)

    def local_crops(self, image: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """Back to the photo's size, mask (outside: ImageNet mean in normalised space), crop, resize."""
        size = self.clip.image_size
        photo = self._resize(image, tuple(masks.shape[-2:]))
        fill = self._mean
        crops = []
        for mask in masks:
            inside = mask.to(photo.dtype)[None, None]
            masked = photo * inside + (1 - inside) * fill
            top, left, height, width = freesolo_crop(mask.cpu().numpy())
            crops.append(self._resize(masked[:, :, top:top + height, left:left + width], size))
        return torch.cat(crops, dim=0).to(self.clip.dtype)
