#include "spork_ocl.h"
// Vector and sub-dword memory: float4 saxpy, uchar/short loads and stores.
__kernel void saxpy4(__global const float4* restrict x, __global float4* restrict y, float a, uint n4) {
  size_t i = get_global_id(0);
  if (i < n4) y[i] = a * x[i] + y[i];
}
__kernel void bytes_shorts(__global const uchar* restrict b, __global const short* restrict s,
                           __global uchar* restrict ob, __global short* restrict os, uint n) {
  size_t i = get_global_id(0);
  if (i >= n) return;
  ob[i] = (uchar)(b[i] * 3 + 1);
  os[i] = (short)(s[i] / 2 - (short)b[i]);
}
