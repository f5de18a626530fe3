// gfx11 ISA conformance: programs from tests/isa/*.s (assembled with llvm-mc-19 at build
// time) run on the shader core with random inputs; every result is checked against a value
// computed here independently with C++ integer semantics, std::fma and friends.
#include <doctest/doctest.h>
#include <elf.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "sim/memory.h"
#include "sim/shader.h"

namespace sim = spork::sim;

namespace {

// The .text section of a relocatable ELF object produced by llvm-mc, and its symbols.
struct Obj {
  std::vector<uint8_t> text;
  std::map<std::string, uint64_t> syms;
};
Obj load_obj(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "missing " << path << " (build target spork_isa_programs)");
  std::vector<uint8_t> e((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  Elf64_Ehdr eh;
  std::memcpy(&eh, e.data(), sizeof eh);
  std::vector<Elf64_Shdr> sh(eh.e_shnum);
  for (unsigned i = 0; i < eh.e_shnum; ++i)
    std::memcpy(&sh[i], e.data() + eh.e_shoff + i * eh.e_shentsize, sizeof(Elf64_Shdr));
  const char* names = reinterpret_cast<const char*>(e.data() + sh[eh.e_shstrndx].sh_offset);
  Obj o;
  for (const auto& s : sh) {
    if (std::strcmp(names + s.sh_name, ".text") == 0)
      o.text.assign(e.begin() + s.sh_offset, e.begin() + s.sh_offset + s.sh_size);
    if (s.sh_type == SHT_SYMTAB) {
      const char* str = reinterpret_cast<const char*>(e.data() + sh[s.sh_link].sh_offset);
      for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= s.sh_size; off += sizeof(Elf64_Sym)) {
        Elf64_Sym sym;
        std::memcpy(&sym, e.data() + s.sh_offset + off, sizeof sym);
        if (sym.st_name) o.syms[str + sym.st_name] = sym.st_value;
      }
    }
  }
  REQUIRE_MESSAGE(!o.text.empty(), "no .text in " << path);
  return o;
}

struct Run {
  std::vector<uint32_t> out;
  sim::DispatchStats stats;
};

constexpr uint32_t kPoison = 0xCDCDCDCDu;
constexpr uint32_t kOutWords = 4096;

// One simulated GPU (memory + shader core) that runs the assembled programs.
struct Sim {
  sim::Memory mem;
  sim::ShaderCore core{mem};
  uint64_t in_va = 0;
  uint32_t float_mode = 0xF0;  // COMPUTE_PGM_RSRC1.FLOAT_MODE: round to nearest, denormals kept

  std::pair<uint64_t, sim::Memory::BoHandle> map(uint64_t size, uint32_t perms, const void* data) {
    size = (size + 4095) / 4096 * 4096;
    auto bo = mem.create_bo(size, sim::Domain::VRAM);
    const uint64_t va = mem.find_free_va(size + 4096);
    mem.map(bo, va, 0, size, perms);
    if (data) std::memcpy(mem.bo_cpu_ptr(bo), data, size);
    return {va, bo};
  }

