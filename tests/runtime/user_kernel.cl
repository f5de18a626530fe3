// A user kernel written as someone outside the project would: no spork header, no device
// libraries, only clang builtins; built with exactly
//   clang-19 -x cl -cl-std=CL2.0 --target=amdgcn-amd-amdhsa -mcpu=gfx1100 -nogpulib -O2
// It reads its work-group size and grid size from the dispatch packet (which spork fills) and
// takes a buffer and a scalar argument of every kind `spork run --arg` offers.
typedef struct {
  ushort header, setup, wg_x, wg_y, wg_z, reserved0;
  uint grid_x, grid_y, grid_z;
} dispatch_packet;

kernel void mix(global const uchar* a, global const uint* b, global uint* z, global uint* o32, global long* o64,
                global float* of, global double* od, char c, short s, int i, uint u, long l, ulong ul, float f,
                double d) {
  constant dispatch_packet* p = (constant dispatch_packet*)__builtin_amdgcn_dispatch_ptr();
  uint gx = __builtin_amdgcn_workgroup_id_x() * p->wg_x + __builtin_amdgcn_workitem_id_x();
  uint gy = __builtin_amdgcn_workgroup_id_y() * p->wg_y + __builtin_amdgcn_workitem_id_y();
  uint gz = __builtin_amdgcn_workgroup_id_z() * p->wg_z + __builtin_amdgcn_workitem_id_z();
  uint gid = (gz * p->grid_y + gy) * p->grid_x + gx;
  o32[gid] = b[gid] * u + (uint)i + (uint)c + (uint)s + a[gid];
  o64[gid] = l * (long)gid + (long)ul;
  of[gid] = f * (float)gid;
  od[gid] = __builtin_fma(d, (double)gid, (double)c);
  z[gid] += gid;
}
