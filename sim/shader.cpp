// The wave32 gfx11 shader core: program decoding/caching, dispatch set-up exactly as the
// hardware initialises waves, the workgroup scheduler (waves interleaved at barriers,
// workgroups in parallel on a thread pool), hang budget and error reporting.
//
// Design: a program is decoded once (sim/isa) from its entry PC, following fall-through
// and direct branches, into XInsts that carry a handler pointer and pre-resolved operands
// (VGPR / SGPR / constant, literal and inline constants materialised for 32- and 64-bit
// use). Runs of no-ops (s_waitcnt, s_delay_alu, s_clause, s_nop) are folded into the
// preceding instruction's `next` link: counted for statistics and the budget, never run.
// Programs are cached per (entry PC, RSRC1) and re-decoded when the code bytes change.
// Registers are SoA (v[reg][lane]) so lane loops vectorise; handlers compute all 32 lanes
// and write back under EXEC. s_setpc/s_swappc to undecoded code decode lazily (locked).
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sim/shader.h"
#include "sim/shader_impl.h"

namespace spork::sim {
namespace detail {

void prepare_memory_inst(XInst& x, std::string_view n);  // shader_mem.cpp

namespace {

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

}  // namespace
void h_setpc(Wave& w, const XInst& x);
void h_swappc(Wave& w, const XInst& x);
void h_call(Wave& w, const XInst& x);
namespace {

std::unordered_map<std::string, OpEntry>& registry() {
  static std::unordered_map<std::string, OpEntry> r;
  return r;
}
void ensure_registered() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_valu_ops();
    register_scalar_ops();
    register_memory_ops();
    register_op("s_setpc_b64", h_setpc, C_BRANCH);
    register_op("s_swappc_b64", h_swappc, C_BRANCH);
    register_op("s_call_b64", h_call, C_BRANCH);
  });
}

std::string wave_name(const Wave& w) {
  const uint32_t* g = w.ctx ? w.ctx->wg_id : nullptr;
  char b[96];
  std::snprintf(b, sizeof b, "wg (%u,%u,%u) wave %u", g ? g[0] : 0, g ? g[1] : 0, g ? g[2] : 0, w.index);
  return b;
}
std::string where(const Wave& w, const XInst& x) {
  std::string s = wave_name(w);
  if (x.d) s += " at PC " + hex(x.d->pc) + " (" + isa::disassemble(*x.d) + ")";
  return s;
}

void h_unimplemented(Wave& w, const XInst& x) {
  throw UnimplementedError("unimplemented gfx11 instruction '" + (x.d ? isa::mnemonic(*x.d) : std::string("?")) +
                           "' in " + where(w, x));
}
void h_bad_operand(Wave& w, const XInst& x) {
  throw UnimplementedError("unsupported operand (DPP/SDWA or reserved source) in " + where(w, x));
}

}  // namespace

void register_op(std::string_view name, Handler fn, uint8_t cls, uint8_t flags, uint8_t fma) {
  registry()[std::string(name)] = OpEntry{fn, cls, fma, flags};
}
const OpEntry* find_handler(std::string_view name) {
  auto& r = registry();
  auto it = r.find(std::string(name));
  return it == r.end() ? nullptr : &it->second;
}
[[noreturn]] void throw_shader_error(const Wave& w, const XInst& x, const std::string& what) {
  throw ShaderError(what + " — " + where(w, x));
}

// ---- programs ---------------------------------------------------------------------------
struct Program;
void h_setpc(Wave& w, const XInst& x);
void h_swappc(Wave& w, const XInst& x);
void h_call(Wave& w, const XInst& x);
void h_undecodable(Wave& w, const XInst& x) {
  throw ShaderError(std::string("cannot execute: ") + (x.note ? x.note : "undecodable instruction") + " — " +
                    where(w, x));
}

struct Program {
  const Memory* mem = nullptr;
  uint64_t entry = 0;
  uint32_t rsrc1 = 0;
  std::deque<isa::Inst> insts;
  std::deque<XInst> xs;
  std::deque<std::string> errors;  // texts of undecodable instructions
  std::unordered_map<uint64_t, XInst*> by_pc;
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> bytes;  // what was decoded (cache check)
  std::mutex mu;                                                 // lazy decoding (s_setpc to a new PC)

