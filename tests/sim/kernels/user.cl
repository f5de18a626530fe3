// Ordinary OpenCL C kernels as users write them, built at -O0..-O3 (review rev4): a row
// normalisation with LDS reductions, a bitonic sort in LDS, a 2-D stencil with boundary
// checks, a switch over 64-bit division/modulo, and a double-precision dot product.
// (-nogpulib: there is no libm, so maths uses clang builtins as users of spork must.)
#include "spork_ocl.h"

#define ROW_WG 64
// out[r][c] = q / sum_c(q) with q = (x - rowmax)^2 + 1, rowmax and the sum from LDS tree
// reductions; one workgroup per row, any number of columns.
__attribute__((reqd_work_group_size(ROW_WG, 1, 1))) __kernel void row_normalize(
    __global const float* restrict in, __global float* restrict out, uint cols) {
  __local float red[ROW_WG];
  const uint r = get_group_id(0), t = get_local_id(0);
  __global const float* row = in + (size_t)r * cols;
  float m = -INFINITY;
  for (uint c = t; c < cols; c += ROW_WG) m = __builtin_fmaxf(m, row[c]);
  red[t] = m;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (uint s = ROW_WG / 2; s > 0; s >>= 1) {
    if (t < s) red[t] = __builtin_fmaxf(red[t], red[t + s]);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  const float rowmax = red[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  float sum = 0.0f;
  for (uint c = t; c < cols; c += ROW_WG) {
    float d = row[c] - rowmax;
    sum += d * d + 1.0f;
  }
  red[t] = sum;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (uint s = ROW_WG / 2; s > 0; s >>= 1) {
    if (t < s) red[t] += red[t + s];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  const float total = red[0];
  for (uint c = t; c < cols; c += ROW_WG) {
    float d = row[c] - rowmax;
    out[(size_t)r * cols + c] = (d * d + 1.0f) / total;
  }
}

#define SORT_N 256
// Sorts each block of SORT_N uints ascending: one workgroup of SORT_N/2 work-items per
// block, each compare-exchange step in LDS between barriers.
__attribute__((reqd_work_group_size(SORT_N / 2, 1, 1))) __kernel void bitonic_lds(__global uint* data) {
  __local uint s[SORT_N];
  const uint t = get_local_id(0);
  __global uint* blk = data + (size_t)get_group_id(0) * SORT_N;
  s[t] = blk[t];
  s[t + SORT_N / 2] = blk[t + SORT_N / 2];
  barrier(CLK_LOCAL_MEM_FENCE);
  for (uint k = 2; k <= SORT_N; k <<= 1) {
    for (uint j = k >> 1; j > 0; j >>= 1) {
      uint i = 2 * j * (t / j) + (t % j);  // lower index of the pair
      uint p = i + j;
      bool up = (i & k) == 0;
      uint a = s[i], b = s[p];
      if ((a > b) == up) {
        s[i] = b;
        s[p] = a;
      }
      barrier(CLK_LOCAL_MEM_FENCE);
    }
  }
  blk[t] = s[t];
  blk[t + SORT_N / 2] = s[t + SORT_N / 2];
}

// 5-point stencil over a w x h grid, clamped edges; work-items past the edge do nothing.
__kernel void stencil2d(__global const float* restrict in, __global float* restrict out, int w, int h, float c0,
                        float c1) {
  const int x = (int)get_global_id(0), y = (int)get_global_id(1);
  if (x >= w || y >= h) return;
  const int xl = x > 0 ? x - 1 : 0, xr = x < w - 1 ? x + 1 : w - 1;
  const int yu = y > 0 ? y - 1 : 0, yd = y < h - 1 ? y + 1 : h - 1;
  float n = in[yu * w + x] + in[yd * w + x] + in[y * w + xl] + in[y * w + xr];
  out[y * w + x] = c0 * in[y * w + x] + c1 * n;
}

// A switch on a per-item opcode over signed and unsigned 64-bit division and modulo.
__kernel void switch_div64(__global const long* restrict a, __global const long* restrict b,
                           __global const uint* restrict op, __global long* restrict out, uint n) {
  const uint i = get_global_id(0);
  if (i >= n) return;
  long x = a[i], y = b[i];
  long r;
  switch (op[i] & 7) {
    case 0: r = x / y; break;
    case 1: r = x % y; break;
    case 2: r = (long)((ulong)x / (ulong)y); break;
    case 3: r = (long)((ulong)x % (ulong)y); break;
    case 4: r = x / 1000003; break;
    case 5: r = (long)((ulong)x % 10u); break;
    case 6: r = (x >> 17) * (y | 1); break;
    default: r = x ^ y; break;
  }
  out[i] = r;
}

#define DOT_WG 128
// Double-precision dot product: per-item strided partial sums, an LDS tree reduction,
// one partial per workgroup (the host adds the partials) plus sqrt of that partial's |.|.
__attribute__((reqd_work_group_size(DOT_WG, 1, 1))) __kernel void ddot(__global const double* restrict x,
                                                                       __global const double* restrict y,
                                                                       __global double* restrict partial, uint n) {
  __local double red[DOT_WG];
  const uint t = get_local_id(0);
  const uint stride = get_global_size(0);
  double acc = 0.0;
  for (uint i = get_global_id(0); i < n; i += stride) acc = __builtin_fma(x[i], y[i], acc);
  red[t] = acc;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (uint s = DOT_WG / 2; s > 0; s >>= 1) {
    if (t < s) red[t] += red[t + s];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (t == 0) {
    partial[2 * get_group_id(0)] = red[0];
    partial[2 * get_group_id(0) + 1] = __builtin_sqrt(__builtin_fabs(red[0]));
  }
}

// Bit manipulation and conversions between every integer and float width; one output
// record of 16 ulongs per work-item.
__kernel void bits_convert(__global const ulong* restrict a, __global const double* restrict d,
                           __global ulong* restrict out, uint n) {
  const uint i = get_global_id(0);
  if (i >= n) return;
  ulong x = a[i];
  uint lo = (uint)x, hi = (uint)(x >> 32);
  double v = d[i];
  float f = (float)v;
  __global ulong* o = out + (size_t)i * 16;
  o[0] = (ulong)__builtin_popcountl(x) | ((ulong)__builtin_popcount(lo) << 32);
  o[1] = (ulong)(x ? __builtin_clzl(x) : 64) | ((ulong)(lo ? __builtin_ctz(lo) : 32) << 32);
  o[2] = (x << (hi & 63)) | (x >> ((64 - (hi & 63)) & 63));  // rotate
  o[3] = __builtin_bitreverse32(lo) | ((ulong)__builtin_bswap32(hi) << 32);
  o[4] = (ulong)(((ulong)lo * (ulong)hi) >> 32) | ((ulong)(uint)(((long)(int)lo * (long)(int)hi) >> 32) << 32);
  o[5] = __builtin_bit_cast(ulong, (double)x);          // u64 -> f64
  o[6] = __builtin_bit_cast(ulong, (double)(long)x);    // i64 -> f64
  o[7] = (ulong)__builtin_bit_cast(uint, (float)x) | ((ulong)__builtin_bit_cast(uint, (float)(long)x) << 32);
  o[8] = (ulong)(long)(v * 1e12);                        // f64 -> i64
  o[9] = (ulong)__builtin_fabs(v * 1e15);                // f64 -> u64
  o[10] = (ulong)(uint)(int)(f * 1000.0f) | ((ulong)(uint)(__builtin_fabsf(f) * 1e6f) << 32);
  o[11] = __builtin_bit_cast(ulong, __builtin_floor(v * 7.0) + __builtin_trunc(v * 3.0) + __builtin_rint(v * 5.0));
  o[12] = __builtin_bit_cast(ulong, __builtin_ldexp(v, (int)(hi & 31) - 16) + __builtin_copysign(1.5, (double)(long)x));
  o[13] = (ulong)__builtin_bit_cast(uint,
                                   __builtin_floorf(f * 7.0f) + __builtin_ceilf(f * 3.0f) + __builtin_roundf(f * 5.0f));
  o[14] = __builtin_bit_cast(ulong, (double)f + (double)lo + (double)(int)hi);
  o[15] = (ulong)(x < (ulong)(long)v) | ((ulong)((long)x < (long)hi) << 1) | ((ulong)(v < (double)f) << 2) |
          ((ulong)(__builtin_isnan(v * (double)(long)x)) << 3) | ((ulong)(lo > hi ? lo - hi : hi - lo) << 32);
}
