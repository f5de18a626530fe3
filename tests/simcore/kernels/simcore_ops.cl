// Kernels the shader-core tests run at -O0, -O1 and -O3 and compare against C++ references.
// Each is launched with 64-thread workgroups (reqd_work_group_size) so no hidden
// arguments are needed; gid = group * 64 + lid.
#define GID (__builtin_amdgcn_workgroup_id_x() * 64 + __builtin_amdgcn_workitem_id_x())
#define LID (__builtin_amdgcn_workitem_id_x())
#define WG __attribute__((reqd_work_group_size(64, 1, 1)))

// 32- and 64-bit integer arithmetic including division and remainder.
WG __kernel void int_ops(__global uint* out, __global const uint* a, __global const uint* b, uint n) {
  uint i = GID;
  if (i >= n) return;
  uint x = a[i], y = b[i] | 1u;
  int sx = (int)x, sy = (int)y;
  ulong X = ((ulong)x << 32) | y, Y = ((ulong)y << 17) + 3;
  long SX = (long)X;
  __global uint* o = out + i * 16;
  o[0] = x + y * 3u;
  o[1] = x / y;
  o[2] = x % y;
  o[3] = (uint)(sx / sy);
  o[4] = (uint)(sx % sy);
  o[5] = (uint)(X / Y);
  o[6] = (uint)((X % Y) >> 3);
  o[7] = (uint)(SX / (long)(sy | 1));
  o[8] = (uint)(((ulong)x * y) >> 32);
  o[9] = (x << (y & 31)) ^ (x >> (y & 7)) ^ (uint)(sx >> 5);
  o[10] = (uint)((X * Y) >> 29);
  o[11] = __builtin_popcount(x) + __builtin_clz(y) + (x > y ? 7u : 11u);
  o[12] = (x < y ? x : y) + (uint)(sx > sy ? sx : sy);
  o[13] = (uint)(X >> (y & 63)) + (uint)(SX >> 40);
  o[14] = ((x << (y & 31)) | (x >> ((32 - (y & 31)) & 31)));
  o[15] = (uint)(sx < sy) + 2u * (uint)(X < Y) + 4u * (uint)(SX < 0);
}

// f32 arithmetic, division, sqrt and conversions.
WG __kernel void float_ops(__global float* out, __global const float* a, __global const float* b, uint n) {
  uint i = GID;
  if (i >= n) return;
  float x = a[i], y = b[i];
  __global float* o = out + i * 12;
  o[0] = x * y + 1.5f;
  o[1] = x / y;
  o[2] = __builtin_sqrtf(__builtin_fabsf(x));
  o[3] = __builtin_fmaf(x, y, -x);
  o[4] = __builtin_fminf(x, y) - __builtin_fmaxf(x, y);
  o[5] = (float)(int)(x * 100.0f);
  o[6] = (float)(uint)(__builtin_fabsf(y) * 1000.0f);
  o[7] = __builtin_floorf(x * 3.0f) + __builtin_ceilf(y * 5.0f) + __builtin_truncf(x * 7.0f) + __builtin_rintf(y * 9.0f);
  o[8] = x < y ? x - y : y * 2.0f;
  o[9] = 1.0f / x;
  o[10] = (float)((double)x * (double)y);
  o[11] = __builtin_copysignf(__builtin_fabsf(x), y);
}

// f64 arithmetic as LLVM emits it for doubles.
WG __kernel void double_ops(__global double* out, __global const double* a, __global const double* b, uint n) {
  uint i = GID;
  if (i >= n) return;
  double x = a[i], y = b[i];
  __global double* o = out + i * 8;
  o[0] = x * y + 0.25;
  o[1] = x / y;
  o[2] = __builtin_sqrt(__builtin_fabs(x));
  o[3] = __builtin_fma(x, y, x);
  o[4] = __builtin_fmin(x, y) + __builtin_floor(x * 8.0) + __builtin_ceil(y * 3.0);
  o[5] = (double)(long)(x * 1e6);
  o[6] = (double)(int)(y * 1e3) + (double)(uint)(__builtin_fabs(x) * 1e3);
  o[7] = (double)(float)x;
}

