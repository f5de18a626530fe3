// FP32 GEMM, C = A * B, all row-major: A is M x K, B is K x N, C is M x N. Any M, N, K >= 1.
// Shared by the Vulkan path (vulkan_ref/, compiled with glslangValidator --target-env vulkan1.1 -DVULKAN)
// and the OpenGL path (gl_ref/, compiled by the GL driver from the embedded source text).
//
// Interface (stable):
//   binding 0: A, binding 1: B, binding 2: C   -- std430 shader storage buffers of float
//              (each binding is also declared as vec4[] for 16-byte loads/stores; same buffer)
//   M, N, K:   Vulkan: push constants { uint M; uint N; uint K; } at offset 0 (12 bytes)
//              GL:     uniforms `uniform uint M, N, K` at locations 0, 1, 2 (glUniform1ui)
//   dispatch:  (ceil(N / BN), ceil(M / BM), 1) workgroups of (BM/TM) * (BN/TN) invocations
//
// Tiling knobs. Vulkan: specialisation constants (constant_id below). GL: #defines put before
// this text (each has a default here):
//   id 0 BM     rows of C per workgroup tile                              (default 64)
//   id 1 BN     columns of C per workgroup tile                           (default 64)
//   id 2 BK     K-slice staged in shared memory per step (multiple of 4)  (default 16)
//   id 3 TM     rows of C per invocation (register block, multiple of 4)  (default 4)
//   id 4 TN     columns of C per invocation (multiple of 4)               (default 4)
//   id 5 VEC    global load/store width: 4 = vec4 (needs K % 4 == 0 and N % 4 == 0), 1 = scalar
//   id 6 STAGES shared-memory buffers: 2 = double buffered (one barrier per K step), 1 = single
//   id 7        local_size_x; must equal (BM/TM) * (BN/TN)   (GL: derived from the #defines)
// Constraints: BM % (4*(BM/TM)) == 0 is implied by TM % 4 == 0; (BM*BK/4) and (BK*BN/4) must be
// multiples of the invocation count (each invocation stages whole vec4 units).
//
// Each invocation owns TM x TN results, in 4x4 sub-blocks spaced 4*(BM/TM) rows and 4*(BN/TN)
// columns apart, so that neighbouring invocations read neighbouring vec4s from shared memory
// (no bank conflicts on 16-byte shared loads).
#version 450
#ifdef VULKAN
#extension GL_EXT_control_flow_attributes : enable
#define UNROLL [[unroll]]
layout(constant_id = 0) const uint BM = 64;
layout(constant_id = 1) const uint BN = 64;
layout(constant_id = 2) const uint BK = 16;
layout(constant_id = 3) const uint TM = 4;
layout(constant_id = 4) const uint TN = 4;
layout(constant_id = 5) const uint VEC = 4;
layout(constant_id = 6) const uint STAGES = 2;
layout(local_size_x_id = 7, local_size_y = 1, local_size_z = 1) in;
layout(push_constant) uniform Params { uint M; uint N; uint K; } pc;
#define P_M pc.M
#define P_N pc.N
#define P_K pc.K
#else
#ifndef UNROLL  // a GL host may pass [[unroll]] with GL_EXT_control_flow_attributes
#define UNROLL
#endif
#ifndef BM
#define BM 64u
#endif
#ifndef BN
#define BN 64u
#endif
#ifndef BK
#define BK 16u
#endif
#ifndef TM
#define TM 4u
#endif
#ifndef TN
#define TN 4u
#endif
#ifndef VEC
#define VEC 4u
#endif
#ifndef STAGES
#define STAGES 2u
#endif
#ifdef LOCAL_SIZE_X
// The GL host passes (BM/TM)*(BN/TN) as a literal: GLSL 4.30 compilers (NVIDIA's) reject a constant
// expression in a layout qualifier.
layout(local_size_x = LOCAL_SIZE_X, local_size_y = 1, local_size_z = 1) in;
#else
layout(local_size_x = ((BM) / (TM)) * ((BN) / (TN)), local_size_y = 1, local_size_z = 1) in;
#endif
layout(location = 0) uniform uint M;
layout(location = 1) uniform uint N;
layout(location = 2) uniform uint K;
#define P_M M
#define P_N N
#define P_K K
#endif

layout(std430, binding = 0) readonly buffer BufA { float A[]; };
layout(std430, binding = 0) readonly buffer BufA4 { vec4 A4[]; };
layout(std430, binding = 1) readonly buffer BufB { float B[]; };
layout(std430, binding = 1) readonly buffer BufB4 { vec4 B4[]; };
layout(std430, binding = 2) writeonly buffer BufC { float C[]; };
layout(std430, binding = 2) writeonly buffer BufC4 { vec4 C4[]; };

const uint TX = BN / TN;                 // invocations along N
const uint TY = BM / TM;                 // invocations along M
const uint NT = TX * TY;                 // invocations per workgroup
const uint A_UNITS = (BM * BK / 4) / NT; // vec4 units of the A tile staged per invocation
const uint B_UNITS = (BK * BN / 4) / NT;
const uint BM4 = BM / 4;
const uint BN4 = BN / 4;
const uint BK4 = BK / 4;
const uint GM = TM / 4;                  // 4-row groups per invocation
const uint GN = TN / 4;                  // 4-column groups per invocation

// As holds the A tile transposed (k-major) so that a thread's TM values along M are vec4s.
shared vec4 As[STAGES * BK * BM4];
shared vec4 Bs[STAGES * BK * BN4];

vec4 regA[A_UNITS];
vec4 regB[B_UNITS];

