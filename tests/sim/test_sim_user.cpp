// Ordinary user kernels (tests/sim/kernels/user.cl) built at -O0, -O1, -O2 and -O3, run
// through the whole PM4 path on sim::Gpu and checked against CPU references. Each
// optimisation level makes clang emit different instruction mixes (scratch at -O0, VOPD,
// 64-bit division expansions, LDS 2addr forms), so this is where an unimplemented
// instruction in ordinary code shows up. Outputs are poisoned; inputs are random.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "sim_env.h"

using namespace simtest;

namespace {

SimEnv& env() {
  static SimEnv e;
  return e;
}
const char* const kLevels[] = {"user_o0", "user_o1", "user_o2", "user_o3"};
const Program& prog(const std::string& name) {
  static std::map<std::string, Program> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, env().load(kernel_path(name))).first;
  return it->second;
}
#define REQUIRE_OK(r) REQUIRE_MESSAGE((r).ok(), describe(r))

}  // namespace

TEST_CASE("row normalisation: LDS max and sum reductions, float division") {
  auto& e = env();
  const uint32_t rows = 37, cols = 301;  // cols not a multiple of the workgroup
  auto in = random_floats(size_t(rows) * cols, -4.0f, 4.0f);
  std::vector<double> ref(in.size());
  for (uint32_t r = 0; r < rows; ++r) {
    double m = -INFINITY, s = 0;
    for (uint32_t c = 0; c < cols; ++c) m = std::max<double>(m, in[r * cols + c]);
    for (uint32_t c = 0; c < cols; ++c) s += (in[r * cols + c] - m) * (in[r * cols + c] - m) + 1;
    for (uint32_t c = 0; c < cols; ++c) ref[r * cols + c] = ((in[r * cols + c] - m) * (in[r * cols + c] - m) + 1) / s;
  }
  Buffer bi = e.upload(in);
  Buffer bo = e.alloc(in.size() * 4);
  for (const std::string level : kLevels) {
    CAPTURE(level);
    bo.poison();
    auto r = e.run1(prog(level), "row_normalize", {buf(bi), buf(bo), val(cols)}, {rows, 1, 1}, {64, 1, 1});
    REQUIRE_OK(r);
    auto out = bo.download<float>(in.size());
    size_t bad = 0;
    for (size_t i = 0; i < out.size(); ++i)
      if (!(std::fabs(out[i] - ref[i]) <= 1e-5 * std::fabs(ref[i]))) ++bad;
    CHECK(bad == 0);
  }
  e.free(bi), e.free(bo);
}

TEST_CASE("bitonic sort of 256-element blocks in LDS") {
  auto& e = env();
  const uint32_t blocks = 9;
  auto in = random_ints<uint32_t>(blocks * 256, 0, 5000);  // duplicates on purpose
  std::vector<uint32_t> ref = in;
  for (uint32_t b = 0; b < blocks; ++b) std::sort(ref.begin() + b * 256, ref.begin() + (b + 1) * 256);
  Buffer d = e.alloc(in.size() * 4);
  for (const std::string level : kLevels) {
    CAPTURE(level);
    d.upload(in);
    auto r = e.run1(prog(level), "bitonic_lds", {buf(d)}, {blocks, 1, 1}, {128, 1, 1});
    REQUIRE_OK(r);
    CHECK(d.download<uint32_t>(in.size()) == ref);
  }
  e.free(d);
}

TEST_CASE("2-D 5-point stencil with clamped edges on a ragged grid") {
  auto& e = env();
  const int w = 77, h = 45;
  const float c0 = 0.5f, c1 = 0.125f;
  auto in = random_floats(size_t(w) * h);
  std::vector<float> ref(in.size());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      auto at = [&](int xx, int yy) { return in[std::clamp(yy, 0, h - 1) * w + std::clamp(xx, 0, w - 1)]; };
      float n = at(x, y - 1) + at(x, y + 1) + at(x - 1, y) + at(x + 1, y);
      ref[y * w + x] = std::fma(c1, n, c0 * at(x, y));  // hardware contracts this into an FMA
    }
  Buffer bi = e.upload(in);
  Buffer bo = e.alloc(in.size() * 4 + 64);
  for (const std::string level : kLevels) {
    CAPTURE(level);
    bo.poison();
    auto r = e.run1(prog(level), "stencil2d", {buf(bi), buf(bo), val(w), val(h), val(c0), val(c1)},
                    {div_up(w, 16), div_up(h, 8), 1}, {16, 8, 1});
    REQUIRE_OK(r);
    auto out = bo.download<float>(in.size());
    size_t bad = 0;
    for (size_t i = 0; i < out.size(); ++i)
      if (!(std::fabs(out[i] - ref[i]) <= 2e-7f)) ++bad;  // fused or not: within rounding
    CHECK(bad == 0);
    CHECK(bo.host[in.size() * 4] == 0xCD);  // nothing written past the grid
  }
  e.free(bi), e.free(bo);
}

