// End-to-end: OpenCL C kernels (tests/sim/kernels/, spork's fill/copy) compiled by clang-19,
// loaded by runtime/codeobj, launched with runtime/dispatch + runtime/kernargs IBs on sim::Gpu,
// checked against CPU references. Output buffers are poisoned first; inputs are random.
// Plus the failure paths: VM fault, hang, and that the next dispatch works after each.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>

#include "pm4/packet.h"
#include "sim_env.h"

using namespace simtest;
using sim::Domain;

namespace {

SimEnv& env() {
  static SimEnv e;
  return e;
}
const Program& prog(const std::string& name) {
  static std::map<std::string, Program> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    std::string path = name == "fill" || name == "copy" ? spork_kernel_path(name) : kernel_path(name);
    it = cache.emplace(name, env().load(path)).first;
  }
  return it->second;
}
#define REQUIRE_OK(r) REQUIRE_MESSAGE((r).ok(), describe(r))

// Distance in units in the last place between two finite floats.
int64_t ulp_diff(float a, float b) {
  auto key = [](float f) {
    int32_t i = std::bit_cast<int32_t>(f);
    return i < 0 ? int64_t(INT32_MIN) - i : int64_t(i);
  };
  return std::llabs(key(a) - key(b));
}
int64_t ulp_diff(double a, double b) {
  auto key = [](double f) {
    int64_t i = std::bit_cast<int64_t>(f);
    return i < 0 ? INT64_MIN - i : i;
  };
  int64_t ka = key(a), kb = key(b);
  return ka > kb ? ka - kb : kb - ka;
}

}  // namespace

TEST_CASE("fill and copy (spork's own kernels), grid-stride over odd sizes") {
  auto& e = env();
  for (uint32_t count : {1u, 1000u, 70001u}) {
    CAPTURE(count);
    Buffer dst = e.alloc(count * 4);
    dst.poison();
    uint32_t value = 0x9E3779B9u ^ count;
    auto r = e.run1(prog("fill"), "fill_u32", {buf(dst), val(value), val(count)},
                    {std::min(64u, div_up(count, 256)), 1, 1}, {256, 1, 1});
    REQUIRE_OK(r);
    auto out = dst.download<uint32_t>(count);
    CHECK(std::count(out.begin(), out.end(), value) == count);

    auto src = random_ints<uint32_t>(count, 0, UINT32_MAX);
    Buffer in = e.upload(src);
    Buffer cp = e.alloc(count * 4 + 64);
    cp.poison(0xAB);
    r = e.run1(prog("copy"), "copy_u32", {buf(in), buf(cp), val(count)}, {3, 1, 1}, {64, 1, 1});
    REQUIRE_OK(r);
    CHECK(cp.download<uint32_t>(count) == src);
    CHECK(cp.host[count * 4] == 0xAB);  // nothing written past count
    e.free(dst), e.free(in), e.free(cp);
  }
}

TEST_CASE("LDS tree reductions (uint exact, float against FP64)") {
  auto& e = env();
  const uint32_t n = 10007, groups = 8, threads = groups * 256;
  auto xs = random_ints<uint32_t>(n, 0, UINT32_MAX);
  auto fs = random_floats(n, -10.f, 10.f);
  Buffer in = e.upload(xs), fin = e.upload(fs), out = e.alloc(groups * 4), fout = e.alloc(groups * 4);
  out.poison(), fout.poison();
  Launch a{&prog("reduce").kernel("reduce_u32"), prog("reduce").image.va, {buf(in), buf(out), val(n)}, {}};
  a.geometry.grid = {groups, 1, 1};
  a.geometry.workgroup = {256, 1, 1};
  Launch b{&prog("reduce").kernel("reduce_f32"), prog("reduce").image.va, {buf(fin), buf(fout), val(n)}, a.geometry};
  auto rr = e.run({a, b});  // two dispatches in one IB
  REQUIRE_OK(rr);
  // Begin/end GPU timestamps of both dispatches, in order, inside the submission.
  const auto& ts = e.timestamps();
  REQUIRE(ts.size() == 4);
  CHECK(ts[0] >= rr.start_timestamp);
  CHECK(ts[0] <= ts[1]);
  CHECK(ts[1] <= ts[2]);
  CHECK(ts[2] <= ts[3]);
  CHECK(ts[3] <= rr.end_timestamp);
  for (uint32_t g = 0; g < groups; ++g) {
    uint32_t ref = 0;
    double fref = 0, mag = 0;
    for (uint32_t t = g * 256; t < (g + 1) * 256; ++t)
      for (uint32_t i = t; i < n; i += threads) ref += xs[i], fref += fs[i], mag += std::fabs(fs[i]);
    CHECK(out.as<uint32_t>()[g] == ref);
    CHECK(std::fabs(fout.as<float>()[g] - fref) <= 1e-6 * mag + 1e-6);
  }
  // The same reduction compiled at -O0 (all values through scratch).
  Buffer out0 = e.alloc(groups * 4);
  out0.poison();
  REQUIRE_OK(e.run1(prog("reduce_o0"), "reduce_u32", {buf(in), buf(out0), val(n)}, {groups, 1, 1}, {256, 1, 1}));
  for (uint32_t g = 0; g < groups; ++g) CHECK(out0.as<uint32_t>()[g] == out.as<uint32_t>()[g]);
  e.free(in), e.free(fin), e.free(out), e.free(fout), e.free(out0);
}

