// Vector ALU instructions of the shader core: VOP1, VOP2, VOP3, VOP3P, VOPC (and the VOPD
// halves, which reuse these handlers). Lane loops run over all 32 lanes on SoA registers
// and write back under EXEC, so the compiler can vectorise them.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "sim/shader_impl.h"

namespace spork::sim::detail {
namespace {

using isa::kExecLo;
using isa::kVccLo;
using isa::kVgpr0;

inline float f_of(uint32_t u) { return std::bit_cast<float>(u); }
inline uint32_t u_of(float f) { return std::bit_cast<uint32_t>(f); }
inline double d_of(uint64_t u) { return std::bit_cast<double>(u); }
inline uint64_t u_of(double d) { return std::bit_cast<uint64_t>(d); }

// ---- half precision -------------------------------------------------------------------
float half_to_float(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF;
  if (exp == 0x1F) return f_of(sign | 0x7F800000u | (man << 13) | (man ? 0x400000u : 0));
  if (exp == 0) {
    float v = std::ldexp(static_cast<float>(man), -24);
    return sign ? -v : v;
  }
  return f_of(sign | ((exp + 112) << 23) | (man << 13));
}
uint16_t float_to_half(float f, bool rtz = false) {
  uint32_t u = u_of(f);
  uint16_t sign = (u >> 16) & 0x8000;
  uint32_t a = u & 0x7FFFFFFFu;
  if (a >= 0x7F800000u) return sign | 0x7C00 | (a > 0x7F800000u ? 0x200 | ((a >> 13) & 0x3FF) : 0);
  if (a >= 0x477FF000u && !rtz) return sign | 0x7C00;  // rounds to inf
  if (a >= 0x47800000u) return sign | (rtz ? 0x7BFF : 0x7C00);
  if (a < 0x38800000u) {  // subnormal half or zero
    float av = f_of(a);
    float scaled = av * 16777216.0f;  // / 2^-24
    uint32_t m = rtz ? static_cast<uint32_t>(scaled) : static_cast<uint32_t>(std::nearbyint(scaled));
    return sign | static_cast<uint16_t>(m);
  }
  uint32_t exp = (a >> 23) - 112, man = a & 0x7FFFFF;
  uint32_t h = (exp << 10) | (man >> 13);
  uint32_t rem = man & 0x1FFF;
  if (!rtz && (rem > 0x1000 || (rem == 0x1000 && (h & 1)))) ++h;
  return sign | static_cast<uint16_t>(h);
}

// A double result rounded once to half: round to odd into float (13 spare bits), then RNE.
uint16_t double_to_half(double d) {
  float f = static_cast<float>(d);
  if (std::isfinite(f) && static_cast<double>(f) != d) {
    if (std::fabs(static_cast<double>(f)) > std::fabs(d)) f = std::nextafter(f, 0.0f);
    f = std::bit_cast<float>(std::bit_cast<uint32_t>(f) | 1u);
  }
  return float_to_half(f);
}

// ---- conversions that clamp like the hardware (C++ casts would be UB) -----------------
inline int32_t cvt_i32(double v) {
  if (std::isnan(v)) return 0;
  if (v >= 2147483647.0) return 2147483647;
  if (v <= -2147483648.0) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(v);
}
inline uint32_t cvt_u32(double v) {
  if (std::isnan(v) || v <= 0) return 0;
  if (v >= 4294967295.0) return 0xFFFFFFFFu;
  return static_cast<uint32_t>(v);
}

// ---- IEEE-mode min/max: a NaN operand yields the other; -0 < +0 ------------------------
template <class T>
inline T fmin_hw(T a, T b) {
  if (std::isnan(a)) return std::isnan(b) ? std::numeric_limits<T>::quiet_NaN() : b;
  if (std::isnan(b)) return a;
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}
template <class T>
inline T fmax_hw(T a, T b) {
  if (std::isnan(a)) return std::isnan(b) ? std::numeric_limits<T>::quiet_NaN() : b;
  if (std::isnan(b)) return a;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
template <class T>
inline T fmed3_hw(T a, T b, T c) {
  if (std::isnan(a) || std::isnan(b) || std::isnan(c)) return fmin_hw(fmin_hw(a, b), c);
  T mx = fmax_hw(fmax_hw(a, b), c);
  if (mx == a) return fmax_hw(b, c);
  if (mx == b) return fmax_hw(a, c);
  return fmax_hw(a, b);
}

// ---- f32 operand plumbing --------------------------------------------------------------
inline const f32a* fsrc(Wave& w, const XInst& x, int i, uint32_t* buf) {
  const uint32_t* p = vs(w, x, i, buf);
  const unsigned m = ((x.abs >> i) & 1) | (((x.neg >> i) & 1) << 1);
  if (m || w.ftz32) {
    if (p != buf) std::memcpy(buf, p, sizeof(uint32_t) * kLanes);
    if (m & 1)
      for (unsigned l = 0; l < kLanes; ++l) buf[l] &= 0x7FFFFFFFu;
    if (m & 2)
      for (unsigned l = 0; l < kLanes; ++l) buf[l] ^= 0x80000000u;
    if (w.ftz32)
      for (unsigned l = 0; l < kLanes; ++l)
        if ((buf[l] & 0x7F800000u) == 0) buf[l] &= 0x80000000u;
    p = buf;
  }
  return reinterpret_cast<const f32a*>(p);
}
void post32(Wave& w, const XInst& x, uint32_t* r) {
  f32a* f = reinterpret_cast<f32a*>(r);
  if (x.omod) {
    const float k = x.omod == 1 ? 2.0f : x.omod == 2 ? 4.0f : 0.5f;
    for (unsigned l = 0; l < kLanes; ++l) f[l] *= k;
  }
  if (x.clamp)
    for (unsigned l = 0; l < kLanes; ++l)
      f[l] = std::isnan(f[l]) ? 0.0f : f[l] < 0.0f ? 0.0f : f[l] > 1.0f ? 1.0f : f[l];
  if (w.ftz32)
    for (unsigned l = 0; l < kLanes; ++l)
      if ((r[l] & 0x7F800000u) == 0) r[l] &= 0x80000000u;
}
inline void fout(Wave& w, const XInst& x, uint32_t* r) {
  if (x.omod | x.clamp | w.ftz32) post32(w, x, r);
  write_v(w, x.dst, r);
}

template <class F>
inline void un_f32(Wave& w, const XInst& x, F f) {
  const f32a* a = fsrc(w, x, 0, w.tmp[0]);
  f32a* r = reinterpret_cast<f32a*>(w.tmp[3]);
  for (unsigned l = 0; l < kLanes; ++l) r[l] = f(a[l]);
  fout(w, x, w.tmp[3]);
}
template <class F>
inline void bin_f32(Wave& w, const XInst& x, F f) {
  const f32a* a = fsrc(w, x, 0, w.tmp[0]);
  const f32a* b = fsrc(w, x, 1, w.tmp[1]);
  f32a* r = reinterpret_cast<f32a*>(w.tmp[3]);
  for (unsigned l = 0; l < kLanes; ++l) r[l] = f(a[l], b[l]);
  fout(w, x, w.tmp[3]);
}
template <class F>
inline void tri_f32(Wave& w, const XInst& x, F f) {
  const f32a* a = fsrc(w, x, 0, w.tmp[0]);
  const f32a* b = fsrc(w, x, 1, w.tmp[1]);
  const f32a* c = fsrc(w, x, 2, w.tmp[2]);
  f32a* r = reinterpret_cast<f32a*>(w.tmp[3]);
  for (unsigned l = 0; l < kLanes; ++l) r[l] = f(a[l], b[l], c[l]);
  fout(w, x, w.tmp[3]);
}

// ---- f64 operand plumbing --------------------------------------------------------------
inline const f64a* dsrc(Wave& w, const XInst& x, int i, uint64_t* buf) {
  if (x.kind[i] == K_VGPR) {
    const unsigned r = x.src[i] - kVgpr0;
    const uint32_t* lo = w.v[r];
    const uint32_t* hi = w.v[(r + 1) & 255];
    for (unsigned l = 0; l < kLanes; ++l) buf[l] = lo[l] | static_cast<uint64_t>(hi[l]) << 32;
  } else {
    const uint64_t v = sv64(w, x, i);
    for (unsigned l = 0; l < kLanes; ++l) buf[l] = v;
  }
  const unsigned m = ((x.abs >> i) & 1) | (((x.neg >> i) & 1) << 1);
  if (m & 1)
    for (unsigned l = 0; l < kLanes; ++l) buf[l] &= 0x7FFFFFFFFFFFFFFFull;
  if (m & 2)
    for (unsigned l = 0; l < kLanes; ++l) buf[l] ^= 0x8000000000000000ull;
  if (w.ftz64)
    for (unsigned l = 0; l < kLanes; ++l)
      if ((buf[l] & 0x7FF0000000000000ull) == 0) buf[l] &= 0x8000000000000000ull;
  return reinterpret_cast<const f64a*>(buf);
}
inline void dout(Wave& w, const XInst& x, uint64_t* r) {
  f64a* f = reinterpret_cast<f64a*>(r);
  if (x.omod) {
    const double k = x.omod == 1 ? 2.0 : x.omod == 2 ? 4.0 : 0.5;
    for (unsigned l = 0; l < kLanes; ++l) f[l] *= k;
  }
  if (x.clamp)
    for (unsigned l = 0; l < kLanes; ++l) f[l] = std::isnan(f[l]) ? 0.0 : f[l] < 0.0 ? 0.0 : f[l] > 1.0 ? 1.0 : f[l];
  if (w.ftz64)
    for (unsigned l = 0; l < kLanes; ++l)
      if ((r[l] & 0x7FF0000000000000ull) == 0) r[l] &= 0x8000000000000000ull;
  write_v64(w, x.dst, r);
}
template <class F>
inline void un_f64(Wave& w, const XInst& x, F f) {
  const f64a* a = dsrc(w, x, 0, w.t64[0]);
  f64a* r = reinterpret_cast<f64a*>(w.t64[3]);
  for (unsigned l = 0; l < kLanes; ++l) r[l] = f(a[l]);
  dout(w, x, w.t64[3]);
}
template <class F>
inline void bin_f64(Wave& w, const XInst& x, F f) {
  const f64a* a = dsrc(w, x, 0, w.t64[0]);
  const f64a* b = dsrc(w, x, 1, w.t64[1]);
  f64a* r = reinterpret_cast<f64a*>(w.t64[3]);
  for (unsigned l = 0; l < kLanes; ++l) r[l] = f(a[l], b[l]);
  dout(w, x, w.t64[3]);
}
template <class F>
inline void tri_f64(Wave& w, const XInst& x, F f) {
  const f64a* a = dsrc(w, x, 0, w.t64[0]);
  const f64a* b = dsrc(w, x, 1, w.t64[1]);
  const f64a* c = dsrc(w, x, 2, w.t64[2]);
  f64a* r = reinterpret_cast<f64a*>(w.t64[3]);
  for (unsigned l = 0; l < kLanes; ++l) r[l] = f(a[l], b[l], c[l]);
  dout(w, x, w.t64[3]);
}

// ---- integer plumbing ------------------------------------------------------------------
template <class F>
inline void un_u32(Wave& w, const XInst& x, F f) {
  const uint32_t* a = vs(w, x, 0, w.tmp[0]);
  uint32_t* r = w.tmp[3];
  for (unsigned l = 0; l < kLanes; ++l) r[l] = f(a[l]);
  write_v(w, x.dst, r);
}
template <class F>
inline void bin_u32(Wave& w, const XInst& x, F f) {
  const uint32_t* a = vs(w, x, 0, w.tmp[0]);
  const uint32_t* b = vs(w, x, 1, w.tmp[1]);
  uint32_t* r = w.tmp[3];
  for (unsigned l = 0; l < kLanes; ++l) r[l] = f(a[l], b[l]);
  write_v(w, x.dst, r);
}
template <class F>
inline void tri_u32(Wave& w, const XInst& x, F f) {
  const uint32_t* a = vs(w, x, 0, w.tmp[0]);
  const uint32_t* b = vs(w, x, 1, w.tmp[1]);
  const uint32_t* c = vs(w, x, 2, w.tmp[2]);
  uint32_t* r = w.tmp[3];
  for (unsigned l = 0; l < kLanes; ++l) r[l] = f(a[l], b[l], c[l]);
  write_v(w, x.dst, r);
}
// Results from a 32-bit-view function into 64-bit results.
template <class F>
inline void lane64(Wave& w, const XInst& x, F f) {
  uint64_t* r = w.t64[3];
  for (unsigned l = 0; l < kLanes; ++l) r[l] = f(l);
  write_v64(w, x.dst, r);
}

// ---- compares --------------------------------------------------------------------------
inline void cmp_write(Wave& w, const XInst& x, uint32_t m) {
  m &= w.exec();
  w.s[x.sdst] = m;  // cmpx: sdst is EXEC
}
template <class T, class F>
inline void cmp_int(Wave& w, const XInst& x, F f) {
  uint32_t m = 0;
  if constexpr (sizeof(T) == 4) {
    const uint32_t* a = vs(w, x, 0, w.tmp[0]);
    const uint32_t* b = vs(w, x, 1, w.tmp[1]);
    for (unsigned l = 0; l < kLanes; ++l)
      m |= static_cast<uint32_t>(f(static_cast<T>(a[l]), static_cast<T>(b[l]))) << l;
  } else {
    for (unsigned l = 0; l < kLanes; ++l)
      m |= static_cast<uint32_t>(f(static_cast<T>(lane_src64(w, x, 0, l)), static_cast<T>(lane_src64(w, x, 1, l))))
           << l;
  }
  cmp_write(w, x, m);
}
template <class F>
inline void cmp_f32(Wave& w, const XInst& x, F f) {
  const f32a* a = fsrc(w, x, 0, w.tmp[0]);
  const f32a* b = fsrc(w, x, 1, w.tmp[1]);
  uint32_t m = 0;
  for (unsigned l = 0; l < kLanes; ++l) m |= static_cast<uint32_t>(f(a[l], b[l])) << l;
  cmp_write(w, x, m);
}
template <class F>
inline void cmp_f64(Wave& w, const XInst& x, F f) {
  const f64a* a = dsrc(w, x, 0, w.t64[0]);
  const f64a* b = dsrc(w, x, 1, w.t64[1]);
  uint32_t m = 0;
  for (unsigned l = 0; l < kLanes; ++l) m |= static_cast<uint32_t>(f(a[l], b[l])) << l;
  cmp_write(w, x, m);
}
template <class T>
unsigned fclass(T v) {
  if (std::isnan(v)) {
    bool quiet;
    if constexpr (sizeof(T) == 4)
      quiet = u_of(static_cast<float>(v)) & 0x400000u;
    else
      quiet = u_of(static_cast<double>(v)) & 0x8000000000000ull;
    return quiet ? 1 : 0;
  }
  const bool neg = std::signbit(v);
  if (std::isinf(v)) return neg ? 2 : 9;
  if (v == 0) return neg ? 5 : 6;
  if (std::fpclassify(v) == FP_SUBNORMAL) return neg ? 4 : 7;
  return neg ? 3 : 8;
}

// Registration helpers: one handler per compare condition and type.
#define CMP_F(NAME, EXPR)                                   \
  void h_cmp_##NAME##_f32(Wave& w, const XInst& x) {        \
    cmp_f32(w, x, [](float a, float b) { return EXPR; });   \
  }                                                         \
  void h_cmp_##NAME##_f64(Wave& w, const XInst& x) {        \
    cmp_f64(w, x, [](double a, double b) { return EXPR; }); \
  }
CMP_F(f, ((void)a, (void)b, false))
CMP_F(lt, a < b)
CMP_F(eq, a == b)
CMP_F(le, a <= b)
CMP_F(gt, a > b)
CMP_F(lg, a<b || a> b)
CMP_F(ge, a >= b)
CMP_F(o, !std::isnan(a) && !std::isnan(b))
CMP_F(u, std::isnan(a) || std::isnan(b))
CMP_F(nge, !(a >= b))
CMP_F(nlg, !(a < b || a > b))
CMP_F(ngt, !(a > b))
CMP_F(nle, !(a <= b))
CMP_F(neq, !(a == b))
CMP_F(nlt, !(a < b))
CMP_F(t, ((void)a, (void)b, true))
#undef CMP_F
#define CMP_I(NAME, EXPR)                                                 \
  void h_cmp_##NAME##_i32(Wave& w, const XInst& x) {                      \
    cmp_int<int32_t>(w, x, [](int32_t a, int32_t b) { return EXPR; });    \
  }                                                                       \
  void h_cmp_##NAME##_u32(Wave& w, const XInst& x) {                      \
    cmp_int<uint32_t>(w, x, [](uint32_t a, uint32_t b) { return EXPR; }); \
  }                                                                       \
  void h_cmp_##NAME##_i64(Wave& w, const XInst& x) {                      \
    cmp_int<int64_t>(w, x, [](int64_t a, int64_t b) { return EXPR; });    \
  }                                                                       \
  void h_cmp_##NAME##_u64(Wave& w, const XInst& x) {                      \
    cmp_int<uint64_t>(w, x, [](uint64_t a, uint64_t b) { return EXPR; }); \
  }