  // Runs program `file` (entry `entry`, default: the file's name) as one workgroup of
  // `lanes` threads: s[0:1] = in (read-only), s[2:3] = out.
  Run run(const std::string& file, const std::vector<uint32_t>& in, unsigned lanes, uint32_t lds_bytes = 0,
          uint32_t scratch_lane_bytes = 0, const std::vector<std::pair<uint32_t, uint32_t>>& out_init = {},
          sim::DispatchOptions opt = {}, std::string entry = "", uint32_t groups = 1) {
    Obj obj = load_obj(std::string(SPORK_ISA_DIR) + "/" + file + ".o");
    if (entry.empty()) entry = file;
    REQUIRE(obj.syms.count(entry));
    std::vector<uint8_t> code = obj.text;
    code.resize((code.size() + 4095) / 4096 * 4096, 0);
    auto [code_va, code_bo] = map(code.size(), sim::PERM_READ | sim::PERM_EXEC, code.data());
    std::vector<uint32_t> inb(in);
    inb.resize(std::max<size_t>(inb.size(), 1024), 0);
    auto [iva, in_bo] = map(inb.size() * 4, sim::PERM_READ, nullptr);
    in_va = iva;
    std::memcpy(mem.bo_cpu_ptr(in_bo), inb.data(), inb.size() * 4);
    std::vector<uint32_t> outb(kOutWords, kPoison);
    for (auto [i, v] : out_init) outb[i] = v;
    auto [out_va, out_bo] = map(outb.size() * 4, sim::PERM_READ | sim::PERM_WRITE, nullptr);
    std::memcpy(mem.bo_cpu_ptr(out_bo), outb.data(), outb.size() * 4);
    sim::DispatchState st;
    st.pgm_addr = code_va + obj.syms.at(entry);
    st.pgm_rsrc1 = (float_mode << 12) | (1u << 21) | (1u << 23);  // FLOAT_MODE, DX10 clamp, IEEE
    st.pgm_rsrc2 = (4u << 1) | (((lds_bytes + 511) / 512) << 15);
    st.user_data[0] = static_cast<uint32_t>(in_va);
    st.user_data[1] = static_cast<uint32_t>(in_va >> 32);
    st.user_data[2] = static_cast<uint32_t>(out_va);
    st.user_data[3] = static_cast<uint32_t>(out_va >> 32);
    st.num_thread = {lanes, 1, 1};
    st.dim = {groups, 1, 1};
    st.dispatch_initiator = 1u | (1u << 15);
    if (scratch_lane_bytes) {
      const uint32_t units = scratch_lane_bytes * 32 / 256;
      auto [sva, sbo] = map(uint64_t(units) * 256 * 4, sim::PERM_READ | sim::PERM_WRITE, nullptr);
      (void)sbo;
      st.pgm_rsrc2 |= 1;
      st.tmpring_size = 4u | (units << 12);
      st.scratch_base = sva;
    }
    opt.collect_stats = true;
    Run r;
    r.stats = core.dispatch(st, opt);
    r.out.resize(kOutWords);
    std::memcpy(r.out.data(), mem.bo_cpu_ptr(out_bo), kOutWords * 4);
    return r;
  }
};

Run run(const std::string& name, const std::vector<uint32_t>& in, unsigned lanes, uint32_t lds_bytes = 0,
        uint32_t scratch_lane_bytes = 0, const std::vector<std::pair<uint32_t, uint32_t>>& out_init = {}) {
  Sim s;
  return s.run(name, in, lanes, lds_bytes, scratch_lane_bytes, out_init);
}

float f(uint32_t u) { return std::bit_cast<float>(u); }
uint32_t u(float x) { return std::bit_cast<uint32_t>(x); }
double d(uint64_t v) { return std::bit_cast<double>(v); }
uint64_t u64(double x) { return std::bit_cast<uint64_t>(x); }
bool same(float a, float b, unsigned ulps = 0) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  int64_t x = std::bit_cast<int32_t>(a), y = std::bit_cast<int32_t>(b);
  if (x < 0) x = INT32_MIN - x;
  if (y < 0) y = INT32_MIN - y;
  return std::llabs(x - y) <= ulps;
}
bool same(double a, double b, unsigned ulps = 0) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  int64_t x = std::bit_cast<int64_t>(a), y = std::bit_cast<int64_t>(b);
  if (x < 0) x = INT64_MIN - x;
  if (y < 0) y = INT64_MIN - y;
  return (x > y ? x - y : y - x) <= static_cast<int64_t>(ulps);
}
float fmin_ieee(float a, float b) {
  return std::isnan(a) ? b : std::isnan(b) ? a : (a == b ? (std::signbit(a) ? a : b) : std::min(a, b));
}
float fmax_ieee(float a, float b) {
  return std::isnan(a) ? b : std::isnan(b) ? a : (a == b ? (std::signbit(a) ? b : a) : std::max(a, b));
}
uint32_t brev(uint32_t v) {
  uint32_t r = 0;
  for (int i = 0; i < 32; ++i) r |= ((v >> i) & 1u) << (31 - i);
  return r;
}
uint32_t pk(uint32_t a, uint32_t b, uint16_t (*fn)(uint16_t, uint16_t)) {
  return fn(uint16_t(a), uint16_t(b)) | uint32_t(fn(uint16_t(a >> 16), uint16_t(b >> 16))) << 16;
}

}  // namespace