TEST_CASE("prefix sum: three dependent dispatches in one IB") {
  auto& e = env();
  const uint32_t n = 5000, blocks = div_up(n, 256);
  auto xs = random_ints<uint32_t>(n, 0, 1000);
  Buffer in = e.upload(xs), out = e.alloc(n * 4), sums = e.alloc(blocks * 4), scanned = e.alloc(blocks * 4);
  out.poison(), sums.poison(), scanned.poison();
  const Program& p = prog("scan");
  Launch l1{&p.kernel("scan_blocks"), p.image.va, {buf(in), buf(out), buf(sums), val(n)}, {}};
  l1.geometry.grid = {blocks, 1, 1};
  l1.geometry.workgroup = {256, 1, 1};
  Launch l2{&p.kernel("scan_blocks"), p.image.va, {buf(sums), buf(scanned), ArgValue::buffer(0), val(blocks)}, {}};
  l2.geometry.grid = {1, 1, 1};
  l2.geometry.workgroup = {256, 1, 1};
  Launch l3{&p.kernel("add_offsets"), p.image.va, {buf(out), buf(scanned), val(n)}, l1.geometry};
  REQUIRE_OK(e.run({l1, l2, l3}));
  uint32_t acc = 0;
  auto got = out.download<uint32_t>(n);
  size_t wrong = 0;
  for (uint32_t i = 0; i < n; ++i) {
    acc += xs[i];
    wrong += got[i] != acc;
  }
  CHECK(wrong == 0);
  e.free(in), e.free(out), e.free(sums), e.free(scanned);
}

TEST_CASE("histograms: global atomics and LDS atomics") {
  auto& e = env();
  const uint32_t n = 20011;
  auto v32 = random_ints<uint32_t>(n, 0, 255);
  std::vector<uint8_t> bytes(v32.begin(), v32.end());
  std::vector<uint32_t> ref(64, 0);
  for (uint8_t b : bytes) ref[b >> 2]++;
  Buffer in = e.upload(bytes), bins = e.alloc(64 * 4), bins2 = e.alloc(64 * 4);
  std::memset(bins.host, 0, 256), std::memset(bins2.host, 0, 256);
  const Program& p = prog("histogram");
  REQUIRE_OK(e.run1(p, "hist_global", {buf(in), buf(bins), val(n)}, {6, 1, 1}, {256, 1, 1}));
  REQUIRE_OK(e.run1(p, "hist_lds", {buf(in), buf(bins2), val(n)}, {5, 1, 1}, {128, 1, 1}));
  CHECK(bins.download<uint32_t>(64) == ref);
  CHECK(bins2.download<uint32_t>(64) == ref);

  // LDS atomic min / max / xor / compare-exchange counter.
  const uint32_t groups = 6;
  auto xs = random_ints<uint32_t>(groups * 64, 0, UINT32_MAX);
  Buffer xin = e.upload(xs), out = e.alloc(groups * 16);
  out.poison();
  REQUIRE_OK(e.run1(p, "lds_atomics", {buf(xin), buf(out)}, {groups, 1, 1}, {64, 1, 1}));
  for (uint32_t g = 0; g < groups; ++g) {
    uint32_t mn = UINT32_MAX, mx = 0, x = 0;
    for (uint32_t i = g * 64; i < (g + 1) * 64; ++i) mn = std::min(mn, xs[i]), mx = std::max(mx, xs[i]), x ^= xs[i];
    CHECK(out.as<uint32_t>()[g * 4 + 0] == mn);
    CHECK(out.as<uint32_t>()[g * 4 + 1] == mx);
    CHECK(out.as<uint32_t>()[g * 4 + 2] == x);
    CHECK(out.as<uint32_t>()[g * 4 + 3] == 64);
  }
  e.free(in), e.free(bins), e.free(bins2), e.free(xin), e.free(out);
}

