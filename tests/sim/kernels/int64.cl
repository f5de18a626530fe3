#include "spork_ocl.h"
// 64-bit integer arithmetic; out has 8 results per element.
__kernel void int64_math(__global const ulong* restrict a, __global const ulong* restrict b,
                         __global ulong* restrict out, uint n) {
  size_t i = get_global_id(0);
  if (i >= n) return;
  ulong x = a[i], y = b[i];
  long sx = (long)x, sy = (long)y;
  __global ulong* o = out + i * 8;
  o[0] = x * y + (x >> 7);
  o[1] = (x << (y & 63)) ^ (x >> ((y >> 8) & 63));
  o[2] = y ? x / y : 0;
  o[3] = y ? x % y : 0;
  o[4] = (sy != 0 && !(sx == (long)0x8000000000000000UL && sy == -1)) ? (ulong)(sx / sy) : 0;
  o[5] = (ulong)(sx >> (y & 63));
  o[6] = (ulong)__builtin_popcountl(x) + ((ulong)__builtin_clzl(y | 1) << 8) + ((ulong)(sx < sy) << 16);
  o[7] = x < y ? y - x : x - y;
}