TEST_CASE("VALU: VOP1/VOP2/VOP3/VOP3-SDST/VOPC/VOPD/VOP3P") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-50.0f, 50.0f);
  std::vector<uint32_t> in(128);
  for (unsigned l = 0; l < 32; ++l) {
    in[l * 4 + 0] = u(dist(rng));
    in[l * 4 + 1] = u(dist(rng));
    in[l * 4 + 2] = u(dist(rng));
    in[l * 4 + 3] = l % 5 == 0 ? rng() : u(dist(rng));
  }
  in[4 * 3 + 1] = in[4 * 3 + 0];  // a == b in lane 3
  Run r = run("valu", in, 32);
  CHECK(r.stats.vopd == 3);
  CHECK(r.stats.valu > 50);
  for (unsigned l = 0; l < 32; ++l) {
    CAPTURE(l);
    const uint32_t A = in[l * 4], B = in[l * 4 + 1], C = in[l * 4 + 2], D = in[l * 4 + 3];
    const float a = f(A), b = f(B), c = f(C), dd = f(D);
    const uint32_t* o = &r.out[l * 64];
    CHECK(same(f(o[0]), a + b));
    CHECK(same(f(o[1]), a * b));
    CHECK(same(f(o[2]), std::fma(a, b, c)));
    CHECK(same(f(o[3]), std::fma(a, b, c)));
    CHECK(same(f(o[4]), fmax_ieee(a, b)));
    CHECK(same(f(o[5]), fmin_ieee(a, b)));
    CHECK(o[6] == A + B);
    CHECK(o[7] == A - B);
    CHECK(o[8] == A * B);
    CHECK(o[9] == uint32_t((uint64_t(A) * B) >> 32));
    CHECK(o[10] == A << (B & 31));
    CHECK(o[11] == uint32_t(int32_t(A) >> (B & 31)));
    CHECK(o[12] == ((A >> 3) & 0x7F));
    CHECK(o[13] == ((A & B) | (~A & C)));
    CHECK(o[14] == uint32_t(((uint64_t(A) << 32) | B) >> (C & 31)));
    CHECK(o[15] == (A << 3) + B);
    CHECK(o[16] == A + B + C);
    CHECK(o[17] == (A ^ B ^ C));
    CHECK(o[18] == (a < b ? A : B));
    CHECK(o[19] == (A > B ? C : 7u));
    CHECK(same(f(o[20]), std::fma(-a, std::fabs(b), c)));
    CHECK(same(f(o[21]), std::clamp(a * b, 0.0f, 1.0f)));
    CHECK(same(f(o[22]), (a + b) * 2.0f));
    CHECK(same(f(o[23]), 1.0f / a, 1));
    CHECK(same(f(o[24]), std::sqrt(std::fabs(a)), 1));
    CHECK(o[25] == uint32_t(int32_t(std::trunc(a))));
    CHECK(same(f(o[26]), float(D)));
    CHECK(same(f(o[27]), std::floor(a)));
    CHECK(same(f(o[28]), a - std::floor(a)));
    CHECK(same(f(o[29]), a * 8.0f));
    {
      const float lo = fmin_ieee(a, b), hi = fmax_ieee(a, b);
      CHECK(same(f(o[30]), fmax_ieee(lo, fmin_ieee(hi, c))));
    }
    CHECK(o[31] == uint32_t(std::max({int32_t(A), int32_t(B), int32_t(C)})));
    CHECK(o[32] == ~A);
    CHECK(o[33] == brev(A));
    CHECK(o[34] == (B ? uint32_t(std::countl_zero(B)) : 0xFFFFFFFFu));
    {
      const uint64_t m = uint64_t(A) * B + (uint64_t(D) << 32 | C);
      CHECK(o[35] == uint32_t(m));
      CHECK(o[36] == uint32_t(m >> 32));
      const uint64_t s = uint64_t(A) + B;
      CHECK(o[37] == uint32_t(s));
      CHECK(o[38] == C + D + uint32_t(s >> 32));
      const uint64_t sh = (uint64_t(B) << 32 | A) << 5;
      CHECK(o[39] == uint32_t(sh));
      CHECK(o[40] == uint32_t(sh >> 32));
    }
    CHECK(same(f(o[41]), a * b));
    CHECK(o[42] == C + D);
    CHECK(same(f(o[43]), std::fma(a, b, c)));
    CHECK(same(f(o[44]), 2.0f));
    CHECK(o[45] == pk(A, B, [](uint16_t x, uint16_t y) -> uint16_t { return x + y; }));
    CHECK(o[46] == pk(A, B, [](uint16_t x, uint16_t y) -> uint16_t { return int16_t(x) > int16_t(y) ? x : y; }));
    CHECK(o[47] == l);
    CHECK(o[48] == A - B);
    CHECK(o[49] == (B > A ? 1u : 0u));
    CHECK(same(f(o[50]), float(static_cast<_Float16>(a))));
    CHECK(o[51] == 1u);
    CHECK(same(f(o[52]), (std::signbit(b) != std::signbit(a)) ? -std::fabs(c) : std::fabs(c)));
    CHECK(same(f(o[53]), 0.5f + a));
    CHECK(same(f(o[54]), f(0x40490fdb) * a));
    CHECK(same(f(o[55]), std::fma(a, b, 0.5f)));
    CHECK(same(f(o[56]), c - dd));
    CHECK(o[57] == kPoison);
    CHECK(same(f(o[58]), (a * b) * 4.0f));
    CHECK(same(f(o[59]), std::fma(a, -b, std::fabs(c)) * 0.5f));
  }
}

