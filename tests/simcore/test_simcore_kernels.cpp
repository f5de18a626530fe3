// Runs real clang-19 code objects on the shader core and checks the results against
// independent C++ references: spork's GEMM/fill/copy (-O3) and the simcore_ops test
// kernels at -O0, -O1 and -O3 (integer/f32/f64 arithmetic, division, sqrt, conversions,
// scratch, LDS, atomics, divergent control flow).
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>

#include "simcore_util.h"

using namespace simcore_test;
namespace sim = spork::sim;

namespace {
const char* const kOpt[] = {"o0", "o1", "o3"};

std::string ops_path(const char* opt) { return std::string(SIMCORE_KERNEL_DIR "/gfx1100/simcore_ops_") + opt + ".co"; }

uint64_t ulp_diff(float a, float b) {
  if (std::isnan(a) && std::isnan(b)) return 0;
  int32_t x = std::bit_cast<int32_t>(a), y = std::bit_cast<int32_t>(b);
  if (x < 0) x = INT32_MIN - x;
  if (y < 0) y = INT32_MIN - y;
  return static_cast<uint64_t>(std::llabs(static_cast<int64_t>(x) - y));
}
uint64_t ulp_diff(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return 0;
  int64_t x = std::bit_cast<int64_t>(a), y = std::bit_cast<int64_t>(b);
  if (x < 0) x = INT64_MIN - x;
  if (y < 0) y = INT64_MIN - y;
  return static_cast<uint64_t>(x > y ? x - y : y - x);
}
}  // namespace

TEST_CASE("gemm.co (-O3) computes C = A*B, edges included, on 1 and 2 threads") {
  CodeObject co(read_file(SPORK_BINARY_DIR "/kernels/gfx1100/gemm.co"));
  for (unsigned threads : {1u, 2u}) {
    for (auto [m, n, kk] : {std::array<uint32_t, 3>{64, 64, 64}, {100, 72, 33}}) {
      Gpu gpu;
      const uint64_t code = gpu.load(co);
      std::mt19937 rng(m * 7 + n + threads);
      std::uniform_real_distribution<float> d(-1, 1);
      std::vector<float> a(size_t(m) * kk), b(size_t(kk) * n), c(size_t(m) * n, std::nanf(""));
      for (auto& v : a) v = d(rng);
      for (auto& v : b) v = d(rng);
      const uint64_t A = gpu.alloc(a.size() * 4), B = gpu.alloc(b.size() * 4), C = gpu.alloc(c.size() * 4);
      gpu.put(A, a);
      gpu.put(B, b);
      gpu.put(C, c);  // poisoned
      sim::DispatchOptions opt;
      opt.threads = threads;
      opt.collect_stats = true;
      auto stats = run_kernel(gpu, co, code, "gemm", Args().add(A).add(B).add(C).add(m).add(n).add(kk),
                              {(n + 63) / 64, (m + 63) / 64, 1}, {16, 16, 1}, opt);
      auto got = gpu.get<float>(C, c.size());
      double maxerr = 0;
      for (uint32_t i = 0; i < m; ++i)
        for (uint32_t j = 0; j < n; ++j) {
          double ref = 0;
          for (uint32_t k = 0; k < kk; ++k) ref += double(a[size_t(i) * kk + k]) * b[size_t(k) * n + j];
          maxerr = std::max(maxerr, std::fabs(ref - got[size_t(i) * n + j]));
        }
      CHECK_MESSAGE(maxerr < 1e-4, "gemm " << m << "x" << n << "x" << kk << " max error " << maxerr);
      CHECK(stats.vopd > 0);
      CHECK(stats.fma_lanes == uint64_t((m + 63) / 64 * 64) * ((n + 63) / 64 * 64) * ((kk + 15) / 16 * 16));
      CHECK(stats.bytes_written[0] == uint64_t(m) * n * 4);
      CHECK(stats.lds_bytes > 0);
    }
  }
}

