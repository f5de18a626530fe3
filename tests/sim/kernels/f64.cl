#include "spork_ocl.h"
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
// FP64: add, mul, fma, division, sqrt, conversions; 6 results per element.
__kernel void f64_math(__global const double* restrict a, __global const double* restrict b,
                       __global double* restrict out, uint n) {
  size_t i = get_global_id(0);
  if (i >= n) return;
  double x = a[i], y = b[i];
  __global double* o = out + i * 6;
  o[0] = x + y * 3.0;
  o[1] = __builtin_fma(x, y, -x);
  o[2] = x / y;
  o[3] = __builtin_sqrt(__builtin_fabs(x));
  o[4] = (double)(long)(x * 1e6) + (double)(float)y;
  o[5] = x < y ? __builtin_floor(x) : __builtin_trunc(y);
}
