// spork's GEMM code object (build/kernels/gfx1100/gemm.co) through the whole PM4 path on the
// simulator, against an FP64 CPU reference, at sizes that exercise every edge of its 64x64 tiles.
#include <doctest/doctest.h>

#include <cmath>

#include "sim_env.h"

using namespace simtest;

namespace {

struct GemmResult {
  sim::SubmissionResult r;
  size_t wrong = 0;
  double max_err = 0;
};

// C = A * B, row-major, A MxK, B KxN. Tolerance per element: 2 * K * FLT_EPSILON * sum_k |a||b|
// (a generous multiple of the FP32 dot-product error bound), so any misplaced term fails.
GemmResult run_gemm(SimEnv& e, const Program& p, uint32_t M, uint32_t N, uint32_t K, bool stats = false) {
  auto a = random_floats(size_t(M) * K), b = random_floats(size_t(K) * N);
  Buffer ba = e.upload(a), bb = e.upload(b), bc = e.alloc(size_t(M) * N * 4);
  bc.poison(0xFF);  // NaN everywhere
  GemmResult g;
  if (stats) {
    auto o = e.gpu.options();
    o.collect_stats = true;
    e.gpu.set_options(o);
  }
  g.r = e.run1(p, "gemm", {buf(ba), buf(bb), buf(bc), val(M), val(N), val(K)}, {div_up(N, 64), div_up(M, 64), 1},
               {16, 16, 1});
  if (stats) {
    auto o = e.gpu.options();
    o.collect_stats = false;
    e.gpu.set_options(o);
  }
  if (g.r.ok()) {
    const float* c = bc.as<float>();
    for (uint32_t i = 0; i < M; ++i)
      for (uint32_t j = 0; j < N; ++j) {
        double ref = 0, mag = 0;
        for (uint32_t k = 0; k < K; ++k) {
          double t = double(a[size_t(i) * K + k]) * b[size_t(k) * N + j];
          ref += t, mag += std::fabs(t);
        }
        double err = std::fabs(c[size_t(i) * N + j] - ref);  // NaN poison compares false below
        if (!(err <= 2.0 * K * 1.1920929e-7 * mag + 1e-30)) {
          if (g.wrong++ < 5)
            FAIL_CHECK("C[" << i << "][" << j << "] = " << c[size_t(i) * N + j] << ", expected " << ref);
        } else {
          g.max_err = std::max(g.max_err, err);
        }
      }
  }
  e.free(ba), e.free(bb), e.free(bc);
  return g;
}

}  // namespace

TEST_CASE("GEMM on the simulator matches FP64 at 1x1x1, 17x31x7, 129x65x257 and 256^3") {
  SimEnv e;
  Program p = e.load(spork_kernel_path("gemm"));
  struct Size {
    uint32_t M, N, K;
  };
  for (Size s : {Size{1, 1, 1}, Size{17, 31, 7}, Size{129, 65, 257}, Size{256, 256, 256}}) {
    CAPTURE(s.M);
    CAPTURE(s.N);
    CAPTURE(s.K);
    bool stats = s.M == 129;
    GemmResult g = run_gemm(e, p, s.M, s.N, s.K, stats);
    REQUIRE_MESSAGE(g.r.ok(), describe(g.r));
    CHECK(g.wrong == 0);
    MESSAGE(s.M << "x" << s.N << "x" << s.K << ": max abs error " << g.max_err);
    if (stats) {
      REQUIRE(g.r.stats.size() == 1);
      const auto& st = g.r.stats[0];
      // Every 64x64 tile runs the full K loop in steps of 16: each of its 4096 outputs takes
      // one lane-FMA per k (zero-padded edges included).
      uint64_t padded = uint64_t(div_up(s.M, 64) * 64) * (div_up(s.N, 64) * 64) * (div_up(s.K, 16) * 16);
      CHECK(st.workgroups == uint64_t(div_up(s.M, 64)) * div_up(s.N, 64));
      CHECK(st.waves == st.workgroups * 8);
      CHECK(st.fma_lanes >= padded);
      CHECK(st.fma_lanes <= padded + padded / 8);
      CHECK(st.bytes_written[0] == uint64_t(s.M) * s.N * 4);
    }
  }
}