TEST_CASE("fill.co and copy.co (grid-stride loops, hidden arguments)") {
  CodeObject fill(read_file(SPORK_BINARY_DIR "/kernels/gfx1100/fill.co"));
  CodeObject copy(read_file(SPORK_BINARY_DIR "/kernels/gfx1100/copy.co"));
  Gpu gpu;
  const uint64_t fc = gpu.load(fill), cc = gpu.load(copy);
  const uint32_t count = 10007;
  const uint64_t dst = gpu.alloc(count * 4 + 64), src = gpu.alloc(count * 4);
  gpu.put(dst, std::vector<uint32_t>(count + 16, 0xDEADBEEF));
  run_kernel(gpu, fill, fc, "fill_u32", Args().add(dst).add(0x12345678u).add(count), {7, 1, 1}, {256, 1, 1});
  auto d = gpu.get<uint32_t>(dst, count + 16);
  for (uint32_t i = 0; i < count; ++i) REQUIRE(d[i] == 0x12345678u);
  for (uint32_t i = count; i < count + 16; ++i) REQUIRE(d[i] == 0xDEADBEEF);  // nothing beyond count
  std::vector<uint32_t> s(count);
  std::mt19937 rng(5);
  for (auto& v : s) v = rng();
  gpu.put(src, s);
  run_kernel(gpu, copy, cc, "copy_u32", Args().add(src).add(dst).add(count), {3, 1, 1}, {100, 1, 1});
  d = gpu.get<uint32_t>(dst, count + 16);
  for (uint32_t i = 0; i < count; ++i) REQUIRE(d[i] == s[i]);
  CHECK(d[count] == 0xDEADBEEF);
}

