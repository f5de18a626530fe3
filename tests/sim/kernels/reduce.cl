#include "spork_ocl.h"
// Workgroup tree reductions through LDS (256 work-items per group); out[g] = partial of group g.
__attribute__((reqd_work_group_size(256, 1, 1)))
__kernel void reduce_u32(__global const uint* restrict in, __global uint* restrict out, uint n) {
  __local uint s[256];
  uint lid = get_local_id(0);
  uint acc = 0;
  for (size_t i = get_global_id(0); i < n; i += get_global_size(0)) acc += in[i];
  s[lid] = acc;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (uint w = 128; w > 0; w >>= 1) {
    if (lid < w) s[lid] += s[lid + w];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (lid == 0) out[get_group_id(0)] = s[0];
}

__attribute__((reqd_work_group_size(256, 1, 1)))
__kernel void reduce_f32(__global const float* restrict in, __global float* restrict out, uint n) {
  __local float s[256];
  uint lid = get_local_id(0);
  float acc = 0.0f;
  for (size_t i = get_global_id(0); i < n; i += get_global_size(0)) acc += in[i];
  s[lid] = acc;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (uint w = 128; w > 0; w >>= 1) {
    if (lid < w) s[lid] += s[lid + w];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (lid == 0) out[get_group_id(0)] = s[0];
}
