#include "spork_ocl.h"
// 64-bin histograms of bytes >> 2: straight global atomics, and LDS-private bins merged with
// global atomics (LDS atomics).
__kernel void hist_global(__global const uchar* restrict in, __global uint* bins, uint n) {
  for (size_t i = get_global_id(0); i < n; i += get_global_size(0))
    __atomic_fetch_add(&bins[in[i] >> 2], 1u, __ATOMIC_RELAXED);
}

__attribute__((reqd_work_group_size(128, 1, 1)))
__kernel void hist_lds(__global const uchar* restrict in, __global uint* bins, uint n) {
  __local uint local_bins[64];
  uint lid = get_local_id(0);
  if (lid < 64) local_bins[lid] = 0;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (size_t i = get_global_id(0); i < n; i += get_global_size(0))
    __atomic_fetch_add(&local_bins[in[i] >> 2], 1u, __ATOMIC_RELAXED);
  barrier(CLK_LOCAL_MEM_FENCE);
  if (lid < 64 && local_bins[lid]) __atomic_fetch_add(&bins[lid], local_bins[lid], __ATOMIC_RELAXED);
}

// LDS atomic min/max/xor/cmpxchg per group: out[g*4 + {0,1,2,3}].
__attribute__((reqd_work_group_size(64, 1, 1)))
__kernel void lds_atomics(__global const uint* restrict in, __global uint* out) {
  __local uint mn, mx, x, cnt;
  uint lid = get_local_id(0);
  if (lid == 0) { mn = 0xFFFFFFFFu; mx = 0; x = 0; cnt = 0; }
  barrier(CLK_LOCAL_MEM_FENCE);
  uint v = in[get_global_id(0)];
  __atomic_fetch_min(&mn, v, __ATOMIC_RELAXED);
  __atomic_fetch_max(&mx, v, __ATOMIC_RELAXED);
  __atomic_fetch_xor(&x, v, __ATOMIC_RELAXED);
  // Count with a compare-exchange loop.
  uint old = __atomic_load_n(&cnt, __ATOMIC_RELAXED);
  while (!__atomic_compare_exchange_n(&cnt, &old, old + 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
  barrier(CLK_LOCAL_MEM_FENCE);
  if (lid == 0) {
    uint g = get_group_id(0);
    out[g * 4 + 0] = mn;
    out[g * 4 + 1] = mx;
    out[g * 4 + 2] = x;
    out[g * 4 + 3] = cnt;
  }
}