TEST_CASE("simcore_ops kernels at -O0/-O1/-O3") {
  const uint32_t n = 1000;  // not a multiple of the workgroup: exercises the early exit
  const uint32_t groups = (n + 63) / 64;
  for (const char* opt : kOpt) {
    const std::string opt_level = opt;
    CAPTURE(opt_level);
    CodeObject co(read_file(ops_path(opt)));
    Gpu gpu;
    const uint64_t code = gpu.load(co);
    std::mt19937 rng(42);

    SUBCASE("int_ops") {
      std::vector<uint32_t> a(n), b(n);
      for (auto& v : a) v = rng();
      for (auto& v : b) v = rng() >> (rng() % 24);
      const uint64_t A = gpu.alloc(n * 4), B = gpu.alloc(n * 4), O = gpu.alloc(n * 64);
      gpu.put(A, a);
      gpu.put(B, b);
      gpu.put(O, std::vector<uint32_t>(n * 16, 0xCDCDCDCD));
      run_kernel(gpu, co, code, "int_ops", Args().add(O).add(A).add(B).add(n), {groups, 1, 1}, {64, 1, 1});
      auto o = gpu.get<uint32_t>(O, n * 16);
      for (uint32_t i = 0; i < n; ++i) {
        const uint32_t x = a[i], y = b[i] | 1u;
        const int32_t sx = int32_t(x), sy = int32_t(y);
        const uint64_t X = (uint64_t(x) << 32) | y, Y = (uint64_t(y) << 17) + 3;
        const int64_t SX = int64_t(X);
        const uint32_t r[16] = {x + y * 3u,
                                x / y,
                                x % y,
                                (sy == -1) ? uint32_t(0u - uint32_t(sx)) : uint32_t(sx / sy),
                                (sy == -1) ? 0u : uint32_t(sx % sy),
                                uint32_t(X / Y),
                                uint32_t((X % Y) >> 3),
                                uint32_t(SX / int64_t(sy | 1)),
                                uint32_t((uint64_t(x) * y) >> 32),
                                (x << (y & 31)) ^ (x >> (y & 7)) ^ uint32_t(sx >> 5),
                                uint32_t((X * Y) >> 29),
                                uint32_t(std::popcount(x)) + uint32_t(std::countl_zero(y)) + (x > y ? 7u : 11u),
                                std::min(x, y) + uint32_t(std::max(sx, sy)),
                                uint32_t(X >> (y & 63)) + uint32_t(SX >> 40),
                                std::rotl(x, int(y & 31)),
                                uint32_t(sx < sy) + 2u * uint32_t(X < Y) + 4u * uint32_t(SX < 0)};
        for (int k = 0; k < 16; ++k)
          REQUIRE_MESSAGE(o[i * 16 + k] == r[k], "item " << i << " result " << k << " x=" << x << " y=" << y);
      }
    }
    SUBCASE("float_ops") {
      std::uniform_real_distribution<float> d(-100, 100);
      std::vector<float> a(n), b(n);
      for (auto& v : a) v = d(rng);
      for (auto& v : b) {
        v = d(rng);
        if (std::fabs(v) < 0.1f) v = 0.5f;
      }
      const uint64_t A = gpu.alloc(n * 4), B = gpu.alloc(n * 4), O = gpu.alloc(n * 48);
      gpu.put(A, a);
      gpu.put(B, b);
      run_kernel(gpu, co, code, "float_ops", Args().add(O).add(A).add(B).add(n), {groups, 1, 1}, {64, 1, 1});
      auto o = gpu.get<float>(O, n * 12);
      for (uint32_t i = 0; i < n; ++i) {
        const float x = a[i], y = b[i];
        const float r[12] = {
            x * y + 1.5f,
            x / y,
            std::sqrt(std::fabs(x)),
            std::fma(x, y, -x),
            std::fmin(x, y) - std::fmax(x, y),
            float(int(x * 100.0f)),
            float(uint32_t(std::fabs(y) * 1000.0f)),
            std::floor(x * 3.0f) + std::ceil(y * 5.0f) + std::trunc(x * 7.0f) + std::nearbyint(y * 9.0f),
            x < y ? x - y : y * 2.0f,
            1.0f / x,
            float(double(x) * double(y)),
            std::copysign(std::fabs(x), y)};
        // Division, reciprocal and sqrt may use the 1-ulp hardware approximations (OpenCL allows 2.5 ulp).
        const uint64_t tol[12] = {1, 3, 3, 0, 0, 0, 0, 0, 0, 3, 0, 0};
        for (int k = 0; k < 12; ++k)
          REQUIRE_MESSAGE(
              (ulp_diff(o[i * 12 + k], r[k]) <= tol[k] || (k == 0 && o[i * 12] == std::fma(x, y, 1.5f))),
              "item " << i << " result " << k << ": " << o[i * 12 + k] << " vs " << r[k] << " x=" << x << " y=" << y);
      }
    }
    SUBCASE("double_ops") {
      std::uniform_real_distribution<double> d(-100, 100);
      std::vector<double> a(n), b(n);
      for (auto& v : a) v = d(rng);
      for (auto& v : b) {
        v = d(rng);
        if (std::fabs(v) < 0.1) v = 0.75;
      }
      const uint64_t A = gpu.alloc(n * 8), B = gpu.alloc(n * 8), O = gpu.alloc(n * 64);
      gpu.put(A, a);
      gpu.put(B, b);
      run_kernel(gpu, co, code, "double_ops", Args().add(O).add(A).add(B).add(n), {groups, 1, 1}, {64, 1, 1});
      auto o = gpu.get<double>(O, n * 8);
      for (uint32_t i = 0; i < n; ++i) {
        const double x = a[i], y = b[i];
        const double r[8] = {x * y + 0.25,
                             x / y,
                             std::sqrt(std::fabs(x)),
                             std::fma(x, y, x),
                             std::fmin(x, y) + std::floor(x * 8.0) + std::ceil(y * 3.0),
                             double(int64_t(x * 1e6)),
                             double(int32_t(y * 1e3)) + double(uint32_t(std::fabs(x) * 1e3)),
                             double(float(x))};
        for (int k = 0; k < 8; ++k)
          REQUIRE_MESSAGE((ulp_diff(o[i * 8 + k], r[k]) == 0 || (k == 0 && o[i * 8] == std::fma(x, y, 0.25))),
                          "item " << i << " result " << k << ": " << o[i * 8 + k] << " vs " << r[k]);
      }
    }
    SUBCASE("private_ops (scratch)") {
      std::vector<uint32_t> a(n);
      for (auto& v : a) v = rng() % 100000;
      const uint64_t A = gpu.alloc(n * 4), O = gpu.alloc(n * 4);
      gpu.put(A, a);
      run_kernel(gpu, co, code, "private_ops", Args().add(O).add(A).add(n), {groups, 1, 1}, {64, 1, 1});
      auto o = gpu.get<uint32_t>(O, n);
      for (uint32_t i = 0; i < n; ++i) {
        uint32_t p[40], s = 0;
        for (uint32_t k = 0; k < 40; ++k) p[k] = a[i] * (k + 1) + k;
        for (uint32_t k = 0; k < 40; ++k) s += p[(a[i] + k * 7) % 40] ^ k;
        REQUIRE(o[i] == s);
      }
    }
    SUBCASE("lds_ops (barriers)") {
      const uint32_t g = 8, m = g * 64;
      std::vector<uint32_t> a(m);
      for (auto& v : a) v = rng();
      const uint64_t A = gpu.alloc(m * 4), O = gpu.alloc(m * 16);
      gpu.put(A, a);
      sim::DispatchOptions opt;
      opt.collect_stats = true;
      auto st = run_kernel(gpu, co, code, "lds_ops", Args().add(O).add(A), {g, 1, 1}, {64, 1, 1}, opt);
      CHECK(st.lds_bytes > 0);
      auto o = gpu.get<uint32_t>(O, m * 4);
      for (uint32_t wg = 0; wg < g; ++wg) {
        uint32_t sum = 0;
        for (uint32_t l = 0; l < 64; ++l) sum += a[wg * 64 + l];
        for (uint32_t l = 0; l < 64; ++l) {
          const uint32_t gi = wg * 64 + l;
          REQUIRE(o[gi * 4 + 0] == a[wg * 64 + 63 - l]);
          REQUIRE(o[gi * 4 + 1] == uint32_t(((uint64_t(a[wg * 64 + ((l + 5) & 63)]) << 20) >> 4)));
          REQUIRE(o[gi * 4 + 2] == (a[wg * 64 + ((l * 3) & 63)] & 0xFFFF));
          REQUIRE(o[gi * 4 + 3] == sum);
        }
      }
    }
    SUBCASE("atomic_ops (global and LDS, with and without return)") {
      const uint32_t g = 6, m = g * 64;
      std::vector<uint32_t> a(m);
      for (auto& v : a) v = rng() % 1000000 + 1;
      std::vector<uint32_t> c0(16, 0);
      c0[3] = 0xFFFFFFFFu;
      c0[6] = 0xFFFFFFFFu;
      c0[7] = 0x80000000u;
      c0[13] = 0;
      c0[14] = 0xFFFFFFFFu;
      const uint64_t A = gpu.alloc(m * 4), C = gpu.alloc(64), R = gpu.alloc(m * 4);
      gpu.put(A, a);
      gpu.put(C, c0);
      sim::DispatchOptions opt;
      opt.threads = 2;
      run_kernel(gpu, co, code, "atomic_ops", Args().add(C).add(R).add(A), {g, 1, 1}, {64, 1, 1}, opt);
      auto c = gpu.get<uint32_t>(C, 16);
      auto r = gpu.get<uint32_t>(R, m);
      uint32_t sum = 0, mx = 0, mn = 0xFFFFFFFFu, orv = 0, xr = 0, andv = 0xFFFFFFFFu;
      uint64_t wide = 0;
      for (uint32_t v : a) {
        sum += v, mx = std::max(mx, v), mn = std::min(mn, v), orv |= 1u << (v & 31), xr ^= v, andv &= ~(1u << (v & 31));
        wide += uint64_t(v) << 16;
      }
      CHECK(c[0] == sum);
      CHECK(c[1] == m);
      CHECK(c[2] == mx);
      CHECK(c[3] == mn);
      CHECK(c[4] == orv);
      CHECK(c[5] == xr);
      CHECK(c[6] == andv);
      CHECK(c[7] == 0x80000000u - sum);
      CHECK(c[8] == 3 * m);
      CHECK((uint64_t(c[11]) << 32 | c[10]) == wide);
      CHECK(c[12] == sum);
      CHECK(c[13] == mx);
      CHECK(c[14] == mn);
      std::vector<uint32_t> rs(r);
      std::sort(rs.begin(), rs.end());
      for (uint32_t i = 0; i < m; ++i) REQUIRE(rs[i] == i);  // every pre-increment value exactly once
    }
    SUBCASE("branch_ops (divergence)") {
      std::vector<uint32_t> a(n);
      for (auto& v : a) v = rng() % 5000;
      const uint64_t A = gpu.alloc(n * 4), O = gpu.alloc(n * 4);
      gpu.put(A, a);
      run_kernel(gpu, co, code, "branch_ops", Args().add(O).add(A).add(n), {groups, 1, 1}, {64, 1, 1});
      auto o = gpu.get<uint32_t>(O, n);
      for (uint32_t i = 0; i < n; ++i) {
        const uint32_t x = a[i];
        uint32_t s = 0;
        if (x & 1) {
          for (uint32_t k = 0; k < (x & 15); ++k) s += k * x;
        } else if (x & 2) {
          s = x * 3;
          while (s > 100) s -= 37;
        } else {
          s = ~x;
        }
        REQUIRE(o[i] == s);
      }
    }
  }
}

