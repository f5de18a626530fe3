#include "spork_ocl.h"
// out[c][r] = in[r][c] for a rows x cols matrix, 16x16 tiles through padded LDS.
__attribute__((reqd_work_group_size(16, 16, 1)))
__kernel void transpose(__global const float* restrict in, __global float* restrict out, uint rows, uint cols) {
  __local float tile[16][17];
  uint tx = get_local_id(0), ty = get_local_id(1);
  uint c = get_group_id(0) * 16 + tx, r = get_group_id(1) * 16 + ty;
  if (r < rows && c < cols) tile[ty][tx] = in[(size_t)r * cols + c];
  barrier(CLK_LOCAL_MEM_FENCE);
  uint oc = get_group_id(1) * 16 + tx, orow = get_group_id(0) * 16 + ty;  // out is cols x rows
  if (orow < cols && oc < rows) out[(size_t)orow * rows + oc] = tile[tx][ty];
}
