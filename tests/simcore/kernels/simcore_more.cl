// More kernels for the shader-core tests (run at -O0, -O1 and -O3): 8/16-bit integers,
// vectors, 64-bit integers and conversions, amdgcn math builtins, 64-bit LDS atomics,
// global atomics of every flavour, and lane intrinsics. 64-thread workgroups, no hidden args.
#define GID (__builtin_amdgcn_workgroup_id_x() * 64 + __builtin_amdgcn_workitem_id_x())
__attribute__((reqd_work_group_size(64, 1, 1))) __kernel void chars(__global uchar* o, __global const char* a, __global const short* b, __global ushort* c) {
  uint i = GID;
  char x = a[i]; short y = b[i];
  o[i] = (uchar)(x * 3 + y / 7 - (x >> 2));
  c[i] = (ushort)(y * x + (y >> 3) + (ushort)y / 5u + (y < x ? 1 : 0));
}
__attribute__((reqd_work_group_size(64, 1, 1))) __kernel void vec(__global float4* o, __global const float4* a, __global const int4* b) {
  uint i = GID;
  float4 v = a[i];
  int4 w = b[i];
  o[i] = v * 2.0f + (float4)((float)w.x, (float)w.y, (float)w.z, (float)w.w) + v.wzyx;
}
__attribute__((reqd_work_group_size(64, 1, 1))) __kernel void longs(__global long* o, __global const long* a, __global const ulong* b) {
  uint i = GID;
  long x = a[i]; ulong y = b[i] | 1;
  o[i * 6 + 0] = x * (long)y;
  o[i * 6 + 1] = (long)(y / 13u) + x % 1000;
  o[i * 6 + 2] = x >> (y & 63);
  o[i * 6 + 3] = (long)((double)x * 0.5);
  o[i * 6 + 4] = (long)(ulong)((double)y);
  o[i * 6 + 5] = (long)__builtin_clzll(y) + __builtin_ctzll(y) + __builtin_popcountll(y);
}
__attribute__((reqd_work_group_size(64, 1, 1))) __kernel void maths(__global float* o, __global const float* a, __global double* d) {
  uint i = GID;
  float x = a[i];
  o[i * 8 + 0] = __builtin_fabsf(x) + __builtin_copysignf(1.0f, x);
  o[i * 8 + 1] = __builtin_fmaxf(x, 0.0f) * __builtin_fminf(x, 1.0f);
  o[i * 8 + 2] = __builtin_amdgcn_rcpf(x) + __builtin_amdgcn_rsqf(__builtin_fabsf(x) + 1.0f);
  o[i * 8 + 3] = __builtin_amdgcn_exp2f(x) + __builtin_amdgcn_logf(__builtin_fabsf(x) + 1.0f);
  o[i * 8 + 4] = __builtin_amdgcn_sinf(x) + __builtin_amdgcn_cosf(x);
  o[i * 8 + 5] = __builtin_amdgcn_fractf(x) + __builtin_amdgcn_ldexpf(x, 3) + __builtin_amdgcn_frexp_mantf(x);
  o[i * 8 + 6] = (float)__builtin_amdgcn_frexp_expf(x) + __builtin_roundf(x) + __builtin_truncf(x);
  o[i * 8 + 7] = x > 0 ? __builtin_sqrtf(x) : -x;
  double y = d[i];
  d[i] = __builtin_fma(y, y, 1.0) / (y + 3.0) + __builtin_round(y) + (double)(ulong)__builtin_fabs(y) + __builtin_fmax(y, 2.0);
}
__attribute__((reqd_work_group_size(64, 1, 1))) __kernel void lds64(__global ulong* o, __global const ulong* a) {
  __local ulong s[64];
  __local uint t[64];
  uint l = __builtin_amdgcn_workitem_id_x();
  s[l] = 0; t[l] = 0;
  __builtin_amdgcn_s_barrier();
  __atomic_fetch_add(&s[l & 7], a[GID], __ATOMIC_RELAXED);
  __atomic_fetch_max(&s[8 + (l & 7)], a[GID], __ATOMIC_RELAXED);
  __atomic_fetch_or(&t[l & 3], (uint)a[GID], __ATOMIC_RELAXED);
  ulong e = 0;
  __atomic_compare_exchange_n(&s[16], &e, a[GID], false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  __builtin_amdgcn_s_barrier();
  o[GID] = s[l & 15] + t[l & 3] + s[16];
}
__attribute__((reqd_work_group_size(64, 1, 1))) __kernel void gatomics(__global ulong* c, __global int* d, __global float* f, __global const uint* a) {
  uint v = a[GID];
  __atomic_fetch_min((__global long*)&c[0], -(long)v, __ATOMIC_RELAXED);
  __atomic_fetch_max(&c[1], (ulong)v << 20, __ATOMIC_RELAXED);
  __atomic_exchange_n(&c[2], (ulong)v, __ATOMIC_RELAXED);
  __atomic_fetch_and(&c[3], ~(ulong)v, __ATOMIC_RELAXED);
  __atomic_fetch_min(&d[0], (int)v - 500, __ATOMIC_RELAXED);
  __atomic_fetch_sub(&d[1], 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&f[0], 1.0f, __ATOMIC_RELAXED);
}
__attribute__((reqd_work_group_size(64, 1, 1))) __kernel void lanes(__global uint* o, __global const uint* a) {
  uint v = a[GID];
  o[GID] = __builtin_amdgcn_readfirstlane(v) + __builtin_amdgcn_ds_bpermute((int)((GID ^ 1) * 4), (int)v) +
           __builtin_amdgcn_mbcnt_lo(~0u, 0) + __builtin_amdgcn_ubfe(v, 3, 5) + __builtin_amdgcn_sbfe(v, 2, 7) +
           __builtin_amdgcn_alignbyte(v, v + 1, 2) + (uint)__builtin_amdgcn_ballot_w32(v & 1);
}

// A register array indexed at run time (-O3: v_movreld_b32 / v_movrels_b32 or selects).
__attribute__((reqd_work_group_size(64, 1, 1))) __kernel void dyn(__global float* o, __global const int* idx, __global const float* a) {
  uint i = GID;
  float v[8];
  for (int k = 0; k < 8; ++k) v[k] = a[i * 8 + k];
  v[idx[i] & 7] = 5.0f;
  o[i] = v[idx[i + 1] & 7] + v[(idx[i] + 3) & 7];
}

#pragma OPENCL EXTENSION cl_khr_fp16 : enable
// Half-precision arithmetic (v_fmaak_f16, v_mul_f16, conversions).
__attribute__((reqd_work_group_size(64, 1, 1))) __kernel void halfs(__global half* o, __global const half* h, __global float* f) {
  uint i = GID;
  o[i] = h[i] * h[i + 1] + (half)1.5f;
  f[i] = (float)(h[i] - h[i + 1]) * 0.5f;
}
