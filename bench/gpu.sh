#!/usr/bin/env bash
# Issue 15 item 4, one command on a CUDA machine (after `make setup`):  bench/gpu.sh
# Frame encoding and command latency at precision fp32 and fp16 (fp16: CLIP and SAM / SAM 2
# matrix products), for SAM vit_b / vit_h, the SAM 2 hiera_t backend, CLIP ViT-B/32 and RN50,
# random weights; then the proposal comparison (stock fp32 vs project fp32 vs project auto =
# bf16 where the GPU has it, with mask agreement) with the filters as configured and opened.
# Appends every section to bench/RESULTS.md. Not yet run: no GPU has been lent to this project.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export PYTHONPATH=${PYTHONPATH:-.}
"$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device: this script measures the GPU')"
"$PY" -c "import torch; print(torch.cuda.get_device_name(0), 'bf16:', torch.cuda.is_bf16_supported())"
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
for sam in vit_b vit_h; do
  "$PY" bench/bench_proposals.py --images 4 --sam-model "$sam" --device cuda --write
  "$PY" bench/bench_proposals.py --images 2 --sam-model "$sam" --device cuda --open-thresholds --write
done
# The node end to end: bench_node_latency.py runs the node on CPU with classical proposals
# (not parameterised for CUDA); run it by hand with models.device:=cuda when needed.