  // Still the same code in memory?
  bool unchanged() const {
    for (const auto& [pc, b] : bytes) {
      try {
        Memory::Range r = mem->lookup(pc, b.size(), Access::Exec);
        if (std::memcmp(r.ptr(pc), b.data(), b.size()) != 0) return false;
      } catch (const VmFault&) {
        return false;
      }
    }
    return true;
  }

  XInst* make_error(uint64_t pc, const std::string& why) {
    isa::Inst& in = insts.emplace_back();
    in.pc = pc;
    in.info = nullptr;
    XInst& x = xs.emplace_back();
    x.fn = h_undecodable;
    x.d = &in;
    errors.push_back(why);
    x.note = errors.back().c_str();
    return &x;
  }

  // Decodes every instruction reachable from pc by fall-through and direct branches.
  XInst* decode_from(uint64_t start) {
    auto found = by_pc.find(start);
    if (found != by_pc.end()) return found->second;
    std::vector<uint64_t> work{start};
    std::vector<XInst*> fresh;
    while (!work.empty()) {
      uint64_t pc = work.back();
      work.pop_back();
      while (!by_pc.count(pc)) {
        Memory::Range r;
        try {
          r = mem->lookup(pc, 4, Access::Exec);
        } catch (const VmFault& f) {
          by_pc[pc] = make_error(pc, f.what());
          break;
        }
        const size_t avail = std::min<uint64_t>(r.va_end - pc, 16);
        isa::Inst& in = insts.emplace_back();
        std::string err;
        if (!isa::decode(r.ptr(pc), avail, pc, in, &err)) {
          insts.pop_back();
          by_pc[pc] = make_error(pc, err);
          break;
        }
        bytes.emplace_back(pc, std::vector<uint8_t>(r.ptr(pc), r.ptr(pc) + in.size));
        XInst& x = xs.emplace_back();
        prepare(x, in);
        by_pc[pc] = &x;
        fresh.push_back(&x);
        const std::string name = in.info ? in.info->name : "";
        const bool branch = in.enc == isa::Enc::SOPP && (name == "s_branch" || name.rfind("s_cbranch", 0) == 0);
        if (branch || name == "s_call_b64") work.push_back(pc + 4 + static_cast<int64_t>(in.simm) * 4);
        if (name == "s_endpgm" || name == "s_branch" || name == "s_setpc_b64" || name == "s_code_end" ||
            name == "s_endpgm_saved" || name == "s_rfe_b64" || (name == "s_trap") || !in.info)
          break;
        pc += in.size;
      }
    }
    for (XInst* x : fresh) {
      const isa::Inst& in = *x->d;
      auto n = by_pc.find(in.pc + in.size);
      x->next = n != by_pc.end() ? n->second : nullptr;
      const std::string name = in.info ? in.info->name : "";
      if (name == "s_branch" || name.rfind("s_cbranch", 0) == 0 || name == "s_call_b64") {
        auto t = by_pc.find(in.pc + 4 + static_cast<int64_t>(in.simm) * 4);
        x->target = t != by_pc.end() ? t->second : nullptr;
      }
    }
    // A fall-through that leaves the decoded code (after an unknown opcode) is an error there.
    for (XInst* x : fresh)
      if (!x->next) x->next = make_error(x->d->pc + x->d->size, "execution ran past the decoded program");
    // Fold runs of no-ops (waits, delay hints) into the preceding instruction: they are
    // counted (statistics, budget) but never dispatched.
    for (XInst* x : fresh) x->raw_next = x->next;
    for (XInst* x : fresh) {
      const XInst* n = x->raw_next;
      unsigned wait = 0, other = 0;
      while (n && n->nop && wait < 255 && other < 255) {
        (n->cls == C_WAITCNT ? wait : other) += 1;
        n = n->raw_next;
      }
      if (n) {
        x->next = n;
        x->fold_wait = static_cast<uint8_t>(wait);
        x->fold_other = static_cast<uint8_t>(other);
      }
    }
    return by_pc.at(start);
  }