CMP_I(f, ((void)a, (void)b, false))
CMP_I(lt, a < b)
CMP_I(eq, a == b)
CMP_I(le, a <= b)
CMP_I(gt, a > b)
CMP_I(ne, a != b)
CMP_I(ge, a >= b)
CMP_I(t, ((void)a, (void)b, true))
#undef CMP_I

// 16-bit compares: low halves (op_sel picks high halves in the VOP3 form).
template <class T, class F>
inline void cmp16(Wave& w, const XInst& x, F f) {
  const uint32_t* a = vs(w, x, 0, w.tmp[0]);
  const uint32_t* b = vs(w, x, 1, w.tmp[1]);
  const unsigned sa = (x.opsel & 1) ? 16 : 0, sb = (x.opsel & 2) ? 16 : 0;
  uint32_t m = 0;
  for (unsigned l = 0; l < kLanes; ++l) {
    uint16_t p = static_cast<uint16_t>(a[l] >> sa), q = static_cast<uint16_t>(b[l] >> sb);
    if constexpr (std::is_same_v<T, float>) {
      if (x.abs & 1) p &= 0x7FFF;
      if (x.abs & 2) q &= 0x7FFF;
      if (x.neg & 1) p ^= 0x8000;
      if (x.neg & 2) q ^= 0x8000;
      m |= static_cast<uint32_t>(f(half_to_float(p), half_to_float(q))) << l;
    } else {
      m |= static_cast<uint32_t>(f(static_cast<T>(p), static_cast<T>(q))) << l;
    }
  }
  cmp_write(w, x, m);
}
#define CMP16_I(NAME, EXPR)                                             \
  void h_cmp_##NAME##_i16(Wave& w, const XInst& x) {                    \
    cmp16<int16_t>(w, x, [](int16_t a, int16_t b) { return EXPR; });    \
  }                                                                     \
  void h_cmp_##NAME##_u16(Wave& w, const XInst& x) {                    \
    cmp16<uint16_t>(w, x, [](uint16_t a, uint16_t b) { return EXPR; }); \
  }
CMP16_I(f, ((void)a, (void)b, false))
CMP16_I(lt, a < b)
CMP16_I(eq, a == b)
CMP16_I(le, a <= b)
CMP16_I(gt, a > b)
CMP16_I(ne, a != b)
CMP16_I(ge, a >= b)
CMP16_I(t, ((void)a, (void)b, true))
#undef CMP16_I
#define CMP16_F(NAME, EXPR)                                    \
  void h_cmp_##NAME##_f16(Wave& w, const XInst& x) {           \
    cmp16<float>(w, x, [](float a, float b) { return EXPR; }); \
  }
CMP16_F(f, ((void)a, (void)b, false))
CMP16_F(lt, a < b)
CMP16_F(eq, a == b)
CMP16_F(le, a <= b)
CMP16_F(gt, a > b)
CMP16_F(lg, a<b || a> b)
CMP16_F(ge, a >= b)
CMP16_F(o, !std::isnan(a) && !std::isnan(b))
CMP16_F(u, std::isnan(a) || std::isnan(b))
CMP16_F(nge, !(a >= b))
CMP16_F(nlg, !(a < b || a > b))
CMP16_F(ngt, !(a > b))
CMP16_F(nle, !(a <= b))
CMP16_F(neq, !(a == b))
CMP16_F(nlt, !(a < b))
CMP16_F(t, ((void)a, (void)b, true))
#undef CMP16_F

void h_cmp_class_f32(Wave& w, const XInst& x) {
  const f32a* a = fsrc(w, x, 0, w.tmp[0]);
  const uint32_t* b = vs(w, x, 1, w.tmp[1]);
  uint32_t m = 0;
  for (unsigned l = 0; l < kLanes; ++l) m |= ((b[l] >> fclass<float>(a[l])) & 1u) << l;
  cmp_write(w, x, m);
}
void h_cmp_class_f64(Wave& w, const XInst& x) {
  const f64a* a = dsrc(w, x, 0, w.t64[0]);
  const uint32_t* b = vs(w, x, 1, w.tmp[1]);
  uint32_t m = 0;
  for (unsigned l = 0; l < kLanes; ++l) m |= ((b[l] >> fclass<double>(a[l])) & 1u) << l;
  cmp_write(w, x, m);
}

