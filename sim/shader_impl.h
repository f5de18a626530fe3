// Internals shared by the shader core's translation units (sim/shader*.cpp).
// Not part of the sim/ contract: only sim/shader*.cpp include it.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "sim/isa.h"
#include "sim/memory.h"
#include "sim/shader.h"

namespace spork::sim::detail {

constexpr unsigned kLanes = 32;
// Scalar register file slots: 0..127 are the architectural SGPRs/specials, 128..255 hold
// the inline constants (so an SGPR-or-constant source is one array read); writes to
// `null` are redirected to kSink.
constexpr uint16_t kSink = 230;
// Flat address apertures (src_shared_base / src_private_base): far above the 47-bit GPU VA.
constexpr uint64_t kSharedAperture = 0x1000'0000'0000'0000ull;
constexpr uint64_t kPrivateAperture = 0x2000'0000'0000'0000ull;
constexpr uint64_t kApertureSize = 1ull << 32;

using f32a = float __attribute__((may_alias));
using f64a = double __attribute__((may_alias));

struct Wave;
struct XInst;
using Handler = void (*)(Wave&, const XInst&);

enum Cls : uint8_t { C_SALU, C_VALU, C_VOPD, C_SMEM, C_VMEM, C_LDS, C_BRANCH, C_WAITCNT, C_OTHER };
enum Kind : uint8_t { K_VGPR, K_SREG, K_CONST, K_SPECIAL };

// Handler flags (registry): how constants are materialised for this opcode.
enum : uint8_t { F_FP64 = 1, F_FP16 = 2, F_SIGNED64 = 4, F_NOP = 8 };

// An instruction prepared for execution: handler plus pre-resolved operands.
struct XInst {
  Handler fn = nullptr;
  const XInst* next = nullptr;    // fall-through
  const XInst* target = nullptr;  // branch target
  uint16_t dst = 0, sdst = 0;
  uint16_t src[3] = {0, 0, 0};
  uint8_t kind[3] = {K_CONST, K_CONST, K_CONST};
  uint8_t nsrc = 0;
  uint8_t neg = 0, abs = 0, clamp = 0, omod = 0, opsel = 0, opsel_hi = 0, neg_hi = 0;
  uint8_t cls = C_OTHER, fma = 0;
  uint32_t k[3] = {0, 0, 0};    // constant value of a K_CONST source (32-bit view)
  uint64_t k64[3] = {0, 0, 0};  // ... and its 64-bit view
  int32_t imm = 0;
  uint16_t addr = 0, data0 = 0, data1 = 0, saddr = 0;
  uint8_t off0 = 0, off1 = 0;
  uint8_t dwords = 1;  // memory data size in dwords (or bytes for sub-dword: see size)
  uint8_t size = 4;    // memory access size in bytes per lane (sub-dword ops) / per dword element
  uint8_t aux = 0;     // per-opcode parameter
  bool glc = false, sve = false, vopd_hazard = false;
  bool nop = false;                       // no effect in the simulator (waits, delay hints, s_nop)
  uint8_t fold_wait = 0, fold_other = 0;  // no-ops skipped after this instruction (counted, not run)
  const XInst* raw_next = nullptr;        // the real next instruction (before no-op folding)
  const XInst* xa = nullptr;              // VOPD halves
  const XInst* xb = nullptr;
  const isa::Inst* d = nullptr;  // the decoded instruction (messages)
  const char* note = nullptr;    // why an instruction could not be decoded
};

// Per worker thread context shared by the waves of the workgroup it runs.
struct WgCtx {
  const Memory* mem = nullptr;
  uint8_t* lds = nullptr;
  uint32_t lds_size = 0;
  uint64_t scratch_base = 0;        // this worker's first wave slot
  uint64_t scratch_wave_bytes = 0;  // bytes per wave slot
  uint32_t scratch_lane_bytes = 0;  // per-lane private bytes
  bool scratch_en = false;
  uint32_t wg_id[3] = {0, 0, 0};
  DispatchStats* stats = nullptr;
};

struct Wave {
  alignas(64) uint32_t v[256][kLanes];
  alignas(64) uint32_t s[256];
  alignas(64) uint32_t tmp[6][kLanes];  // scratch buffers for handlers
  alignas(64) uint64_t t64[4][kLanes];
  bool scc = false;
  int status = 0;  // 0 runnable, 1 at barrier, 2 finished
  const XInst* ip = nullptr;
  const XInst* nip = nullptr;
  WgCtx* ctx = nullptr;
  unsigned index = 0;  // wave in workgroup
  uint64_t scratch_base = 0;
  bool ftz32 = false, ftz64 = false, ieee = true, dx10 = true;
  uint32_t mode = 0;  // HW_REG_MODE image (round/denorm bits)
  uint32_t trapsts = 0;
  // Recently used mappings, so most accesses skip Memory::lookup: kTlbWays per access kind
  // (read, write, read-modify-write), replaced round-robin.
  static constexpr unsigned kTlbWays = 4;
  Memory::Range tlb[3][kTlbWays];
  uint8_t tlb_next[3] = {0, 0, 0};
  uint32_t exec() const { return s[isa::kExecLo]; }
};

// Population count without relying on the POPCNT instruction (the baseline x86-64 build
// would otherwise call libgcc for std::popcount).
inline unsigned popcount32(uint32_t v) {
  v = v - ((v >> 1) & 0x55555555u);
  v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
  return (((v + (v >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24;
}

// ---- operand access -------------------------------------------------------------------

inline uint32_t special_value(const Wave& w, uint16_t code) {
  switch (code) {
    case isa::kScc:
      return w.scc;
    case isa::kVccz:
      return w.s[isa::kVccLo] == 0;
    case isa::kExecz:
      return w.s[isa::kExecLo] == 0;
    default:
      return 0;
  }
}

// 32-bit scalar view of source i.
inline uint32_t sv(const Wave& w, const XInst& x, int i) {
  switch (x.kind[i]) {
    case K_SREG:
      return w.s[x.src[i]];
    case K_CONST:
      return x.k[i];
    case K_SPECIAL:
      return special_value(w, x.src[i]);
    default:
      return 0;
  }
}
// 64-bit scalar view of source i.
inline uint64_t sv64(const Wave& w, const XInst& x, int i) {
  switch (x.kind[i]) {
    case K_SREG:
      return w.s[x.src[i]] | static_cast<uint64_t>(w.s[x.src[i] + 1]) << 32;
    case K_CONST:
      return x.k64[i];
    case K_SPECIAL:
      return special_value(w, x.src[i]);
    default:
      return 0;
  }
}
inline void fill32(uint32_t* b, uint32_t v) {
  for (unsigned l = 0; l < kLanes; ++l) b[l] = v;
}
// 32 lanes of source i: the VGPR itself or `buf` filled with the scalar.
inline const uint32_t* vs(Wave& w, const XInst& x, int i, uint32_t* buf) {
  if (x.kind[i] == K_VGPR) return w.v[x.src[i] - isa::kVgpr0];
  fill32(buf, sv(w, x, i));
  return buf;
}
inline uint32_t lane_src(const Wave& w, const XInst& x, int i, unsigned lane) {
  if (x.kind[i] == K_VGPR) return w.v[x.src[i] - isa::kVgpr0][lane];
  return sv(w, x, i);
}
inline uint64_t lane_src64(const Wave& w, const XInst& x, int i, unsigned lane) {
  if (x.kind[i] == K_VGPR) {
    unsigned r = x.src[i] - isa::kVgpr0;
    return w.v[r][lane] | static_cast<uint64_t>(w.v[(r + 1) & 255][lane]) << 32;
  }
  return sv64(w, x, i);
}

inline void write_sgpr(Wave& w, uint16_t code, uint32_t v) { w.s[code] = v; }
inline void write_sgpr64(Wave& w, uint16_t code, uint64_t v) {
  w.s[code] = static_cast<uint32_t>(v);
  w.s[code + 1] = static_cast<uint32_t>(v >> 32);
}

// Masked write of 32 lanes to a VGPR.
inline void write_v(Wave& w, uint16_t dst, const uint32_t* r) {
  uint32_t* d = w.v[dst - isa::kVgpr0];
  const uint32_t e = w.exec();
  if (e == 0xFFFFFFFFu) {
    std::memcpy(d, r, sizeof(uint32_t) * kLanes);
  } else {
    for (unsigned l = 0; l < kLanes; ++l) d[l] = (e >> l & 1) ? r[l] : d[l];
  }
}
inline void write_v64(Wave& w, uint16_t dst, const uint64_t* r) {
  unsigned reg = dst - isa::kVgpr0;
  uint32_t* lo = w.v[reg];
  uint32_t* hi = w.v[(reg + 1) & 255];
  const uint32_t e = w.exec();
  for (unsigned l = 0; l < kLanes; ++l)
    if (e >> l & 1) lo[l] = static_cast<uint32_t>(r[l]), hi[l] = static_cast<uint32_t>(r[l] >> 32);
}

// The cached mapping holding [va, va+size) for an access of kind k (0 read, 1 write,
// 2 read-modify-write), looked up (and cached) on a miss; throws VmFault.
inline const Memory::Range& tlb_lookup(Wave& w, const Memory& mem, uint64_t va, uint64_t size, unsigned k) {
  for (unsigned i = 0; i < Wave::kTlbWays; ++i)
    if (w.tlb[k][i].contains(va, size)) return w.tlb[k][i];
  Memory::Range& slot = w.tlb[k][w.tlb_next[k]++ % Wave::kTlbWays];
  slot = mem.lookup(va, size, k == 0 ? Access::Read : Access::Write);
  return slot;
}

[[noreturn]] void throw_shader_error(const Wave& w, const XInst& x, const std::string& what);

struct OpEntry {
  Handler fn = nullptr;
  uint8_t cls = C_OTHER;
  uint8_t fma = 0;
  uint8_t flags = 0;
};
// Registration of handlers by mnemonic (VOP1/VOP2/VOPC without the _e32/_e64 suffix).
void register_op(std::string_view name, Handler fn, uint8_t cls, uint8_t flags = 0, uint8_t fma = 0);
const OpEntry* find_handler(std::string_view name);
void register_valu_ops();    // shader_valu.cpp
void register_scalar_ops();  // shader_scalar.cpp
void register_memory_ops();  // shader_mem.cpp
bool have_fma_isa();
// VOPD fast path: both halves v_dual_fmac_f32 on VGPRs (chosen at preparation time).
extern Handler vopd_fmac_fmac;
extern Handler vop2_fmac_vv;

}  // namespace spork::sim::detail
