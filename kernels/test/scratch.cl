#include "spork_ocl.h"
// Private (scratch) memory: a per-work-item table indexed by run-time values, too large for
// the compiler to keep in registers, so the kernel needs a private segment
// (ENABLE_PRIVATE_SEGMENT, private_segment_fixed_size > 0).
// out[i] = sum over j < n of table[idx[(i + j) % n] % 128], table[t] = t * t + i.
__kernel void scratch_lookup(__global const uint* idx, __global uint* out, uint n) {
  uint i = get_global_id(0);
  volatile uint table[128];
  for (uint t = 0; t < 128; ++t) table[t] = t * t + i;
  uint sum = 0;
  for (uint j = 0; j < n; ++j) sum += table[idx[(i + j) % n] % 128];
  out[i] = sum;
}