namespace {
std::string more_path(const char* opt) {
  return std::string(SIMCORE_KERNEL_DIR "/gfx1100/simcore_more_") + opt + ".co";
}
bool close_rel(double a, double b, double rel) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= rel * std::max(1.0, std::fabs(b));
}
}  // namespace

TEST_CASE("simcore_more kernels at -O0/-O1/-O3") {
  const uint32_t groups = 4, n = groups * 64;
  for (const char* opt : kOpt) {
    const std::string opt_level = opt;
    CAPTURE(opt_level);
    CodeObject co(read_file(more_path(opt)));
    Gpu gpu;
    const uint64_t code = gpu.load(co);
    std::mt19937_64 rng(99);

    SUBCASE("chars: 8- and 16-bit integer arithmetic") {
      std::vector<int8_t> a(n);
      std::vector<int16_t> b(n);
      for (auto& v : a) v = int8_t(rng());
      for (auto& v : b) v = int16_t(rng());
      const uint64_t A = gpu.alloc(n), B = gpu.alloc(n * 2), O = gpu.alloc(n), C = gpu.alloc(n * 2);
      gpu.put(A, a);
      gpu.put(B, b);
      run_kernel(gpu, co, code, "chars", Args().add(O).add(A).add(B).add(C), {groups, 1, 1}, {64, 1, 1});
      auto o = gpu.get<uint8_t>(O, n);
      auto c = gpu.get<uint16_t>(C, n);
      for (uint32_t i = 0; i < n; ++i) {
        const int x = a[i], y = b[i];
        REQUIRE(o[i] == uint8_t(x * 3 + y / 7 - (x >> 2)));
        REQUIRE(c[i] == uint16_t(y * x + (y >> 3) + uint32_t(uint16_t(y)) / 5u + (y < x ? 1 : 0)));
      }
    }
    SUBCASE("vec: float4 and int4") {
      std::vector<float> a(n * 4);
      std::vector<int32_t> b(n * 4);
      std::uniform_real_distribution<float> d(-10, 10);
      for (auto& v : a) v = d(rng);
      for (auto& v : b) v = int32_t(rng() % 2001) - 1000;
      const uint64_t A = gpu.alloc(n * 16), B = gpu.alloc(n * 16), O = gpu.alloc(n * 16);
      gpu.put(A, a);
      gpu.put(B, b);
      run_kernel(gpu, co, code, "vec", Args().add(O).add(A).add(B), {groups, 1, 1}, {64, 1, 1});
      auto o = gpu.get<float>(O, n * 4);
      for (uint32_t i = 0; i < n; ++i)
        for (int k = 0; k < 4; ++k)
          REQUIRE(o[i * 4 + k] == a[i * 4 + k] * 2.0f + float(b[i * 4 + k]) + a[i * 4 + 3 - k]);
    }
    SUBCASE("longs: 64-bit integer arithmetic, division and conversions") {
      std::vector<int64_t> a(n);
      std::vector<uint64_t> b(n);
      for (auto& v : a) v = int64_t(rng());
      for (auto& v : b) v = rng() >> (1 + rng() % 40);
      const uint64_t A = gpu.alloc(n * 8), B = gpu.alloc(n * 8), O = gpu.alloc(n * 48);
      gpu.put(A, a);
      gpu.put(B, b);
      run_kernel(gpu, co, code, "longs", Args().add(O).add(A).add(B), {groups, 1, 1}, {64, 1, 1});
      auto o = gpu.get<int64_t>(O, n * 6);
      for (uint32_t i = 0; i < n; ++i) {
        const int64_t x = a[i];
        const uint64_t y = b[i] | 1;
        REQUIRE(o[i * 6 + 0] == int64_t(uint64_t(x) * y));
        REQUIRE(o[i * 6 + 1] == int64_t(y / 13u) + x % 1000);
        REQUIRE(o[i * 6 + 2] == (x >> (y & 63)));
        REQUIRE(o[i * 6 + 3] == int64_t(double(x) * 0.5));
        REQUIRE(o[i * 6 + 4] == int64_t(uint64_t(double(y))));
        REQUIRE_MESSAGE(o[i * 6 + 5] == int64_t(64 + std::countl_zero(y) + std::countr_zero(y) + std::popcount(y)),
                        "y=" << y << " (OpenCL long long is 128-bit: clz counts 64 more)");
      }
    }
    SUBCASE("maths: amdgcn math builtins (hardware approximations within 1e-5)") {
      std::vector<float> a(n);
      std::vector<double> dd(n);
      std::uniform_real_distribution<float> d(-4, 4);
      for (auto& v : a) v = d(rng);
      for (auto& v : dd) v = double(d(rng)) * 3.3;
      const uint64_t A = gpu.alloc(n * 4), O = gpu.alloc(n * 32), D = gpu.alloc(n * 8);
      gpu.put(A, a);
      gpu.put(D, dd);
      run_kernel(gpu, co, code, "maths", Args().add(O).add(A).add(D), {groups, 1, 1}, {64, 1, 1});
      auto o = gpu.get<float>(O, n * 8);
      auto od = gpu.get<double>(D, n);
      const double pi2 = 6.283185307179586;
      for (uint32_t i = 0; i < n; ++i) {
        const float x = a[i];
        int e;
        const float mant = std::frexp(x, &e);
        const double ref[8] = {
            std::fabs(x) + std::copysign(1.0f, x),         std::max(x, 0.0f) * std::min(x, 1.0f),
            1.0 / x + 1.0 / std::sqrt(std::fabs(x) + 1.0), std::exp2(double(x)) + std::log2(std::fabs(x) + 1.0),
            std::sin(pi2 * x) + std::cos(pi2 * x),         (x - std::floor(x)) + x * 8.0 + mant,
            double(e) + std::round(x) + std::trunc(x),     x > 0 ? std::sqrt(x) : -x};
        for (int k = 0; k < 8; ++k)
          REQUIRE_MESSAGE(close_rel(o[i * 8 + k], ref[k], 1e-5), "item " << i << " result " << k);
        const double y = dd[i];
        const double rd =
            std::fma(y, y, 1.0) / (y + 3.0) + std::round(y) + double(uint64_t(std::fabs(y))) + std::fmax(y, 2.0);
        REQUIRE(close_rel(od[i], rd, 1e-15));
      }
    }
    SUBCASE("lds64: 64-bit LDS atomics incl. cmpxchg") {
      std::vector<uint64_t> a(n);
      for (auto& v : a) v = rng() >> 8;
      const uint64_t A = gpu.alloc(n * 8), O = gpu.alloc(n * 8);
      gpu.put(A, a);
      run_kernel(gpu, co, code, "lds64", Args().add(O).add(A), {groups, 1, 1}, {64, 1, 1});
      auto o = gpu.get<uint64_t>(O, n);
      for (uint32_t g = 0; g < groups; ++g) {
        uint64_t sum[8] = {}, mx[8] = {};
        uint32_t orv[4] = {};
        for (uint32_t l = 0; l < 64; ++l) {
          const uint64_t v = a[g * 64 + l];
          sum[l & 7] += v;
          mx[l & 7] = std::max(mx[l & 7], v);
          orv[l & 3] |= uint32_t(v);
        }
        for (uint32_t l = 0; l < 64; ++l) {
          const uint64_t s = (l & 15) < 8 ? sum[l & 7] : mx[l & 7];
          const uint64_t rest = o[g * 64 + l] - s - orv[l & 3];  // s[16]: the value of whichever lane won the cmpxchg
          bool found = false;
          for (uint32_t k = 0; k < 64; ++k) found |= rest == a[g * 64 + k];
          REQUIRE_MESSAGE(found, "group " << g << " lane " << l);
        }
      }
    }
    SUBCASE("gatomics: 64-bit and float global atomics from two threads") {
      std::vector<uint32_t> a(n);
      for (auto& v : a) v = uint32_t(rng() % 100000);
      const uint64_t A = gpu.alloc(n * 4), C = gpu.alloc(64), D = gpu.alloc(16), F = gpu.alloc(16);
      gpu.put(A, a);
      gpu.put(C, std::vector<uint64_t>{0, 0, 0, ~0ull});
      gpu.put(D, std::vector<int32_t>{INT32_MAX, 1000000});
      gpu.put(F, std::vector<float>{0.0f});
      sim::DispatchOptions opt;
      opt.threads = 2;
      run_kernel(gpu, co, code, "gatomics", Args().add(C).add(D).add(F).add(A), {groups, 1, 1}, {64, 1, 1}, opt);
      auto c = gpu.get<uint64_t>(C, 4);
      auto d = gpu.get<int32_t>(D, 2);
      auto f = gpu.get<float>(F, 1);
      int64_t mn = 0;
      uint64_t mx = 0, andv = ~0ull;
      int32_t dmin = INT32_MAX;
      for (uint32_t v : a) {
        mn = std::min(mn, -int64_t(v));
        mx = std::max(mx, uint64_t(v) << 20);
        andv &= ~uint64_t(v);
        dmin = std::min(dmin, int32_t(v) - 500);
      }
      CHECK(int64_t(c[0]) == mn);
      CHECK(c[1] == mx);
      CHECK(std::find(a.begin(), a.end(), uint32_t(c[2])) != a.end());
      CHECK(c[3] == andv);
      CHECK(d[0] == dmin);
      CHECK(d[1] == int32_t(1000000 - n));
      CHECK(f[0] == float(n));
    }
    SUBCASE("lanes: readfirstlane, ds_bpermute, mbcnt, bfe, alignbyte, ballot") {
      std::vector<uint32_t> a(n);
      for (auto& v : a) v = uint32_t(rng());
      const uint64_t A = gpu.alloc(n * 4), O = gpu.alloc(n * 4);
      gpu.put(A, a);
      run_kernel(gpu, co, code, "lanes", Args().add(O).add(A), {groups, 1, 1}, {64, 1, 1});
      auto o = gpu.get<uint32_t>(O, n);
      for (uint32_t i = 0; i < n; ++i) {
        const uint32_t wave = i & ~31u, v = a[i];
        uint32_t ballot = 0;
        for (uint32_t l = 0; l < 32; ++l) ballot |= (a[wave + l] & 1) << l;
        const uint32_t sbfe = uint32_t(int32_t(((v >> 2) & 0x7F) << 25) >> 25);
        const uint32_t ref = a[wave] + a[wave + ((i ^ 1) & 31)] + (i & 31) + ((v >> 3) & 31) + sbfe +
                             uint32_t(((uint64_t(v) << 32) | (v + 1)) >> 16) + ballot;
        REQUIRE_MESSAGE(o[i] == ref, "item " << i);
      }
    }
  }
}

