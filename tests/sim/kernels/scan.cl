#include "spork_ocl.h"
// Three-pass inclusive prefix sum of uint: scan_blocks (256 per group, Hillis-Steele in LDS,
// block totals out), scan_blocks again over the totals, then add_offsets.
__attribute__((reqd_work_group_size(256, 1, 1)))
__kernel void scan_blocks(__global const uint* restrict in, __global uint* restrict out,
                          __global uint* restrict block_sums, uint n) {
  __local uint s[2][256];
  uint lid = get_local_id(0);
  size_t gid = get_global_id(0);
  uint cur = 0;
  s[0][lid] = gid < n ? in[gid] : 0u;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (uint off = 1; off < 256; off <<= 1) {
    uint v = s[cur][lid];
    if (lid >= off) v += s[cur][lid - off];
    s[cur ^ 1][lid] = v;
    cur ^= 1;
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (gid < n) out[gid] = s[cur][lid];
  if (lid == 255 && block_sums) block_sums[get_group_id(0)] = s[cur][255];
}

__kernel void add_offsets(__global uint* data, __global const uint* restrict scanned_sums, uint n) {
  size_t gid = get_global_id(0);
  uint g = get_group_id(0);
  if (g > 0 && gid < n) data[gid] += scanned_sums[g - 1];
}