// A tile unit u: row u / BK4 of the tile, k = 4 * (u % BK4) .. +3.
void load_global(uint m0, uint n0, uint k0) {
  UNROLL for (uint i = 0; i < A_UNITS; ++i) {
    uint u = gl_LocalInvocationID.x + i * NT;
    uint row = m0 + u / BK4;
    uint k = k0 + 4 * (u % BK4);
    vec4 v = vec4(0.0);
    if (row < P_M) {
      if (VEC == 4) {
        if (k < P_K) v = A4[(row * P_K + k) / 4];
      } else {
        uint base = row * P_K + k;
        if (k + 0 < P_K) v.x = A[base + 0];
        if (k + 1 < P_K) v.y = A[base + 1];
        if (k + 2 < P_K) v.z = A[base + 2];
        if (k + 3 < P_K) v.w = A[base + 3];
      }
    }
    regA[i] = v;
  }
  // B tile unit u: k row u / BN4, columns 4 * (u % BN4) .. +3.
  UNROLL for (uint i = 0; i < B_UNITS; ++i) {
    uint u = gl_LocalInvocationID.x + i * NT;
    uint k = k0 + u / BN4;
    uint col = n0 + 4 * (u % BN4);
    vec4 v = vec4(0.0);
    if (k < P_K) {
      if (VEC == 4) {
        if (col < P_N) v = B4[(k * P_N + col) / 4];
      } else {
        uint base = k * P_N + col;
        if (col + 0 < P_N) v.x = B[base + 0];
        if (col + 1 < P_N) v.y = B[base + 1];
        if (col + 2 < P_N) v.z = B[base + 2];
        if (col + 3 < P_N) v.w = B[base + 3];
      }
    }
    regB[i] = v;
  }
}

void store_shared(uint stage) {
  UNROLL for (uint i = 0; i < A_UNITS; ++i) {
    uint u = gl_LocalInvocationID.x + i * NT;
    uint row = u / BK4;
    uint k = 4 * (u % BK4);
    uint base = stage * BK * BM4 + row / 4;
    uint c = row % 4;
    As[base + (k + 0) * BM4][c] = regA[i].x;
    As[base + (k + 1) * BM4][c] = regA[i].y;
    As[base + (k + 2) * BM4][c] = regA[i].z;
    As[base + (k + 3) * BM4][c] = regA[i].w;
  }
  UNROLL for (uint i = 0; i < B_UNITS; ++i) {
    uint u = gl_LocalInvocationID.x + i * NT;
    Bs[stage * BK * BN4 + u] = regB[i];  // u = k * BN4 + column / 4
  }
}

void main() {
  const uint tx = gl_LocalInvocationID.x % TX;
  const uint ty = gl_LocalInvocationID.x / TX;
  const uint m0 = gl_WorkGroupID.y * BM;
  const uint n0 = gl_WorkGroupID.x * BN;

  vec4 acc[TM * GN];  // acc[r * GN + g]: row r of this invocation's block, column group g
  UNROLL for (uint i = 0; i < TM * GN; ++i) acc[i] = vec4(0.0);

  const uint tiles = (P_K + BK - 1) / BK;
  load_global(m0, n0, 0);
  store_shared(0);
  memoryBarrierShared();
  barrier();

  for (uint t = 0; t < tiles; ++t) {
    const uint cur = (STAGES == 2) ? (t & 1) : 0;
    const bool more = t + 1 < tiles;
    if (STAGES == 2 && more) load_global(m0, n0, (t + 1) * BK);  // in flight during the FMAs

    const uint abase = cur * BK * BM4;
    const uint bbase = cur * BK * BN4;
    UNROLL for (uint k = 0; k < BK; ++k) {
      vec4 a[GM];
      vec4 b[GN];
      UNROLL for (uint g = 0; g < GM; ++g) a[g] = As[abase + k * BM4 + g * TY + ty];
      UNROLL for (uint g = 0; g < GN; ++g) b[g] = Bs[bbase + k * BN4 + g * TX + tx];
      UNROLL for (uint gm = 0; gm < GM; ++gm) {
        UNROLL for (uint r = 0; r < 4; ++r) {
          UNROLL for (uint gn = 0; gn < GN; ++gn) {
            acc[(gm * 4 + r) * GN + gn] = fma(vec4(a[gm][r]), b[gn], acc[(gm * 4 + r) * GN + gn]);
          }
        }
      }
    }

    if (STAGES == 2) {
      if (more) store_shared(cur ^ 1);
      memoryBarrierShared();
      barrier();
    } else {
      memoryBarrierShared();
      barrier();  // everyone is done reading stage 0
      if (more) {
        load_global(m0, n0, (t + 1) * BK);
        store_shared(0);
      }
      memoryBarrierShared();
      barrier();
    }
  }

  UNROLL for (uint gm = 0; gm < GM; ++gm) {
    UNROLL for (uint r = 0; r < 4; ++r) {
      const uint row = m0 + gm * 4 * TY + ty * 4 + r;
      if (row >= P_M) continue;
      UNROLL for (uint gn = 0; gn < GN; ++gn) {
        const uint col = n0 + gn * 4 * TX + tx * 4;
        const vec4 v = acc[(gm * 4 + r) * GN + gn];
        if (VEC == 4) {
          if (col < P_N) C4[(row * P_N + col) / 4] = v;
        } else {
          const uint base = row * P_N + col;
          if (col + 0 < P_N) C[base + 0] = v.x;
          if (col + 1 < P_N) C[base + 1] = v.y;
          if (col + 2 < P_N) C[base + 2] = v.z;
          if (col + 3 < P_N) C[base + 3] = v.w;
        }
      }
    }
  }
}