TEST_CASE("SALU: SOP1/SOP2/SOPK/SOPC, SMEM, scalar branches and loops") {
  std::mt19937 rng(11);
  for (int iter = 0; iter < 8; ++iter) {
    std::vector<uint32_t> in(8);
    for (auto& v : in) v = rng();
    if (iter == 1) in[5] = 7;          // s_cmpk_eq_u32 true
    if (iter == 2) in[0] = in[1] + 5;  // no carry
    if (iter == 3) in[1] = 0;          // ctz of 0
    const uint32_t a = in[0], b = in[1], c = in[2], dd = in[3], e = in[4], ff = in[5], h = in[7];
    Run r = run("sop", in, 32);
    const uint32_t* o = r.out.data();
    CAPTURE(iter);
    const uint64_t s1 = uint64_t(a) + b;
    const uint64_t s2 = uint64_t(c) + dd + (s1 >> 32);
    CHECK(o[20] == uint32_t(s1));
    CHECK(o[21] == uint32_t(s2));
    CHECK(o[22] == uint32_t(s2 >> 32));
    CHECK(o[23] == a - b);
    CHECK(o[24] == (b > a ? 1u : 0u));
    CHECK(o[25] == a * b);
    CHECK(o[26] == uint32_t((uint64_t(a) * b) >> 32));
    const uint64_t sh = (uint64_t(b) << 32 | a) << 7;
    CHECK(o[28] == uint32_t(sh));
    CHECK(o[29] == uint32_t(sh >> 32));
    CHECK(o[30] == a >> (b & 31));
    CHECK(o[31] == uint32_t(int32_t(c) >> 5));
    CHECK(o[32] == ((a >> 3) & 31));
    CHECK(o[33] == (a & b));
    CHECK(o[34] == (a | b));
    CHECK(o[35] == (a ^ b));
    CHECK(o[36] == ~(a & b));
    CHECK(o[37] == (a & ~b));
    CHECK(o[38] == (int32_t(a) < int32_t(b) ? c : dd));
    CHECK(o[39] == std::min(a, b));
    CHECK(o[40] == uint32_t(std::max(int32_t(a), int32_t(b))));
    CHECK(o[41] == uint32_t(std::popcount(a)));
    CHECK(o[42] == (b ? uint32_t(std::countr_zero(b)) : 0xFFFFFFFFu));
    CHECK(o[43] == brev(a));
    CHECK(o[44] == uint32_t(int32_t(int8_t(a))));
    CHECK(o[45] == 0xFFFF8234u);
    CHECK(o[46] == e + 0x1234u);
    CHECK(o[47] == (ff == 7 ? 1u : 2u));
    CHECK(o[48] == (int32_t(c) < 0 ? 0u - c : c));
    CHECK(o[49] == (a << 2) + b);
    CHECK(o[50] == ((a & 0xFFFF) | (b << 16)));
    CHECK(o[51] == ((a >> 3) & 1 ? 5u : 6u));
    CHECK(o[52] == h);
    CHECK(o[53] == dd);
    CHECK(o[54] == ~a);
    CHECK(o[55] == ~(a ^ b));
    CHECK(o[56] == 0xF8u);
    CHECK(o[57] == uint32_t(uint64_t(int64_t(int32_t(c)) * int32_t(dd)) >> 32));
    CHECK(o[59] == 10 * (h & 15));
    CHECK(o[60] == 10u);
    CHECK(o[61] == uint32_t(std::min(int32_t(c), int32_t(dd))));
    const uint64_t cd = uint64_t(dd) << 32 | c;
    CHECK(o[64] == uint32_t(cd >> (b & 63)));
    CHECK(o[65] == uint32_t((cd >> (b & 63)) >> 32));
    CHECK(o[66] == uint32_t(uint64_t(int64_t(cd) >> 33)));
    CHECK(o[67] == uint32_t(uint64_t(int64_t(cd) >> 33) >> 32));
    CHECK(o[69] == 0xFFFFFFFFu);
    CHECK(o[70] == 1u);
    CHECK(o[27] == kPoison);
  }
}

