#include "spork_ocl.h"
// FP32 GEMM, C = A * B, row-major, any M, N, K (edges zero-padded in LDS).
// Workgroup 16x16 threads computes a 64x64 tile of C; each thread a 4x4 register
// block, K advanced 16 at a time through LDS.
// Launch: grid = (ceil(N/64), ceil(M/64)) workgroups, block = (16, 16).
#define TILE 64
#define KT 16
#define RB 4

__attribute__((reqd_work_group_size(16, 16, 1)))
__kernel void gemm(__global const float* restrict A, __global const float* restrict B,
                   __global float* restrict C, uint M, uint N, uint K) {
  __local float As[KT][TILE];  // As[k][m]: A tile transposed so a thread reads 4 m's at once
  __local float Bs[KT][TILE];  // Bs[k][n]
  const uint tx = get_local_id(0), ty = get_local_id(1);
  const uint tid = ty * 16 + tx;
  const uint row0 = get_group_id(1) * TILE, col0 = get_group_id(0) * TILE;
  float acc[RB][RB];
  for (int i = 0; i < RB; ++i)
    for (int j = 0; j < RB; ++j) acc[i][j] = 0.0f;

  for (uint k0 = 0; k0 < K; k0 += KT) {
    // 64x16 A values and 16x64 B values per tile: 4 of each per thread.
    for (uint l = 0; l < 4; ++l) {
      uint e = tid + l * 256;
      uint am = e / KT, ak = e % KT;  // A: consecutive threads walk k
      uint gr = row0 + am, gk = k0 + ak;
      As[ak][am] = (gr < M && gk < K) ? A[(size_t)gr * K + gk] : 0.0f;
      uint bk = e / TILE, bn = e % TILE;  // B: consecutive threads walk n
      uint gk2 = k0 + bk, gc = col0 + bn;
      Bs[bk][bn] = (gk2 < K && gc < N) ? B[(size_t)gk2 * N + gc] : 0.0f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint k = 0; k < KT; ++k) {
      float a[RB], b[RB];
      for (int i = 0; i < RB; ++i) a[i] = As[k][ty * RB + i];
      for (int j = 0; j < RB; ++j) b[j] = Bs[k][tx * RB + j];
      for (int i = 0; i < RB; ++i)
        for (int j = 0; j < RB; ++j) acc[i][j] = fma(a[i], b[j], acc[i][j]);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  for (int i = 0; i < RB; ++i) {
    uint r = row0 + ty * RB + i;
    if (r >= M) break;
    for (int j = 0; j < RB; ++j) {
      uint c = col0 + tx * RB + j;
      if (c < N) C[(size_t)r * N + c] = acc[i][j];
    }
  }
}
