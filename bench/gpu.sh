#!/usr/bin/env bash
# Issue 15 item 4, one command on a CUDA machine (after `make setup`):  bench/gpu.sh
# Frame encoding and command latency, fp32 and fp16 (fp16: CLIP; SAM runs in fp32), for
# SAM vit_b / vit_h, the SAM 2 hiera_t backend, CLIP ViT-B/32 and RN50, random weights;
# then the proposal comparison and the node end to end. Appends every section to bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
"$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device: this script measures the GPU')"
for precision in fp32 fp16; do
  for clip in ViT-B-32 RN50; do
    for sam in vit_b vit_h; do
      "$PY" bench/bench_engine.py --images 4 --proposals sam --sam-model "$sam" --clip-model "$clip" \
        --device cuda --precision "$precision" --write
    done
    "$PY" bench/bench_engine.py --images 4 --proposals sam2 --sam-model hiera_t --clip-model "$clip" \
      --device cuda --precision "$precision" --write
  done
done
"$PY" bench/bench_proposals.py --images 4 --device cuda --write
# the node end to end: bench_node_latency.py runs the node on CPU with classical proposals
# (not yet parameterised for CUDA); run it by hand with models.device:=cuda when needed.