  void prepare(XInst& x, const isa::Inst& in) {
    x.d = &in;
    x.dst = in.dst;
    x.sdst = in.sdst;
    x.nsrc = in.nsrc;
    x.neg = in.neg;
    x.abs = in.abs;
    x.clamp = in.clamp;
    x.omod = in.omod;
    x.opsel = in.opsel;
    x.opsel_hi = in.opsel_hi;
    x.neg_hi = in.neg_hi;
    x.imm = in.simm;
    x.glc = in.glc;
    x.sve = in.sve;
    x.addr = in.addr;
    x.data0 = in.data0;
    x.data1 = in.data1;
    x.saddr = in.saddr;
    x.off0 = in.off0;
    x.off1 = in.off1;
    if (in.enc == isa::Enc::VOPD) {
      prepare_vopd(x, in);
      return;
    }
    if (!in.info) {
      x.fn = h_unimplemented;
      return;
    }
    std::string name = in.info->name;
    if (name.size() > 4 && (name.ends_with("_e32") || name.ends_with("_e64"))) name.resize(name.size() - 4);
    const OpEntry* h = find_handler(name);
    if (!h) {
      x.fn = h_unimplemented;
      return;
    }
    x.fn = h->fn;
    x.cls = h->cls;
    x.fma = h->fma;
    x.nop = h->flags & F_NOP;
    for (int i = 0; i < 3; ++i) x.src[i] = in.src[i];
    resolve_sources(x, in, h->flags);
    // Scalar destinations: writes to null go to a sink slot.
    if (x.dst == isa::kNull) x.dst = kSink;
    if (x.sdst == isa::kNull) x.sdst = kSink;
    switch (in.enc) {
      case isa::Enc::SMEM:
        x.addr = in.sbase;
        x.saddr = in.soffset;
        x.dwords = static_cast<uint8_t>(name == "s_load_b32"    ? 1
                                        : name == "s_load_b64"  ? 2
                                        : name == "s_load_b128" ? 4
                                        : name == "s_load_b256" ? 8
                                                                : 16);
        break;
      case isa::Enc::DS:
      case isa::Enc::FLAT:
      case isa::Enc::GLOBAL:
      case isa::Enc::SCRATCH:
        prepare_memory_inst(x, name);
        if (in.enc != isa::Enc::DS) x.glc = in.glc || (x.glc && in.enc == isa::Enc::DS);
        break;
      case isa::Enc::SOPK:
        if (name == "s_setreg_imm32_b32") x.k[0] = in.lit;
        if (name.rfind("s_cmpk_", 0) == 0 && name.ends_with("_u32")) x.imm = in.simm & 0xFFFF;
        break;
      case isa::Enc::SOP1:
        if (name == "s_setpc_b64") x.fn = h_setpc;
        if (name == "s_swappc_b64") x.fn = h_swappc;
        if (x.fn == h_setpc || x.fn == h_swappc) x.cls = C_BRANCH;
        break;
      default:
        break;
    }
    if (name == "s_call_b64") x.fn = h_call, x.cls = C_BRANCH;
    if (name == "v_add_co_ci_u32" || name == "v_sub_co_ci_u32" || name == "v_subrev_co_ci_u32") x.aux = 1;
    // Hot path: VOP2 v_fmac_f32 with VGPR sources and no modifiers.
    if (name == "v_fmac_f32" && x.kind[0] == K_VGPR && x.kind[1] == K_VGPR && !x.neg && !x.abs && !x.clamp && !x.omod &&
        !ftz32())
      x.fn = vop2_fmac_vv;
  }

  bool ftz32() const { return ((rsrc1 >> 16) & 3) != 3; }

