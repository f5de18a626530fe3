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

// Four independent 16-byte accesses in flight per invocation and iteration (coalesced across the
// grid: element i, i + stride, i + 2*stride, i + 3*stride), then the remainder one at a time.

shared uint partial[gl_WorkGroupSize.x];

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  uint i = gl_GlobalInvocationID.x;
  if (MODE == 0) {
    uvec4 s = uvec4(0), t = uvec4(0), u = uvec4(0), v = uvec4(0);
    for (; i + 3 * stride < pc.count; i += 4 * stride) {
      s += src[i];
      t += src[i + stride];
      u += src[i + 2 * stride];
      v += src[i + 3 * stride];
    }
    for (; i < pc.count; i += stride) s += src[i];
    s += t + u + v;
    partial[gl_LocalInvocationID.x] = s.x + s.y + s.z + s.w;
    memoryBarrierShared();
    barrier();
    for (uint h = gl_WorkGroupSize.x / 2; h > 0; h /= 2) {
      if (gl_LocalInvocationID.x < h) partial[gl_LocalInvocationID.x] += partial[gl_LocalInvocationID.x + h];
      memoryBarrierShared();
      barrier();
    }
    if (gl_LocalInvocationID.x == 0) dst1[gl_WorkGroupID.x] = partial[0];
  } else if (MODE == 1) {
    for (; i < pc.count; i += stride) dst[i] = (uvec4(4 * i) + uvec4(0, 1, 2, 3)) ^ uvec4(pc.seed);
  } else {
    for (; i + 3 * stride < pc.count; i += 4 * stride) {
      uvec4 a = src[i], b = src[i + stride], c = src[i + 2 * stride], d = src[i + 3 * stride];
      dst[i] = a;
      dst[i + stride] = b;
      dst[i + 2 * stride] = c;
      dst[i + 3 * stride] = d;
    }
    for (; i < pc.count; i += stride) dst[i] = src[i];
  }
}