// Private arrays (scratch) with data-dependent indexing.
WG __kernel void private_ops(__global uint* out, __global const uint* a, uint n) {
  uint i = GID;
  if (i >= n) return;
  uint p[40];
  for (uint k = 0; k < 40; ++k) p[k] = a[i] * (k + 1) + k;
  uint s = 0;
  for (uint k = 0; k < 40; ++k) s += p[(a[i] + k * 7) % 40] ^ k;
  out[i] = s;
}

// LDS with barriers: a block reduction and a reversal through local memory.
WG __kernel void lds_ops(__global uint* out, __global const uint* a) {
  __local uint buf[64];
  __local ulong wide[64];
  __local ushort hbuf[64];
  uint l = LID, g = GID;
  buf[l] = a[g];
  wide[l] = (ulong)a[g] << 20;
  hbuf[l] = (ushort)a[g];
  __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup");
  __builtin_amdgcn_s_barrier();
  __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup");
  uint rev = buf[63 - l];
  ulong w = wide[(l + 5) & 63];
  uint h = hbuf[(l * 3) & 63];
  __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup");
  __builtin_amdgcn_s_barrier();
  __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup");
  for (uint s = 32; s > 0; s >>= 1) {
    if (l < s) buf[l] += buf[l + s];
    __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup");
    __builtin_amdgcn_s_barrier();
    __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup");
  }
  out[g * 4 + 0] = rev;
  out[g * 4 + 1] = (uint)(w >> 4);
  out[g * 4 + 2] = h;
  out[g * 4 + 3] = buf[0];
}

// Global and LDS atomics, with and without return.
WG __kernel void atomic_ops(__global uint* counters, __global uint* ret, __global const uint* a) {
  __local uint lc[4];
  uint l = LID, g = GID, v = a[g];
  if (l < 4) lc[l] = l == 2 ? 0xFFFFFFFFu : 0;
  __builtin_amdgcn_s_barrier();
  __atomic_fetch_add(&counters[0], v, __ATOMIC_RELAXED);
  ret[g] = __atomic_fetch_add(&counters[1], 1u, __ATOMIC_RELAXED);
  __atomic_fetch_max(&counters[2], v, __ATOMIC_RELAXED);
  __atomic_fetch_min(&counters[3], v, __ATOMIC_RELAXED);
  __atomic_fetch_or(&counters[4], 1u << (v & 31), __ATOMIC_RELAXED);
  __atomic_fetch_xor(&counters[5], v, __ATOMIC_RELAXED);
  __atomic_fetch_and(&counters[6], ~(1u << (v & 31)), __ATOMIC_RELAXED);
  __atomic_fetch_sub(&counters[7], v, __ATOMIC_RELAXED);
  uint expected = counters[8];
  while (!__atomic_compare_exchange_n(&counters[8], &expected, expected + 3u, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
  __atomic_fetch_add((__global ulong*)&counters[10], (ulong)v << 16, __ATOMIC_RELAXED);
  __atomic_fetch_add(&lc[0], v, __ATOMIC_RELAXED);
  __atomic_fetch_max(&lc[1], v, __ATOMIC_RELAXED);
  __atomic_fetch_min(&lc[2], v, __ATOMIC_RELAXED);
  __atomic_exchange_n(&lc[3], v, __ATOMIC_RELAXED);
  __builtin_amdgcn_s_barrier();
  if (l == 0) {
    __atomic_fetch_add(&counters[12], lc[0], __ATOMIC_RELAXED);
    __atomic_fetch_max(&counters[13], lc[1], __ATOMIC_RELAXED);
    __atomic_fetch_min(&counters[14], lc[2], __ATOMIC_RELAXED);
  }
}

// Divergent control flow: nested branches and a data-dependent loop (exec masking).
WG __kernel void branch_ops(__global uint* out, __global const uint* a, uint n) {
  uint i = GID;
  if (i >= n) return;
  uint x = a[i], s = 0;
  if (x & 1) {
    for (uint k = 0; k < (x & 15); ++k) s += k * x;
  } else if (x & 2) {
    s = x * 3;
    while (s > 100) s -= 37;
  } else {
    s = ~x;
  }
  out[i] = s;
}
