// Scalar instructions of the shader core: SOP1, SOP2, SOPK, SOPC, SOPP (control flow,
// barriers, waits) and SMEM loads.
#include <bit>
#include <cstring>

#include "sim/shader_impl.h"

namespace spork::sim::detail {
namespace {

using isa::kExecLo;
using isa::kVccLo;

// ---- SOP2 helpers ------------------------------------------------------------------------
template <class F>
inline void sop2_32(Wave& w, const XInst& x, F f) {
  const uint32_t a = sv(w, x, 0), b = sv(w, x, 1);
  bool scc = w.scc;
  const uint32_t r = f(a, b, scc);
  w.s[x.dst] = r;
  w.scc = scc;
}
template <class F>
inline void sop2_64(Wave& w, const XInst& x, F f) {
  const uint64_t a = sv64(w, x, 0), b = sv64(w, x, 1);
  bool scc = w.scc;
  const uint64_t r = f(a, b, scc);
  write_sgpr64(w, x.dst, r);
  w.scc = scc;
}
// 64-bit value, 32-bit second operand (shifts, bfe).
template <class F>
inline void sop2_64_32(Wave& w, const XInst& x, F f) {
  const uint64_t a = sv64(w, x, 0);
  const uint32_t b = sv(w, x, 1);
  bool scc = w.scc;
  const uint64_t r = f(a, b, scc);
  write_sgpr64(w, x.dst, r);
  w.scc = scc;
}
template <class F>
inline void sop1_32(Wave& w, const XInst& x, F f) {
  bool scc = w.scc;
  const uint32_t r = f(sv(w, x, 0), scc);
  w.s[x.dst] = r;
  w.scc = scc;
}
template <class F>
inline void sop1_64(Wave& w, const XInst& x, F f) {
  bool scc = w.scc;
  const uint64_t r = f(sv64(w, x, 0), scc);
  write_sgpr64(w, x.dst, r);
  w.scc = scc;
}
template <class F>
inline void sopc(Wave& w, const XInst& x, F f) {
  w.scc = f(sv(w, x, 0), sv(w, x, 1));
}
template <class F>
inline void sopc64(Wave& w, const XInst& x, F f) {
  w.scc = f(sv64(w, x, 0), sv64(w, x, 1));
}

// saveexec family: D = EXEC; EXEC = op(S0, EXEC); SCC = EXEC != 0.
template <class F>
inline void saveexec(Wave& w, const XInst& x, F f) {
  const uint32_t s0 = sv(w, x, 0), e = w.s[kExecLo];
  w.s[x.dst] = e;
  const uint32_t n = f(s0, e);
  w.s[kExecLo] = n;
  w.scc = n != 0;
}
// wrexec family: EXEC = op(S0, EXEC); D = EXEC (new); SCC = EXEC != 0.
template <class F>
inline void wrexec(Wave& w, const XInst& x, F f) {
  const uint32_t n = f(sv(w, x, 0), w.s[kExecLo]);
  w.s[kExecLo] = n;
  w.s[x.dst] = n;
  w.scc = n != 0;
}

// ---- program flow --------------------------------------------------------------------
void h_branch(Wave& w, const XInst& x) { w.nip = x.target; }
void h_cbranch_scc0(Wave& w, const XInst& x) {
  if (!w.scc) w.nip = x.target;
}
void h_cbranch_scc1(Wave& w, const XInst& x) {
  if (w.scc) w.nip = x.target;
}
void h_cbranch_vccz(Wave& w, const XInst& x) {
  if (w.s[kVccLo] == 0) w.nip = x.target;
}
void h_cbranch_vccnz(Wave& w, const XInst& x) {
  if (w.s[kVccLo] != 0) w.nip = x.target;
}
void h_cbranch_execz(Wave& w, const XInst& x) {
  if (w.s[kExecLo] == 0) w.nip = x.target;
}
void h_cbranch_execnz(Wave& w, const XInst& x) {
  if (w.s[kExecLo] != 0) w.nip = x.target;
}
void h_endpgm(Wave& w, const XInst&) { w.status = 2; }
void h_barrier(Wave& w, const XInst&) { w.status = 1; }
void h_nop(Wave&, const XInst&) {}
void h_code_end(Wave& w, const XInst& x) {
  throw_shader_error(w, x, "executed s_code_end padding: the program ran past its end (missing s_endpgm?)");
}
void h_trap(Wave& w, const XInst& x) {
  throw_shader_error(w, x, "s_trap " + std::to_string(x.imm & 0xFF) + " raised by the kernel");
}
void h_sethalt(Wave& w, const XInst& x) {
  if (x.imm & 1) throw_shader_error(w, x, "s_sethalt halted the wave");
}
void h_denorm_mode(Wave& w, const XInst& x) {
  // imm[1:0]: FP32 denormals, imm[3:2]: FP16/64 denormals (3 = keep, 0 = flush).
  w.mode = (w.mode & ~0xF0u) | ((x.imm & 0xF) << 4);
  w.ftz32 = (x.imm & 3) != 3;
  w.ftz64 = ((x.imm >> 2) & 3) != 3;
}
void h_round_mode(Wave& w, const XInst& x) { w.mode = (w.mode & ~0xFu) | (x.imm & 0xF); }

// Hardware registers for s_getreg/s_setreg: only MODE (1) and the IDs are meaningful here.
uint32_t read_hwreg(const Wave& w, unsigned id) {
  switch (id) {
    case 1:
      return w.mode;  // HW_REG_MODE
    case 2:
      return w.scc ? 0x1u : 0u;  // HW_REG_STATUS (SCC bit only)
    case 3:
      return w.trapsts;  // HW_REG_TRAPSTS
    case 4:
      return w.index & 0xF;  // HW_REG_HW_ID1 (wave id)
    case 23:
      return w.index;  // HW_REG_HW_ID1 (gfx11 numbering)
    default:
      return 0;
  }
}
void write_hwreg(Wave& w, unsigned id, uint32_t value, unsigned offset, unsigned size) {
  const uint32_t mask = (size >= 32 ? 0xFFFFFFFFu : ((1u << size) - 1u)) << offset;
  if (id == 1) {
    w.mode = (w.mode & ~mask) | ((value << offset) & mask);
    w.ftz32 = ((w.mode >> 4) & 3) != 3;
    w.ftz64 = ((w.mode >> 6) & 3) != 3;
  } else if (id == 3) {
    w.trapsts = (w.trapsts & ~mask) | ((value << offset) & mask);
  }
}
void h_getreg(Wave& w, const XInst& x) {
  const unsigned id = x.imm & 0x3F, offset = (x.imm >> 6) & 0x1F, size = ((x.imm >> 11) & 0x1F) + 1;
  const uint32_t v = read_hwreg(w, id) >> offset;
  w.s[x.dst] = size >= 32 ? v : v & ((1u << size) - 1u);
}
void h_setreg(Wave& w, const XInst& x) {
  const unsigned id = x.imm & 0x3F, offset = (x.imm >> 6) & 0x1F, size = ((x.imm >> 11) & 0x1F) + 1;
  write_hwreg(w, id, w.s[x.dst], offset, size);
}
void h_setreg_imm32(Wave& w, const XInst& x) {
  const unsigned id = x.imm & 0x3F, offset = (x.imm >> 6) & 0x1F, size = ((x.imm >> 11) & 0x1F) + 1;
  write_hwreg(w, id, x.k[0], offset, size);
}

// ---- SMEM ----------------------------------------------------------------------------------
void h_s_load(Wave& w, const XInst& x) {
  uint64_t base = w.s[x.addr] | static_cast<uint64_t>(w.s[x.addr + 1]) << 32;
  uint64_t va = base + static_cast<int64_t>(x.imm);
  if (x.saddr != isa::kNull) va += w.s[x.saddr];
  va &= ~3ull;  // SMEM addresses are dword aligned
  const uint64_t bytes = 4ull * x.dwords;
  const Memory::Range& r = tlb_lookup(w, *w.ctx->mem, va, bytes, 0);
  std::memcpy(&w.s[x.dst], r.ptr(va), bytes);
  w.ctx->stats->bytes_read[static_cast<int>(r.domain)] += bytes;
}

}  // namespace

void register_scalar_ops() {
  auto R = [](const char* n, Handler h, uint8_t cls = C_SALU, uint8_t flags = 0) { register_op(n, h, cls, flags); };
#define S(NAME, BODY, ...) R(NAME, [](Wave& w, const XInst& x) { BODY; } __VA_OPT__(, ) __VA_ARGS__)  // NOLINT
  using u32 = uint32_t;
  using u64 = uint64_t;
  using i32 = int32_t;
  using i64 = int64_t;

  // SOP2 32-bit.
  S("s_add_u32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u64 r = u64(a) + b;
      c = r >> 32;
      return u32(r);
    }));
  S("s_sub_u32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      c = b > a;
      return a - b;
    }));
  S("s_add_i32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 r = a + b;
      c = ((a ^ r) & (b ^ r)) >> 31;
      return r;
    }));
  S("s_sub_i32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 r = a - b;
      c = ((a ^ b) & (a ^ r)) >> 31;
      return r;
    }));
  S("s_addc_u32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u64 r = u64(a) + b + c;
      c = r >> 32;
      return u32(r);
    }));
  S("s_subb_u32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u64 q = u64(b) + c;
      c = q > a;
      return u32(a - q);
    }));
  S("s_min_i32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      c = i32(a) < i32(b);
      return c ? a : b;
    }));
  S("s_min_u32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      c = a < b;
      return c ? a : b;
    }));
  S("s_max_i32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      c = i32(a) > i32(b);
      return c ? a : b;
    }));
  S("s_max_u32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      c = a > b;
      return c ? a : b;
    }));
  S("s_cselect_b32", sop2_32(w, x, [](u32 a, u32 b, bool& c) { return c ? a : b; }));
  S("s_cselect_b64", sop2_64(w, x, [](u64 a, u64 b, bool& c) { return c ? a : b; }));
  S("s_and_b32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 r = a & b;
      c = r;
      return r;
    }));
  S("s_or_b32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 r = a | b;
      c = r;
      return r;
    }));
  S("s_xor_b32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 r = a ^ b;
      c = r;
      return r;
    }));
  S("s_nand_b32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 r = ~(a & b);
      c = r;
      return r;
    }));
  S("s_nor_b32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 r = ~(a | b);
      c = r;
      return r;
    }));
  S("s_xnor_b32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 r = ~(a ^ b);
      c = r;
      return r;
    }));
  S("s_and_not1_b32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 r = a & ~b;
      c = r;
      return r;
    }));
  S("s_or_not1_b32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 r = a | ~b;
      c = r;
      return r;
    }));
  S("s_and_b64", sop2_64(w, x, [](u64 a, u64 b, bool& c) {
      u64 r = a & b;
      c = r;
      return r;
    }));
  S("s_or_b64", sop2_64(w, x, [](u64 a, u64 b, bool& c) {
      u64 r = a | b;
      c = r;
      return r;
    }));
  S("s_xor_b64", sop2_64(w, x, [](u64 a, u64 b, bool& c) {
      u64 r = a ^ b;
      c = r;
      return r;
    }));
  S("s_nand_b64", sop2_64(w, x, [](u64 a, u64 b, bool& c) {
      u64 r = ~(a & b);
      c = r;
      return r;
    }));
  S("s_nor_b64", sop2_64(w, x, [](u64 a, u64 b, bool& c) {
      u64 r = ~(a | b);
      c = r;
      return r;
    }));
  S("s_xnor_b64", sop2_64(w, x, [](u64 a, u64 b, bool& c) {
      u64 r = ~(a ^ b);
      c = r;
      return r;
    }));
  S("s_and_not1_b64", sop2_64(w, x, [](u64 a, u64 b, bool& c) {
      u64 r = a & ~b;
      c = r;
      return r;
    }));
  S("s_or_not1_b64", sop2_64(w, x, [](u64 a, u64 b, bool& c) {
      u64 r = a | ~b;
      c = r;
      return r;
    }));
  S("s_lshl_b32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 r = a << (b & 31);
      c = r;
      return r;
    }));
  S("s_lshr_b32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 r = a >> (b & 31);
      c = r;
      return r;
    }));
  S("s_ashr_i32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 r = u32(i32(a) >> (b & 31));
      c = r;
      return r;
    }));
  S("s_lshl_b64", sop2_64_32(w, x, [](u64 a, u32 b, bool& c) {
      u64 r = a << (b & 63);
      c = r;
      return r;
    }));
  S("s_lshr_b64", sop2_64_32(w, x, [](u64 a, u32 b, bool& c) {
      u64 r = a >> (b & 63);
      c = r;
      return r;
    }));
  S("s_ashr_i64", sop2_64_32(w, x, [](u64 a, u32 b, bool& c) {
      u64 r = u64(i64(a) >> (b & 63));
      c = r;
      return r;
    }));
  S("s_lshl1_add_u32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u64 r = (u64(a) << 1) + b;
      c = r >> 32;
      return u32(r);
    }));
  S("s_lshl2_add_u32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u64 r = (u64(a) << 2) + b;
      c = r >> 32;
      return u32(r);
    }));
  S("s_lshl3_add_u32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u64 r = (u64(a) << 3) + b;
      c = r >> 32;
      return u32(r);
    }));
  S("s_lshl4_add_u32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u64 r = (u64(a) << 4) + b;
      c = r >> 32;
      return u32(r);
    }));
  S("s_bfm_b32", sop2_32(w, x, [](u32 a, u32 b, bool&) { return ((1u << (a & 31)) - 1u) << (b & 31); }));
  S("s_bfm_b64", sop2_64_32(w, x, [](u64 a, u32 b, bool&) { return ((1ull << (a & 63)) - 1ull) << (b & 63); }));
  S("s_mul_i32", sop2_32(w, x, [](u32 a, u32 b, bool&) { return a * b; }));
  S("s_mul_hi_u32", sop2_32(w, x, [](u32 a, u32 b, bool&) { return u32((u64(a) * b) >> 32); }));
  S("s_mul_hi_i32", sop2_32(w, x, [](u32 a, u32 b, bool&) { return u32(u64(i64(i32(a)) * i32(b)) >> 32); }));
  S("s_bfe_u32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 off = b & 31, wd = (b >> 16) & 0x7F;
      u32 r = wd == 0 ? 0 : wd >= 32 ? a >> off : (a >> off) & ((1u << wd) - 1u);
      c = r;
      return r;
    }));
  S("s_bfe_i32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      u32 off = b & 31, wd = (b >> 16) & 0x7F;
      u32 r;
      if (wd == 0)
        r = 0;
      else if (wd >= 32)
        r = u32(i32(a) >> off);
      else
        r = u32(i32(((a >> off) & ((1u << wd) - 1u)) << (32 - wd)) >> (32 - wd));
      c = r;
      return r;
    }));
  S("s_bfe_u64", sop2_64_32(w, x, [](u64 a, u32 b, bool& c) {
      u32 off = b & 63, wd = (b >> 16) & 0x7F;
      u64 r = wd == 0 ? 0 : wd >= 64 ? a >> off : (a >> off) & ((1ull << wd) - 1ull);
      c = r;
      return r;
    }));
  S("s_bfe_i64",
    sop2_64_32(w, x,
               [](u64 a, u32 b, bool& c) {
                 u32 off = b & 63, wd = (b >> 16) & 0x7F;
                 u64 r;
                 if (wd == 0)
                   r = 0;
                 else if (wd >= 64)
                   r = u64(i64(a) >> off);
                 else
                   r = u64(i64(((a >> off) & ((1ull << wd) - 1ull)) << (64 - wd)) >> (64 - wd));
                 c = r;
                 return r;
               }),
    C_SALU, F_SIGNED64);
  S("s_absdiff_i32", sop2_32(w, x, [](u32 a, u32 b, bool& c) {
      i64 d = i64(i32(a)) - i32(b);
      u32 r = u32(d < 0 ? -d : d);
      c = r;
      return r;
    }));
  S("s_pack_ll_b32_b16", sop2_32(w, x, [](u32 a, u32 b, bool&) { return (a & 0xFFFF) | (b << 16); }));
  S("s_pack_lh_b32_b16", sop2_32(w, x, [](u32 a, u32 b, bool&) { return (a & 0xFFFF) | (b & 0xFFFF0000u); }));
  S("s_pack_hh_b32_b16", sop2_32(w, x, [](u32 a, u32 b, bool&) { return (a >> 16) | (b & 0xFFFF0000u); }));
  S("s_pack_hl_b32_b16", sop2_32(w, x, [](u32 a, u32 b, bool&) { return (a >> 16) | (b << 16); }));

  // SOP1.
  S("s_mov_b32", w.s[x.dst] = sv(w, x, 0));
  S("s_mov_b64", write_sgpr64(w, x.dst, sv64(w, x, 0)));
  S("s_cmov_b32", if (w.scc) w.s[x.dst] = sv(w, x, 0));
  S("s_cmov_b64", if (w.scc) write_sgpr64(w, x.dst, sv64(w, x, 0)));
  S("s_not_b32", sop1_32(w, x, [](u32 a, bool& c) {
      u32 r = ~a;
      c = r;
      return r;
    }));
  S("s_not_b64", sop1_64(w, x, [](u64 a, bool& c) {
      u64 r = ~a;
      c = r;
      return r;
    }));
  S("s_brev_b32", sop1_32(w, x, [](u32 a, bool&) {
      u32 r = 0;
      for (int i = 0; i < 32; ++i) r |= ((a >> i) & 1u) << (31 - i);
      return r;
    }));
  S("s_brev_b64", sop1_64(w, x, [](u64 a, bool&) {
      u64 r = 0;
      for (int i = 0; i < 64; ++i) r |= ((a >> i) & 1ull) << (63 - i);
      return r;
    }));
  S("s_bcnt0_i32_b32", sop1_32(w, x, [](u32 a, bool& c) {
      u32 r = 32 - std::popcount(a);
      c = r;
      return r;
    }));
  S("s_bcnt1_i32_b32", sop1_32(w, x, [](u32 a, bool& c) {
      u32 r = std::popcount(a);
      c = r;
      return r;
    }));
  S("s_bcnt0_i32_b64", {
    bool c;
    u64 a = sv64(w, x, 0);
    u32 r = 64 - std::popcount(a);
    c = r;
    w.s[x.dst] = r;
    w.scc = c;
  });
  S("s_bcnt1_i32_b64", {
    bool c;
    u64 a = sv64(w, x, 0);
    u32 r = std::popcount(a);
    c = r;
    w.s[x.dst] = r;
    w.scc = c;
  });
  S("s_ctz_i32_b32", sop1_32(w, x, [](u32 a, bool&) { return a ? u32(std::countr_zero(a)) : 0xFFFFFFFFu; }));
  S("s_clz_i32_u32", sop1_32(w, x, [](u32 a, bool&) { return a ? u32(std::countl_zero(a)) : 0xFFFFFFFFu; }));
  S("s_cls_i32", sop1_32(w, x, [](u32 a, bool&) {
      u32 v = (a >> 31) ? ~a : a;
      return v ? u32(std::countl_zero(v)) : 0xFFFFFFFFu;
    }));
  S("s_ctz_i32_b64", {
    u64 a = sv64(w, x, 0);
    w.s[x.dst] = a ? u32(std::countr_zero(a)) : 0xFFFFFFFFu;
  });
  S("s_clz_i32_u64", {
    u64 a = sv64(w, x, 0);
    w.s[x.dst] = a ? u32(std::countl_zero(a)) : 0xFFFFFFFFu;
  });
  S("s_sext_i32_i8", sop1_32(w, x, [](u32 a, bool&) { return u32(i32(int8_t(a))); }));
  S("s_sext_i32_i16", sop1_32(w, x, [](u32 a, bool&) { return u32(i32(int16_t(a))); }));
  S("s_bitset0_b32", w.s[x.dst] &= ~(1u << (sv(w, x, 0) & 31)));
  S("s_bitset1_b32", w.s[x.dst] |= 1u << (sv(w, x, 0) & 31));
  S("s_abs_i32", sop1_32(w, x, [](u32 a, bool& c) {
      u32 r = i32(a) < 0 ? 0u - a : a;
      c = r;
      return r;
    }));
  S("s_and_saveexec_b32", saveexec(w, x, [](u32 s, u32 e) { return s & e; }));
  S("s_or_saveexec_b32", saveexec(w, x, [](u32 s, u32 e) { return s | e; }));
  S("s_xor_saveexec_b32", saveexec(w, x, [](u32 s, u32 e) { return s ^ e; }));
  S("s_nand_saveexec_b32", saveexec(w, x, [](u32 s, u32 e) { return ~(s & e); }));
  S("s_nor_saveexec_b32", saveexec(w, x, [](u32 s, u32 e) { return ~(s | e); }));
  S("s_xnor_saveexec_b32", saveexec(w, x, [](u32 s, u32 e) { return ~(s ^ e); }));
  S("s_and_not0_saveexec_b32", saveexec(w, x, [](u32 s, u32 e) { return ~s & e; }));
  S("s_or_not0_saveexec_b32", saveexec(w, x, [](u32 s, u32 e) { return ~s | e; }));
  S("s_and_not1_saveexec_b32", saveexec(w, x, [](u32 s, u32 e) { return s & ~e; }));
  S("s_or_not1_saveexec_b32", saveexec(w, x, [](u32 s, u32 e) { return s | ~e; }));
  S("s_and_not0_wrexec_b32", wrexec(w, x, [](u32 s, u32 e) { return ~s & e; }));
  S("s_and_not1_wrexec_b32", wrexec(w, x, [](u32 s, u32 e) { return s & ~e; }));
  S("s_getpc_b64", write_sgpr64(w, x.dst, x.d->pc + x.d->size));
  // M0-relative SGPR moves (SGPR arrays indexed at run time).
  S("s_movrels_b32", {
    const uint32_t i = x.src[0] + w.s[isa::kM0];
    if (x.kind[0] != K_SREG || i > 105) throw_shader_error(w, x, "s_movrels_b32 source outside s0..s105");
    w.s[x.dst] = w.s[i];
  });
  S("s_movrels_b64", {
    const uint32_t i = x.src[0] + w.s[isa::kM0];
    if (x.kind[0] != K_SREG || i > 104) throw_shader_error(w, x, "s_movrels_b64 source outside s0..s105");
    write_sgpr64(w, x.dst, w.s[i] | uint64_t(w.s[i + 1]) << 32);
  });
  S("s_movreld_b32", {
    const uint32_t i = x.dst + w.s[isa::kM0];
    if (i > 105) throw_shader_error(w, x, "s_movreld_b32 destination outside s0..s105");
    w.s[i] = sv(w, x, 0);
  });
  S("s_movreld_b64", {
    const uint32_t i = x.dst + w.s[isa::kM0];
    if (i > 104) throw_shader_error(w, x, "s_movreld_b64 destination outside s0..s105");
    write_sgpr64(w, i, sv64(w, x, 0));
  });
  S("s_movk_i32", w.s[x.dst] = static_cast<u32>(x.imm));
  S("s_cmovk_i32", if (w.scc) w.s[x.dst] = static_cast<u32>(x.imm));
  S("s_addk_i32", {
    const u32 a = w.s[x.dst];
    const u32 b = static_cast<u32>(x.imm);
    const u32 r = a + b;
    w.scc = ((a ^ r) & (b ^ r)) >> 31;
    w.s[x.dst] = r;
  });
  S("s_mulk_i32", w.s[x.dst] = w.s[x.dst] * static_cast<u32>(x.imm));
  S("s_cmpk_eq_i32", w.scc = i32(w.s[x.dst]) == x.imm);
  S("s_cmpk_lg_i32", w.scc = i32(w.s[x.dst]) != x.imm);
  S("s_cmpk_gt_i32", w.scc = i32(w.s[x.dst]) > x.imm);
  S("s_cmpk_ge_i32", w.scc = i32(w.s[x.dst]) >= x.imm);
  S("s_cmpk_lt_i32", w.scc = i32(w.s[x.dst]) < x.imm);
  S("s_cmpk_le_i32", w.scc = i32(w.s[x.dst]) <= x.imm);
  S("s_cmpk_eq_u32", w.scc = w.s[x.dst] == (u32(x.imm) & 0xFFFF));
  S("s_cmpk_lg_u32", w.scc = w.s[x.dst] != (u32(x.imm) & 0xFFFF));
  S("s_cmpk_gt_u32", w.scc = w.s[x.dst] > (u32(x.imm) & 0xFFFF));
  S("s_cmpk_ge_u32", w.scc = w.s[x.dst] >= (u32(x.imm) & 0xFFFF));
  S("s_cmpk_lt_u32", w.scc = w.s[x.dst] < (u32(x.imm) & 0xFFFF));
  S("s_cmpk_le_u32", w.scc = w.s[x.dst] <= (u32(x.imm) & 0xFFFF));
  R("s_getreg_b32", h_getreg);
  R("s_setreg_b32", h_setreg);
  R("s_setreg_imm32_b32", h_setreg_imm32);
  R("s_version", h_nop, C_OTHER);
  R("s_waitcnt_vscnt", h_nop, C_WAITCNT, F_NOP);
  R("s_waitcnt_vmcnt", h_nop, C_WAITCNT, F_NOP);
  R("s_waitcnt_expcnt", h_nop, C_WAITCNT, F_NOP);
  R("s_waitcnt_lgkmcnt", h_nop, C_WAITCNT, F_NOP);

  // SOPC.
  S("s_cmp_eq_i32", sopc(w, x, [](u32 a, u32 b) { return a == b; }));
  S("s_cmp_lg_i32", sopc(w, x, [](u32 a, u32 b) { return a != b; }));
  S("s_cmp_gt_i32", sopc(w, x, [](u32 a, u32 b) { return i32(a) > i32(b); }));
  S("s_cmp_ge_i32", sopc(w, x, [](u32 a, u32 b) { return i32(a) >= i32(b); }));
  S("s_cmp_lt_i32", sopc(w, x, [](u32 a, u32 b) { return i32(a) < i32(b); }));
  S("s_cmp_le_i32", sopc(w, x, [](u32 a, u32 b) { return i32(a) <= i32(b); }));
  S("s_cmp_eq_u32", sopc(w, x, [](u32 a, u32 b) { return a == b; }));
  S("s_cmp_lg_u32", sopc(w, x, [](u32 a, u32 b) { return a != b; }));
  S("s_cmp_gt_u32", sopc(w, x, [](u32 a, u32 b) { return a > b; }));
  S("s_cmp_ge_u32", sopc(w, x, [](u32 a, u32 b) { return a >= b; }));
  S("s_cmp_lt_u32", sopc(w, x, [](u32 a, u32 b) { return a < b; }));
  S("s_cmp_le_u32", sopc(w, x, [](u32 a, u32 b) { return a <= b; }));
  S("s_cmp_eq_u64", sopc64(w, x, [](u64 a, u64 b) { return a == b; }));
  S("s_cmp_lg_u64", sopc64(w, x, [](u64 a, u64 b) { return a != b; }));
  S("s_bitcmp0_b32", sopc(w, x, [](u32 a, u32 b) { return ((a >> (b & 31)) & 1) == 0; }));
  S("s_bitcmp1_b32", sopc(w, x, [](u32 a, u32 b) { return ((a >> (b & 31)) & 1) == 1; }));
  S("s_bitcmp0_b64", w.scc = ((sv64(w, x, 0) >> (sv(w, x, 1) & 63)) & 1) == 0);
  S("s_bitcmp1_b64", w.scc = ((sv64(w, x, 0) >> (sv(w, x, 1) & 63)) & 1) == 1);

  // SOPP.
  R("s_nop", h_nop, C_OTHER, F_NOP);
  R("s_endpgm", h_endpgm, C_BRANCH);
  R("s_branch", h_branch, C_BRANCH);
  R("s_cbranch_scc0", h_cbranch_scc0, C_BRANCH);
  R("s_cbranch_scc1", h_cbranch_scc1, C_BRANCH);
  R("s_cbranch_vccz", h_cbranch_vccz, C_BRANCH);
  R("s_cbranch_vccnz", h_cbranch_vccnz, C_BRANCH);
  R("s_cbranch_execz", h_cbranch_execz, C_BRANCH);
  R("s_cbranch_execnz", h_cbranch_execnz, C_BRANCH);
  R("s_barrier", h_barrier, C_OTHER);
  R("s_waitcnt", h_nop, C_WAITCNT, F_NOP);
  R("s_waitcnt_depctr", h_nop, C_WAITCNT, F_NOP);
  R("s_wait_idle", h_nop, C_WAITCNT);
  R("s_delay_alu", h_nop, C_OTHER, F_NOP);
  R("s_clause", h_nop, C_OTHER, F_NOP);
  R("s_sendmsg", h_nop, C_OTHER);  // MSG_DEALLOC_VGPRS and friends: nothing to do here
  R("s_sendmsghalt", h_nop, C_OTHER);
  R("s_set_inst_prefetch_distance", h_nop, C_OTHER, F_NOP);
  R("s_sleep", h_nop, C_OTHER);
  R("s_setprio", h_nop, C_OTHER);
  R("s_icache_inv", h_nop, C_OTHER);
  R("s_incperflevel", h_nop, C_OTHER);
  R("s_decperflevel", h_nop, C_OTHER);
  R("s_ttracedata", h_nop, C_OTHER);
  R("s_ttracedata_imm", h_nop, C_OTHER);
  R("s_code_end", h_code_end, C_OTHER);
  R("s_trap", h_trap, C_OTHER);
  R("s_sethalt", h_sethalt, C_OTHER);
  R("s_denorm_mode", h_denorm_mode, C_OTHER);
  R("s_round_mode", h_round_mode, C_OTHER);

  // SMEM (dword count set at preparation from the mnemonic).
  for (const char* n : {"s_load_b32", "s_load_b64", "s_load_b128", "s_load_b256", "s_load_b512"})
    R(n, h_s_load, C_SMEM);
  R("s_dcache_inv", h_nop, C_SMEM);
  R("s_gl1_inv", h_nop, C_SMEM);
#undef S
}

}  // namespace spork::sim::detail