TEST_CASE("transpose through LDS, 2-D grid with ragged edges") {
  auto& e = env();
  const uint32_t rows = 45, cols = 70;
  auto a = random_floats(rows * cols);
  Buffer in = e.upload(a), out = e.alloc(rows * cols * 4);
  out.poison();
  REQUIRE_OK(e.run1(prog("transpose"), "transpose", {buf(in), buf(out), val(rows), val(cols)},
                    {div_up(cols, 16), div_up(rows, 16), 1}, {16, 16, 1}));
  size_t wrong = 0;
  for (uint32_t r = 0; r < rows; ++r)
    for (uint32_t c = 0; c < cols; ++c)
      wrong += std::bit_cast<uint32_t>(out.as<float>()[c * rows + r]) != std::bit_cast<uint32_t>(a[r * cols + c]);
  CHECK(wrong == 0);
  e.free(in), e.free(out);
}

TEST_CASE("64-bit integer arithmetic") {
  auto& e = env();
  const uint32_t n = 700;
  auto a = random_ints<uint64_t>(n, 0, UINT64_MAX), b = random_ints<uint64_t>(n, 0, UINT64_MAX);
  for (uint32_t i = 0; i < n; i += 5) b[i] = b[i] >> (b[i] % 60);  // small divisors too
  b[1] = 0, b[2] = 1, b[3] = UINT64_MAX, a[4] = 0x8000000000000000ull, b[4] = UINT64_MAX;
  Buffer ia = e.upload(a), ib = e.upload(b), out = e.alloc(n * 64);
  out.poison();
  REQUIRE_OK(
      e.run1(prog("int64"), "int64_math", {buf(ia), buf(ib), buf(out), val(n)}, {div_up(n, 64), 1, 1}, {64, 1, 1}));
  size_t wrong = 0;
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t x = a[i], y = b[i];
    int64_t sx = int64_t(x), sy = int64_t(y);
    uint64_t ref[8] = {
        x * y + (x >> 7),
        (x << (y & 63)) ^ (x >> ((y >> 8) & 63)),
        y ? x / y : 0,
        y ? x % y : 0,
        (sy != 0 && !(sx == INT64_MIN && sy == -1)) ? uint64_t(sx / sy) : 0,
        uint64_t(sx >> (y & 63)),
        uint64_t(std::popcount(x)) + (uint64_t(std::countl_zero(y | 1)) << 8) + (uint64_t(sx < sy) << 16),
        x < y ? y - x : x - y};
    for (int k = 0; k < 8; ++k) {
      if (out.as<uint64_t>()[i * 8 + k] != ref[k]) {
        if (wrong++ < 5)
          FAIL_CHECK("element " << i << " result " << k << ": " << out.as<uint64_t>()[i * 8 + k] << " != " << ref[k]);
      }
    }
  }
  CHECK(wrong == 0);
  e.free(ia), e.free(ib), e.free(out);
}

TEST_CASE("32-bit integer division and remainder") {
  auto& e = env();
  const uint32_t n = 1000;
  auto a = random_ints<int32_t>(n, INT32_MIN + 1, INT32_MAX), b = random_ints<int32_t>(n, INT32_MIN, INT32_MAX);
  for (uint32_t i = 0; i < n; i += 3) b[i] = random_ints<int32_t>(1, -300, 300)[0];
  for (auto& y : b)
    if (y == 0) y = 7;
  b[0] = -1, b[1] = 1, b[2] = INT32_MIN, a[3] = INT32_MAX, b[3] = 2;
  Buffer ia = e.upload(a), ib = e.upload(b), out = e.alloc(n * 16);
  out.poison();
  REQUIRE_OK(
      e.run1(prog("intdiv"), "intdiv", {buf(ia), buf(ib), buf(out), val(n)}, {div_up(n, 128), 1, 1}, {128, 1, 1}));
  size_t wrong = 0;
  for (uint32_t i = 0; i < n; ++i) {
    int32_t x = a[i], y = b[i];
    int32_t ref[4] = {int32_t(uint32_t(x) / uint32_t(y)), int32_t(uint32_t(x) % uint32_t(y)), y == -1 ? -x : x / y,
                      y == -1 ? 0 : x % y};
    for (int k = 0; k < 4; ++k) wrong += out.as<int32_t>()[i * 4 + k] != ref[k];
  }
  CHECK(wrong == 0);
  e.free(ia), e.free(ib), e.free(out);
}

