#include "spork_ocl.h"
// Dynamic LDS (a __local pointer argument), wave-level builtins, 64-bit and float global
// atomics, and workgroups that are not a multiple of the wave size.

// Reverses each workgroup's slice through dynamically sized LDS.
__kernel void dyn_lds_reverse(__global const uint* restrict in, __global uint* restrict out, __local uint* tmp) {
  uint lid = get_local_id(0), n = get_local_size(0);
  size_t base = (size_t)get_group_id(0) * n;
  tmp[lid] = in[base + lid];
  barrier(CLK_LOCAL_MEM_FENCE);
  out[base + lid] = tmp[n - 1 - lid];
}

// Per lane: [0] ballot of odd inputs, [1] lane id (mbcnt), [2] first lane's value, [3] value of lane+1 (bpermute).
__kernel void wave_ops(__global const uint* restrict in, __global uint* restrict out) {
  size_t i = get_global_id(0);
  uint v = in[i];
  uint lane = __builtin_amdgcn_mbcnt_lo(~0u, 0u);
  out[i * 4 + 0] = __builtin_amdgcn_ballot_w32((v & 1) != 0);
  out[i * 4 + 1] = lane;
  out[i * 4 + 2] = __builtin_amdgcn_readfirstlane(v);
  out[i * 4 + 3] = (uint)__builtin_amdgcn_ds_bpermute((int)(((lane + 1) & 31) * 4), (int)v);
}

// sum64 += in[i] (64-bit atomic add), max32 = max(in32[i]) (signed), fsum += fin[i] (float atomic add),
// count via compare-exchange.
__kernel void global_atomics(__global const ulong* restrict in, __global const int* restrict in32,
                             __global const float* restrict fin, __global ulong* sum64, __global int* max32,
                             __global float* fsum, __global uint* cnt, uint n) {
  size_t i = get_global_id(0);
  if (i >= n) return;
  __atomic_fetch_add(sum64, in[i], __ATOMIC_RELAXED);
  __atomic_fetch_max(max32, in32[i], __ATOMIC_RELAXED);
  __atomic_fetch_add(fsum, fin[i], __ATOMIC_RELAXED);
  uint old = __atomic_load_n(cnt, __ATOMIC_RELAXED);
  while (!__atomic_compare_exchange_n(cnt, &old, old + 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
}

// out[global id] = group id * 65536 + local id, for any workgroup shape (partial waves included).
__attribute__((amdgpu_flat_work_group_size(1, 1024)))
__kernel void ids(__global uint* restrict out, uint n) {
  size_t i = get_global_id(0);
  if (i < n) out[i] = get_group_id(0) * 65536u + get_local_id(0);
}