  void resolve_sources(XInst& x, const isa::Inst& in, uint8_t flags) {
    for (int i = 0; i < 3; ++i) {
      const uint16_t c = x.src[i];
      if (c >= isa::kVgpr0) {
        x.kind[i] = K_VGPR;
      } else if (c < 128) {
        x.kind[i] = K_SREG;
      } else if (c <= 208) {
        const int32_t v = c <= 192 ? static_cast<int32_t>(c) - 128 : 192 - static_cast<int32_t>(c);
        x.kind[i] = K_CONST;
        x.k[i] = static_cast<uint32_t>(v);
        x.k64[i] = static_cast<uint64_t>(static_cast<int64_t>(v));
      } else if (c >= 240 && c <= 248) {
        static const float f[] = {0.5f, -0.5f, 1.0f, -1.0f, 2.0f, -2.0f, 4.0f, -4.0f, 0.15915494f};
        static const uint16_t h[] = {0x3800, 0xB800, 0x3C00, 0xBC00, 0x4000, 0xC000, 0x4400, 0xC400, 0x3118};
        const double d = c == 248 ? 0.15915494309189532 : static_cast<double>(f[c - 240]);
        x.kind[i] = K_CONST;
        x.k[i] = (flags & F_FP16) ? h[c - 240] : std::bit_cast<uint32_t>(f[c - 240]);
        x.k64[i] = std::bit_cast<uint64_t>(d);
      } else if (c == isa::kLiteral) {
        x.kind[i] = K_CONST;
        x.k[i] = in.lit;
        x.k64[i] = (flags & F_FP64)       ? static_cast<uint64_t>(in.lit) << 32
                   : (flags & F_SIGNED64) ? static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(in.lit)))
                                          : in.lit;
      } else if (c == isa::kSharedBase || c == isa::kPrivateBase) {
        x.kind[i] = K_CONST;
        x.k64[i] = c == isa::kSharedBase ? kSharedAperture : kPrivateAperture;
        x.k[i] = static_cast<uint32_t>(x.k64[i]);
      } else if (c == isa::kSharedLimit || c == isa::kPrivateLimit) {
        x.kind[i] = K_CONST;
        x.k64[i] = (c == isa::kSharedLimit ? kSharedAperture : kPrivateAperture) + kApertureSize - 1;
        x.k[i] = static_cast<uint32_t>(x.k64[i]);
      } else if (c == isa::kScc || c == isa::kVccz || c == isa::kExecz) {
        x.kind[i] = K_SPECIAL;
      } else if (i < in.nsrc) {
        x.fn = h_bad_operand;
      }
    }
  }

  void prepare_vopd(XInst& x, const isa::Inst& in) {
    x.cls = C_VOPD;
    if (!in.info || !in.infoy) {
      x.fn = h_unimplemented;
      return;
    }
    XInst* half[2];
    for (int k = 0; k < 2; ++k) {
      const isa::OpInfo* info = k == 0 ? in.info : in.infoy;
      XInst& h = xs.emplace_back();
      h.d = &in;
      h.dst = k == 0 ? in.dst : in.dsty;
      h.src[0] = k == 0 ? in.src[0] : in.srcy[0];
      h.src[1] = k == 0 ? in.src[1] : in.srcy[1];
      h.nsrc = 2;
      std::string n = std::string("v_") + (info->name + 7);  // v_dual_X -> v_X
      if (n == "v_fmac_f32") {
        h.src[2] = h.dst;
        h.nsrc = 3;
      } else if (n == "v_fmaak_f32") {
        n = "v_fma_f32";
        h.src[2] = isa::kLiteral;
        h.nsrc = 3;
      } else if (n == "v_fmamk_f32") {
        n = "v_fma_f32";
        h.src[2] = h.src[1];
        h.src[1] = isa::kLiteral;
        h.nsrc = 3;
      } else if (n == "v_cndmask_b32") {
        h.src[2] = isa::kVccLo;
        h.nsrc = 3;
      } else if (n == "v_mov_b32") {
        h.nsrc = 1;
      }
      const OpEntry* e = find_handler(n);
      if (!e) {
        x.fn = h_unimplemented;
        return;
      }
      h.fn = e->fn;
      h.cls = C_VALU;
      h.fma = e->fma;
      resolve_sources(h, in, e->flags);
      if (h.fn == h_bad_operand) {
        x.fn = h_bad_operand;
        return;
      }
      half[k] = &h;
    }
    x.xa = half[0];
    x.xb = half[1];
    x.fma = half[0]->fma + half[1]->fma;
    // Y reads X's destination: X's result must not be visible to Y.
    for (int i = 0; i < half[1]->nsrc; ++i)
      if (half[1]->src[i] == half[0]->dst) x.vopd_hazard = true;
    const bool fast = half[0]->fn == find_handler("v_fmac_f32")->fn && half[1]->fn == half[0]->fn && !x.vopd_hazard &&
                      half[0]->kind[0] == K_VGPR && half[0]->kind[1] == K_VGPR && half[1]->kind[0] == K_VGPR &&
                      half[1]->kind[1] == K_VGPR && !ftz32();
    x.fn = fast ? vopd_fmac_fmac : h_vopd;
  }

  static void h_vopd(Wave& w, const XInst& x) {
    if (!x.vopd_hazard) {
      x.xa->fn(w, *x.xa);
      x.xb->fn(w, *x.xb);
      return;
    }
    // Keep X's result aside while Y reads the old value of X's destination.
    uint32_t* d = w.v[x.xa->dst - isa::kVgpr0];
    uint32_t* keep = w.tmp[5];
    std::memcpy(keep, d, sizeof(uint32_t) * kLanes);
    x.xa->fn(w, *x.xa);
    for (unsigned l = 0; l < kLanes; ++l) std::swap(keep[l], d[l]);
    x.xb->fn(w, *x.xb);
    std::memcpy(d, keep, sizeof(uint32_t) * kLanes);
  }

  XInst* at(uint64_t pc) {
    std::lock_guard lk(mu);
    return decode_from(pc);
  }
};

