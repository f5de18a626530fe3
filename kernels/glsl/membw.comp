// Memory bandwidth kernels: read, write or copy `count` uvec4s (16 bytes each), grid-stride.
// Vulkan only (compiled with glslangValidator --target-env vulkan1.1, which predefines VULKAN).
//   constant_id 0 MODE: 0 = read  (sum every uint of src; each workgroup writes its partial sum
//                                  to dst[workgroup], so the host can check that all was read)
//                       1 = write (dst[i] = i ^ seed for every uint index i)
//                       2 = copy  (dst[i] = src[i])
//   constant_id 1: local_size_x (default 256)
//   binding 0: src (uint[]/uvec4[]), binding 1: dst
//   push constants { uint count; uint seed; }: count in uvec4s
#version 450
layout(constant_id = 0) const uint MODE = 0;
layout(local_size_x_id = 1, local_size_y = 1, local_size_z = 1) in;
layout(push_constant) uniform Params { uint count; uint seed; } pc;

// restrict: src and dst never alias, so loads may be issued ahead of earlier stores.
layout(std430, binding = 0) restrict readonly buffer Src { uvec4 src[]; };
layout(std430, binding = 1) restrict writeonly buffer Dst { uvec4 dst[]; };
layout(std430, binding = 1) restrict writeonly buffer DstU { uint dst1[]; };

// Each workgroup streams tiles of 4 * local_size contiguous uvec4s (grid-stride over tiles): four
// independent 16-byte accesses in flight per invocation, and at any moment the running workgroups
// touch one compact window of each buffer (distant strided streams thrash the TLB at 1 GiB).

shared uint partial[gl_WorkGroupSize.x];

void main() {
  const uint L = gl_WorkGroupSize.x;
  const uint TILE = 4 * L;
  const uint lid = gl_LocalInvocationID.x;
  const uint n = pc.count;
  uvec4 s = uvec4(0), t = uvec4(0), u = uvec4(0), v = uvec4(0);
  for (uint base = gl_WorkGroupID.x * TILE; base < n; base += gl_NumWorkGroups.x * TILE) {
    const uint i = base + lid;
    const bool whole = n - base >= TILE;
    if (MODE == 0) {
      if (whole) {
        s += src[i];
        t += src[i + L];
        u += src[i + 2 * L];
        v += src[i + 3 * L];
      } else {
        for (uint k = i; k < n; k += L) s += src[k];
      }
    } else if (MODE == 1) {
      for (uint j = 0; j < 4; ++j) {
        const uint k = i + j * L;
        if (whole || k < n) dst[k] = (uvec4(4 * k) + uvec4(0, 1, 2, 3)) ^ uvec4(pc.seed);
      }
    } else {
      if (whole) {
        const uvec4 a = src[i], b = src[i + L], c = src[i + 2 * L], d = src[i + 3 * L];
        dst[i] = a;
        dst[i + L] = b;
        dst[i + 2 * L] = c;
        dst[i + 3 * L] = d;
      } else {
        for (uint k = i; k < n; k += L) dst[k] = src[k];
      }
    }
  }
  if (MODE == 0) {
    s += t + u + v;
    partial[lid] = s.x + s.y + s.z + s.w;
    memoryBarrierShared();
    barrier();
    for (uint h = L / 2; h > 0; h /= 2) {
      if (lid < h) partial[lid] += partial[lid + h];
      memoryBarrierShared();
      barrier();
    }
    if (lid == 0) dst1[gl_WorkGroupID.x] = partial[0];
  }
}
