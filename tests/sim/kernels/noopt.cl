#include "spork_ocl.h"
// Built at -O0: everything lives in scratch (private segment), plus dispatch_ptr and the code
// object v5 hidden arguments read directly.
__kernel void o0_scratch(__global const uint* restrict in, __global uint* restrict out, uint n) {
  uint priv[16];
  size_t i = get_global_id(0);
  if (i >= n) return;
  for (uint k = 0; k < 16; ++k) priv[k] = in[i] * (k + 1);
  uint sum = 0;
  for (uint k = 0; k < 16; ++k) sum += priv[(k * 7 + in[i]) & 15] ^ k;
  out[i] = sum;
}

// Every work-item of group (0,0,0) thread 0 writes what it sees.
__kernel void o0_dispatch_info(__global uint* restrict out) {
  if (get_global_id(0) != 0 || get_global_id(1) != 0 || get_global_id(2) != 0) return;
  const __constant ushort* p16 = (const __constant ushort*)__builtin_amdgcn_dispatch_ptr();
  const __constant uint* p32 = (const __constant uint*)__builtin_amdgcn_dispatch_ptr();
  out[0] = p16[2];  // workgroup_size_x
  out[1] = p16[3];
  out[2] = p16[4];
  out[3] = p32[3];  // grid_size_x (work-items)
  out[4] = p32[4];
  out[5] = p32[5];
  const __constant uint* h = (const __constant uint*)__builtin_amdgcn_implicitarg_ptr();
  const __constant ushort* h16 = (const __constant ushort*)h;
  out[6] = h[0];  // hidden_block_count_x
  out[7] = h[1];
  out[8] = h[2];
  out[9] = h16[6];  // hidden_group_size_x
  out[10] = h16[7];
  out[11] = h16[8];
  out[12] = h16[32];  // hidden_grid_dims (offset 64)
  out[13] = get_local_size(0) * 100 + get_local_size(1) * 10 + get_local_size(2);
}