// ---- moves and lane ops ----------------------------------------------------------------
void h_nop(Wave&, const XInst&) {}
void h_mov_b32(Wave& w, const XInst& x) {
  if (x.abs | x.neg) {  // VOP3 float modifiers on a move (no denormal flush: a move is not arithmetic)
    const uint32_t* a = vs(w, x, 0, w.tmp[0]);
    uint32_t* r = w.tmp[3];
    for (unsigned l = 0; l < kLanes; ++l)
      r[l] = ((x.abs & 1) ? a[l] & 0x7FFFFFFFu : a[l]) ^ ((x.neg & 1) ? 0x80000000u : 0u);
    write_v(w, x.dst, r);
    return;
  }
  write_v(w, x.dst, vs(w, x, 0, w.tmp[0]));
}
void h_readfirstlane(Wave& w, const XInst& x) {
  const uint32_t e = w.exec();
  const unsigned lane = e ? std::countr_zero(e) : 0;
  w.s[x.dst] = lane_src(w, x, 0, lane);
}
void h_readlane(Wave& w, const XInst& x) { w.s[x.dst] = lane_src(w, x, 0, sv(w, x, 1) & 31); }
void h_writelane(Wave& w, const XInst& x) { w.v[x.dst - kVgpr0][sv(w, x, 1) & 31] = sv(w, x, 0); }
void h_swap_b32(Wave& w, const XInst& x) {
  if (x.kind[0] != K_VGPR) throw_shader_error(w, x, "v_swap_b32 needs a VGPR source");
  uint32_t* a = w.v[x.dst - kVgpr0];
  uint32_t* b = w.v[x.src[0] - kVgpr0];
  const uint32_t e = w.exec();
  for (unsigned l = 0; l < kLanes; ++l)
    if (e >> l & 1) std::swap(a[l], b[l]);
}
void h_cndmask(Wave& w, const XInst& x) {
  const uint32_t* a = vs(w, x, 0, w.tmp[0]);
  const uint32_t* b = vs(w, x, 1, w.tmp[1]);
  const uint32_t m = sv(w, x, 2);
  uint32_t* r = w.tmp[3];
  if (x.abs | x.neg) {  // float modifiers are legal on v_cndmask_b32_e64
    a = reinterpret_cast<const uint32_t*>(fsrc(w, x, 0, w.tmp[0]));
    b = reinterpret_cast<const uint32_t*>(fsrc(w, x, 1, w.tmp[1]));
  }
  for (unsigned l = 0; l < kLanes; ++l) r[l] = (m >> l & 1) ? b[l] : a[l];
  write_v(w, x.dst, r);
}
void h_mbcnt_lo(Wave& w, const XInst& x) {
  const uint32_t m = sv(w, x, 0);
  const uint32_t* b = vs(w, x, 1, w.tmp[1]);
  uint32_t* r = w.tmp[3];
  for (unsigned l = 0; l < kLanes; ++l) r[l] = std::popcount(m & ((1u << l) - 1u)) + b[l];
  write_v(w, x.dst, r);
}
void h_mbcnt_hi(Wave& w, const XInst& x) {  // wave32: lanes 0..31 have no bits in the high half
  write_v(w, x.dst, vs(w, x, 1, w.tmp[1]));
}

// ---- carry ops (VOP3SD / VOP2 with VCC) ---------------------------------------------
template <int Kind>
void h_addsub_co(Wave& w, const XInst& x) {
  // Kind: 0 add, 1 sub (a-b), 2 subrev (b-a); carry-in from src2 for the _ci forms (aux=1).
  const uint32_t* a = vs(w, x, 0, w.tmp[0]);
  const uint32_t* b = vs(w, x, 1, w.tmp[1]);
  const uint32_t cin = x.aux ? sv(w, x, 2) : 0;
  uint32_t* r = w.tmp[3];
  uint32_t carry = 0;
  for (unsigned l = 0; l < kLanes; ++l) {
    const uint64_t ci = (cin >> l) & 1;
    uint64_t res;
    bool c;
    if (Kind == 0) {
      res = static_cast<uint64_t>(a[l]) + b[l] + ci;
      c = res >> 32;
    } else {
      const uint64_t p = Kind == 1 ? a[l] : b[l], q = Kind == 1 ? b[l] : a[l];
      res = p - q - ci;
      c = q + ci > p;
    }
    r[l] = static_cast<uint32_t>(res);
    carry |= static_cast<uint32_t>(c) << l;
  }
  write_v(w, x.dst, r);
  w.s[x.sdst] = carry & w.exec();
}
template <bool Signed>
void h_mad64_32(Wave& w, const XInst& x) {
  uint32_t carry = 0;
  uint64_t* r = w.t64[3];
  for (unsigned l = 0; l < kLanes; ++l) {
    const uint32_t a = lane_src(w, x, 0, l), b = lane_src(w, x, 1, l);
    const uint64_t c = lane_src64(w, x, 2, l);
    if (Signed) {
      const __int128 p =
          static_cast<__int128>(static_cast<int64_t>(static_cast<int32_t>(a)) * static_cast<int32_t>(b)) +
          static_cast<int64_t>(c);
      r[l] = static_cast<uint64_t>(p);
      carry |= static_cast<uint32_t>(p > std::numeric_limits<int64_t>::max() || p < std::numeric_limits<int64_t>::min())
               << l;
    } else {
      const unsigned __int128 p = static_cast<unsigned __int128>(static_cast<uint64_t>(a) * b) + c;
      r[l] = static_cast<uint64_t>(p);
      carry |= static_cast<uint32_t>(p >> 64 != 0) << l;
    }
  }
  write_v64(w, x.dst, r);
  w.s[x.sdst] = carry & w.exec();
}

// ---- division helpers --------------------------------------------------------------------
inline int exp32(float f) { return (u_of(f) >> 23) & 0xFF; }
inline int exp64(double d) { return static_cast<int>((u_of(d) >> 52) & 0x7FF); }
inline bool denorm32(float f) { return std::fpclassify(f) == FP_SUBNORMAL; }
inline bool denorm64(double d) { return std::fpclassify(d) == FP_SUBNORMAL; }

void h_div_scale_f32(Wave& w, const XInst& x) {
  const f32a* s0 = fsrc(w, x, 0, w.tmp[0]);
  const f32a* s1 = fsrc(w, x, 1, w.tmp[1]);
  const f32a* s2 = fsrc(w, x, 2, w.tmp[2]);
  f32a* r = reinterpret_cast<f32a*>(w.tmp[3]);
  uint32_t vcc = 0;
  for (unsigned l = 0; l < kLanes; ++l) {
    float d = s0[l];
    bool v = false;
    const float a = s0[l], den = s1[l], num = s2[l];
    if (num == 0.0f || den == 0.0f) {
      d = std::numeric_limits<float>::quiet_NaN();
    } else if (exp32(num) - exp32(den) >= 96) {
      v = true;
      if (a == den) d = std::ldexp(a, 64);
    } else if (denorm32(den)) {
      d = std::ldexp(a, 64);
    } else if (denorm64(1.0 / static_cast<double>(den)) && denorm32(num / den)) {
      v = true;
      if (a == den) d = std::ldexp(a, 64);
    } else if (denorm64(1.0 / static_cast<double>(den))) {
      d = std::ldexp(a, -64);
    } else if (denorm32(num / den)) {
      v = true;
      if (a == num) d = std::ldexp(a, 64);
    } else if (exp32(num) <= 23) {
      d = std::ldexp(a, 64);
    }
    r[l] = d;
    vcc |= static_cast<uint32_t>(v) << l;
  }
  fout(w, x, w.tmp[3]);
  w.s[x.sdst] = vcc & w.exec();
}
void h_div_scale_f64(Wave& w, const XInst& x) {
  const f64a* s0 = dsrc(w, x, 0, w.t64[0]);
  const f64a* s1 = dsrc(w, x, 1, w.t64[1]);
  const f64a* s2 = dsrc(w, x, 2, w.t64[2]);
  f64a* r = reinterpret_cast<f64a*>(w.t64[3]);
  uint32_t vcc = 0;
  for (unsigned l = 0; l < kLanes; ++l) {
    double d = s0[l];
    bool v = false;
    const double a = s0[l], den = s1[l], num = s2[l];
    if (num == 0.0 || den == 0.0) {
      d = std::numeric_limits<double>::quiet_NaN();
    } else if (exp64(num) - exp64(den) >= 768) {
      v = true;
      if (a == den) d = std::ldexp(a, 128);
    } else if (denorm64(den)) {
      d = std::ldexp(a, 128);
    } else if (denorm64(1.0 / den) && denorm64(num / den)) {
      v = true;
      if (a == den) d = std::ldexp(a, 128);
    } else if (denorm64(1.0 / den)) {
      d = std::ldexp(a, -128);
    } else if (denorm64(num / den)) {
      v = true;
      if (a == num) d = std::ldexp(a, 128);
    } else if (exp64(num) <= 53) {
      d = std::ldexp(a, 128);
    }
    r[l] = d;
    vcc |= static_cast<uint32_t>(v) << l;
  }
  dout(w, x, w.t64[3]);
  w.s[x.sdst] = vcc & w.exec();
}
void h_div_fmas_f32(Wave& w, const XInst& x) {
  const uint32_t vcc = w.s[kVccLo];
  const f32a* a = fsrc(w, x, 0, w.tmp[0]);
  const f32a* b = fsrc(w, x, 1, w.tmp[1]);
  const f32a* c = fsrc(w, x, 2, w.tmp[2]);
  f32a* r = reinterpret_cast<f32a*>(w.tmp[3]);
  for (unsigned l = 0; l < kLanes; ++l) {
    const float f = std::fma(a[l], b[l], c[l]);
    r[l] = (vcc >> l & 1) ? std::ldexp(f, 32) : f;
  }
  fout(w, x, w.tmp[3]);
}
void h_div_fmas_f64(Wave& w, const XInst& x) {
  const uint32_t vcc = w.s[kVccLo];
  const f64a* a = dsrc(w, x, 0, w.t64[0]);
  const f64a* b = dsrc(w, x, 1, w.t64[1]);
  const f64a* c = dsrc(w, x, 2, w.t64[2]);
  f64a* r = reinterpret_cast<f64a*>(w.t64[3]);
  for (unsigned l = 0; l < kLanes; ++l) {
    const double f = std::fma(a[l], b[l], c[l]);
    r[l] = (vcc >> l & 1) ? std::ldexp(f, 64) : f;
  }
  dout(w, x, w.t64[3]);
}
template <class T>
T div_fixup(T q, T den, T num) {
  const bool sign_out = std::signbit(den) != std::signbit(num);
  const T inf = std::numeric_limits<T>::infinity();
  if (std::isnan(num)) return std::numeric_limits<T>::quiet_NaN();
  if (std::isnan(den)) return std::numeric_limits<T>::quiet_NaN();
  if (den == 0 && num == 0) return -std::numeric_limits<T>::quiet_NaN();
  if (std::isinf(den) && std::isinf(num)) return -std::numeric_limits<T>::quiet_NaN();
  if (den == 0 || std::isinf(num)) return sign_out ? -inf : inf;
  if (std::isinf(den) || num == 0) return sign_out ? T(-0.0) : T(0.0);
  int en, ed;
  if constexpr (sizeof(T) == 4) {
    en = exp32(num), ed = exp32(den);
    if (en - ed < -150) return sign_out ? T(-0.0) : T(0.0);
    if (ed == 255) return sign_out ? -inf : inf;
  } else {
    en = exp64(num), ed = exp64(den);
    if (en - ed < -1075) return sign_out ? T(-0.0) : T(0.0);
    if (ed == 2047) return sign_out ? -inf : inf;
  }
  return sign_out ? -std::fabs(q) : std::fabs(q);
}