TEST_CASE("FP32 math: division, sqrt, fma, min/max, floor/ceil, conversions") {
  auto& e = env();
  const uint32_t n = 999;
  auto a = random_floats(n, -100.f, 100.f), b = random_floats(n, -100.f, 100.f);
  for (auto& y : b)
    if (std::fabs(y) < 0.01f) y = 0.5f;
  a[0] = 0.f, a[1] = 1e-3f, a[2] = 4.f, b[2] = 2.f;
  Buffer ia = e.upload(a), ib = e.upload(b), out = e.alloc(n * 32);
  out.poison();
  REQUIRE_OK(
      e.run1(prog("floatmath"), "float_math", {buf(ia), buf(ib), buf(out), val(n)}, {div_up(n, 32), 1, 1}, {32, 1, 1}));
  size_t wrong = 0;
  for (uint32_t i = 0; i < n; ++i) {
    float x = a[i], y = b[i];
    const float* o = out.as<float>() + i * 8;
    auto bad = [&](int k, bool ok) {
      if (!ok && wrong++ < 8)
        FAIL_CHECK("element " << i << " (x=" << x << ", y=" << y << ") result " << k << " = " << o[k]);
    };
    bad(0, ulp_diff(o[0], float(double(x) / double(y))) <= 3);            // OpenCL: 2.5 ulp
    bad(1, ulp_diff(o[1], float(std::sqrt(double(std::fabs(x))))) <= 3);  // OpenCL: 3 ulp
    bad(2, o[2] == std::fmaf(x, y, 1.5f));
    bad(3, o[3] == std::fmin(x, y) + std::fmax(x, y) * 0.25f);
    bad(4, o[4] == std::floor(x * 3.0f) + std::ceil(y));
    bad(5, o[5] == float(int(x * 1000.0f)) + float(uint32_t(std::fabs(y) * 7.0f)));
    double r6 = double(x) * y - x + y;  // fused or not: within float rounding of the exact value
    bad(6, std::fabs(o[6] - r6) <= 1e-6 * (std::fabs(double(x) * y) + std::fabs(x) + std::fabs(y)));
    bad(7, o[7] == (std::fabs(x) > std::fabs(y) ? x : -y));
  }
  CHECK(wrong == 0);
  e.free(ia), e.free(ib), e.free(out);
}

TEST_CASE("FP64 math: add/mul, fma, division, sqrt, conversions") {
  auto& e = env();
  const uint32_t n = 500;
  std::uniform_real_distribution<double> d(-1e3, 1e3);
  std::vector<double> a(n), b(n);
  for (uint32_t i = 0; i < n; ++i) a[i] = d(rng()), b[i] = d(rng());
  for (auto& y : b)
    if (std::fabs(y) < 1e-3) y = 3.0;
  a[0] = 2.0, b[0] = 3.0, a[1] = 1e-300, b[1] = 7e200;
  Buffer ia = e.upload(a), ib = e.upload(b), out = e.alloc(n * 48);
  out.poison();
  REQUIRE_OK(e.run1(prog("f64"), "f64_math", {buf(ia), buf(ib), buf(out), val(n)}, {div_up(n, 64), 1, 1}, {64, 1, 1}));
  size_t wrong = 0;
  for (uint32_t i = 0; i < n; ++i) {
    double x = a[i], y = b[i];
    const double* o = out.as<double>() + i * 6;
    auto bad = [&](int k, bool ok) {
      if (!ok && wrong++ < 8)
        FAIL_CHECK("element " << i << " (x=" << x << ", y=" << y << ") result " << k << " = " << o[k]);
    };
    long double r0 = (long double)x + (long double)y * 3.0L;  // fused or not
    bad(0, std::fabs((long double)o[0] - r0) <= 4e-16L * (std::fabs(x) + std::fabs(3 * y)));
    bad(1, o[1] == std::fma(x, y, -x));
    bad(2, ulp_diff(o[2], x / y) <= 1);
    bad(3, ulp_diff(o[3], std::sqrt(std::fabs(x))) <= 1);
    bad(4, o[4] == double(int64_t(x * 1e6)) + double(float(y)));
    bad(5, o[5] == (x < y ? std::floor(x) : std::trunc(y)));
  }
  CHECK(wrong == 0);
  e.free(ia), e.free(ib), e.free(out);
}

