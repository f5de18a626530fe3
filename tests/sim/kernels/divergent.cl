#include "spork_ocl.h"
// Divergent control flow: every lane runs a data-dependent loop (Collatz steps, capped) and
// takes nested branches.
__kernel void collatz(__global const uint* restrict start, __global uint* restrict steps,
                      __global uint* restrict kind, uint n) {
  size_t i = get_global_id(0);
  if (i >= n) return;
  uint x = start[i], s = 0;
  while (x != 1 && s < 1000) {
    x = (x & 1) ? 3 * x + 1 : x >> 1;
    ++s;
  }
  steps[i] = s;
  uint k;
  if (s % 3 == 0) {
    k = 10;
    if (s > 50) k += 1;
  } else if (s % 3 == 1) {
    k = 20;
    for (uint j = 0; j < (s & 7); ++j) k += j;
  } else {
    k = 30 + (start[i] & 3);
  }
  kind[i] = k;
}
