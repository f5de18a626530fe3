#include "spork_ocl.h"
// LDS: one sum per workgroup of 256 work-items, tree reduction in a static __local array
// (group_segment_fixed_size = 1024). sums[g] = in[256 g] + ... + in[256 g + 255], with
// in[] beyond count read as 0. Launch with block = (256, 1, 1).
__attribute__((reqd_work_group_size(256, 1, 1)))
__kernel void lds_reduce(__global const uint* in, __global uint* sums, uint count) {
  __local uint part[256];
  uint lid = get_local_id(0);
  size_t gid = get_global_id(0);
  part[lid] = gid < count ? in[gid] : 0u;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (uint stride = 128; stride > 0; stride >>= 1) {
    if (lid < stride) part[lid] += part[lid + stride];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (lid == 0) sums[get_group_id(0)] = part[0];
}