TEST_CASE("divergent loops and branches (-O3 and -O0)") {
  auto& e = env();
  const uint32_t n = 1500;
  auto s = random_ints<uint32_t>(n, 1, 200000);
  s[0] = 1, s[1] = 27, s[2] = 837799;
  std::vector<uint32_t> rs(n), rk(n);
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t x = s[i];
    uint32_t st = 0;
    while (x != 1 && st < 1000) x = (x & 1) ? uint32_t(3 * x + 1) : x >> 1, ++st;
    rs[i] = st;
    uint32_t k;
    if (st % 3 == 0)
      k = 10 + (st > 50);
    else if (st % 3 == 1) {
      k = 20;
      for (uint32_t j = 0; j < (st & 7); ++j) k += j;
    } else
      k = 30 + (s[i] & 3);
    rk[i] = k;
  }
  Buffer in = e.upload(s);
  for (const char* name : {"divergent", "divergent_o0"}) {
    CAPTURE(name);
    Buffer steps = e.alloc(n * 4), kind = e.alloc(n * 4);
    steps.poison(), kind.poison();
    REQUIRE_OK(
        e.run1(prog(name), "collatz", {buf(in), buf(steps), buf(kind), val(n)}, {div_up(n, 96), 1, 1}, {96, 1, 1}));
    CHECK(steps.download<uint32_t>(n) == rs);
    CHECK(kind.download<uint32_t>(n) == rk);
    e.free(steps), e.free(kind);
  }
  e.free(in);
}

TEST_CASE("3-D grid of 3-D workgroups") {
  auto& e = env();
  const uint32_t nx = 19, ny = 11, nz = 5;
  Buffer out = e.alloc(nx * ny * nz * 4), grp = e.alloc(nx * ny * nz * 4);
  out.poison(), grp.poison();
  REQUIRE_OK(e.run1(prog("grid3d"), "grid3d", {buf(out), buf(grp), val(nx), val(ny), val(nz)},
                    {div_up(nx, 4), div_up(ny, 4), div_up(nz, 2)}, {4, 4, 2}));
  size_t wrong = 0;
  for (uint32_t z = 0; z < nz; ++z)
    for (uint32_t y = 0; y < ny; ++y)
      for (uint32_t x = 0; x < nx; ++x) {
        size_t i = (size_t(z) * ny + y) * nx + x;
        wrong += out.as<uint32_t>()[i] != (x | (y << 10) | (z << 20));
        uint32_t g = (x / 4) | ((y / 4) << 8) | ((z / 2) << 16) | (((x % 4) + (y % 4) + (z % 2)) << 24);
        wrong += grp.as<uint32_t>()[i] != g;
      }
  CHECK(wrong == 0);
  e.free(out), e.free(grp);
}

TEST_CASE("vector and sub-dword memory: float4 saxpy, bytes and shorts") {
  auto& e = env();
  const uint32_t n4 = 300, n = 777;
  auto x = random_floats(n4 * 4), y = random_floats(n4 * 4);
  Buffer bx = e.upload(x), by = e.upload(y);
  REQUIRE_OK(
      e.run1(prog("vector"), "saxpy4", {buf(bx), buf(by), val(2.5f), val(n4)}, {div_up(n4, 64), 1, 1}, {64, 1, 1}));
  size_t wrong = 0;
  for (uint32_t i = 0; i < n4 * 4; ++i) wrong += std::fabs(by.as<float>()[i] - (2.5 * x[i] + y[i])) > 1e-6;
  CHECK(wrong == 0);

  auto b32 = random_ints<uint32_t>(n, 0, 255);
  auto s32 = random_ints<int32_t>(n, -32768, 32767);
  std::vector<uint8_t> b(b32.begin(), b32.end());
  std::vector<int16_t> s(s32.begin(), s32.end());
  Buffer ib = e.upload(b), is = e.upload(s), ob = e.alloc(n + 16), os = e.alloc(n * 2 + 16);
  ob.poison(0x5A), os.poison(0x5A);
  REQUIRE_OK(e.run1(prog("vector"), "bytes_shorts", {buf(ib), buf(is), buf(ob), buf(os), val(n)}, {div_up(n, 32), 1, 1},
                    {32, 1, 1}));
  wrong = 0;
  for (uint32_t i = 0; i < n; ++i) {
    wrong += ob.host[i] != uint8_t(b[i] * 3 + 1);
    wrong += os.as<int16_t>()[i] != int16_t(s[i] / 2 - int16_t(b[i]));
  }
  CHECK(wrong == 0);
  CHECK(ob.host[n] == 0x5A);  // neighbours of sub-dword stores untouched
  CHECK(os.host[2 * n] == 0x5A);
  e.free(bx), e.free(by), e.free(ib), e.free(is), e.free(ob), e.free(os);
}