TEST_CASE("f64 arithmetic and conversions") {
  std::mt19937 rng(13);
  std::uniform_real_distribution<double> dist(-100.0, 100.0);
  std::vector<uint32_t> in(128);
  std::vector<double> A(32), B(32);
  for (unsigned l = 0; l < 32; ++l) {
    A[l] = dist(rng);
    B[l] = dist(rng);
    if (std::fabs(B[l]) < 1) B[l] = 1.5;
    if (l == 5) A[l] = -0.0;
    std::memcpy(&in[l * 4], &A[l], 8);
    std::memcpy(&in[l * 4 + 2], &B[l], 8);
  }
  Run r = run("f64", in, 32);
  for (unsigned l = 0; l < 32; ++l) {
    CAPTURE(l);
    const double a = A[l], b = B[l];
    const uint32_t* o = &r.out[l * 64];
    auto D = [&](unsigned i) {
      uint64_t v;
      std::memcpy(&v, &o[i], 8);
      return d(v);
    };
    CHECK(same(D(0), a + b));
    CHECK(same(D(2), a * b));
    CHECK(same(D(4), std::fma(a, b, a)));
    CHECK(same(D(6), std::max(a, b)));
    if (a != 0) CHECK(same(D(8), 1.0 / a, 1));
    CHECK(same(f(o[10]), float(a)));
    CHECK(o[11] == uint32_t(int32_t(std::trunc(a))));
    CHECK(same(D(12), double(int32_t(std::trunc(a)))));
    CHECK(same(D(14), std::floor(a)));
    CHECK(same(D(16), a * 128.0));
    CHECK(o[18] == (a < b ? 1u : 0u));
    int e;
    CHECK(same(D(19), std::frexp(a, &e)));
    CHECK(o[21] == uint32_t(e));
    CHECK(same(D(22), std::trunc(b)));
    CHECK(same(D(24), a - std::floor(a)));
    CHECK(same(D(26), std::sqrt(std::fabs(a)), 1));
    CHECK(same(D(28), 1.0 - a));
    CHECK(same(D(30), a * 3.0));
    CHECK(same(D(32), double(f(uint32_t(u64(a))))));
    CHECK(o[34] == (b <= 0 ? 0u : uint32_t(b)));
    CHECK(same(D(35), a == 0 ? std::nan("") : b));  // NaN for a zero numerator, else no scaling at these magnitudes
    CHECK(same(D(37), (std::signbit(b) != std::signbit(a)) ? -std::fabs(a) : std::fabs(a)));
    CHECK(o[39] == (a == 0 ? 1u : 0u));
  }
}