// ---- float helpers -----------------------------------------------------------------------
template <class T>
T fract_hw(T v) {
  if (std::isinf(v)) return std::numeric_limits<T>::quiet_NaN();
  if (std::isnan(v)) return v;
  T f = v - std::floor(v);
  const T below_one = std::nextafter(T(1), T(0));
  return f < below_one ? f : below_one;
}
template <class T>
T frexp_mant(T v) {
  if (std::isnan(v) || std::isinf(v)) return v;
  int e;
  return std::frexp(v, &e);
}
template <class T>
int32_t frexp_exp(T v) {
  if (std::isnan(v) || std::isinf(v)) return 0;
  int e;
  std::frexp(v, &e);
  return e;
}
inline int ldexp_exp(uint32_t e) { return static_cast<int32_t>(e); }
float sin_rev(float v) { return static_cast<float>(std::sin(static_cast<double>(v) * 6.283185307179586)); }
float cos_rev(float v) { return static_cast<float>(std::cos(static_cast<double>(v) * 6.283185307179586)); }

// ---- 16-bit (low halves; op_sel picks the high half of a source / destination) -----------
template <class F>
inline void bin_u16(Wave& w, const XInst& x, F f) {
  const uint32_t* a = vs(w, x, 0, w.tmp[0]);
  const uint32_t* b = vs(w, x, 1, w.tmp[1]);
  uint32_t* r = w.tmp[3];
  const unsigned sa = (x.opsel & 1) ? 16 : 0, sb = (x.opsel & 2) ? 16 : 0;
  const uint32_t* d = w.v[x.dst - kVgpr0];
  const bool hi = x.opsel & 8;
  for (unsigned l = 0; l < kLanes; ++l) {
    const uint16_t v = f(static_cast<uint16_t>(a[l] >> sa), static_cast<uint16_t>(b[l] >> sb));
    r[l] = hi ? (d[l] & 0xFFFFu) | static_cast<uint32_t>(v) << 16 : (d[l] & 0xFFFF0000u) | v;
  }
  write_v(w, x.dst, r);
}
template <class F>
inline void tri_u16(Wave& w, const XInst& x, F f) {
  const uint32_t* a = vs(w, x, 0, w.tmp[0]);
  const uint32_t* b = vs(w, x, 1, w.tmp[1]);
  const uint32_t* c = vs(w, x, 2, w.tmp[2]);
  uint32_t* r = w.tmp[3];
  const unsigned sa = (x.opsel & 1) ? 16 : 0, sb = (x.opsel & 2) ? 16 : 0, sc = (x.opsel & 4) ? 16 : 0;
  const uint32_t* d = w.v[x.dst - kVgpr0];
  const bool hi = x.opsel & 8;
  for (unsigned l = 0; l < kLanes; ++l) {
    const uint16_t v =
        f(static_cast<uint16_t>(a[l] >> sa), static_cast<uint16_t>(b[l] >> sb), static_cast<uint16_t>(c[l] >> sc));
    r[l] = hi ? (d[l] & 0xFFFFu) | static_cast<uint32_t>(v) << 16 : (d[l] & 0xFFFF0000u) | v;
  }
  write_v(w, x.dst, r);
}
// 16-bit sources (op_sel picks halves), 32-bit result.
template <class F>
inline void tri_u16_u32(Wave& w, const XInst& x, F f) {
  const uint32_t* a = vs(w, x, 0, w.tmp[0]);
  const uint32_t* b = vs(w, x, 1, w.tmp[1]);
  const uint32_t* c = vs(w, x, 2, w.tmp[2]);
  uint32_t* r = w.tmp[3];
  const unsigned sa = (x.opsel & 1) ? 16 : 0, sb = (x.opsel & 2) ? 16 : 0;
  for (unsigned l = 0; l < kLanes; ++l)
    r[l] = f(static_cast<uint16_t>(a[l] >> sa), static_cast<uint16_t>(b[l] >> sb), c[l]);
  write_v(w, x.dst, r);
}
// f16 with op_sel (sources' and destination's halves) and abs/neg; computed in double, rounded once.
template <class F>
inline void f16_op(Wave& w, const XInst& x, F f) {
  const uint32_t* s[3];
  for (unsigned i = 0; i < x.nsrc && i < 3; ++i) s[i] = vs(w, x, i, w.tmp[i]);
  uint32_t* r = w.tmp[3];
  const uint32_t* d = w.v[x.dst - kVgpr0];
  const bool hi = x.opsel & 8;
  for (unsigned l = 0; l < kLanes; ++l) {
    double v[3] = {0, 0, 0};
    for (unsigned i = 0; i < x.nsrc && i < 3; ++i) {
      uint16_t h = static_cast<uint16_t>(s[i][l] >> ((x.opsel >> i & 1) ? 16 : 0));
      if (x.abs >> i & 1) h &= 0x7FFF;
      if (x.neg >> i & 1) h ^= 0x8000;
      v[i] = half_to_float(h);
    }
    uint16_t res = double_to_half(f(v[0], v[1], v[2]));
    if (x.clamp) {
      const float c = half_to_float(res);
      res = float_to_half(std::isnan(c) ? 0.0f : std::clamp(c, 0.0f, 1.0f));
    }
    r[l] = hi ? (d[l] & 0xFFFFu) | static_cast<uint32_t>(res) << 16 : (d[l] & 0xFFFF0000u) | res;
  }
  write_v(w, x.dst, r);
}
template <class F>
inline void bin_f16(Wave& w, const XInst& x, F f) {
  bin_u16(w, x, [&](uint16_t a, uint16_t b) -> uint16_t {
    if (x.abs & 1) a &= 0x7FFF;
    if (x.abs & 2) b &= 0x7FFF;
    if (x.neg & 1) a ^= 0x8000;
    if (x.neg & 2) b ^= 0x8000;
    return double_to_half(f(double(half_to_float(a)), double(half_to_float(b))));  // one rounding
  });
}
// Packed 16-bit ops (VOP3P): op_sel picks each source's half for the low result,
// op_sel_hi for the high result; neg/neg_hi negate f16 inputs.
template <bool Float, class F>
inline void pk16(Wave& w, const XInst& x, F f) {
  uint32_t* r = w.tmp[3];
  const unsigned n = x.nsrc;
  const uint32_t* s[3];
  for (unsigned i = 0; i < n; ++i) s[i] = vs(w, x, i, w.tmp[i]);
  for (unsigned l = 0; l < kLanes; ++l) {
    uint16_t lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
    for (unsigned i = 0; i < n; ++i) {
      lo[i] = static_cast<uint16_t>(s[i][l] >> ((x.opsel >> i & 1) ? 16 : 0));
      hi[i] = static_cast<uint16_t>(s[i][l] >> ((x.opsel_hi >> i & 1) ? 16 : 0));
      if (Float) {
        if (x.neg >> i & 1) lo[i] ^= 0x8000;
        if (x.neg_hi >> i & 1) hi[i] ^= 0x8000;
      }
    }
    r[l] = static_cast<uint32_t>(f(lo[0], lo[1], lo[2])) | static_cast<uint32_t>(f(hi[0], hi[1], hi[2])) << 16;
  }
  write_v(w, x.dst, r);
}
#define PKI(NAME, EXPR)                                                    \
  void h_pk_##NAME(Wave& w, const XInst& x) {                              \
    pk16<false>(w, x, [](uint16_t a, uint16_t b, uint16_t c) -> uint16_t { \
      (void)c;                                                             \
      return EXPR;                                                         \
    });                                                                    \
  }
PKI(add_u16, a + b)
PKI(sub_u16, a - b)
PKI(add_i16, a + b)
PKI(sub_i16, a - b)
PKI(mul_lo_u16, a* b)
PKI(lshlrev_b16, b << (a & 15))
PKI(lshrrev_b16, b >> (a & 15))
PKI(ashrrev_i16, static_cast<int16_t>(b) >> (a & 15))
PKI(max_u16, a > b ? a : b)
PKI(min_u16, a < b ? a : b)
PKI(max_i16, static_cast<int16_t>(a) > static_cast<int16_t>(b) ? a : b)
PKI(min_i16, static_cast<int16_t>(a) < static_cast<int16_t>(b) ? a : b)
PKI(mad_u16, a* b + c)
PKI(mad_i16, a* b + c)
#undef PKI
#define PKF(NAME, EXPR)                                                                \
  void h_pk_##NAME(Wave& w, const XInst& x) {                                          \
    pk16<true>(w, x, [](uint16_t ha, uint16_t hb, uint16_t hc) -> uint16_t {           \
      const float a = half_to_float(ha), b = half_to_float(hb), c = half_to_float(hc); \
      (void)c;                                                                         \
      return float_to_half(EXPR);                                                      \
    });                                                                                \
  }
PKF(add_f16, a + b)
PKF(mul_f16, a* b)
PKF(fma_f16, static_cast<float>(std::fma(static_cast<double>(a), static_cast<double>(b), static_cast<double>(c))))
PKF(min_f16, fmin_hw(a, b))
PKF(max_f16, fmax_hw(a, b))
#undef PKF

}  // namespace