TEST_CASE("switch over signed/unsigned 64-bit division and modulo") {
  auto& e = env();
  const uint32_t n = 1000;
  auto a = random_ints<int64_t>(n, INT64_MIN / 2, INT64_MAX / 2);
  auto b = random_ints<int64_t>(n, -(int64_t(1) << 40), int64_t(1) << 40);
  auto op = random_ints<uint32_t>(n, 0, 15);
  for (uint32_t i = 0; i < n; ++i) {
    if (b[i] == 0) b[i] = 7;
    if (i % 5 == 0) b[i] = int64_t(i % 9) - 4 ? int64_t(i % 9) - 4 : 3;    // small divisors, both signs
    if (i % 7 == 0) a[i] = int64_t(uint64_t(a[i]) | (uint64_t(1) << 63));  // negative / huge unsigned
  }
  std::vector<int64_t> ref(n);
  for (uint32_t i = 0; i < n; ++i) {
    int64_t x = a[i], y = b[i];
    switch (op[i] & 7) {
      case 0:
        ref[i] = x / y;
        break;
      case 1:
        ref[i] = x % y;
        break;
      case 2:
        ref[i] = int64_t(uint64_t(x) / uint64_t(y));
        break;
      case 3:
        ref[i] = int64_t(uint64_t(x) % uint64_t(y));
        break;
      case 4:
        ref[i] = x / 1000003;
        break;
      case 5:
        ref[i] = int64_t(uint64_t(x) % 10u);
        break;
      case 6:
        ref[i] = int64_t(uint64_t(x >> 17) * uint64_t(y | 1));
        break;
      default:
        ref[i] = x ^ y;
        break;
    }
  }
  Buffer ba = e.upload(a), bb = e.upload(b), bop = e.upload(op);
  Buffer bo = e.alloc(n * 8);
  for (const std::string level : kLevels) {
    CAPTURE(level);
    bo.poison();
    auto r = e.run1(prog(level), "switch_div64", {buf(ba), buf(bb), buf(bop), buf(bo), val(n)}, {div_up(n, 64), 1, 1},
                    {64, 1, 1});
    REQUIRE_OK(r);
    auto out = bo.download<int64_t>(n);
    size_t bad = 0;
    for (uint32_t i = 0; i < n; ++i) bad += out[i] != ref[i];
    CHECK(bad == 0);
  }
  e.free(ba), e.free(bb), e.free(bop), e.free(bo);
}

TEST_CASE("double-precision dot product: strided FMA, LDS reduction, sqrt") {
  auto& e = env();
  const uint32_t n = 20011, groups = 7;
  std::vector<double> x(n), y(n);
  auto fx = random_floats(n), fy = random_floats(n);
  for (uint32_t i = 0; i < n; ++i) x[i] = double(fx[i]) * 1.000000119, y[i] = double(fy[i]) / 3.0;
  long double exact = 0;
  for (uint32_t i = 0; i < n; ++i) exact += (long double)x[i] * y[i];
  Buffer bx = e.upload(x), by = e.upload(y);
  Buffer bp = e.alloc(groups * 16);
  for (const std::string level : kLevels) {
    CAPTURE(level);
    bp.poison();
    auto r = e.run1(prog(level), "ddot", {buf(bx), buf(by), buf(bp), val(n)}, {groups, 1, 1}, {128, 1, 1});
    REQUIRE_OK(r);
    auto p = bp.download<double>(groups * 2);
    double sum = 0, sumabs = 0;
    for (uint32_t g = 0; g < groups; ++g) {
      sum += p[2 * g];
      CHECK(p[2 * g + 1] == std::sqrt(std::fabs(p[2 * g])));  // v_sqrt_f64 sequence is correctly rounded
    }
    for (uint32_t i = 0; i < n; ++i) sumabs += std::fabs(x[i] * y[i]);
    CHECK(std::fabs(sum - double(exact)) <= 1e-14 * sumabs);
  }
  e.free(bx), e.free(by), e.free(bp);
}

