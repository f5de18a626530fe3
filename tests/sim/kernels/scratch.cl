#include "spork_ocl.h"
// A dynamically indexed private array that -O3 keeps in scratch, and an infinite loop.
__kernel void private_sort(__global const uint* restrict in, __global uint* restrict out, uint n) {
  size_t i = get_global_id(0);
  if (i >= n) return;
  uint v[24];
  for (uint k = 0; k < 24; ++k) v[k] = in[i * 24 + k];
  for (uint a = 1; a < 24; ++a) {  // insertion sort: data-dependent indices
    uint x = v[a];
    int b = (int)a - 1;
    while (b >= 0 && v[b] > x) { v[b + 1] = v[b]; --b; }
    v[b + 1] = x;
  }
  for (uint k = 0; k < 24; ++k) out[i * 24 + k] = v[k];
}

__kernel void spin(__global volatile uint* flag) {
  while (*flag == 0) {}
}

// Reads in[idx[i]] without bounds checks: the fault test points one index past the buffer.
__kernel void gather(__global const uint* restrict in, __global const uint* restrict idx, __global uint* restrict out,
                     uint n) {
  size_t i = get_global_id(0);
  if (i < n) out[i] = in[idx[i]];
}