// ---- fast paths for the GEMM inner loop (FMA ISA when the host has it) ---------------------
static void fma_f32_generic(Wave& w, const XInst& x);
__attribute__((target("avx2,fma"))) static void fma_f32_fma(Wave& w, const XInst& x);
__attribute__((target("avx2,fma"))) static void vop2_fmac_vv_fma(Wave& w, const XInst& x) {
  if (w.ftz32) return fma_f32_fma(w, x);  // MODE changed at run time (s_setreg / s_denorm_mode)
  const float* a = reinterpret_cast<const f32a*>(w.v[x.src[0] - kVgpr0]);
  const float* b = reinterpret_cast<const f32a*>(w.v[x.src[1] - kVgpr0]);
  f32a* d = reinterpret_cast<f32a*>(w.v[x.dst - kVgpr0]);
  const uint32_t e = w.exec();
  if (e == 0xFFFFFFFFu) {
    for (unsigned l = 0; l < kLanes; ++l) d[l] = __builtin_fmaf(a[l], b[l], d[l]);
  } else {
    for (unsigned l = 0; l < kLanes; ++l) {
      const float r = __builtin_fmaf(a[l], b[l], d[l]);
      d[l] = (e >> l & 1) ? r : d[l];
    }
  }
}
static void vop2_fmac_vv_generic(Wave& w, const XInst& x) {
  if (w.ftz32) return fma_f32_generic(w, x);
  const float* a = reinterpret_cast<const f32a*>(w.v[x.src[0] - kVgpr0]);
  const float* b = reinterpret_cast<const f32a*>(w.v[x.src[1] - kVgpr0]);
  f32a* d = reinterpret_cast<f32a*>(w.v[x.dst - kVgpr0]);
  const uint32_t e = w.exec();
  for (unsigned l = 0; l < kLanes; ++l)
    if (e >> l & 1) d[l] = std::fma(a[l], b[l], d[l]);
}
__attribute__((target("avx2,fma"))) static void vopd_fmac_fmac_fma(Wave& w, const XInst& x) {
  if (w.ftz32) {
    fma_f32_fma(w, *x.xa);
    fma_f32_fma(w, *x.xb);
    return;
  }
  const XInst& p = *x.xa;
  const XInst& q = *x.xb;
  const float* a0 = reinterpret_cast<const f32a*>(w.v[p.src[0] - kVgpr0]);
  const float* b0 = reinterpret_cast<const f32a*>(w.v[p.src[1] - kVgpr0]);
  f32a* d0 = reinterpret_cast<f32a*>(w.v[p.dst - kVgpr0]);
  const float* a1 = reinterpret_cast<const f32a*>(w.v[q.src[0] - kVgpr0]);
  const float* b1 = reinterpret_cast<const f32a*>(w.v[q.src[1] - kVgpr0]);
  f32a* d1 = reinterpret_cast<f32a*>(w.v[q.dst - kVgpr0]);
  const uint32_t e = w.exec();
  if (e == 0xFFFFFFFFu) {
    // Both halves read their sources before either writes (hazard-free by construction).
    for (unsigned l = 0; l < kLanes; ++l) d0[l] = __builtin_fmaf(a0[l], b0[l], d0[l]);
    for (unsigned l = 0; l < kLanes; ++l) d1[l] = __builtin_fmaf(a1[l], b1[l], d1[l]);
  } else {
    for (unsigned l = 0; l < kLanes; ++l) {
      const float r = __builtin_fmaf(a0[l], b0[l], d0[l]);
      d0[l] = (e >> l & 1) ? r : d0[l];
    }
    for (unsigned l = 0; l < kLanes; ++l) {
      const float r = __builtin_fmaf(a1[l], b1[l], d1[l]);
      d1[l] = (e >> l & 1) ? r : d1[l];
    }
  }
}
static void vopd_fmac_fmac_generic(Wave& w, const XInst& x) {
  vop2_fmac_vv_generic(w, *x.xa);
  vop2_fmac_vv_generic(w, *x.xb);
}
// Generic v_fma_f32 family (any operand kinds, modifiers): FMA ISA when present.
__attribute__((target("avx2,fma"))) void fma_f32_fma(Wave& w, const XInst& x) {
  tri_f32(w, x, [](float a, float b, float c) { return __builtin_fmaf(a, b, c); });
}
void fma_f32_generic(Wave& w, const XInst& x) {
  tri_f32(w, x, [](float a, float b, float c) { return std::fma(a, b, c); });
}
bool have_fma_isa() {
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return yes;
}
Handler vopd_fmac_fmac = nullptr;
Handler vop2_fmac_vv = nullptr;

