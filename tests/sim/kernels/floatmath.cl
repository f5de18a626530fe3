#include "spork_ocl.h"
// FP32 math: division, square root, fma, min/max, floor, conversions; 8 results per element.
__kernel void float_math(__global const float* restrict a, __global const float* restrict b,
                         __global float* restrict out, uint n) {
  size_t i = get_global_id(0);
  if (i >= n) return;
  float x = a[i], y = b[i];
  __global float* o = out + i * 8;
  o[0] = x / y;
  o[1] = __builtin_sqrtf(__builtin_fabsf(x));
  o[2] = __builtin_fmaf(x, y, 1.5f);
  o[3] = __builtin_fminf(x, y) + __builtin_fmaxf(x, y) * 0.25f;
  o[4] = __builtin_floorf(x * 3.0f) + __builtin_ceilf(y);
  o[5] = (float)(int)(x * 1000.0f) + (float)(uint)(__builtin_fabsf(y) * 7.0f);
  o[6] = x * y - x + y;
  o[7] = __builtin_fabsf(x) > __builtin_fabsf(y) ? x : -y;
}
