#version 430
// Memory bandwidth kernels of the OpenGL allocation-hint experiment; one of OP_READ, OP_WRITE,
// OP_COPY is defined by the host (gl_ref/membw.cpp). Grid-stride loops over uvec4 (16-byte)
// elements, UNROLL independent loads or stores in flight per thread.
#ifndef LOCAL_SIZE
#define LOCAL_SIZE 256
#endif
#ifndef UNROLL
#define UNROLL 4
#endif
#if !defined(OP_READ) && !defined(OP_WRITE) && !defined(OP_COPY)
#define OP_READ
#endif
layout(local_size_x = LOCAL_SIZE) in;

layout(std430, binding = 0) readonly buffer Src { uvec4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uvec4 dst[]; };
// OP_READ: one wrapping uint sum per workgroup, so the host can check every element was read.
layout(std430, binding = 2) writeonly buffer Sums { uint sums[]; };

uniform uint n_vec4;  // elements (uvec4) in the buffer
uniform uint seed;    // OP_WRITE: pattern seed, new each run

#ifdef OP_READ
shared uint partial[LOCAL_SIZE];
#endif

void main() {
  uint stride = gl_NumWorkGroups.x * LOCAL_SIZE;
  uint i = gl_GlobalInvocationID.x;
#ifdef OP_READ
  uvec4 acc = uvec4(0u);
  for (; i + (UNROLL - 1) * stride < n_vec4; i += UNROLL * stride) {
    for (uint u = 0u; u < UNROLL; ++u) acc += src[i + u * stride];
  }
  for (; i < n_vec4; i += stride) acc += src[i];
  partial[gl_LocalInvocationID.x] = acc.x + acc.y + acc.z + acc.w;
  barrier();
  for (uint s = LOCAL_SIZE / 2u; s > 0u; s >>= 1u) {
    if (gl_LocalInvocationID.x < s) partial[gl_LocalInvocationID.x] += partial[gl_LocalInvocationID.x + s];
    barrier();
  }
  if (gl_LocalInvocationID.x == 0u) sums[gl_WorkGroupID.x] = partial[0];
#elif defined(OP_WRITE)
  // Word w of the buffer gets w * 2654435761 + seed (Knuth's multiplicative hash; distinct per word).
  for (; i < n_vec4; i += stride) {
    uint w = i * 4u;
    dst[i] = uvec4(w, w + 1u, w + 2u, w + 3u) * 2654435761u + seed;
  }
#else
  for (; i + (UNROLL - 1) * stride < n_vec4; i += UNROLL * stride) {
    uvec4 v[UNROLL];
    for (uint u = 0u; u < UNROLL; ++u) v[u] = src[i + u * stride];
    for (uint u = 0u; u < UNROLL; ++u) dst[i + u * stride] = v[u];
  }
  for (; i < n_vec4; i += stride) dst[i] = src[i];
#endif
}