void register_valu_ops() {
  vopd_fmac_fmac = have_fma_isa() ? vopd_fmac_fmac_fma : vopd_fmac_fmac_generic;
  vop2_fmac_vv = have_fma_isa() ? vop2_fmac_vv_fma : vop2_fmac_vv_generic;
  auto R = [](const char* n, Handler h, uint8_t flags = 0, uint8_t fma = 0) { register_op(n, h, C_VALU, flags, fma); };
#define V(NAME, BODY, ...) R(NAME, [](Wave& w, const XInst& x) { BODY; } __VA_OPT__(, ) __VA_ARGS__)

  R("v_nop", h_nop);
  R("v_pipeflush", h_nop);
  R("v_mov_b32", h_mov_b32);
  R("v_readfirstlane_b32", h_readfirstlane);
  R("v_readlane_b32", h_readlane);
  R("v_writelane_b32", h_writelane);
  R("v_swap_b32", h_swap_b32);
  R("v_cndmask_b32", h_cndmask);
  R("v_mbcnt_lo_u32_b32", h_mbcnt_lo);
  R("v_mbcnt_hi_u32_b32", h_mbcnt_hi);

  // Integer.
  // The VOP3 clamp bit saturates integer adds and subtracts.
  V("v_add_nc_u32", if (x.clamp) bin_u32(w, x, [](uint32_t a, uint32_t b) { return a + b < a ? 0xFFFFFFFFu : a + b; });
    else bin_u32(w, x, [](uint32_t a, uint32_t b) { return a + b; }));
  V("v_sub_nc_u32", if (x.clamp) bin_u32(w, x, [](uint32_t a, uint32_t b) { return a > b ? a - b : 0u; });
    else bin_u32(w, x, [](uint32_t a, uint32_t b) { return a - b; }));
  V("v_subrev_nc_u32", if (x.clamp) bin_u32(w, x, [](uint32_t a, uint32_t b) { return b > a ? b - a : 0u; });
    else bin_u32(w, x, [](uint32_t a, uint32_t b) { return b - a; }));
  V("v_add_nc_i32", if (x.clamp) bin_u32(w, x,
                                         [](uint32_t a, uint32_t b) {
                                           const int64_t r = int64_t(int32_t(a)) + int32_t(b);
                                           return uint32_t(int32_t(std::clamp<int64_t>(r, INT32_MIN, INT32_MAX)));
                                         });
    else bin_u32(w, x, [](uint32_t a, uint32_t b) { return a + b; }));
  V("v_sub_nc_i32", if (x.clamp) bin_u32(w, x,
                                         [](uint32_t a, uint32_t b) {
                                           const int64_t r = int64_t(int32_t(a)) - int32_t(b);
                                           return uint32_t(int32_t(std::clamp<int64_t>(r, INT32_MIN, INT32_MAX)));
                                         });
    else bin_u32(w, x, [](uint32_t a, uint32_t b) { return a - b; }));
  V("v_mul_lo_u32", bin_u32(w, x, [](uint32_t a, uint32_t b) { return a * b; }));
  V("v_mul_hi_u32",
    bin_u32(w, x, [](uint32_t a, uint32_t b) { return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32); }));
  V("v_mul_hi_i32", bin_u32(w, x, [](uint32_t a, uint32_t b) {
      return static_cast<uint32_t>(
          static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(a)) * static_cast<int32_t>(b)) >> 32);
    }));
  V("v_mul_u32_u24", bin_u32(w, x, [](uint32_t a, uint32_t b) { return (a & 0xFFFFFF) * (b & 0xFFFFFF); }));
  V("v_mul_hi_u32_u24", bin_u32(w, x, [](uint32_t a, uint32_t b) {
      return static_cast<uint32_t>((static_cast<uint64_t>(a & 0xFFFFFF) * (b & 0xFFFFFF)) >> 32);
    }));
  V("v_mul_i32_i24", bin_u32(w, x, [](uint32_t a, uint32_t b) {
      return static_cast<uint32_t>((static_cast<int32_t>(a << 8) >> 8) * (static_cast<int32_t>(b << 8) >> 8));
    }));
  V("v_mul_hi_i32_i24", bin_u32(w, x, [](uint32_t a, uint32_t b) {
      return static_cast<uint32_t>(static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(a << 8) >> 8) *
                                                         (static_cast<int32_t>(b << 8) >> 8)) >>
                                   32);
    }));
  V("v_mad_u32_u24",
    tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return (a & 0xFFFFFF) * (b & 0xFFFFFF) + c; }));
  V("v_mad_i32_i24", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) {
      return static_cast<uint32_t>((static_cast<int32_t>(a << 8) >> 8) * (static_cast<int32_t>(b << 8) >> 8)) + c;
    }));
  V("v_and_b32", bin_u32(w, x, [](uint32_t a, uint32_t b) { return a & b; }));
  V("v_or_b32", bin_u32(w, x, [](uint32_t a, uint32_t b) { return a | b; }));
  V("v_xor_b32", bin_u32(w, x, [](uint32_t a, uint32_t b) { return a ^ b; }));
  V("v_xnor_b32", bin_u32(w, x, [](uint32_t a, uint32_t b) { return ~(a ^ b); }));
  V("v_not_b32", un_u32(w, x, [](uint32_t a) { return ~a; }));
  V("v_bfrev_b32", un_u32(w, x, [](uint32_t a) {
      uint32_t r = 0;
      for (int i = 0; i < 32; ++i) r |= ((a >> i) & 1u) << (31 - i);
      return r;
    }));
  V("v_clz_i32_u32",
    un_u32(w, x, [](uint32_t a) { return a ? static_cast<uint32_t>(std::countl_zero(a)) : 0xFFFFFFFFu; }));
  V("v_ctz_i32_b32",
    un_u32(w, x, [](uint32_t a) { return a ? static_cast<uint32_t>(std::countr_zero(a)) : 0xFFFFFFFFu; }));
  V("v_cls_i32", un_u32(w, x, [](uint32_t a) {
      const uint32_t v = (a >> 31) ? ~a : a;
      return (v == 0) ? 0xFFFFFFFFu : static_cast<uint32_t>(std::countl_zero(v));
    }));
  V("v_lshlrev_b32", bin_u32(w, x, [](uint32_t a, uint32_t b) { return b << (a & 31); }));
  V("v_lshrrev_b32", bin_u32(w, x, [](uint32_t a, uint32_t b) { return b >> (a & 31); }));
  V("v_ashrrev_i32",
    bin_u32(w, x, [](uint32_t a, uint32_t b) { return static_cast<uint32_t>(static_cast<int32_t>(b) >> (a & 31)); }));
  V("v_lshlrev_b64", lane64(w, x, [&](unsigned l) { return lane_src64(w, x, 1, l) << (lane_src(w, x, 0, l) & 63); }));
  V("v_lshrrev_b64", lane64(w, x, [&](unsigned l) { return lane_src64(w, x, 1, l) >> (lane_src(w, x, 0, l) & 63); }));
  V("v_ashrrev_i64", lane64(w, x, [&](unsigned l) {
      return static_cast<uint64_t>(static_cast<int64_t>(lane_src64(w, x, 1, l)) >> (lane_src(w, x, 0, l) & 63));
    }));
  V("v_min_u32", bin_u32(w, x, [](uint32_t a, uint32_t b) { return a < b ? a : b; }));
  V("v_max_u32", bin_u32(w, x, [](uint32_t a, uint32_t b) { return a > b ? a : b; }));
  V("v_min_i32",
    bin_u32(w, x, [](uint32_t a, uint32_t b) { return static_cast<int32_t>(a) < static_cast<int32_t>(b) ? a : b; }));
  V("v_max_i32",
    bin_u32(w, x, [](uint32_t a, uint32_t b) { return static_cast<int32_t>(a) > static_cast<int32_t>(b) ? a : b; }));
  V("v_min3_u32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return std::min(std::min(a, b), c); }));
  V("v_max3_u32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return std::max(std::max(a, b), c); }));
  V("v_med3_u32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) {
      return std::max(std::min(a, b), std::min(std::max(a, b), c));
    }));
  V("v_min3_i32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) {
      return static_cast<uint32_t>(
          std::min(std::min(static_cast<int32_t>(a), static_cast<int32_t>(b)), static_cast<int32_t>(c)));
    }));
  V("v_max3_i32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) {
      return static_cast<uint32_t>(
          std::max(std::max(static_cast<int32_t>(a), static_cast<int32_t>(b)), static_cast<int32_t>(c)));
    }));
  V("v_med3_i32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) {
      const int32_t p = a, q = b, r = c;
      return static_cast<uint32_t>(std::max(std::min(p, q), std::min(std::max(p, q), r)));
    }));
  V("v_maxmin_u32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return std::min(std::max(a, b), c); }));
  V("v_minmax_u32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return std::max(std::min(a, b), c); }));
  V("v_maxmin_i32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) {
      return static_cast<uint32_t>(
          std::min(std::max(static_cast<int32_t>(a), static_cast<int32_t>(b)), static_cast<int32_t>(c)));
    }));
  V("v_minmax_i32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) {
      return static_cast<uint32_t>(
          std::max(std::min(static_cast<int32_t>(a), static_cast<int32_t>(b)), static_cast<int32_t>(c)));
    }));
  V("v_bfe_u32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) {
      const uint32_t off = b & 31, wd = c & 31;
      return wd == 0 ? 0u : (a >> off) & (wd == 32 ? 0xFFFFFFFFu : ((1u << wd) - 1u));
    }));
  V("v_bfe_i32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) {
      const uint32_t off = b & 31, wd = c & 31;
      if (wd == 0) return 0u;
      const uint32_t v = (a >> off) & ((1u << wd) - 1u);
      return static_cast<uint32_t>(static_cast<int32_t>(v << (32 - wd)) >> (32 - wd));
    }));
  V("v_bfi_b32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return (a & b) | (~a & c); }));
  V("v_bfm_b32", bin_u32(w, x, [](uint32_t a, uint32_t b) { return ((1u << (a & 31)) - 1u) << (b & 31); }));
  V("v_alignbit_b32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) {
      return static_cast<uint32_t>(((static_cast<uint64_t>(a) << 32) | b) >> (c & 31));
    }));
  V("v_alignbyte_b32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) {
      return static_cast<uint32_t>(((static_cast<uint64_t>(a) << 32) | b) >> (8 * (c & 3)));
    }));
  V("v_lshl_add_u32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return (a << (b & 31)) + c; }));
  V("v_add_lshl_u32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return (a + b) << (c & 31); }));
  V("v_lshl_or_b32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return (a << (b & 31)) | c; }));
  V("v_and_or_b32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return (a & b) | c; }));
  V("v_or3_b32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return a | b | c; }));
  V("v_xor3_b32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return a ^ b ^ c; }));
  V("v_add3_u32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return a + b + c; }));
  V("v_xad_u32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return (a ^ b) + c; }));
  V("v_bcnt_u32_b32",
    bin_u32(w, x, [](uint32_t a, uint32_t b) { return static_cast<uint32_t>(std::popcount(a)) + b; }));
  V("v_perm_b32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) {
      const uint64_t data = (static_cast<uint64_t>(a) << 32) | b;
      uint32_t r = 0;
      for (int i = 0; i < 4; ++i) {
        const uint32_t sel = (c >> (8 * i)) & 0xFF;
        uint32_t byte;
        if (sel >= 13)
          byte = 0xFF;
        else if (sel == 12)
          byte = 0;
        else if (sel >= 8)
          byte = ((data >> (16 * (sel - 8) + 15)) & 1) ? 0xFF : 0;
        else
          byte = (data >> (8 * sel)) & 0xFF;
        r |= byte << (8 * i);
      }
      return r;
    }));
  V("v_sad_u32", tri_u32(w, x, [](uint32_t a, uint32_t b, uint32_t c) { return (a > b ? a - b : b - a) + c; }));
  R("v_add_co_u32", h_addsub_co<0>);
  R("v_sub_co_u32", h_addsub_co<1>);
  R("v_subrev_co_u32", h_addsub_co<2>);
  R("v_add_co_ci_u32", h_addsub_co<0>);
  R("v_sub_co_ci_u32", h_addsub_co<1>);
  R("v_subrev_co_ci_u32", h_addsub_co<2>);
  R("v_mad_u64_u32", h_mad64_32<false>);
  R("v_mad_i64_i32", h_mad64_32<true>);

  // 16-bit.
  V("v_add_nc_u16", bin_u16(w, x, [](uint16_t a, uint16_t b) -> uint16_t { return a + b; }));
  V("v_sub_nc_u16", bin_u16(w, x, [](uint16_t a, uint16_t b) -> uint16_t { return a - b; }));
  V("v_add_nc_i16", bin_u16(w, x, [](uint16_t a, uint16_t b) -> uint16_t { return a + b; }));
  V("v_sub_nc_i16", bin_u16(w, x, [](uint16_t a, uint16_t b) -> uint16_t { return a - b; }));
  V("v_mul_lo_u16", bin_u16(w, x, [](uint16_t a, uint16_t b) -> uint16_t { return a * b; }));
  V("v_lshlrev_b16", bin_u16(w, x, [](uint16_t a, uint16_t b) -> uint16_t { return b << (a & 15); }));
  V("v_lshrrev_b16", bin_u16(w, x, [](uint16_t a, uint16_t b) -> uint16_t { return b >> (a & 15); }));
  V("v_ashrrev_i16",
    bin_u16(w, x, [](uint16_t a, uint16_t b) -> uint16_t { return static_cast<int16_t>(b) >> (a & 15); }));
  V("v_max_u16", bin_u16(w, x, [](uint16_t a, uint16_t b) -> uint16_t { return a > b ? a : b; }));
  V("v_min_u16", bin_u16(w, x, [](uint16_t a, uint16_t b) -> uint16_t { return a < b ? a : b; }));
  V("v_max_i16", bin_u16(w, x, [](uint16_t a, uint16_t b) -> uint16_t {
      return static_cast<int16_t>(a) > static_cast<int16_t>(b) ? a : b;
    }));
  V("v_min_i16", bin_u16(w, x, [](uint16_t a, uint16_t b) -> uint16_t {
      return static_cast<int16_t>(a) < static_cast<int16_t>(b) ? a : b;
    }));
  V("v_fma_f16", f16_op(w, x, [](double a, double b, double c) { return a * b + c; }), F_FP16, 1);
  V("v_fmac_f16", f16_op(w, x, [](double a, double b, double c) { return a * b + c; }), F_FP16, 1);
  V("v_fmamk_f16", f16_op(w, x, [](double a, double b, double c) { return a * b + c; }), F_FP16, 1);
  V("v_fmaak_f16", f16_op(w, x, [](double a, double b, double c) { return a * b + c; }), F_FP16, 1);
  V("v_sqrt_f16", f16_op(w, x, [](double a, double, double) { return std::sqrt(a); }), F_FP16);
  V("v_rcp_f16", f16_op(w, x, [](double a, double, double) { return 1.0 / a; }), F_FP16);
  V("v_rsq_f16", f16_op(w, x, [](double a, double, double) { return 1.0 / std::sqrt(a); }), F_FP16);
  V("v_exp_f16", f16_op(w, x, [](double a, double, double) { return std::exp2(a); }), F_FP16);
  V("v_log_f16", f16_op(w, x, [](double a, double, double) { return std::log2(a); }), F_FP16);
  V(
      "v_ldexp_f16",
      {
        const uint32_t* a = vs(w, x, 0, w.tmp[0]);
        const uint32_t* b = vs(w, x, 1, w.tmp[1]);
        uint32_t* r = w.tmp[3];
        const uint32_t* d = w.v[x.dst - kVgpr0];
        for (unsigned l = 0; l < kLanes; ++l) {
          const double v = std::ldexp(double(half_to_float(static_cast<uint16_t>(a[l]))),
                                      std::clamp(int32_t(int16_t(b[l])), -100, 100));
          r[l] = (d[l] & 0xFFFF0000u) | double_to_half(v);
        }
        write_v(w, x.dst, r);
      },
      F_FP16);
  // Relative (M0-indexed) VGPR moves: register arrays indexed at run time.
  V("v_movreld_b32", {
    const unsigned idx = x.dst - kVgpr0 + w.s[isa::kM0];
    if (idx > 255)
      throw_shader_error(w, x,
                         "v_movreld_b32 destination v" + std::to_string(idx) +
                             " (M0 = " + std::to_string(w.s[isa::kM0]) + ") is beyond v255");
    const uint32_t* a = vs(w, x, 0, w.tmp[0]);
    const uint32_t e = w.exec();
    for (unsigned l = 0; l < kLanes; ++l)
      if (e >> l & 1) w.v[idx][l] = a[l];
  });
  V("v_movrels_b32", {
    const unsigned idx = x.src[0] - kVgpr0 + w.s[isa::kM0];
    if (x.kind[0] != K_VGPR || idx > 255) throw_shader_error(w, x, "v_movrels_b32 source outside v0..v255");
    std::memcpy(w.tmp[0], w.v[idx], sizeof(uint32_t) * kLanes);
    write_v(w, x.dst, w.tmp[0]);
  });
  V("v_movrelsd_b32", {
    const unsigned si = x.src[0] - kVgpr0 + w.s[isa::kM0];
    const unsigned di = x.dst - kVgpr0 + w.s[isa::kM0];
    if (x.kind[0] != K_VGPR || si > 255 || di > 255)
      throw_shader_error(w, x, "v_movrelsd_b32 register outside v0..v255");
    std::memcpy(w.tmp[0], w.v[si], sizeof(uint32_t) * kLanes);
    const uint32_t e = w.exec();
    for (unsigned l = 0; l < kLanes; ++l)
      if (e >> l & 1) w.v[di][l] = w.tmp[0][l];
  });
  V("v_movrelsd_2_b32", {
    const unsigned si = x.src[0] - kVgpr0 + (w.s[isa::kM0] & 0x3FF);
    const unsigned di = x.dst - kVgpr0 + ((w.s[isa::kM0] >> 16) & 0x3FF);
    if (x.kind[0] != K_VGPR || si > 255 || di > 255)
      throw_shader_error(w, x, "v_movrelsd_2_b32 register outside v0..v255");
    std::memcpy(w.tmp[0], w.v[si], sizeof(uint32_t) * kLanes);
    const uint32_t e = w.exec();
    for (unsigned l = 0; l < kLanes; ++l)
      if (e >> l & 1) w.v[di][l] = w.tmp[0][l];
  });
  V("v_mad_u16", tri_u16(w, x, [](uint16_t a, uint16_t b, uint16_t c) -> uint16_t { return a * b + c; }));
  V("v_mad_i16", tri_u16(w, x, [](uint16_t a, uint16_t b, uint16_t c) -> uint16_t { return a * b + c; }));
  V("v_mad_u32_u16", tri_u16_u32(w, x, [](uint16_t a, uint16_t b, uint32_t c) { return uint32_t(a) * b + c; }));
  V("v_mad_i32_i16", tri_u16_u32(w, x, [](uint16_t a, uint16_t b, uint32_t c) {
      return uint32_t(int32_t(int16_t(a)) * int16_t(b)) + c;
    }));
  V("v_min3_u16",
    tri_u16(w, x, [](uint16_t a, uint16_t b, uint16_t c) -> uint16_t { return std::min(std::min(a, b), c); }));
  V("v_max3_u16",
    tri_u16(w, x, [](uint16_t a, uint16_t b, uint16_t c) -> uint16_t { return std::max(std::max(a, b), c); }));
  V("v_med3_u16", tri_u16(w, x, [](uint16_t a, uint16_t b, uint16_t c) -> uint16_t {
      return std::max(std::min(a, b), std::min(std::max(a, b), c));
    }));
  V("v_min3_i16", tri_u16(w, x, [](uint16_t a, uint16_t b, uint16_t c) -> uint16_t {
      return uint16_t(std::min(std::min(int16_t(a), int16_t(b)), int16_t(c)));
    }));
  V("v_max3_i16", tri_u16(w, x, [](uint16_t a, uint16_t b, uint16_t c) -> uint16_t {
      return uint16_t(std::max(std::max(int16_t(a), int16_t(b)), int16_t(c)));
    }));
  V("v_med3_i16", tri_u16(w, x, [](uint16_t a, uint16_t b, uint16_t c) -> uint16_t {
      const int16_t p = int16_t(a), q = int16_t(b), r = int16_t(c);
      return uint16_t(std::max(std::min(p, q), std::min(std::max(p, q), r)));
    }));
  V("v_pack_b32_f16", {
    const uint32_t* a = vs(w, x, 0, w.tmp[0]);
    const uint32_t* b = vs(w, x, 1, w.tmp[1]);
    uint32_t* r = w.tmp[3];
    const unsigned sa = (x.opsel & 1) ? 16 : 0;
    const unsigned sb = (x.opsel & 2) ? 16 : 0;
    for (unsigned l = 0; l < kLanes; ++l) r[l] = ((a[l] >> sa) & 0xFFFFu) | ((b[l] >> sb) & 0xFFFFu) << 16;
    write_v(w, x.dst, r);
  });
  V("v_cvt_f16_u16", bin_u16(w, x, [](uint16_t a, uint16_t) -> uint16_t { return float_to_half(float(a)); }));
  V("v_cvt_f16_i16", bin_u16(w, x, [](uint16_t a, uint16_t) -> uint16_t { return float_to_half(float(int16_t(a))); }));
  V("v_cvt_u16_f16", bin_u16(w, x, [](uint16_t a, uint16_t) -> uint16_t {
      const float v = half_to_float(a);
      return std::isnan(v) || v <= 0 ? 0 : v >= 65535.0f ? 0xFFFF : uint16_t(v);
    }));
  V("v_cvt_i16_f16", bin_u16(w, x, [](uint16_t a, uint16_t) -> uint16_t {
      const float v = half_to_float(a);
      return std::isnan(v) ? 0 : uint16_t(int16_t(std::clamp(v, -32768.0f, 32767.0f)));
    }));
  V("v_add_f16", bin_f16(w, x, [](double a, double b) { return a + b; }), F_FP16);
  V("v_sub_f16", bin_f16(w, x, [](double a, double b) { return a - b; }), F_FP16);
  V("v_subrev_f16", bin_f16(w, x, [](double a, double b) { return b - a; }), F_FP16);
  V("v_mul_f16", bin_f16(w, x, [](double a, double b) { return a * b; }), F_FP16);
  V("v_max_f16", bin_f16(w, x, [](double a, double b) { return fmax_hw(a, b); }), F_FP16);
  V("v_min_f16", bin_f16(w, x, [](double a, double b) { return fmin_hw(a, b); }), F_FP16);
  V(
      "v_cvt_f32_f16",
      {
        const uint32_t* a = vs(w, x, 0, w.tmp[0]);
        f32a* r = reinterpret_cast<f32a*>(w.tmp[3]);
        const unsigned sh = (x.opsel & 1) ? 16 : 0;  // op_sel: the high half of the source
        for (unsigned l = 0; l < kLanes; ++l) {
          uint16_t h = static_cast<uint16_t>(a[l] >> sh);
          if (x.abs & 1) h &= 0x7FFF;
          if (x.neg & 1) h ^= 0x8000;
          r[l] = half_to_float(h);
        }
        fout(w, x, w.tmp[3]);
      },
      F_FP16);
  V("v_cvt_f16_f32", {
    const f32a* a = fsrc(w, x, 0, w.tmp[0]);
    uint32_t* r = w.tmp[3];
    const uint32_t* d = w.v[x.dst - kVgpr0];
    if (x.opsel & 8)  // op_sel: write the high half of the destination
      for (unsigned l = 0; l < kLanes; ++l) r[l] = (d[l] & 0xFFFFu) | static_cast<uint32_t>(float_to_half(a[l])) << 16;
    else
      for (unsigned l = 0; l < kLanes; ++l) r[l] = (d[l] & 0xFFFF0000u) | float_to_half(a[l]);
    write_v(w, x.dst, r);
  });
  V("v_cvt_pk_rtz_f16_f32", {
    const f32a* a = fsrc(w, x, 0, w.tmp[0]);
    const f32a* b = fsrc(w, x, 1, w.tmp[1]);
    uint32_t* r = w.tmp[3];
    for (unsigned l = 0; l < kLanes; ++l)
      r[l] = float_to_half(a[l], true) | static_cast<uint32_t>(float_to_half(b[l], true)) << 16;
    write_v(w, x.dst, r);
  });
  V("v_cvt_u32_u16", un_u32(w, x, [](uint32_t a) { return a & 0xFFFF; }));
  V("v_cvt_i32_i16",
    un_u32(w, x, [](uint32_t a) { return static_cast<uint32_t>(static_cast<int32_t>(static_cast<int16_t>(a))); }));
  V("v_cvt_pk_u16_u32", bin_u32(w, x, [](uint32_t a, uint32_t b) { return (a & 0xFFFF) | (b << 16); }));
  V("v_cvt_pk_i16_i32", bin_u32(w, x, [](uint32_t a, uint32_t b) { return (a & 0xFFFF) | (b << 16); }));

  // Packed 16-bit (VOP3P).
  R("v_pk_add_u16", h_pk_add_u16);
  R("v_pk_sub_u16", h_pk_sub_u16);
  R("v_pk_add_i16", h_pk_add_i16);
  R("v_pk_sub_i16", h_pk_sub_i16);
  R("v_pk_mul_lo_u16", h_pk_mul_lo_u16);
  R("v_pk_lshlrev_b16", h_pk_lshlrev_b16);
  R("v_pk_lshrrev_b16", h_pk_lshrrev_b16);
  R("v_pk_ashrrev_i16", h_pk_ashrrev_i16);
  R("v_pk_max_u16", h_pk_max_u16);
  R("v_pk_min_u16", h_pk_min_u16);
  R("v_pk_max_i16", h_pk_max_i16);
  R("v_pk_min_i16", h_pk_min_i16);
  R("v_pk_mad_u16", h_pk_mad_u16);
  R("v_pk_mad_i16", h_pk_mad_i16);
  R("v_pk_add_f16", h_pk_add_f16, F_FP16);
  R("v_pk_mul_f16", h_pk_mul_f16, F_FP16);
  R("v_pk_fma_f16", h_pk_fma_f16, F_FP16, 2);
  R("v_pk_min_f16", h_pk_min_f16, F_FP16);
  R("v_pk_max_f16", h_pk_max_f16, F_FP16);

  // f32.
  V("v_add_f32", bin_f32(w, x, [](float a, float b) { return a + b; }));
  V("v_sub_f32", bin_f32(w, x, [](float a, float b) { return a - b; }));
  V("v_subrev_f32", bin_f32(w, x, [](float a, float b) { return b - a; }));
  V("v_mul_f32", bin_f32(w, x, [](float a, float b) { return a * b; }));
  V("v_mul_dx9_zero_f32", bin_f32(w, x, [](float a, float b) { return (a == 0.0f || b == 0.0f) ? 0.0f : a * b; }));
  V("v_min_f32", bin_f32(w, x, [](float a, float b) { return fmin_hw(a, b); }));
  V("v_max_f32", bin_f32(w, x, [](float a, float b) { return fmax_hw(a, b); }));
  const Handler fma32 = have_fma_isa() ? fma_f32_fma : fma_f32_generic;
  R("v_fma_f32", fma32, 0, 1);
  R("v_fmac_f32", fma32, 0, 1);
  R("v_fmamk_f32", fma32, 0, 1);  // operands arranged at decode
  R("v_fmaak_f32", fma32, 0, 1);
  V("v_fma_dx9_zero_f32",
    tri_f32(w, x, [](float a, float b, float c) { return (a == 0.0f || b == 0.0f) ? c : std::fma(a, b, c); }), 0, 1);
  V("v_min3_f32", tri_f32(w, x, [](float a, float b, float c) { return fmin_hw(fmin_hw(a, b), c); }));
  V("v_max3_f32", tri_f32(w, x, [](float a, float b, float c) { return fmax_hw(fmax_hw(a, b), c); }));
  V("v_med3_f32", tri_f32(w, x, [](float a, float b, float c) { return fmed3_hw(a, b, c); }));
  V("v_maxmin_f32", tri_f32(w, x, [](float a, float b, float c) { return fmin_hw(fmax_hw(a, b), c); }));
  V("v_minmax_f32", tri_f32(w, x, [](float a, float b, float c) { return fmax_hw(fmin_hw(a, b), c); }));
  V("v_div_fixup_f32", tri_f32(w, x, [](float a, float b, float c) { return div_fixup(a, b, c); }));
  R("v_div_scale_f32", h_div_scale_f32);
  R("v_div_fmas_f32", h_div_fmas_f32, 0, 1);
  V("v_ldexp_f32", {
    const f32a* a = fsrc(w, x, 0, w.tmp[0]);
    const uint32_t* b = vs(w, x, 1, w.tmp[1]);
    f32a* r = reinterpret_cast<f32a*>(w.tmp[3]);
    for (unsigned l = 0; l < kLanes; ++l) r[l] = std::ldexp(a[l], std::clamp(ldexp_exp(b[l]), -1000, 1000));
    fout(w, x, w.tmp[3]);
  });
  V("v_rcp_f32", un_f32(w, x, [](float a) { return 1.0f / a; }));
  V("v_rcp_iflag_f32", un_f32(w, x, [](float a) { return 1.0f / a; }));
  V("v_rsq_f32", un_f32(w, x, [](float a) { return 1.0f / std::sqrt(a); }));
  V("v_sqrt_f32", un_f32(w, x, [](float a) { return std::sqrt(a); }));
  V("v_exp_f32", un_f32(w, x, [](float a) { return std::exp2(a); }));
  V("v_log_f32", un_f32(w, x, [](float a) { return std::log2(a); }));
  V("v_sin_f32", un_f32(w, x, [](float a) { return sin_rev(a); }));
  V("v_cos_f32", un_f32(w, x, [](float a) { return cos_rev(a); }));
  V("v_trunc_f32", un_f32(w, x, [](float a) { return std::trunc(a); }));
  V("v_ceil_f32", un_f32(w, x, [](float a) { return std::ceil(a); }));
  V("v_floor_f32", un_f32(w, x, [](float a) { return std::floor(a); }));
  V("v_rndne_f32", un_f32(w, x, [](float a) { return std::nearbyint(a); }));
  V("v_fract_f32", un_f32(w, x, [](float a) { return fract_hw(a); }));
  V("v_frexp_mant_f32", un_f32(w, x, [](float a) { return frexp_mant(a); }));
  V("v_frexp_exp_i32_f32", {
    const f32a* a = fsrc(w, x, 0, w.tmp[0]);
    uint32_t* r = w.tmp[3];
    for (unsigned l = 0; l < kLanes; ++l) r[l] = static_cast<uint32_t>(frexp_exp(static_cast<float>(a[l])));
    write_v(w, x.dst, r);
  });
  V("v_cvt_f32_i32", {
    const uint32_t* a = vs(w, x, 0, w.tmp[0]);
    f32a* r = reinterpret_cast<f32a*>(w.tmp[3]);
    for (unsigned l = 0; l < kLanes; ++l) r[l] = static_cast<float>(static_cast<int32_t>(a[l]));
    fout(w, x, w.tmp[3]);
  });
  V("v_cvt_f32_u32", {
    const uint32_t* a = vs(w, x, 0, w.tmp[0]);
    f32a* r = reinterpret_cast<f32a*>(w.tmp[3]);
    for (unsigned l = 0; l < kLanes; ++l) r[l] = static_cast<float>(a[l]);
    fout(w, x, w.tmp[3]);
  });
  V("v_cvt_i32_f32", {
    const f32a* a = fsrc(w, x, 0, w.tmp[0]);
    uint32_t* r = w.tmp[3];
    for (unsigned l = 0; l < kLanes; ++l) r[l] = static_cast<uint32_t>(cvt_i32(a[l]));
    write_v(w, x.dst, r);
  });
  V("v_cvt_u32_f32", {
    const f32a* a = fsrc(w, x, 0, w.tmp[0]);
    uint32_t* r = w.tmp[3];
    for (unsigned l = 0; l < kLanes; ++l) r[l] = cvt_u32(a[l]);
    write_v(w, x.dst, r);
  });
  V("v_cvt_floor_i32_f32", {
    const f32a* a = fsrc(w, x, 0, w.tmp[0]);
    uint32_t* r = w.tmp[3];
    for (unsigned l = 0; l < kLanes; ++l) r[l] = static_cast<uint32_t>(cvt_i32(std::floor(a[l])));
    write_v(w, x.dst, r);
  });
  V("v_cvt_nearest_i32_f32", {
    const f32a* a = fsrc(w, x, 0, w.tmp[0]);
    uint32_t* r = w.tmp[3];
    for (unsigned l = 0; l < kLanes; ++l) r[l] = static_cast<uint32_t>(cvt_i32(std::floor(a[l] + 0.5f)));
    write_v(w, x.dst, r);
  });
  for (int b = 0; b < 4; ++b) {
    static const char* const names[] = {"v_cvt_f32_ubyte0", "v_cvt_f32_ubyte1", "v_cvt_f32_ubyte2", "v_cvt_f32_ubyte3"};
    static const Handler hs[] = {
        [](Wave& w, const XInst& x) { un_u32(w, x, [](uint32_t a) { return u_of(static_cast<float>(a & 0xFF)); }); },
        [](Wave& w, const XInst& x) {
          un_u32(w, x, [](uint32_t a) { return u_of(static_cast<float>((a >> 8) & 0xFF)); });
        },
        [](Wave& w, const XInst& x) {
          un_u32(w, x, [](uint32_t a) { return u_of(static_cast<float>((a >> 16) & 0xFF)); });
        },
        [](Wave& w, const XInst& x) { un_u32(w, x, [](uint32_t a) { return u_of(static_cast<float>(a >> 24)); }); }};
    R(names[b], hs[b]);
  }

  // f64.
  V("v_add_f64", bin_f64(w, x, [](double a, double b) { return a + b; }), F_FP64);
  V("v_mul_f64", bin_f64(w, x, [](double a, double b) { return a * b; }), F_FP64);
  V("v_min_f64", bin_f64(w, x, [](double a, double b) { return fmin_hw(a, b); }), F_FP64);
  V("v_max_f64", bin_f64(w, x, [](double a, double b) { return fmax_hw(a, b); }), F_FP64);
  V("v_fma_f64", tri_f64(w, x, [](double a, double b, double c) { return std::fma(a, b, c); }), F_FP64, 1);
  V("v_div_fixup_f64", tri_f64(w, x, [](double a, double b, double c) { return div_fixup(a, b, c); }), F_FP64);
  R("v_div_scale_f64", h_div_scale_f64, F_FP64);
  R("v_div_fmas_f64", h_div_fmas_f64, F_FP64, 1);
  V(
      "v_ldexp_f64",
      {
        const f64a* a = dsrc(w, x, 0, w.t64[0]);
        f64a* r = reinterpret_cast<f64a*>(w.t64[3]);
        for (unsigned l = 0; l < kLanes; ++l)
          r[l] = std::ldexp(a[l], std::clamp(ldexp_exp(lane_src(w, x, 1, l)), -5000, 5000));
        dout(w, x, w.t64[3]);
      },
      F_FP64);
  V("v_rcp_f64", un_f64(w, x, [](double a) { return 1.0 / a; }), F_FP64);
  V("v_rsq_f64", un_f64(w, x, [](double a) { return 1.0 / std::sqrt(a); }), F_FP64);
  V("v_sqrt_f64", un_f64(w, x, [](double a) { return std::sqrt(a); }), F_FP64);
  V("v_trunc_f64", un_f64(w, x, [](double a) { return std::trunc(a); }), F_FP64);
  V("v_ceil_f64", un_f64(w, x, [](double a) { return std::ceil(a); }), F_FP64);
  V("v_floor_f64", un_f64(w, x, [](double a) { return std::floor(a); }), F_FP64);
  V("v_rndne_f64", un_f64(w, x, [](double a) { return std::nearbyint(a); }), F_FP64);
  V("v_fract_f64", un_f64(w, x, [](double a) { return fract_hw(a); }), F_FP64);
  V("v_frexp_mant_f64", un_f64(w, x, [](double a) { return frexp_mant(a); }), F_FP64);
  V(
      "v_frexp_exp_i32_f64",
      {
        const f64a* a = dsrc(w, x, 0, w.t64[0]);
        uint32_t* r = w.tmp[3];
        for (unsigned l = 0; l < kLanes; ++l) r[l] = static_cast<uint32_t>(frexp_exp(static_cast<double>(a[l])));
        write_v(w, x.dst, r);
      },
      F_FP64);
  V("v_cvt_f64_f32", {
    const f32a* a = fsrc(w, x, 0, w.tmp[0]);
    f64a* r = reinterpret_cast<f64a*>(w.t64[3]);
    for (unsigned l = 0; l < kLanes; ++l) r[l] = static_cast<double>(a[l]);
    dout(w, x, w.t64[3]);
  });
  V(
      "v_cvt_f32_f64",
      {
        const f64a* a = dsrc(w, x, 0, w.t64[0]);
        f32a* r = reinterpret_cast<f32a*>(w.tmp[3]);
        for (unsigned l = 0; l < kLanes; ++l) r[l] = static_cast<float>(a[l]);
        fout(w, x, w.tmp[3]);
      },
      F_FP64);
  V("v_cvt_f64_i32", {
    const uint32_t* a = vs(w, x, 0, w.tmp[0]);
    f64a* r = reinterpret_cast<f64a*>(w.t64[3]);
    for (unsigned l = 0; l < kLanes; ++l) r[l] = static_cast<double>(static_cast<int32_t>(a[l]));
    dout(w, x, w.t64[3]);
  });
  V("v_cvt_f64_u32", {
    const uint32_t* a = vs(w, x, 0, w.tmp[0]);
    f64a* r = reinterpret_cast<f64a*>(w.t64[3]);
    for (unsigned l = 0; l < kLanes; ++l) r[l] = static_cast<double>(a[l]);
    dout(w, x, w.t64[3]);
  });
  V(
      "v_cvt_i32_f64",
      {
        const f64a* a = dsrc(w, x, 0, w.t64[0]);
        uint32_t* r = w.tmp[3];
        for (unsigned l = 0; l < kLanes; ++l) r[l] = static_cast<uint32_t>(cvt_i32(a[l]));
        write_v(w, x.dst, r);
      },
      F_FP64);
  V(
      "v_cvt_u32_f64",
      {
        const f64a* a = dsrc(w, x, 0, w.t64[0]);
        uint32_t* r = w.tmp[3];
        for (unsigned l = 0; l < kLanes; ++l) r[l] = cvt_u32(a[l]);
        write_v(w, x.dst, r);
      },
      F_FP64);

  // Compares (VOPC and cmpx share handlers: the destination code decides).
#define RC(T, NAME)                             \
  R("v_cmp_" #NAME "_" #T, h_cmp_##NAME##_##T); \
  R("v_cmpx_" #NAME "_" #T, h_cmp_##NAME##_##T);
#define RCF(NAME)                                                                       \
  RC(f32, NAME) register_op("v_cmp_" #NAME "_f64", h_cmp_##NAME##_f64, C_VALU, F_FP64); \
  register_op("v_cmpx_" #NAME "_f64", h_cmp_##NAME##_f64, C_VALU, F_FP64);
  RCF(f)
  RCF(lt) RCF(eq) RCF(le) RCF(gt) RCF(lg) RCF(ge) RCF(o) RCF(u) RCF(nge) RCF(nlg) RCF(ngt) RCF(nle) RCF(neq) RCF(nlt)
      RCF(t)
#define RCI(NAME)                                                                                         \
  RC(i32, NAME) RC(u32, NAME) register_op("v_cmp_" #NAME "_i64", h_cmp_##NAME##_i64, C_VALU, F_SIGNED64); \
  register_op("v_cmpx_" #NAME "_i64", h_cmp_##NAME##_i64, C_VALU, F_SIGNED64);                            \
  RC(u64, NAME)
          RCI(f) RCI(lt) RCI(eq) RCI(le) RCI(gt) RCI(ne) RCI(ge) RCI(t)
#define RC16I(NAME) RC(i16, NAME) RC(u16, NAME)
              RC16I(f) RC16I(lt) RC16I(eq) RC16I(le) RC16I(gt) RC16I(ne) RC16I(ge) RC16I(t)
#define RC16F(NAME)                                                       \
  register_op("v_cmp_" #NAME "_f16", h_cmp_##NAME##_f16, C_VALU, F_FP16); \
  register_op("v_cmpx_" #NAME "_f16", h_cmp_##NAME##_f16, C_VALU, F_FP16);
                  RC16F(f) RC16F(lt) RC16F(eq) RC16F(le) RC16F(gt) RC16F(lg) RC16F(ge) RC16F(o) RC16F(u) RC16F(nge)
                      RC16F(nlg) RC16F(ngt) RC16F(nle) RC16F(neq) RC16F(nlt) RC16F(t)
#undef RC16I
#undef RC16F
                          R("v_cmp_class_f32", h_cmp_class_f32);
  R("v_cmpx_class_f32", h_cmp_class_f32);
  R("v_cmp_class_f64", h_cmp_class_f64, F_FP64);
  R("v_cmpx_class_f64", h_cmp_class_f64, F_FP64);
#undef RC
#undef RCF
#undef RCI
#undef V
}

}  // namespace spork::sim::detail
