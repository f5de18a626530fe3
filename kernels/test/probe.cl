#include "spork_ocl.h"
// Probe kernels: each writes what the dispatch handed it, so a runtime (or the simulator)
// can check its kernarg, hidden-argument and dispatch-packet set-up value by value.

// out[4*g + 0..3] = global id, global size, group id, local id (dimension 0), where g is
// the flat global id over all three dimensions. Reads the code object v5 hidden arguments
// hidden_block_count_* and hidden_group_size_* (get_num_groups, get_local_size).
__kernel void probe_ids(__global uint* out) {
  size_t gx = get_global_id(0), gy = get_global_id(1), gz = get_global_id(2);
  size_t sx = get_global_size(0), sy = get_global_size(1);
  size_t g = (gz * sy + gy) * sx + gx;
  out[4 * g + 0] = (uint)gx;
  out[4 * g + 1] = (uint)sx;
  out[4 * g + 2] = get_group_id(0);
  out[4 * g + 3] = get_local_id(0);
}

// Reads the hsa_kernel_dispatch_packet_t the dispatch pointer (s[0:1]) points at:
// out[0..2] = workgroup_size_x/y/z (uint16 at byte 4, 6, 8), out[3..5] = grid_size_x/y/z
// (uint32 at byte 12, 16, 20), out[6] = group_segment_size (byte 28). One work-item writes.
__kernel void probe_dispatch(__global uint* out) {
  const __constant ushort* p16 = (const __constant ushort*)__builtin_amdgcn_dispatch_ptr();
  const __constant uint* p32 = (const __constant uint*)__builtin_amdgcn_dispatch_ptr();
  if (get_global_id(0) == 0 && get_global_id(1) == 0 && get_global_id(2) == 0) {
    out[0] = p16[2];
    out[1] = p16[3];
    out[2] = p16[4];
    out[3] = p32[3];
    out[4] = p32[4];
    out[5] = p32[5];
    out[6] = p32[7];
  }
}

// Arguments of many sizes and kinds (by_value of 1, 2, 4, 8 and 16 bytes, a constant
// pointer, a dynamic LDS pointer): out[i] = c + s + i32 + l + (long)f + v.x + v.y + v.z +
// v.w + k[0], and tmp[] round-trips the work-item id through LDS.
__kernel void probe_args(__global long* out, char c, short s, int i32, long l, float f, int4 v,
                         __constant int* k, __local uint* tmp) {
  uint lid = get_local_id(0);
  tmp[lid] = lid;
  barrier(CLK_LOCAL_MEM_FENCE);
  uint back = tmp[get_local_size(0) - 1 - lid];
  long sum = (long)c + s + i32 + l + (long)f + v.x + v.y + v.z + v.w + k[0];
  out[get_global_id(0)] = sum + (long)back - (long)(get_local_size(0) - 1 - lid);
}