namespace {
Program* program_of(const Wave& w);
}

void h_setpc(Wave& w, const XInst& x) {
  const uint64_t pc = sv64(w, x, 0);
  w.nip = program_of(w)->at(pc);
}
void h_swappc(Wave& w, const XInst& x) {
  const uint64_t pc = sv64(w, x, 0);
  write_sgpr64(w, x.dst, x.d->pc + x.d->size);
  w.nip = program_of(w)->at(pc);
}
void h_call(Wave& w, const XInst& x) {
  write_sgpr64(w, x.dst, x.d->pc + x.d->size);
  w.nip = x.target;
}

namespace {
thread_local Program* tls_program = nullptr;
Program* program_of(const Wave&) { return tls_program; }
}  // namespace

}  // namespace detail

// ---- the core ------------------------------------------------------------------------------
using namespace detail;

struct ShaderCore::Impl {
  Memory& mem;
  std::mutex mu;
  std::map<std::pair<uint64_t, uint32_t>, std::unique_ptr<Program>> programs;
  std::vector<std::unique_ptr<Program>> retired;
  explicit Impl(Memory& m) : mem(m) {}

  Program& program(uint64_t addr, uint32_t rsrc1) {
    std::lock_guard lk(mu);
    auto key = std::make_pair(addr, rsrc1);
    auto it = programs.find(key);
    if (it != programs.end() && it->second->unchanged()) return *it->second;
    mem.lookup(addr, 4, Access::Exec);  // an unmapped or non-executable entry point faults here
    auto p = std::make_unique<Program>();
    p->mem = &mem;
    p->entry = addr;
    p->rsrc1 = rsrc1;
    p->decode_from(addr);
    Program& ref = *p;
    // A replaced program stays alive: another dispatch on this core may still run it.
    if (it != programs.end()) retired.push_back(std::move(it->second));
    programs[key] = std::move(p);
    return ref;
  }
};

ShaderCore::ShaderCore(Memory& mem) : impl_(new Impl(mem)) { ensure_registered(); }
ShaderCore::~ShaderCore() { delete impl_; }