TEST_CASE("bit manipulation and conversions between integer and float widths") {
  auto& e = env();
  const uint32_t n = 500;
  auto a = random_ints<uint64_t>(n, 0, UINT64_MAX);
  std::vector<double> d(n);
  auto fd = random_floats(n, -1000.0f, 1000.0f);
  for (uint32_t i = 0; i < n; ++i) {
    d[i] = double(fd[i]) * (1.0 + 1e-9 * i);
    if (i % 3 == 0) a[i] >>= (i % 64);  // small and zero values too
    if (i % 11 == 0) d[i] = std::nan("");
  }
  a[1] = 0, a[2] = UINT64_MAX, a[3] = 1ull << 63;
  auto bits = [](auto v) {
    if constexpr (sizeof(v) == 8)
      return std::bit_cast<uint64_t>(v);
    else
      return uint64_t(std::bit_cast<uint32_t>(v));
  };
  auto rev32 = [](uint32_t v) {
    uint32_t r = 0;
    for (int b = 0; b < 32; ++b) r |= ((v >> b) & 1u) << (31 - b);
    return r;
  };
  std::vector<uint64_t> ref(size_t(n) * 16);
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t x = a[i];
    uint32_t lo = uint32_t(x), hi = uint32_t(x >> 32);
    double v = d[i];
    float f = float(v);
    uint64_t* o = &ref[size_t(i) * 16];
    o[0] = uint64_t(std::popcount(x)) | uint64_t(std::popcount(lo)) << 32;
    o[1] = uint64_t(std::countl_zero(x)) | uint64_t(std::countr_zero(lo)) << 32;
    o[2] = std::rotl(x, int(hi & 63));
    o[3] = rev32(lo) | uint64_t(__builtin_bswap32(hi)) << 32;
    o[4] = ((uint64_t(lo) * hi) >> 32) | uint64_t(uint32_t((int64_t(int32_t(lo)) * int32_t(hi)) >> 32)) << 32;
    o[5] = bits(double(x));
    o[6] = bits(double(int64_t(x)));
    o[7] = bits(float(x)) | bits(float(int64_t(x))) << 32;
    const bool nan = std::isnan(v);  // float -> int of NaN is undefined in C; skip those fields
    o[8] = nan ? 0 : uint64_t(int64_t(v * 1e12));
    o[9] = nan ? 0 : uint64_t(std::fabs(v * 1e15));
    o[10] = nan ? 0 : uint64_t(uint32_t(int32_t(f * 1000.0f))) | uint64_t(uint32_t(std::fabs(f) * 1e6f)) << 32;
    o[11] = bits(std::floor(v * 7.0) + std::trunc(v * 3.0) + std::nearbyint(v * 5.0));
    o[12] = bits(std::ldexp(v, int(hi & 31) - 16) + std::copysign(1.5, double(int64_t(x))));
    o[13] = bits(std::floor(f * 7.0f) + std::ceil(f * 3.0f) + std::round(f * 5.0f));
    o[14] = bits(double(f) + double(lo) + double(int32_t(hi)));
    o[15] = uint64_t(x < uint64_t(nan ? 0 : int64_t(v))) | uint64_t(int64_t(x) < int64_t(hi)) << 1 |
            uint64_t(v < double(f)) << 2 | uint64_t(std::isnan(v * double(int64_t(x)))) << 3 |
            uint64_t(lo > hi ? lo - hi : hi - lo) << 32;
  }
  Buffer ba = e.upload(a), bd = e.upload(d);
  Buffer bo = e.alloc(ref.size() * 8);
  for (const std::string level : kLevels) {
    CAPTURE(level);
    bo.poison();
    auto r =
        e.run1(prog(level), "bits_convert", {buf(ba), buf(bd), buf(bo), val(n)}, {div_up(n, 64), 1, 1}, {64, 1, 1});
    REQUIRE_OK(r);
    auto out = bo.download<uint64_t>(ref.size());
    size_t bad = 0;
    for (uint32_t i = 0; i < n; ++i)
      for (uint32_t k = 0; k < 16; ++k) {
        if (std::isnan(d[i]) && (k == 8 || k == 9 || k == 10 || k == 15)) continue;
        if (out[i * 16 + k] != ref[i * 16 + k] && ++bad <= 8)
          MESSAGE("item " << i << " field " << k << ": 0x" << std::hex << out[i * 16 + k] << " want 0x"
                          << ref[i * 16 + k]);
      }
    CHECK(bad == 0);
  }
  e.free(ba), e.free(bd), e.free(bo);
}