TEST_CASE("run-time indexed register arrays and half precision at -O0/-O1/-O3") {
  const uint32_t groups = 2, n = groups * 64;
  for (const char* opt : kOpt) {
    const std::string opt_level = opt;
    CAPTURE(opt_level);
    CodeObject co(read_file(more_path(opt)));
    Gpu gpu;
    const uint64_t code = gpu.load(co);
    std::mt19937 rng(5);
    {
      std::vector<int32_t> idx(n + 1);
      std::vector<float> a(n * 8);
      for (auto& v : idx) v = int32_t(rng() % 1000);
      for (auto& v : a) v = float(rng() % 1000) * 0.25f;
      const uint64_t I = gpu.alloc(idx.size() * 4), A = gpu.alloc(a.size() * 4), O = gpu.alloc(n * 4);
      gpu.put(I, idx);
      gpu.put(A, a);
      run_kernel(gpu, co, code, "dyn", Args().add(O).add(I).add(A), {groups, 1, 1}, {64, 1, 1});
      auto o = gpu.get<float>(O, n);
      for (uint32_t i = 0; i < n; ++i) {
        float v[8];
        for (int k = 0; k < 8; ++k) v[k] = a[i * 8 + k];
        v[idx[i] & 7] = 5.0f;
        REQUIRE(o[i] == v[idx[i + 1] & 7] + v[(idx[i] + 3) & 7]);
      }
    }
    {
      std::vector<_Float16> h(n + 1);
      for (auto& v : h) v = _Float16(float(int(rng() % 2000) - 1000) / 64.0f);
      const uint64_t H = gpu.alloc(h.size() * 2), O = gpu.alloc(n * 2), F = gpu.alloc(n * 4);
      gpu.put(H, h);
      run_kernel(gpu, co, code, "halfs", Args().add(O).add(H).add(F), {groups, 1, 1}, {64, 1, 1});
      auto o = gpu.get<_Float16>(O, n);
      auto f = gpu.get<float>(F, n);
      for (uint32_t i = 0; i < n; ++i) {
        const _Float16 fused = _Float16(double(h[i]) * double(h[i + 1]) + 1.5);
        const _Float16 split = _Float16(float(_Float16(float(h[i]) * float(h[i + 1]))) + 1.5f);
        REQUIRE_MESSAGE((o[i] == fused || o[i] == split),
                        "item " << i << ": " << float(o[i]) << " vs " << float(fused));
        REQUIRE(f[i] == float(_Float16(float(h[i]) - float(h[i + 1]))) * 0.5f);
      }
    }
  }
}