namespace {

struct Shared {
  std::atomic<uint64_t> next_wg{0};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> budget{0};
  std::mutex err_mu;
  std::exception_ptr err;
  void fail(std::exception_ptr e) {
    std::lock_guard lk(err_mu);
    if (!err) err = e;
    stop = true;
  }
};

struct Budget {
  Shared* sh;
  const std::atomic<bool>* cancel = nullptr;
  int64_t left = 0;
  bool cancelled = false;
  bool refill() {
    if (sh->stop.load(std::memory_order_relaxed)) return false;
    if (cancel && cancel->load(std::memory_order_relaxed)) {
      cancelled = true;
      return false;
    }
    constexpr int64_t kChunk = 1 << 16;
    const int64_t got = sh->budget.fetch_sub(kChunk, std::memory_order_relaxed);
    if (got <= 0) return false;
    left = got < kChunk ? got : kChunk;
    return true;
  }
};

struct Stopped {};  // another worker failed: unwind quietly

template <bool kStats>
void run_wave(Wave& w, Budget& b, DispatchStats& st, uint64_t total_budget) {
  const XInst* ip = w.ip;
  for (;;) {
    if (b.left <= 0) {
      w.ip = ip;
      if (!b.refill()) {
        if (b.sh->stop.load()) throw Stopped{};
        if (b.cancelled)
          throw CancelledError("dispatch abandoned (the submission was cancelled or the GPU is being destroyed): " +
                               wave_name(w) + " at PC " + hex(ip->d ? ip->d->pc : 0) + " (" +
                               (ip->d ? isa::disassemble(*ip->d) : std::string("?")) + ")");
        throw HangError("dispatch exceeded its budget of " + std::to_string(total_budget) +
                        " wave-instructions (a hang or an endless loop?): " + wave_name(w) + " at PC " +
                        hex(ip->d ? ip->d->pc : 0) + " (" + (ip->d ? isa::disassemble(*ip->d) : std::string("?")) +
                        ")");
      }
    }
    const XInst* x = ip;
    b.left -= 1 + x->fold_wait + x->fold_other;
    w.ip = x;
    w.nip = x->next;
    if constexpr (kStats) {
      const uint32_t lanes = popcount32(w.exec());
      switch (x->cls) {
        case C_SALU:
          ++st.salu;
          break;
        case C_VALU:
          ++st.valu;
          st.valu_active_lanes += lanes;
          break;
        case C_VOPD:
          ++st.vopd;
          break;
        case C_SMEM:
          ++st.smem;
          break;
        case C_VMEM:
          ++st.vmem;
          break;
        case C_LDS:
          ++st.lds;
          break;
        case C_BRANCH:
          ++st.branch;
          break;
        case C_WAITCNT:
          ++st.waitcnt;
          break;
        default:
          ++st.other;
          break;
      }
      st.fma_lanes += static_cast<uint64_t>(x->fma) * lanes;
      st.waitcnt += x->fold_wait;
      st.other += x->fold_other;
    }
    x->fn(w, *x);
    ip = w.nip;
    if (w.status) {
      w.ip = ip;
      return;
    }
  }
}

}  // namespace

