#!/bin/bash
# Runs on the lent NVIDIA H100 through the device tool (see docs/PERF.md, Vulkan section):
#   tune the GEMM tiling at 4096^3, then GEMM 4096^3 and 8192^3, bandwidth per memory type,
#   dispatch overhead, and cuBLAS FP32 / torch copy for reference. Binary, built here first:
#   cmake --build build --target spork_vkbench && mkdir -p .devbin-vulkan &&
#   strip -o .devbin-vulkan/spork_vkbench build/tests/vulkan/spork_vkbench
# then run with the device tool, carry [".gl", ".devbin-vulkan"]: bash tests/vulkan/h100_bench.sh
set -u
B=.devbin-vulkan/spork_vkbench
O=${OUT:-/tmp/vkout}; mkdir -p "$O"
# The README's loader recipe: Vulkan loader + glvnd (the NVIDIA ICD, libGLX_nvidia, needs libGLdispatch).
for f in .gl/libvulkan1_*.deb .gl/libegl1_*.deb .gl/libglvnd0_*.deb .gl/libopengl0_*.deb .gl/libgl1_*.deb \
         .gl/libglx0_*.deb .gl/libgles2_*.deb; do dpkg -x "$f" /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,power.draw --format=csv
date -u
STEPS=${STEPS:-"tune gemm membw dispatch torch"}  # a subset reruns parts
has() { [[ " $STEPS " == *" $1 "* ]]; }
CONFIGS=${CONFIGS:-"128x128x8/8x8/2 128x128x16/8x8/2 128x128x8/8x8/1 128x64x16/8x4/2 128x256x16/8x8/2 256x128x16/8x8/2 128x128x16/8x16/2 64x64x16/4x4/2"}
best=${BEST:-128x128x8/8x8/2}; bestg=0
has tune && for c in $CONFIGS; do
  line=$(SPORK_VK_GEMM_CONFIG=$c $B bench gemm --backend vulkan --shape 4096x4096x4096 --repeat 10 2>&1 | grep -E "^vulkan .* gemm ")
  g=$(echo "$line" | awk '{for(i=1;i<=NF;i++) if($i=="gemm"){print $(i+3); exit}}')
  echo "tune $c: $line" | tee -a "$O/tune.log"
  if echo "$line" | grep -q PASS && awk "BEGIN{exit !($g > $bestg)}"; then best=$c; bestg=$g; fi
done
has tune && echo "best config: $best ($bestg GFLOP/s)" | tee -a "$O/tune.log"
has gemm && SPORK_VK_GEMM_CONFIG=$best $B bench gemm --backend vulkan --shape 4096x4096x4096,8192x8192x8192 --repeat 10 --json "$O/gemm.json" 2>&1 | tee "$O/gemm.txt"
has membw && $B bench membw --backend vulkan --sizes 1,4,16,64,256,1024 --json "$O/membw.json" 2>&1 | tee "$O/membw.txt" | grep -v "^note"
has dispatch && $B bench dispatch --backend vulkan --json "$O/dispatch.json" 2>&1 | tee "$O/dispatch.txt" | grep -v "^note"
has torch && PYTHONUNBUFFERED=1 python3 tests/vulkan/h100_torch_ref.py 2>&1 | tee "$O/torch.txt"
