#!/usr/bin/env bash
# Runs the OpenGL figures on a lent GPU machine (see docs/PERF.md, "OpenGL"). Expects the
# binaries in .devbin-gl/ (gl_perf, gl_ref, libquadmath.so.0) and the loader debs in .gl/,
# both carried; writes logs under $OUT.
set -uo pipefail
# It unpacks .gl/*.deb into /: never on a developer machine.
[ -e /dev/nvidiactl ] || { echo "device_run.sh: only for the lent GPU machine (it unpacks .gl debs into /)" >&2; exit 2; }
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export LD_LIBRARY_PATH=$PWD/.devbin-gl${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if [ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ]; then
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
B=.devbin-gl
{
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv
  $B/gl_perf --list
  echo "== tests (gl_ref doctest suite) on this driver"
  (cd "$OUT" && timeout 120 "$OLDPWD/$B/gl_ref" 2>&1 | grep -v "^\[doctest\] doctest version\|run with")
} 2>&1 | tee "$OUT/info.txt"
what=${1:-all}
if [ "$what" = all ] || [ "$what" = gemm ]; then
  echo "== GEMM"
  timeout 200 $B/gl_perf --gemm 4096 --tiling 128x128x8/8x8/2 --tiling 64x64x16/4x4/2 --tiling 128x128x16/8x8/2 \
    --tiling 128x64x16/8x4/2 --repeat 10 --csv "$OUT/gemm4096.csv" 2>&1 | tee "$OUT/gemm4096.txt"
  timeout 200 $B/gl_perf --gemm 8192 --tiling 128x128x8/8x8/2 --tiling 64x64x16/4x4/2 --repeat 10 --ignore-ssbo-limit \
    --csv "$OUT/gemm8192.csv" 2>&1 | tee "$OUT/gemm8192.txt" | tail -3
fi
if [ "$what" = all ] || [ "$what" = membw ]; then
  echo "== allocation hints"
  timeout 240 $B/gl_perf --membw 64 --membw 256 --membw 1024 --dispatch 1000 --repeat 20 --ignore-ssbo-limit \
    --csv "$OUT/membw.csv" 2>&1 | tee "$OUT/membw.txt" | tail -66
fi
if [ "$what" = again ]; then
  # The same table from a second process: run-to-run spread of the placement figures.
  echo "== GEMM (default tiling)"
  timeout 100 $B/gl_perf --gemm 4096 --gemm 8192 --repeat 10 --ignore-ssbo-limit --csv "$OUT/gemm.csv" 2>&1 | tee "$OUT/gemm.txt" | tail -3
  for pass in 1 2; do
    echo "== allocation hints, pass $pass"
    timeout 200 $B/gl_perf --membw 64 --membw 256 --membw 1024 --dispatch 1000 --repeat 20 --ignore-ssbo-limit \
      --csv "$OUT/membw$pass.csv" 2>&1 | tee "$OUT/membw$pass.txt" | grep -v "^date\|^renderer\|^vendor\|^version\|^platform\|^EGL\|^limits" | cut -c1-95
  done
fi
if [ "$what" = variants ]; then
  # Why GL runs the same GLSL slower than Vulkan: compiler hints for NVIDIA's GLSL front end.
  echo "== GEMM variants: baseline"
  timeout 60 $B/gl_perf --gemm 4096 --repeat 10 2>&1 | tail -1 | cut -c1-140
  echo "== GEMM variants: #pragma optionNV(unroll all)"
  timeout 60 $B/gl_perf --gemm 4096 --repeat 10 --prelude '#pragma optionNV(unroll all)' 2>&1 | tail -1 | cut -c1-140
  echo "== GEMM variants: GL_EXT_control_flow_attributes [[unroll]]"
  timeout 60 $B/gl_perf --gemm 4096 --repeat 10 --prelude '#extension GL_EXT_control_flow_attributes : enable' \
    --define 'UNROLL=[[unroll]]' 2>&1 | tail -4 | cut -c1-140
  echo "== GEMM variants: both"
  timeout 60 $B/gl_perf --gemm 4096 --gemm 8192 --repeat 10 --prelude '#pragma optionNV(unroll all)' \
    --prelude '#extension GL_EXT_control_flow_attributes : enable' --define 'UNROLL=[[unroll]]' 2>&1 | tail -4 | cut -c1-140
fi
if [ "$what" = groups ]; then
  # Is the 1 GiB dip of every VRAM kind the kernel's grid (65535 short workgroups) or the memory?
  for g in 0 8192 2048 1056; do
    echo "== membw, at most $g workgroups (0 = 65535)"
    timeout 60 $B/gl_perf --membw 256 --membw 1024 --repeat 20 --kind 'BufferStorage(0)' --membw-groups $g 2>&1 | tail -6 | cut -c1-95
  done
fi
