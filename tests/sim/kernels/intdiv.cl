#include "spork_ocl.h"
// 32-bit integer division and remainder, signed and unsigned (divisors never 0).
__kernel void intdiv(__global const int* restrict a, __global const int* restrict b, __global int* restrict out,
                     uint n) {
  size_t i = get_global_id(0);
  if (i >= n) return;
  int x = a[i], y = b[i];
  out[i * 4 + 0] = (int)((uint)x / (uint)y);
  out[i * 4 + 1] = (int)((uint)x % (uint)y);
  out[i * 4 + 2] = (y == -1) ? -x : x / y;
  out[i * 4 + 3] = (y == -1) ? 0 : x % y;
}
