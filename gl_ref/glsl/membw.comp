#version 430
// Memory bandwidth kernels of the OpenGL allocation-hint experiment; one of OP_READ, OP_WRITE,
// OP_COPY is defined by the host (gl_ref/membw.cpp). Work is cut into chunks of
// LOCAL_SIZE * UNROLL uvec4s (16 KiB); a workgroup takes one chunk at a time (grid-stride over
// chunks) and its invocations issue UNROLL independent 16-byte loads or stores, neighbours on
// neighbouring addresses, so each chunk is one contiguous burst.
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

const uint CHUNK = uint(LOCAL_SIZE) * uint(UNROLL);

// Word w of the buffer gets w * 2654435761 + seed (Knuth's multiplicative hash; distinct per word).
uvec4 pattern(uint i) {
  uint w = i * 4u;
  return uvec4(w, w + 1u, w + 2u, w + 3u) * 2654435761u + seed;
}

void main() {
  uint lid = gl_LocalInvocationID.x;
  uint step = gl_NumWorkGroups.x * CHUNK;
#ifdef OP_READ
  uvec4 acc = uvec4(0u);
#endif
  for (uint base = gl_WorkGroupID.x * CHUNK; base < n_vec4; base += step) {
    if (base + CHUNK <= n_vec4) {
#if defined(OP_READ)
      uvec4 v[UNROLL];
      for (uint u = 0u; u < uint(UNROLL); ++u) v[u] = src[base + u * uint(LOCAL_SIZE) + lid];
      for (uint u = 0u; u < uint(UNROLL); ++u) acc += v[u];
#elif defined(OP_WRITE)
      for (uint u = 0u; u < uint(UNROLL); ++u) {
        uint i = base + u * uint(LOCAL_SIZE) + lid;
        dst[i] = pattern(i);
      }
#else
      uvec4 v[UNROLL];
      for (uint u = 0u; u < uint(UNROLL); ++u) v[u] = src[base + u * uint(LOCAL_SIZE) + lid];
      for (uint u = 0u; u < uint(UNROLL); ++u) dst[base + u * uint(LOCAL_SIZE) + lid] = v[u];
#endif
    } else {  // the last, partial chunk
      for (uint u = 0u; u < uint(UNROLL); ++u) {
        uint i = base + u * uint(LOCAL_SIZE) + lid;
        if (i < n_vec4) {
#if defined(OP_READ)
          acc += src[i];
#elif defined(OP_WRITE)
          dst[i] = pattern(i);
#else
          dst[i] = src[i];
#endif
        }
      }
    }
  }
#ifdef OP_READ
  partial[lid] = acc.x + acc.y + acc.z + acc.w;
  barrier();
  for (uint s = uint(LOCAL_SIZE) / 2u; s > 0u; s >>= 1u) {
    if (lid < s) partial[lid] += partial[lid + s];
    barrier();
  }
  if (lid == 0u) sums[gl_WorkGroupID.x] = partial[0];
#endif
}