TEST_CASE("statistics of a known kernel: exact bytes per domain and lane-FMAs, sane utilisation") {
  auto& e = env();
  const uint32_t rows = 37, cols = 301;
  Buffer bi = e.upload(random_floats(size_t(rows) * cols)), bo = e.alloc(size_t(rows) * cols * 4);
  auto opt = e.gpu.options();
  opt.collect_stats = true;
  e.gpu.set_options(opt);
  auto r = e.run1(prog("user_o3"), "row_normalize", {buf(bi), buf(bo), val(cols)}, {rows, 1, 1}, {64, 1, 1});
  opt.collect_stats = false;
  e.gpu.set_options(opt);
  REQUIRE_OK(r);
  REQUIRE(r.stats.size() == 1);
  const auto& s = r.stats[0];
  CHECK(s.workgroups == rows);
  CHECK(s.waves == 2 * rows);
  // The input (VRAM) is read in three passes, the output written once; kernargs come from GTT.
  CHECK(s.bytes_read[0] == 3ull * rows * cols * 4);
  CHECK(s.bytes_written[0] == uint64_t(rows) * cols * 4);
  CHECK(s.bytes_read[1] > 0);
  CHECK(s.bytes_written[1] == 0);
  // d*d + 1 is one FMA per element in each of the last two passes.
  CHECK(s.fma_lanes == 2ull * rows * cols);
  CHECK(s.lds > 0);
  CHECK(s.lds_bytes > 0);
  CHECK(s.valu > 0);
  CHECK(s.valu_active_lanes <= 32 * s.valu);
  CHECK(s.valu_active_lanes > 16 * s.valu);  // mostly full waves, the ragged last column pass is not
  CHECK(s.waitcnt > 0);
  CHECK(s.branch > 0);
  e.free(bi), e.free(bo);
}

TEST_CASE("an unimplemented instruction in a submitted kernel fails the submission naming it; the next works") {
  auto& e = env();
  // A private copy of the -O3 code object whose stencil2d starts with v_cubeid_f32 (not modelled).
  Program p = e.load(kernel_path("user_o3"));
  const Kernel& k = p.kernel("stencil2d");
  const uint8_t cubeid[8] = {0x02, 0x00, 0x0c, 0xd6, 0x01, 0x03, 0x06, 0x04};  // v_cubeid_f32 v2, v1, v1, v1
  REQUIRE(k.code_vaddr() + 8 <= p.image.size);
  std::memcpy(p.image.host + k.code_vaddr(), cubeid, 8);
  Buffer bi = e.upload(random_floats(64)), bo = e.alloc(256);
  bo.poison();
  auto r = e.run1(p, "stencil2d", {buf(bi), buf(bo), val(8), val(8), val(1.0f), val(0.0f)}, {1, 1, 1}, {8, 8, 1});
  REQUIRE(r.status == sim::SubmissionResult::Status::Failed);
  CHECK(r.error.kind == sim::ErrorKind::Unimplemented);
  CHECK_MESSAGE(r.error.message.find("v_cubeid_f32") != std::string::npos, r.error.message);
  CHECK_MESSAGE(r.error.message.find("DISPATCH_DIRECT") != std::string::npos, r.error.message);
  CHECK(bo.as<uint32_t>()[0] == 0xCDCDCDCDu);  // nothing ran past it
  // The unpatched kernel on the same GPU: stencil with c0 = 1, c1 = 0 copies the input.
  r = e.run1(prog("user_o3"), "stencil2d", {buf(bi), buf(bo), val(8), val(8), val(1.0f), val(0.0f)}, {1, 1, 1},
             {8, 8, 1});
  REQUIRE_OK(r);
  CHECK(bo.download<float>(64) == bi.download<float>(64));
  e.free(bi), e.free(bo), e.free(p.image);
}