TEST_CASE("memory: DS incl. 2addr/stride64/atomics, scratch, global sub-dword and atomics") {
  std::mt19937 rng(17);
  std::vector<uint32_t> in(128);
  for (auto& v : in) v = rng();
  Run r = run("mem", in, 32, 4096, 64, {{2048, 0}, {2049, 0x80000000u}, {2050, 0}, {2052, 0}, {2053, 0}, {2054, 1}});
  CHECK(r.stats.lds > 0);
  CHECK(r.stats.lds_bytes > 0);
  uint32_t maxa = 0, xorb = 0;
  int32_t maxi = INT32_MIN;
  uint64_t sum64 = 0;
  for (unsigned l = 0; l < 32; ++l) {
    maxa = std::max(maxa, in[l * 4]);
    maxi = std::max(maxi, int32_t(in[l * 4]));
    xorb ^= in[l * 4 + 1];
    sum64 += uint64_t(in[l * 4 + 3]) << 32 | in[l * 4 + 2];
  }
  int32_t running_min = 0;
  for (unsigned l = 0; l < 32; ++l) {
    CAPTURE(l);
    const uint32_t* o = &r.out[l * 64];
    const uint32_t a = in[l * 4], b = in[l * 4 + 1], c = in[l * 4 + 2], dd = in[l * 4 + 3];
    const unsigned n = l ^ 1;
    CHECK(o[0] == in[n * 4]);
    CHECK(o[1] == in[n * 4 + 1]);
    CHECK(o[2] == c);
    CHECK(o[3] == dd);
    CHECK(o[4] == ((a >> 8) & 0xFF));
    CHECK(o[5] == uint32_t(int32_t(int16_t(a >> 16))));
    CHECK(o[6] == a);
    CHECK(o[7] == (l % 2 == 0 ? in[(l / 2) * 4 + 2] : in[(l / 2) * 4 + 3]));
    CHECK(o[8] == l);
    CHECK(o[9] == uint32_t(running_min));
    running_min = std::min(running_min, int32_t(b));
    CHECK(o[10] == 32u);
    CHECK(o[11] == maxa);
    CHECK(o[12] == a);
    CHECK(o[13] == dd);
    CHECK(o[14] == a);
    CHECK(o[15] == (b & 0xFF));
    CHECK(o[16] == c);
    CHECK(o[17] == dd);
    CHECK(o[18] == ((a & 0xFF) | ((b & 0xFFFF) << 16)));
    CHECK(o[19] == 0u);
    CHECK(o[20] == uint32_t(int32_t(int8_t(a >> 24))));
    CHECK(o[21] == ((b >> 16) & 0xFFFF));
    CHECK(o[22] == b);
    CHECK(o[23] == c);
    CHECK(o[24] == dd);
    CHECK(o[25] == l);
    CHECK(o[26] == (l == 0 ? 1u : 0u));
    CHECK(o[27] == dd);  // flat load through the shared aperture (LDS)
    CHECK(o[28] == a);   // flat load through the private aperture (scratch)
    CHECK(o[29] == dd);  // flat atomic on LDS returns the old value
    CHECK(o[30] == dd + 1);
    CHECK(o[31] == kPoison);
  }
  CHECK(r.out[2048] == 32u);
  CHECK(r.out[2049] == uint32_t(std::max(maxi, int32_t(0x80000000))));
  CHECK(r.out[2050] == xorb);
  CHECK((uint64_t(r.out[2053]) << 32 | r.out[2052]) == sum64);
  CHECK(r.out[2054] == 0u);
}