TEST_CASE("scratch: a private array sorted at -O3, everything at -O0") {
  auto& e = env();
  const uint32_t n = 100;
  auto v = random_ints<uint32_t>(n * 24, 0, 1000);
  Buffer in = e.upload(v), out = e.alloc(n * 24 * 4);
  out.poison();
  REQUIRE(prog("scratch").kernel("private_sort").descriptor.private_segment_fixed_size > 0);
  REQUIRE_OK(e.run1(prog("scratch"), "private_sort", {buf(in), buf(out), val(n)}, {div_up(n, 32), 1, 1}, {32, 1, 1}));
  auto ref = v;
  for (uint32_t i = 0; i < n; ++i) std::sort(ref.begin() + i * 24, ref.begin() + (i + 1) * 24);
  CHECK(out.download<uint32_t>(n * 24) == ref);

  const uint32_t m = 300;
  auto xs = random_ints<uint32_t>(m, 0, 1u << 20);
  Buffer xin = e.upload(xs), xout = e.alloc(m * 4);
  xout.poison();
  REQUIRE_OK(e.run1(prog("noopt_o0"), "o0_scratch", {buf(xin), buf(xout), val(m)}, {div_up(m, 64), 1, 1}, {64, 1, 1}));
  size_t wrong = 0;
  for (uint32_t i = 0; i < m; ++i) {
    uint32_t priv[16], sum = 0;
    for (uint32_t k = 0; k < 16; ++k) priv[k] = xs[i] * (k + 1);
    for (uint32_t k = 0; k < 16; ++k) sum += priv[(k * 7 + xs[i]) & 15] ^ k;
    wrong += xout.as<uint32_t>()[i] != sum;
  }
  CHECK(wrong == 0);
  e.free(in), e.free(out), e.free(xin), e.free(xout);
}

TEST_CASE("-O0: dispatch packet through dispatch_ptr and hidden arguments") {
  auto& e = env();
  const Kernel& k = prog("noopt_o0").kernel("o0_dispatch_info");
  CHECK(k.descriptor.enable_sgpr_dispatch_ptr);
  Buffer out = e.alloc(64 * 4);
  out.poison();
  REQUIRE_OK(e.run1(prog("noopt_o0"), "o0_dispatch_info", {buf(out)}, {3, 2, 2}, {8, 4, 2}));
  const uint32_t* o = out.as<uint32_t>();
  CHECK(o[0] == 8);
  CHECK(o[1] == 4);
  CHECK(o[2] == 2);
  CHECK(o[3] == 24);  // grid size in work-items
  CHECK(o[4] == 8);
  CHECK(o[5] == 4);
  CHECK(o[6] == 3);  // hidden_block_count_*
  CHECK(o[7] == 2);
  CHECK(o[8] == 2);
  CHECK(o[9] == 8);  // hidden_group_size_*
  CHECK(o[10] == 4);
  CHECK(o[11] == 2);
  CHECK(o[12] == 3);  // hidden_grid_dims
  CHECK(o[13] == 842);
  CHECK(o[14] == 0xCDCDCDCDu);  // nothing else written
  e.free(out);
}

TEST_CASE("statistics are collected per dispatch when asked for") {
  auto& e = env();
  auto opt = e.gpu.options();
  opt.collect_stats = true;
  e.gpu.set_options(opt);
  const uint32_t count = 4096;
  Buffer dst = e.alloc(count * 4);
  auto r = e.run1(prog("fill"), "fill_u32", {buf(dst), val(7u), val(count)}, {4, 1, 1}, {256, 1, 1});
  opt.collect_stats = false;
  e.gpu.set_options(opt);
  REQUIRE_OK(r);
  REQUIRE(r.stats.size() == 1);
  const auto& s = r.stats[0];
  CHECK(s.workgroups == 4);
  CHECK(s.waves == 32);
  CHECK(s.instructions() > 0);
  CHECK(s.vmem > 0);
  CHECK(s.bytes_written[0] == count * 4);  // VRAM
  e.free(dst);
}

