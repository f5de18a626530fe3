#include "spork_ocl.h"
// dst[i] = src[i] for i < count; grid-stride so any grid covers any count.
__kernel void copy_u32(__global const uint* restrict src, __global uint* restrict dst, uint count) {
  uint stride = get_global_size(0);
  for (uint i = get_global_id(0); i < count; i += stride) dst[i] = src[i];
}