TEST_CASE("exec masking, saveexec, cmpx and lane ops (full and partial waves)") {
  std::mt19937 rng(19);
  for (unsigned lanes : {32u, 20u, 13u}) {
    CAPTURE(lanes);
    std::vector<uint32_t> in(128);
    for (auto& v : in) v = rng() % 1000;
    for (unsigned l = 0; l < 32; l += 3) in[l * 4 + 2] = 0;
    Run r = run("lanes", in, lanes);
    for (unsigned l = 0; l < 32; ++l) {
      CAPTURE(l);
      const uint32_t* o = &r.out[l * 64];
      if (l >= lanes) {
        for (int j = 0; j < 8; ++j) CHECK(o[j] == kPoison);  // inactive lanes store nothing
        continue;
      }
      const uint32_t a = in[l * 4], b = in[l * 4 + 1], c = in[l * 4 + 2];
      CHECK(o[0] == (l < 16 ? 111u : 222u));
      CHECK(o[1] == (a < b ? b - a : a - b));
      CHECK(o[2] == in[7 * 4]);
      CHECK(o[3] == (l == 3 ? in[7 * 4] : 5u));
      CHECK(o[4] == in[10 * 4 + 1]);
      CHECK(o[5] == l);
      CHECK(o[6] == (c != 0 ? 1u : 0u));
      CHECK(o[7] == lanes);
    }
  }
}

TEST_CASE("errors: faults, hangs, unimplemented and undecodable instructions; the core stays usable") {
  Sim s;
  std::vector<uint32_t> in(128, 0);
  auto works = [&] {  // a normal dispatch on the same core afterwards
    std::vector<uint32_t> vin(128);
    for (unsigned i = 0; i < 128; ++i) vin[i] = 0x3F800000u + i;  // floats near 1
    Run r = s.run("valu", vin, 32);
    CHECK(f(r.out[0]) == f(vin[0]) + f(vin[1]));
    CHECK(r.out[64 * 31 + 6] == vin[124] + vin[125]);
  };
  SUBCASE("load from an unmapped address") {
    try {
      s.run("errors", in, 32, 0, 0, {}, {}, "fault_unmapped");
      FAIL("no fault");
    } catch (const sim::VmFault& e) {
      const std::string w = e.what();
      CHECK(e.access == sim::Access::Read);
      CHECK(e.address == s.in_va + 0x100000);
      CHECK(e.wave == "wg (0,0,0) wave 0");
      CHECK(e.instruction.find("global_load_b32 v2, v1, s[0:1]") == 0);
      CHECK(w.find("global_load_b32") != std::string::npos);
      CHECK(w.find("wave 0") != std::string::npos);
    }
    works();
  }
  SUBCASE("store to a read-only mapping, many workgroups on two threads") {
    sim::DispatchOptions opt;
    opt.threads = 2;
    try {
      s.run("errors", in, 64, 0, 0, {}, opt, "fault_readonly", 40);
      FAIL("no fault");
    } catch (const sim::VmFault& e) {
      CHECK(e.access == sim::Access::Write);
      CHECK(e.address == s.in_va + 16);
      CHECK(e.instruction.find("global_store_b32") == 0);
      CHECK(std::string(e.what()).find("not writable") != std::string::npos);
    }
    works();
  }
  SUBCASE("endless loop exhausts the instruction budget") {
    sim::DispatchOptions opt;
    opt.instruction_budget = 200000;
    opt.threads = 2;
    try {
      s.run("errors", in, 32, 0, 0, {}, opt, "hang", 4);
      FAIL("no hang reported");
    } catch (const sim::HangError& e) {
      const std::string w = e.what();
      CHECK(w.find("200000") != std::string::npos);
      CHECK(w.find("wave 0") != std::string::npos);
      CHECK((w.find("s_branch") != std::string::npos || w.find("s_add_u32") != std::string::npos));
    }
    works();
  }
  SUBCASE("unimplemented instruction is named") {
    try {
      s.run("errors", in, 32, 0, 0, {}, {}, "unimplemented");
      FAIL("no error");
    } catch (const sim::UnimplementedError& e) {
      CHECK(std::string(e.what()).find("'v_cubeid_f32'") != std::string::npos);
    }
    works();
  }
  SUBCASE("LDS access out of range") {
    try {
      s.run("errors", in, 32, 4096, 0, {}, {}, "lds_oob");
      FAIL("no error");
    } catch (const sim::ShaderError& e) {
      const std::string w = e.what();
      CHECK(w.find("LDS access at 0xffc (8 bytes)") != std::string::npos);
      CHECK(w.find("ds_load_b64") != std::string::npos);
    }
    works();
  }
  SUBCASE("undecodable bytes") {
    try {
      s.run("errors", in, 32, 0, 0, {}, {}, "undecodable");
      FAIL("no error");
    } catch (const sim::ShaderError& e) {
      CHECK(std::string(e.what()).find("unsupported instruction encoding 0xf0000000") != std::string::npos);
    }
    works();
  }
  SUBCASE("scratch access without scratch") {
    try {
      s.run("errors", in, 32, 0, 0, {}, {}, "scratch_off");
      FAIL("no error");
    } catch (const sim::ShaderError& e) {
      CHECK(std::string(e.what()).find("SCRATCH_EN") != std::string::npos);
    }
    works();
  }
}

