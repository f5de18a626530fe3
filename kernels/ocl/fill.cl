#include "spork_ocl.h"
// dst[i] = value for i < count; grid-stride so any grid covers any count.
__kernel void fill_u32(__global uint* dst, uint value, uint count) {
  uint stride = get_global_size(0);
  for (uint i = get_global_id(0); i < count; i += stride) dst[i] = value;
}
