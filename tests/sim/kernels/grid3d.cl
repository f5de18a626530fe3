#include "spork_ocl.h"
// 3-D grid of 3-D groups: out[linear global id] = packed (global x, y, z); grp[...] = group ids.
__kernel void grid3d(__global uint* restrict out, __global uint* restrict grp, uint nx, uint ny, uint nz) {
  size_t x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);
  if (x >= nx || y >= ny || z >= nz) return;
  size_t idx = (z * ny + y) * nx + x;
  out[idx] = (uint)x | ((uint)y << 10) | ((uint)z << 20);
  grp[idx] = get_group_id(0) | (get_group_id(1) << 8) | (get_group_id(2) << 16) |
             ((get_local_id(0) + get_local_id(1) + get_local_id(2)) << 24);
}
