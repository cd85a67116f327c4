"""segment-anything's automatic masks, computed with less work on the CPU.

The same network, the same weights, the same masks (tested against the library's own
SamAutomaticMaskGenerator): only the order of the arithmetic changes. Profiled on
2 CPU cores (bench/RESULTS.md), the stock path spends its time in

* the image encoder's global attention, where the decomposed relative-position bias is
  added to a 12x4096x4096 attention map by two broadcasting adds: here the bias goes
  into ``scaled_dot_product_attention`` one head at a time (as segment-anything-fast did);
* the mask decoder, which copies the 64x64x256 image embedding once per prompt point
  and runs every projection on those copies: here everything that does not depend on
  the point (layer 1's image projections, the positional terms) is computed once, the
  attention projections are folded into the 7 prompt tokens (linear algebra: a 56-wide
  product instead of a 128-wide projection of 4096 image tokens), and the transposed
  convolutions of the upscaler become matrix products in channels-last layout;
* upsampling all 3 masks of every point to the image size before the quality filter
  drops most of them: here the filter runs first.
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .torchvision_compat import ensure_torchvision_importable

ensure_torchvision_importable()

from segment_anything import SamAutomaticMaskGenerator  # noqa: E402
from segment_anything.modeling import Sam  # noqa: E402
from segment_anything.modeling.image_encoder import Attention as EncoderAttention  # noqa: E402
from segment_anything.modeling.image_encoder import get_rel_pos  # noqa: E402
from segment_anything.utils.amg import (  # noqa: E402
    MaskData,
    batch_iterator,
    batched_mask_to_box,
    calculate_stability_score,
    is_box_near_crop_edge,
    mask_to_rle_pytorch,
    uncrop_boxes_xyxy,
    uncrop_masks,
    uncrop_points,
)
from torchvision.ops.boxes import batched_nms  # noqa: E402


# --------------------------------------------------------------------------- encoder
def _sdpa_rel_pos_forward(self: EncoderAttention, x: torch.Tensor) -> torch.Tensor:
    """EncoderAttention.forward with the rel-pos bias passed to SDPA, one head at a time.

    One head's bias is 4096x4096 floats (64 MB) instead of twelve, and the fused
    attention kernel replaces the matmul, two broadcast adds, softmax and matmul.
    """
    batch, height, width, _ = x.shape
    heads = self.num_heads
    qkv = self.qkv(x).reshape(batch, height * width, 3, heads, -1).permute(2, 0, 3, 1, 4)
    q, k, v = qkv.unbind(0)  # (B, heads, HW, C)
    if not self.use_rel_pos:
        out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
    else:
        rel_h_table = get_rel_pos(height, height, self.rel_pos_h)
        rel_w_table = get_rel_pos(width, width, self.rel_pos_w)
        outs = []
        for head in range(heads):
            q_head = q[:, head : head + 1]
            r_q = q_head.reshape(batch, height, width, -1)
            rel_h = torch.einsum("bhwc,hkc->bhwk", r_q, rel_h_table)
            rel_w = torch.einsum("bhwc,wkc->bhwk", r_q, rel_w_table)
            bias = (rel_h[..., :, None] + rel_w[..., None, :]).reshape(batch, 1, height * width, height * width)
            outs.append(F.scaled_dot_product_attention(q_head, k[:, head : head + 1], v[:, head : head + 1],
                                                       attn_mask=bias, scale=self.scale))
        out = torch.cat(outs, dim=1)
    out = out.view(batch, heads, height, width, -1).permute(0, 2, 3, 1, 4).reshape(batch, height, width, -1)
    return self.proj(out)


def accelerate_image_encoder(sam: torch.nn.Module) -> torch.nn.Module:
    """Route the global-attention blocks of a segment-anything image encoder through SDPA, in place.

    Only global blocks (window_size 0, 4096 tokens) gain: on the 14x14 windows the
    per-head loop measured slower than the library's batched arithmetic, so they keep it.
    """
    for block in sam.image_encoder.blocks:
        if block.window_size == 0 and isinstance(block.attn, EncoderAttention):
            block.attn.forward = types.MethodType(_sdpa_rel_pos_forward, block.attn)
    return sam


# --------------------------------------------------------------------------- decoder
def _heads(weight: torch.Tensor, heads: int) -> torch.Tensor:
    """(heads*c, d) projection weight -> (heads, c, d)."""
    return weight.reshape(heads, weight.shape[0] // heads, weight.shape[1])


def _block_diag_tokens(tokens: torch.Tensor, heads: int) -> torch.Tensor:
    """(B, T, heads*c) projected tokens -> (B, heads*c, heads*T), block-diagonal per head.

    Multiplying image features (N, heads*c) by it gives every head's logits against
    every token in one product, laid out (N, heads*T) so softmax and the next product
    need no transposes.
    """
    batch, count, width = tokens.shape
    per_head = width // heads
    split = tokens.reshape(batch, count, heads, per_head).permute(0, 2, 3, 1)  # (B, heads, c, T)
    out = tokens.new_zeros(batch, heads, per_head, heads, count)
    index = torch.arange(heads, device=tokens.device)
    out[:, index, :, index, :] = split.permute(1, 0, 2, 3)
    return out.reshape(batch, width, heads * count)


def _image_to_token(attn, logits: torch.Tensor, tokens_v: torch.Tensor) -> torch.Tensor:
    """Image tokens attend to the prompt tokens; returns out_proj(attention) (B, N, D).

    ``logits`` (B, N, heads*T) are the scaled attention logits; the value and output
    projections are applied to the T tokens, not to the N image tokens.
    """
    heads = attn.num_heads
    batch, count, _ = tokens_v.shape
    probs = logits.reshape(logits.shape[0], -1, heads, count).softmax(dim=-1)
    values = attn.v_proj(tokens_v).reshape(batch, count, heads, -1).permute(0, 2, 1, 3)  # (B, h, T, c)
    out_weight = _heads(attn.out_proj.weight.t(), heads)  # (heads, c, D)
    value_out = (values @ out_weight.unsqueeze(0)).reshape(batch, heads * count, -1)  # (B, h*T, D)
    return torch.baddbmm(attn.out_proj.bias, probs.reshape(probs.shape[0], -1, heads * count).expand(batch, -1, -1),
                         value_out)


def _token_to_image(attn, tokens_q: torch.Tensor, keys: torch.Tensor, pe_k: torch.Tensor) -> torch.Tensor:
    """Prompt tokens attend to the image: out_proj(softmax(q k^T / sqrt(c)) v) without projecting N keys.

    k = keys @ Wk^T + pe_k (pe_k = pe @ Wk^T + bk, shared), so q.k = keys @ (Wk^T q) + pe_k q;
    v = keys @ Wv^T + bv and the softmax weights sum to 1, so P v = (P keys) @ Wv^T + bv.
    """
    heads = attn.num_heads
    batch, count, _ = tokens_q.shape
    q = attn.q_proj(tokens_q) / math.sqrt(attn.internal_dim // heads)  # (B, T, h*c)
    q_blocks = _block_diag_tokens(q, heads)  # (B, h*c, h*T)
    key_weight = attn.k_proj.weight  # (h*c, D)
    logits = torch.baddbmm(pe_k @ q_blocks, keys.expand(batch, -1, -1), key_weight.t() @ q_blocks)  # (B, N, h*T)
    probs = logits.softmax(dim=1)
    pooled = probs.transpose(1, 2) @ keys.expand(batch, -1, -1)  # (B, h*T, D)
    pooled = pooled.reshape(batch, heads, count, -1)
    value_weight = _heads(attn.v_proj.weight, heads)  # (h, c, D)
    values = pooled @ value_weight.transpose(1, 2).unsqueeze(0)  # (B, h, T, c)
    values = values + attn.v_proj.bias.reshape(1, heads, 1, -1)
    values = values.permute(0, 2, 1, 3).reshape(batch, count, -1)
    return attn.out_proj(values)


def _query_logits(attn, image: torch.Tensor, tokens_k: torch.Tensor, pe_q: torch.Tensor) -> torch.Tensor:
    """Logits of image queries (image + pe) against projected tokens, (B, N, heads*T)."""
    heads = attn.num_heads
    batch = tokens_k.shape[0]
    k = attn.k_proj(tokens_k) / math.sqrt(attn.internal_dim // heads)
    k_blocks = _block_diag_tokens(k, heads)  # (B, h*c, h*T)
    return torch.baddbmm(pe_q @ k_blocks, image.expand(batch, -1, -1), attn.q_proj.weight.t() @ k_blocks)


@dataclass
class _ImageTerms:
    """What every prompt shares on one image: the keys, the positional terms and their projections."""

    keys0: torch.Tensor  # (1, N, D) image embedding + dense prompt embedding
    pe: torch.Tensor  # (1, N, D)
    layer1_query_logits: torch.Tensor  # (1, N, h*c): layer 1 image-to-token queries (keys0 + pe), projected
    layer2_pe_k: torch.Tensor  # (1, N, h*c)
    layer2_pe_q: torch.Tensor  # (1, N, h*c)
    final_pe_k: torch.Tensor  # (1, N, h*c)
    high_res: tuple[torch.Tensor, torch.Tensor] | None  # SAM 2: (feat_s1, feat_s0) in the upscaler's layout


def _image_terms(decoder: torch.nn.Module, image_embedding: torch.Tensor, image_pe: torch.Tensor, dense: torch.Tensor,
                 high_res_features: list[torch.Tensor] | None) -> _ImageTerms:
    transformer = decoder.transformer
    first, second = transformer.layers
    keys0 = (image_embedding + dense[:1]).flatten(2).transpose(1, 2)
    pe = image_pe.flatten(2).transpose(1, 2)
    i2t = first.cross_attn_image_to_token
    high_res = None
    if high_res_features is not None:
        feat_s0, feat_s1 = high_res_features
        high_res = (_subpixel_layout(feat_s1, 1), _subpixel_layout(feat_s0, 2))
    return _ImageTerms(
        keys0=keys0, pe=pe, layer1_query_logits=i2t.q_proj(keys0 + pe),
        layer2_pe_k=F.linear(pe, second.cross_attn_token_to_image.k_proj.weight,
                             second.cross_attn_token_to_image.k_proj.bias),
        layer2_pe_q=F.linear(pe, second.cross_attn_image_to_token.q_proj.weight,
                             second.cross_attn_image_to_token.q_proj.bias),
        final_pe_k=F.linear(pe, transformer.final_attn_token_to_image.k_proj.weight,
                            transformer.final_attn_token_to_image.k_proj.bias),
        high_res=high_res)


def _subpixel_layout(feature: torch.Tensor, levels: int) -> torch.Tensor:
    """(1, C, h*2^L, w*2^L) map -> (h*w*4^L, C) rows in the order _upscale produces its sub-pixels.

    Row (i, j, a1, b1, ..., aL, bL) is pixel (2^L i + 2^(L-1) a1 + ... + aL, same for j and b).
    """
    channels, height, width = feature.shape[1], feature.shape[2] >> levels, feature.shape[3] >> levels
    split = feature[0].reshape(channels, height, *([2] * levels), width, *([2] * levels))
    # dims: c, i, a1..aL, j, b1..bL  ->  i, j, a1, b1, ..., aL, bL, c
    pairs = [dim for k in range(1, levels + 1) for dim in (1 + k, 2 + levels + k)]
    return split.permute(1, 2 + levels, *pairs, 0).reshape(-1, channels)


@torch.no_grad()
def decode_single_points(decoder: torch.nn.Module, image_embedding: torch.Tensor, image_pe: torch.Tensor,
                         sparse: torch.Tensor, dense: torch.Tensor,
                         high_res_features: list[torch.Tensor] | None = None, chunk: int = 16,
                         min_iou: float | None = None,
                         upscale_dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """MaskDecoder(..., multimask_output=True) for B single-point prompts on one image, same arithmetic.

    Works for segment-anything's and sam2's decoders (sam2: an object-score token first, and the
    high-resolution features ``[feat_s0, feat_s1]`` added in the upscaler). ``image_embedding``
    and ``image_pe`` (1, D, h, w), ``sparse`` (B, T, D), ``dense`` (1 or B, D, h, w), identical
    across prompts (no mask input). The per-prompt work runs ``chunk`` prompts at a time so
    its (chunk, N, D) tensors stay nearer the cache (one thread: chunk 2 was ~1.4x faster than
    64); much smaller chunks mean many small parallel ops, which 2 threads on a busy machine
    run badly (chunk 2 took twice as long as 64 there): 16 is close to the best in both.
    With ``min_iou``, the masks of a prompt none of whose 3 IoU predictions exceeds it are not
    upscaled (the generator's quality filter would drop all three before looking at them).
    Returns the low-res masks of the prompts computed (K, 3, 4h, 4w), the IoU predictions of all
    (B, 3), and which prompts were computed (B,) bool.
    """
    first = decoder.transformer.layers[0]  # depth 2, the first skips its PE
    batch = sparse.shape[0]
    _, _, height, width = image_embedding.shape
    terms = _image_terms(decoder, image_embedding, image_pe, dense, high_res_features)
    prefix = [decoder.obj_score_token.weight] if getattr(decoder, "pred_obj_scores", False) else []
    output_tokens = torch.cat([*prefix, decoder.iou_token.weight, decoder.mask_tokens.weight], dim=0)
    point_embedding = torch.cat((output_tokens.unsqueeze(0).expand(batch, -1, -1), sparse), dim=1)
    # layer 1, token side: the keys are the same image for every prompt
    queries = first.norm1(first.self_attn(q=point_embedding, k=point_embedding, v=point_embedding))
    attn_out = first.cross_attn_token_to_image(q=queries + point_embedding, k=terms.keys0 + terms.pe, v=terms.keys0)
    queries = first.norm2(queries + attn_out)
    queries = first.norm3(queries + first.mlp(queries))
    masks, ious, computed = [], [], []
    for start in range(0, batch, chunk):
        part = slice(start, start + chunk)
        mask, iou, done = _decode_chunk(decoder, terms, queries[part], point_embedding[part], len(prefix),
                                        height, width, min_iou, upscale_dtype)
        masks.append(mask)
        ious.append(iou)
        computed.append(done)
    return torch.cat(masks), torch.cat(ious), torch.cat(computed)


def _decode_chunk(decoder: torch.nn.Module, terms: _ImageTerms, queries: torch.Tensor, point_embedding: torch.Tensor,
                  offset: int, height: int, width: int, min_iou: float | None,
                  upscale_dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Everything after layer 1's token side, for a few prompts: their keys differ per prompt."""
    transformer = decoder.transformer
    first, second = transformer.layers
    i2t = first.cross_attn_image_to_token
    k = i2t.k_proj(queries + point_embedding) / math.sqrt(i2t.internal_dim // i2t.num_heads)
    logits = terms.layer1_query_logits @ _block_diag_tokens(k, i2t.num_heads)  # (b, N, h*T)
    keys = first.norm4(terms.keys0 + _image_to_token(i2t, logits, queries))
    # layer 2 (the positional terms are shared)
    q = queries + point_embedding
    queries = second.norm1(queries + second.self_attn(q=q, k=q, v=queries))
    queries = second.norm2(queries + _token_to_image(second.cross_attn_token_to_image, queries + point_embedding,
                                                     keys, terms.layer2_pe_k))
    queries = second.norm3(queries + second.mlp(queries))
    i2t = second.cross_attn_image_to_token
    logits = _query_logits(i2t, keys, queries + point_embedding, terms.layer2_pe_q)
    keys = second.norm4(keys + _image_to_token(i2t, logits, queries))
    # final token-to-image attention
    final = transformer.final_attn_token_to_image
    queries = transformer.norm_final_attn(queries + _token_to_image(final, queries + point_embedding, keys,
                                                                    terms.final_pe_k))
    iou_pred = decoder.iou_prediction_head(queries[:, offset, :])[:, 1:]
    done = torch.ones(len(iou_pred), dtype=torch.bool, device=iou_pred.device)
    if min_iou is not None:
        done = (iou_pred > min_iou).any(dim=1)
        keys, queries = keys[done], queries[done]
    first_mask = offset + 2  # tokens offset+1.. are masks; offset+1 (single mask) is unused here
    hyper = torch.stack([decoder.output_hypernetworks_mlps[i + 1](queries[:, first_mask + i, :])
                         for i in range(decoder.num_mask_tokens - 1)], dim=1)  # (b, 3, C)
    return _upscale(decoder, keys, hyper, height, width, terms.high_res, upscale_dtype), iou_pred, done


def _upscale(decoder: torch.nn.Module, keys: torch.Tensor, hyper: torch.Tensor, height: int, width: int,
             high_res: tuple[torch.Tensor, torch.Tensor] | None = None,
             dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """output_upscaling (2x ConvTranspose k=2,s=2 + LayerNorm2d + GELU) as channels-last matmuls.

    A stride-2, kernel-2 transposed convolution writes each output pixel from exactly one
    input pixel, so it is a matrix product followed by a pixel shuffle; the shuffle is
    done once, on the 3 final masks instead of the 32-channel features. SAM 2 adds its
    high-resolution features after each convolution (``high_res``: in the same layout).
    ``dtype`` bf16: the convolutions, LayerNorm and GELU run in bf16 (this is the part of
    the decoder with per-prompt full-resolution features); the final 3-mask product is fp32.
    """
    conv1, norm, act1, conv2, act2 = decoder.output_upscaling
    batch, tokens, _ = keys.shape
    w1 = conv1.weight.permute(0, 2, 3, 1).reshape(conv1.in_channels, -1).to(dtype)  # (D, 2*2*C1)
    x = torch.mm(keys.reshape(-1, keys.shape[-1]).to(dtype), w1).add_(conv1.bias.to(dtype).repeat(4))
    x = x.reshape(batch, tokens * 4, conv1.out_channels)
    if high_res is not None:
        x = x.add_(high_res[0].to(dtype))
    x = act1(F.layer_norm(x, (conv1.out_channels,), norm.weight.to(dtype), norm.bias.to(dtype), norm.eps))
    w2 = conv2.weight.permute(0, 2, 3, 1).reshape(conv2.in_channels, -1).to(dtype)  # (C1, 2*2*C2)
    x = torch.mm(x.reshape(-1, conv2.in_channels), w2).add_(conv2.bias.to(dtype).repeat(4))
    x = x.reshape(batch, tokens * 16, conv2.out_channels)
    if high_res is not None:
        x = x.add_(high_res[1].to(dtype))
    masks = act2(x).float() @ hyper.float().transpose(1, 2)  # (B, N*4*4, 3)
    # token (i, j), first 2x2 sub-pixel (a, b), second (c, d) -> row 4i+2a+c, column 4j+2b+d
    masks = masks.reshape(batch, height, width, 2, 2, 2, 2, hyper.shape[1]).permute(0, 7, 1, 3, 5, 2, 4, 6)
    return masks.reshape(batch, hyper.shape[1], height * 4, width * 4)


# --------------------------------------------------------------------------- precision
def compute_in(module: torch.nn.Module, dtype: torch.dtype) -> torch.nn.Module:
    """Run ``module``'s forward under autocast to ``dtype`` (bf16/fp16), its tensor outputs back in fp32, in place.

    Autocast keeps normalisations and softmax in fp32 and runs the matrix products in
    ``dtype``, which is where a CPU with AMX / AVX512-BF16 is ~10x faster than in fp32.
    Everything after the module (prompt decoding, thresholds) sees fp32 as before.
    """
    if dtype == torch.float32:
        return module
    forward = module.forward

    def low_precision_forward(*args, **kwargs):
        device_type = next(module.parameters()).device.type
        with torch.autocast(device_type=device_type, dtype=dtype):
            return _to_float(forward(*args, **kwargs))

    module.forward = low_precision_forward
    return module


def _to_float(value):
    if isinstance(value, torch.Tensor):
        return value.float()
    if isinstance(value, dict):
        return {key: _to_float(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_float(item) for item in value)
    return value


# --------------------------------------------------------------------------- generator
class FastCrops:
    """The automatic mask generator's per-crop work with the fast decoder and every filter first.

    The stock generators (segment_anything's and sam2's) upsample all 3 masks of every
    point before the quality filter, run-length encode every mask before the duplicate NMS
    and deep-copy those encodings when they gather them; here masks stay tensors until NMS
    has chosen the survivors, and only candidates that passed the IoU filter are upsampled,
    a few at a time, straight to binary masks and stability scores.
    Crops, NMS, small-region removal and the record format stay the library's. A backend
    provides ``_decode``, ``_upsample``, ``_reset_predictor`` and ``_mask_threshold``.
    """

    decoder_dtype: torch.dtype = torch.float32
    decoder_autocast = False

    def _process_crop(self, image: np.ndarray, crop_box: list[int], crop_layer_idx: int,
                      orig_size: tuple[int, ...]) -> MaskData:
        x0, y0, x1, y1 = crop_box
        cropped = image[y0:y1, x0:x1, :]
        size = cropped.shape[:2]
        self.predictor.set_image(cropped)
        points_for_image = self.point_grids[crop_layer_idx] * np.array(size)[None, ::-1]
        parts = [self._candidates(points, size, crop_box, orig_size)
                 for (points,) in batch_iterator(self.points_per_batch, points_for_image)]
        self._reset_predictor()
        data = MaskData(**{key: torch.cat([part[key] for part in parts]) for key, _ in parts[0].items()})
        keep = batched_nms(data["boxes"].float(), data["iou_preds"], torch.zeros(len(data["boxes"])),
                           iou_threshold=self.box_nms_thresh)
        data.filter(keep)
        data["boxes"] = uncrop_boxes_xyxy(data["boxes"], crop_box)
        data["points"] = uncrop_points(data["points"], crop_box)
        data["crop_boxes"] = torch.tensor([crop_box for _ in range(len(data["boxes"]))])
        data["rles"] = mask_to_rle_pytorch(uncrop_masks(data["masks"], crop_box, *orig_size))
        del data["masks"]
        return data

    def _candidates(self, points: np.ndarray, im_size: tuple[int, ...], crop_box: list[int],
                    orig_size: tuple[int, ...]) -> MaskData:
        """The stock _process_batch: same filters in the same order, upsampling after the IoU filter."""
        min_iou = self.pred_iou_thresh if self.pred_iou_thresh > 0.0 else None  # the stock filters only when > 0
        if self.decoder_autocast:
            with torch.autocast(device_type=self.predictor.device.type, dtype=self.decoder_dtype):
                low_res, iou_preds, computed, point_rows = self._decode(points, im_size, min_iou)
        else:
            low_res, iou_preds, computed, point_rows = self._decode(points, im_size, min_iou)
        low_res, iou_preds = low_res.float().flatten(0, 1), iou_preds.float()
        keep = iou_preds > self.pred_iou_thresh if min_iou is not None else torch.ones_like(iou_preds, dtype=bool)
        keep_computed = keep[computed].flatten()
        keep = keep.flatten()
        masks, stability = self._binary_masks(low_res[keep_computed])
        data = MaskData(masks=masks, iou_preds=iou_preds.flatten()[keep], points=point_rows[keep.cpu()],
                        stability_score=stability)
        del masks, low_res
        orig_h, orig_w = orig_size
        if self.stability_score_thresh > 0.0:
            data.filter(data["stability_score"] >= self.stability_score_thresh)
        data["boxes"] = batched_mask_to_box(data["masks"])
        keep_mask = ~is_box_near_crop_edge(data["boxes"], crop_box, [0, 0, orig_w, orig_h])
        if not torch.all(keep_mask):
            data.filter(keep_mask)
        return data


    def _binary_masks(self, low_res: torch.Tensor, chunk: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
        """Upsampled logits -> stability scores and binary masks, ``chunk`` masks at a time.

        The stock generator holds every candidate's full-size float logits at once (192 masks
        at 1024x1024 inside postprocess_masks: 0.8 GB); per chunk the same arithmetic stays
        in cache and only the binary masks are kept.
        """
        masks, scores = [], []
        for start in range(0, len(low_res), chunk):
            logits = self._upsample(low_res[start : start + chunk])
            scores.append(calculate_stability_score(logits, self._mask_threshold, self.stability_score_offset))
            masks.append(logits > self._mask_threshold)
        if not masks:
            empty = self._upsample(low_res[:0])
            return empty > self._mask_threshold, empty.new_zeros(0)
        return torch.cat(masks), torch.cat(scores)


class FastSamAutomaticMaskGenerator(FastCrops, SamAutomaticMaskGenerator):
    """segment_anything's SamAutomaticMaskGenerator through FastCrops and the SDPA encoder attention.

    ``encoder_dtype`` / ``decoder_dtype``: torch.bfloat16 runs that stage's matrix products in
    bf16 (see compute_in); float32 (the default) is the library's arithmetic.
    """

    def __init__(self, model: Sam, encoder_dtype: torch.dtype = torch.float32,
                 decoder_dtype: torch.dtype = torch.float32, **kwargs):
        accelerate_image_encoder(model)
        compute_in(model.image_encoder, encoder_dtype)
        super().__init__(model, **kwargs)
        self.decoder_dtype = decoder_dtype

    @property
    def _mask_threshold(self) -> float:
        return self.predictor.model.mask_threshold

    def _decode(self, points: np.ndarray, im_size: tuple[int, ...],
                min_iou: float | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        predictor, model = self.predictor, self.predictor.model
        coords = torch.as_tensor(predictor.transform.apply_coords(points, im_size), device=predictor.device)[:, None]
        labels = torch.ones(coords.shape[0], 1, dtype=torch.int, device=coords.device)
        sparse, dense = model.prompt_encoder(points=(coords, labels), boxes=None, masks=None)
        masks, ious, computed = decode_single_points(model.mask_decoder, predictor.features,
                                                     model.prompt_encoder.get_dense_pe(), sparse, dense,
                                                     min_iou=min_iou, upscale_dtype=self.decoder_dtype)
        return masks, ious, computed, torch.as_tensor(points.repeat(3, axis=0))

    def _upsample(self, low_res: torch.Tensor) -> torch.Tensor:
        predictor = self.predictor
        return predictor.model.postprocess_masks(low_res[:, None], predictor.input_size, predictor.original_size)[:, 0]

    def _reset_predictor(self) -> None:
        self.predictor.reset_image()