TEST_CASE("decoded programs are cached per address but new code at the same address is noticed") {
  Sim s;
  auto [code_va, code_bo] = s.map(4096, sim::PERM_READ | sim::PERM_EXEC, nullptr);
  auto [out_va, out_bo] = s.map(4096, sim::PERM_READ | sim::PERM_WRITE, nullptr);
  auto program = [&](uint32_t k) {  // v_mov_b32 v1, k; v_mov_b32 v2, 0; global_store_b32 v2, v1, s[2:3]; s_endpgm
    const uint32_t words[] = {0x7E020280u + k, 0x7E040280u, 0xDC6A0000u, 0x00020102u, 0xBFB00000u};
    std::memcpy(s.mem.bo_cpu_ptr(code_bo), words, sizeof words);
  };
  sim::DispatchState st;
  st.pgm_addr = code_va;
  st.pgm_rsrc2 = 4u << 1;
  st.user_data[2] = static_cast<uint32_t>(out_va);
  st.user_data[3] = static_cast<uint32_t>(out_va >> 32);
  st.num_thread = {1, 1, 1};
  st.dim = {1, 1, 1};
  st.dispatch_initiator = 1u | (1u << 15);
  for (uint32_t k : {5u, 5u, 9u, 17u}) {
    program(k);
    s.core.dispatch(st);
    uint32_t v;
    std::memcpy(&v, s.mem.bo_cpu_ptr(out_bo), 4);
    CHECK(v == k);
  }
  // A wave64 dispatch is refused with a message that says why.
  st.dispatch_initiator = 1u;
  CHECK_THROWS_WITH_AS(s.core.dispatch(st), doctest::Contains("CS_W32_EN"), sim::ShaderError);
  // An entry point that is not executable faults.
  st.dispatch_initiator = 1u | (1u << 15);
  st.pgm_addr = out_va;
  CHECK_THROWS_AS(s.core.dispatch(st), sim::VmFault);
}

TEST_CASE("FLOAT_DENORM_MODE: f32 denormals are kept, or flushed on input and output") {
  std::vector<uint32_t> in(128);
  const float tiny = 3e-39f;  // denormal
  for (unsigned l = 0; l < 32; ++l) {
    in[l * 4 + 0] = u(l % 2 ? tiny : -tiny);
    in[l * 4 + 1] = u(l % 4 < 2 ? 0.25f : 4.0f);
    in[l * 4 + 2] = u(1.0f);
    in[l * 4 + 3] = u(1.0f);
  }
  for (uint32_t mode : {0xF0u, 0x00u}) {
    CAPTURE(mode);
    Sim s;
    s.float_mode = mode;
    Run r = s.run("valu", in, 32);
    for (unsigned l = 0; l < 32; ++l) {
      CAPTURE(l);
      const float a = f(in[l * 4]), b = f(in[l * 4 + 1]);
      const uint32_t* o = &r.out[l * 64];
      if (mode == 0xF0) {
        CHECK(same(f(o[0]), a + b));
        CHECK(same(f(o[1]), a * b));  // denormal result kept
        CHECK(f(o[1]) != 0.0f);
      } else {
        CHECK(same(f(o[0]), b));  // denormal input read as zero
        CHECK(f(o[1]) == 0.0f);   // flushed
        CHECK(std::signbit(f(o[1])) == (std::signbit(a) != std::signbit(b)));
      }
    }
  }
}
