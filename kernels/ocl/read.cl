#include "spork_ocl.h"
// Reads src[i] for i < count once and writes one wrapping uint sum per workgroup to
// partial[group], so the host can check that every word was read. Grid-stride so any grid
// covers any count; workgroups of at most 256 work-items.
__kernel void read_u32(__global const uint* restrict src, __global uint* restrict partial, uint count) {
  __local uint sums[256];
  uint stride = get_global_size(0), lid = get_local_id(0), n = get_local_size(0);
  uint s = 0;
  for (uint i = get_global_id(0); i < count; i += stride) s += src[i];
  sums[lid] = s;
  barrier(CLK_LOCAL_MEM_FENCE);
  // Tree reduction; the first step folds a non-power-of-two size into a power of two.
  uint step = 1;
  while (step * 2 < n) step *= 2;
  for (; step > 0; step /= 2) {
    if (lid < step && lid + step < n) sums[lid] += sums[lid + step];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (lid == 0) partial[get_group_id(0)] = sums[0];
}
