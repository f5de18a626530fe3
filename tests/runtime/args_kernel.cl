// External-style kernels for the `spork run` end-to-end tests (built at test-build time with
// clang-19). Every scalar kind travels through the kernarg segment and is written back out
// so the test can check each value bit for bit.
#include "spork_ocl.h"

// out[0..7] = a, b, c, d, e, f, bits(g), bits(h) (signed values sign-extended).
// Every work-item i < n also writes out[8 + i] = i + c, so the grid is checked too.
__kernel void echo_args(__global long* out, char a, short b, int c, uint d, long e, ulong f, float g, double h,
                        uint n) {
  size_t i = get_global_id(0);
  if (i == 0) {
    out[0] = a;
    out[1] = b;
    out[2] = c;
    out[3] = (long)d;
    out[4] = e;
    out[5] = (long)f;
    out[6] = (long)as_uint(g);
    out[7] = as_long(h);
  }
  if (i < n) out[8 + i] = (long)i + c;
}

// y[i] = a * x[i] + y[i] over a 2-D grid of rows (tests Y dimensions and buf@FILE inputs).
__kernel void saxpy_rows(__global const float* x, __global float* y, float a, uint width, uint height) {
  uint col = get_global_id(0), row = get_global_id(1);
  if (col < width && row < height) y[row * width + col] = fma(a, x[row * width + col], y[row * width + col]);
}

// Writes p[i * stride] for i < n: with a stride past the end of a small buffer it faults.
__kernel void poke(__global uint* p, uint stride, uint n) {
  uint i = get_global_id(0);
  if (i < n) p[(size_t)i * stride] = 0xC0FFEEu + i;
}

// Spins until *flag becomes non-zero (never, in the hang test).
__kernel void spin(__global volatile uint* flag) {
  while (*flag == 0) {
  }
}

// A private array indexed at run time: lives in scratch (private segment), so the runtime has to
// provide COMPUTE_TMPRING_SIZE and a scratch area. out[i] = tmp[j] + tmp[m] with tmp[t] = t * k + i.
__kernel void private_sum(__global uint* out, uint j, uint m, uint k, uint n) {
  volatile uint tmp[300];
  uint i = get_global_id(0);
  for (uint t = 0; t < 300; ++t) tmp[t] = t * k + i;
  if (i < n) out[i] = tmp[j % 300] + tmp[m % 300];
}