DispatchStats ShaderCore::dispatch(const DispatchState& st, const DispatchOptions& opts) {
  const uint32_t rsrc1 = st.pgm_rsrc1, rsrc2 = st.pgm_rsrc2;
  if (!(st.dispatch_initiator & (1u << 15)))
    throw ShaderError(
        "wave64 dispatch (COMPUTE_DISPATCH_INITIATOR.CS_W32_EN = 0): the simulated gfx11 core runs wave32 "
        "only; set CS_W32_EN for code objects built for wave32");
  const uint32_t nx = st.num_thread[0] & 0xFFFF, ny = st.num_thread[1] & 0xFFFF, nz = st.num_thread[2] & 0xFFFF;
  if (!nx || !ny || !nz)
    throw ShaderError("COMPUTE_NUM_THREAD_X/Y/Z is zero (" + std::to_string(nx) + "x" + std::to_string(ny) + "x" +
                      std::to_string(nz) + ")");
  const uint32_t threads = nx * ny * nz;
  if (threads > 1024) throw ShaderError("workgroup of " + std::to_string(threads) + " threads exceeds 1024");
  const unsigned waves_per_wg = (threads + kLanes - 1) / kLanes;
  uint64_t gx = st.dim[0] > st.start[0] ? st.dim[0] - st.start[0] : 0;
  uint64_t gy = st.dim[1] > st.start[1] ? st.dim[1] - st.start[1] : 0;
  uint64_t gz = st.dim[2] > st.start[2] ? st.dim[2] - st.start[2] : 0;
  const uint64_t total_wgs = gx * gy * gz;
  DispatchStats total{};
  if (total_wgs == 0) return total;

  const unsigned user_sgprs = (rsrc2 >> 1) & 0x1F;
  const bool tgid_en[3] = {bool(rsrc2 >> 7 & 1), bool(rsrc2 >> 8 & 1), bool(rsrc2 >> 9 & 1)};
  const bool tg_size_en = rsrc2 >> 10 & 1;
  const unsigned tidig = (rsrc2 >> 11) & 3;
  const uint32_t lds_bytes = ((rsrc2 >> 15) & 0x1FF) * 512;
  const bool scratch_en = rsrc2 & 1;
  const uint32_t float_mode = (rsrc1 >> 12) & 0xFF;
  const bool dx10 = rsrc1 >> 21 & 1, ieee = rsrc1 >> 23 & 1;
  const uint64_t wave_scratch = static_cast<uint64_t>((st.tmpring_size >> 12) & 0x7FFF) * 256;  // gfx11: 256-byte units
  const uint32_t scratch_waves = st.tmpring_size & 0xFFF;

  Program& prog = impl_->program(st.pgm_addr, rsrc1);
  const XInst* entry = prog.at(st.pgm_addr);

  unsigned workers = opts.threads ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
  workers = static_cast<unsigned>(std::min<uint64_t>(workers, total_wgs));
  const bool have_scratch = scratch_en && wave_scratch > 0;
  if (have_scratch) {
    if (scratch_waves < waves_per_wg)
      throw ShaderError("COMPUTE_TMPRING_SIZE.WAVES = " + std::to_string(scratch_waves) +
                        " leaves no scratch slot for a " + std::to_string(waves_per_wg) + "-wave workgroup");
    workers = std::min(workers, scratch_waves / waves_per_wg);
  }

  Shared sh;
  sh.budget = static_cast<int64_t>(std::min<uint64_t>(opts.instruction_budget, INT64_MAX / 2));
  std::vector<DispatchStats> stats(workers);
  Memory::Pin pin(impl_->mem);

  auto worker = [&](unsigned t) {
    tls_program = &prog;
    DispatchStats& ds = stats[t];
    std::vector<uint8_t> lds(lds_bytes);
    std::vector<std::unique_ptr<Wave>> waves;
    for (unsigned i = 0; i < waves_per_wg; ++i) waves.push_back(std::make_unique<Wave>());
    WgCtx ctx;
    ctx.mem = &impl_->mem;
    ctx.lds = lds.data();
    ctx.lds_size = lds_bytes;
    ctx.scratch_en = have_scratch;
    ctx.scratch_wave_bytes = wave_scratch;
    ctx.scratch_lane_bytes = static_cast<uint32_t>(wave_scratch / kLanes);
    ctx.scratch_base = st.scratch_base + static_cast<uint64_t>(t) * waves_per_wg * wave_scratch;
    ctx.stats = &ds;
    Budget b{&sh, opts.cancel};
    Wave* current = nullptr;
    try {
      for (;;) {
        if (sh.stop.load(std::memory_order_relaxed)) return;
        const uint64_t i = sh.next_wg.fetch_add(1);
        if (i >= total_wgs) break;
        ctx.wg_id[0] = static_cast<uint32_t>(st.start[0] + i % gx);
        ctx.wg_id[1] = static_cast<uint32_t>(st.start[1] + (i / gx) % gy);
        ctx.wg_id[2] = static_cast<uint32_t>(st.start[2] + i / (gx * gy));
        std::fill(lds.begin(), lds.end(), 0);
        ++ds.workgroups;
        for (unsigned wi = 0; wi < waves_per_wg; ++wi) {
          Wave& w = *waves[wi];
          std::memset(w.v, 0, sizeof w.v);
          std::memset(w.s, 0, sizeof w.s);
          w.scc = false;
          w.status = 0;
          w.ctx = &ctx;
          w.index = wi;
          w.ip = entry;
          w.scratch_base = ctx.scratch_base + wi * wave_scratch;
          w.mode = float_mode;
          w.ftz32 = ((float_mode >> 4) & 3) != 3;
          w.ftz64 = ((float_mode >> 6) & 3) != 3;
          w.ieee = ieee;
          w.dx10 = dx10;
          w.trapsts = 0;
          for (auto& k : w.tlb)
            for (auto& r : k) r = Memory::Range{};
          unsigned s = 0;
          for (; s < user_sgprs && s < 16; ++s) w.s[s] = st.user_data[s];
          for (int d = 0; d < 3; ++d)
            if (tgid_en[d]) w.s[s++] = ctx.wg_id[d];
          if (tg_size_en) w.s[s++] = waves_per_wg;  // TG_SIZE: waves in the workgroup
          const unsigned first = wi * kLanes;
          const unsigned n = std::min<unsigned>(kLanes, threads - first);
          w.s[isa::kExecLo] = n == 32 ? 0xFFFFFFFFu : (1u << n) - 1u;
          for (unsigned l = 0; l < kLanes; ++l) {
            const unsigned tid = first + l;
            const uint32_t x = tid % nx, y = (tid / nx) % ny, z = tid / (nx * ny);
            w.v[0][l] = l < n ? (x | (tidig >= 1 ? y << 10 : 0) | (tidig >= 2 ? z << 20 : 0)) : 0;
          }
          ++ds.waves;
        }
        // Run the waves round-robin: each until it finishes or reaches s_barrier.
        for (;;) {
          bool any_running = false;
          unsigned live = 0, waiting = 0;
          for (auto& wp : waves) {
            Wave& w = *wp;
            if (w.status == 0) {
              current = &w;
              if (opts.collect_stats)
                run_wave<true>(w, b, ds, opts.instruction_budget);
              else
                run_wave<false>(w, b, ds, opts.instruction_budget);
              current = nullptr;
              any_running = true;
            }
          }
          for (auto& wp : waves) {
            if (wp->status != 2) ++live;
            if (wp->status == 1) ++waiting;
          }
          if (live == 0) break;
          if (waiting == live) {
            for (auto& wp : waves)
              if (wp->status == 1) wp->status = 0;
          } else if (!any_running) {
            break;  // cannot happen: some wave is runnable whenever one is live and not all wait
          }
        }
      }
    } catch (const Stopped&) {
    } catch (const VmFault& f) {
      VmFault e(f.address, f.access, f.what());
      if (current && current->ip) {
        e = VmFault(f.address, f.access,
                    std::string(f.what()) + " — " + wave_name(*current) + " at PC " +
                        hex(current->ip->d ? current->ip->d->pc : 0) + " (" +
                        (current->ip->d ? isa::disassemble(*current->ip->d) : "?") + ")");
        e.wave = wave_name(*current);
        e.pc = current->ip->d ? current->ip->d->pc : 0;
        e.instruction = current->ip->d ? isa::disassemble(*current->ip->d) : "";
      }
      sh.fail(std::make_exception_ptr(e));
    } catch (...) {
      sh.fail(std::current_exception());
    }
  };

  if (workers <= 1) {
    worker(0);
  } else {
    std::vector<std::thread> pool;
    pool.reserve(workers);
    try {
      for (unsigned t = 0; t < workers; ++t) pool.emplace_back(worker, t);
    } catch (...) {
      sh.fail(std::current_exception());
    }
    for (auto& th : pool) th.join();
  }
  tls_program = nullptr;
  if (sh.err) std::rethrow_exception(sh.err);
  for (const DispatchStats& s : stats) {
    total.waves += s.waves;
    total.workgroups += s.workgroups;
    total.salu += s.salu;
    total.valu += s.valu;
    total.vopd += s.vopd;
    total.smem += s.smem;
    total.vmem += s.vmem;
    total.lds += s.lds;
    total.branch += s.branch;
    total.waitcnt += s.waitcnt;
    total.other += s.other;
    total.valu_active_lanes += s.valu_active_lanes;
    total.fma_lanes += s.fma_lanes;
    for (int d = 0; d < 2; ++d) total.bytes_read[d] += s.bytes_read[d], total.bytes_written[d] += s.bytes_written[d];
    total.lds_bytes += s.lds_bytes;
  }
  return total;
}

}  // namespace spork::sim