TEST_CASE("a kernel reading past its buffer is a VM fault with address, wave and PC; the next dispatch works") {
  auto& e = env();
  const uint32_t n_in = 1024, n = 64;  // in: exactly one page, followed by an unmapped guard page
  auto in_v = random_ints<uint32_t>(n_in, 0, UINT32_MAX);
  std::vector<uint32_t> idx(n);
  for (uint32_t i = 0; i < n; ++i) idx[i] = (i * 37) % n_in;
  idx[45] = n_in;  // one element past the end
  Buffer in = e.upload(in_v), bi = e.upload(idx), out = e.alloc(n * 4);
  auto r = e.run1(prog("scratch"), "gather", {buf(in), buf(bi), buf(out), val(n)}, {2, 1, 1}, {32, 1, 1});
  REQUIRE(r.status == sim::SubmissionResult::Status::Failed);
  CHECK(r.error.kind == sim::ErrorKind::VmFault);
  CHECK(r.error.fault_address == in.va + 4096);
  CHECK(r.error.fault_access == sim::Access::Read);
  char addr[32];
  std::snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)(in.va + 4096));
  CHECK_MESSAGE(r.error.message.find(addr) != std::string::npos, r.error.message);
  CHECK_MESSAGE(!r.error.wave.empty(), r.error.message);
  const Program& p = prog("scratch");
  const Kernel& k = p.kernel("gather");
  CHECK_MESSAGE(r.error.pc >= p.image.va + k.code_vaddr(), r.error.message);
  CHECK_MESSAGE(r.error.pc < p.image.va + p.image.size, r.error.message);
  CHECK_MESSAGE(r.error.instruction.find("load") != std::string::npos, r.error.message);
  MESSAGE("fault report: " << r.error.message);

  // Same launch with a good index: works.
  idx[45] = 3;
  bi.upload(idx);
  out.poison();
  REQUIRE_OK(e.run1(p, "gather", {buf(in), buf(bi), buf(out), val(n)}, {2, 1, 1}, {32, 1, 1}));
  for (uint32_t i = 0; i < n; ++i) CHECK(out.as<uint32_t>()[i] == in_v[idx[i]]);
  e.free(in), e.free(bi), e.free(out);
}

TEST_CASE("an endless kernel is reported as a hang within the instruction budget; the next dispatch works") {
  auto& e = env();
  auto opt = e.gpu.options();
  auto saved = opt;
  opt.instruction_budget = 2'000'000;
  e.gpu.set_options(opt);
  Buffer flag = e.alloc(4);
  std::memset(flag.host, 0, 4);
  auto r = e.run1(prog("scratch"), "spin", {buf(flag)}, {2, 1, 1}, {64, 1, 1});
  e.gpu.set_options(saved);
  REQUIRE(r.status == sim::SubmissionResult::Status::Failed);
  CHECK(r.error.kind == sim::ErrorKind::Hang);
  CHECK_MESSAGE(r.error.message.find("DISPATCH_DIRECT") != std::string::npos, r.error.message);
  MESSAGE("hang report: " << r.error.message);
  // With the flag set, the same kernel returns at once.
  std::memset(flag.host, 1, 4);
  REQUIRE_OK(e.run1(prog("scratch"), "spin", {buf(flag)}, {2, 1, 1}, {64, 1, 1}));
  e.free(flag);
}

TEST_CASE("dynamic LDS through a __local pointer argument") {
  auto& e = env();
  const uint32_t wg = 64, groups = 5, n = wg * groups;
  auto xs = random_ints<uint32_t>(n, 0, UINT32_MAX);
  Buffer in = e.upload(xs), out = e.alloc(n * 4);
  out.poison();
  REQUIRE_OK(e.run1(prog("extras"), "dyn_lds_reverse", {buf(in), buf(out), ArgValue::local(wg * 4)}, {groups, 1, 1},
                    {wg, 1, 1}));
  size_t wrong = 0;
  for (uint32_t g = 0; g < groups; ++g)
    for (uint32_t l = 0; l < wg; ++l) wrong += out.as<uint32_t>()[g * wg + l] != xs[g * wg + wg - 1 - l];
  CHECK(wrong == 0);
  e.free(in), e.free(out);
}

TEST_CASE("wave-level builtins: ballot, mbcnt, readfirstlane, ds_bpermute") {
  auto& e = env();
  const uint32_t n = 128;
  auto xs = random_ints<uint32_t>(n, 0, UINT32_MAX);
  Buffer in = e.upload(xs), out = e.alloc(n * 16);
  out.poison();
  REQUIRE_OK(e.run1(prog("extras"), "wave_ops", {buf(in), buf(out)}, {2, 1, 1}, {64, 1, 1}));
  size_t wrong = 0;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t w = i / 32, lane = i % 32, ballot = 0;
    for (uint32_t l = 0; l < 32; ++l) ballot |= (xs[w * 32 + l] & 1u) << l;
    const uint32_t* o = out.as<uint32_t>() + i * 4;
    wrong += o[0] != ballot;
    wrong += o[1] != lane;
    wrong += o[2] != xs[w * 32];
    wrong += o[3] != xs[w * 32 + (lane + 1) % 32];
  }
  CHECK(wrong == 0);
  e.free(in), e.free(out);
}

TEST_CASE("global atomics: 64-bit add, signed max, float add (CAS loop), compare-exchange counter") {
  auto& e = env();
  const uint32_t n = 3001;
  auto a = random_ints<uint64_t>(n, 0, uint64_t(1) << 50);
  auto b = random_ints<int32_t>(n, INT32_MIN, INT32_MAX);
  auto f = random_floats(n, 0.f, 1.f);
  Buffer ia = e.upload(a), ib = e.upload(b), ifl = e.upload(f), res = e.alloc(64);
  std::memset(res.host, 0, 64);
  *reinterpret_cast<int32_t*>(res.host + 8) = INT32_MIN;
  const uint64_t r = res.va;
  REQUIRE_OK(e.run1(prog("extras"), "global_atomics",
                    {buf(ia), buf(ib), buf(ifl), ArgValue::buffer(r), ArgValue::buffer(r + 8), ArgValue::buffer(r + 12),
                     ArgValue::buffer(r + 16), val(n)},
                    {div_up(n, 256), 1, 1}, {256, 1, 1}));
  uint64_t sum = 0;
  int32_t mx = INT32_MIN;
  double fs = 0;
  for (uint32_t i = 0; i < n; ++i) sum += a[i], mx = std::max(mx, b[i]), fs += f[i];
  CHECK(*reinterpret_cast<uint64_t*>(res.host) == sum);
  CHECK(*reinterpret_cast<int32_t*>(res.host + 8) == mx);
  CHECK(std::fabs(*reinterpret_cast<float*>(res.host + 12) - fs) <= n * 1.2e-7 * fs);
  CHECK(*reinterpret_cast<uint32_t*>(res.host + 16) == n);
  e.free(ia), e.free(ib), e.free(ifl), e.free(res);
}

TEST_CASE("workgroups of 48 (a partial wave) and of 1024 work-items") {
  auto& e = env();
  struct Shape {
    uint32_t wg, groups, n;
  };
  for (Shape sh : {Shape{48, 7, 330}, Shape{1024, 2, 2048}, Shape{1, 5, 5}}) {
    CAPTURE(sh.wg);
    Buffer out = e.alloc(sh.wg * sh.groups * 4);
    out.poison();
    REQUIRE_OK(e.run1(prog("extras"), "ids", {buf(out), val(sh.n)}, {sh.groups, 1, 1}, {sh.wg, 1, 1}));
    size_t wrong = 0;
    for (uint32_t i = 0; i < sh.wg * sh.groups; ++i)
      wrong += out.as<uint32_t>()[i] != (i < sh.n ? (i / sh.wg) * 65536u + i % sh.wg : 0xCDCDCDCDu);
    CHECK(wrong == 0);
    e.free(out);
  }
}

TEST_CASE("DISPATCH_INDIRECT runs a real kernel with the grid read from memory") {
  auto& e = env();
  const uint32_t wg = 64, groups = 7, n = wg * groups - 5;
  Buffer out = e.alloc(wg * groups * 4), dims = e.alloc(12, Domain::GTT);
  out.poison();
  const uint32_t d[3] = {groups, 1, 1};
  std::memcpy(dims.host, d, 12);
  Launch l{&prog("extras").kernel("ids"), prog("extras").image.va, {buf(out), val(n)}, {}};
  l.geometry.grid = {groups, 1, 1};
  l.geometry.workgroup = {wg, 1, 1};
  int replaced = 0;
  auto to_indirect = [&](std::vector<uint32_t>& ib) {
    // DISPATCH_DIRECT (5 dwords) -> DISPATCH_INDIRECT (4 dwords) + one-dword NOP filler.
    for (size_t off = 0; off < ib.size();) {
      auto p = spork::pm4::next_packet(ib, off);
      REQUIRE_FALSE(p.truncated);
      if (p.header.type == 3 && p.header.opcode == uint8_t(spork::pm4::Opcode::DISPATCH_DIRECT)) {
        uint32_t initiator = p.payload[3];
        ib[off] = spork::pm4::make_type3_header(spork::pm4::Opcode::DISPATCH_INDIRECT, 3);
        ib[off + 1] = uint32_t(dims.va);
        ib[off + 2] = uint32_t(dims.va >> 32);
        ib[off + 3] = initiator;
        ib[off + 4] = spork::pm4::kNopFiller;
        ++replaced;
      }
      off += p.size_dwords();
    }
  };
  REQUIRE_OK(e.run({l}, std::chrono::minutes(1), to_indirect));
  CHECK(replaced == 1);
  size_t wrong = 0;
  for (uint32_t i = 0; i < wg * groups; ++i)
    wrong += out.as<uint32_t>()[i] != (i < n ? (i / wg) * 65536u + i % wg : 0xCDCDCDCDu);
  CHECK(wrong == 0);
  e.free(out), e.free(dims);
}
