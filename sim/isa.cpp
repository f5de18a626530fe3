#include "sim/isa.h"

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string_view>
#include <vector>

namespace spork::sim::isa {

namespace {

const OpInfo kTable[] = {
#include "sim/isa_table.inc"
};

constexpr int kEncCount = static_cast<int>(Enc::VOPD) + 1;

struct Index {
  std::vector<const OpInfo*> by_enc[kEncCount];
  Index() {
    for (int e = 0; e < kEncCount; ++e) by_enc[e].assign(1024, nullptr);
    for (const OpInfo& o : kTable) by_enc[static_cast<int>(o.enc)][o.op] = &o;
  }
};
const Index& index() {
  static const Index idx;
  return idx;
}

bool starts(const char* s, const char* p) { return std::strncmp(s, p, std::strlen(p)) == 0; }
bool has(const char* s, const char* p) { return std::strstr(s, p) != nullptr; }

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

int32_t sext(uint32_t v, int bits) { return static_cast<int32_t>(v << (32 - bits)) >> (32 - bits); }

// VOP3 instructions with a scalar carry/condition destination in bits [14:8] (VOP3SD).
bool is_vop3sd(const char* n) {
  return starts(n, "v_add_co_u32") || starts(n, "v_sub_co_u32") || starts(n, "v_subrev_co_u32") ||
         starts(n, "v_add_co_ci_u32") || starts(n, "v_sub_co_ci_u32") || starts(n, "v_subrev_co_ci_u32") ||
         starts(n, "v_div_scale_f") || starts(n, "v_mad_u64_u32") || starts(n, "v_mad_i64_i32");
}

}  // namespace

const char* to_string(Enc e) {
  static const char* const n[] = {"SOP2", "SOPK",    "SOP1",   "SOPC",  "SOPP",  "SMEM",  "VOP2",
                                  "VOP1", "VOPC",    "VOP3",   "VOP3P", "VOPDX", "VOPDY", "DS",
                                  "FLAT", "SCRATCH", "GLOBAL", "MUBUF", "VOPD"};
  return n[static_cast<int>(e)];
}

const OpInfo* find_op(Enc enc, unsigned op) {
  if (op >= 1024) return nullptr;
  return index().by_enc[static_cast<int>(enc)][op];
}

bool decode(const uint8_t* p, size_t avail, uint64_t pc, Inst& in, std::string* err) {
  auto fail = [&](const std::string& why) {
    if (err) *err = why;
    return false;
  };
  if (avail < 4) return fail("truncated instruction at " + hex(pc));
  in = Inst{};
  in.pc = pc;
  auto rd = [&](size_t i) {
    uint32_t w;
    std::memcpy(&w, p + 4 * i, 4);
    return w;
  };
  const uint32_t w0 = rd(0);
  in.word[0] = w0;
  unsigned words = 1;
  auto need = [&](unsigned n) {
    if (avail < 4 * n) return false;
    for (unsigned i = words; i < n && i < 3; ++i) in.word[i] = rd(i);
    words = n;
    return true;
  };
  auto lit_if = [&](std::initializer_list<uint16_t> codes) {
    for (uint16_t c : codes)
      if (c == kLiteral) {
        in.has_lit = true;
        break;
      }
    if (in.has_lit) {
      if (avail < 4 * (words + 1)) return false;
      in.lit = rd(words);
      words += 1;
    }
    return true;
  };
  const char* name = "";

  if ((w0 >> 30) == 2) {  // scalar ALU
    if ((w0 >> 23) == 0x17D) {
      in.enc = Enc::SOP1;
      in.op = (w0 >> 8) & 0xFF;
      in.dst = (w0 >> 16) & 0x7F;
      in.src[0] = w0 & 0xFF;
      in.nsrc = 1;
    } else if ((w0 >> 23) == 0x17E) {
      in.enc = Enc::SOPC;
      in.op = (w0 >> 16) & 0x7F;
      in.src[0] = w0 & 0xFF;
      in.src[1] = (w0 >> 8) & 0xFF;
      in.nsrc = 2;
    } else if ((w0 >> 23) == 0x17F) {
      in.enc = Enc::SOPP;
      in.op = (w0 >> 16) & 0x7F;
      in.simm = sext(w0 & 0xFFFF, 16);
    } else if ((w0 >> 28) == 0xB) {
      in.enc = Enc::SOPK;
      in.op = (w0 >> 23) & 0x1F;
      in.dst = (w0 >> 16) & 0x7F;
      in.simm = sext(w0 & 0xFFFF, 16);
    } else {
      in.enc = Enc::SOP2;
      in.op = (w0 >> 23) & 0x7F;
      in.dst = (w0 >> 16) & 0x7F;
      in.src[0] = w0 & 0xFF;
      in.src[1] = (w0 >> 8) & 0xFF;
      in.nsrc = 2;
    }
    in.info = find_op(in.enc, in.op);
    name = in.info ? in.info->name : "";
    if (in.enc == Enc::SOP1 && in.info) {
      if (in.info->cleared & 1) in.dst = 0;
      if (in.info->cleared & 2) in.nsrc = 0;
    }
    if (in.enc == Enc::SOPK && in.info && std::strcmp(name, "s_setreg_imm32_b32") == 0) {
      if (!need(2)) return fail("truncated s_setreg_imm32_b32");
      in.has_lit = true;
      in.lit = in.word[1];
    } else if (in.nsrc == 1) {
      if (!lit_if({in.src[0]})) return fail("truncated literal");
    } else if (in.nsrc == 2) {
      if (!lit_if({in.src[0], in.src[1]})) return fail("truncated literal");
    }
  } else if ((w0 >> 31) == 0) {  // VOP1 / VOPC / VOP2
    if ((w0 >> 25) == 0x3F) {
      in.enc = Enc::VOP1;
      in.op = (w0 >> 9) & 0xFF;
      in.dst = kVgpr0 + ((w0 >> 17) & 0xFF);
      in.src[0] = w0 & 0x1FF;
      in.nsrc = 1;
      in.info = find_op(in.enc, in.op);
      if (in.info && starts(in.info->name, "v_readfirstlane")) in.dst = (w0 >> 17) & 0xFF;
      if (in.info && (in.info->cleared & 2)) in.nsrc = 0;
    } else if ((w0 >> 25) == 0x3E) {
      in.enc = Enc::VOPC;
      in.op = (w0 >> 17) & 0xFF;
      in.src[0] = w0 & 0x1FF;
      in.src[1] = kVgpr0 + ((w0 >> 9) & 0xFF);
      in.nsrc = 2;
      in.info = find_op(in.enc, in.op);
      in.sdst = in.info && starts(in.info->name, "v_cmpx") ? kExecLo : kVccLo;
    } else {
      in.enc = Enc::VOP2;
      in.op = (w0 >> 25) & 0x3F;
      in.dst = kVgpr0 + ((w0 >> 17) & 0xFF);
      in.src[0] = w0 & 0x1FF;
      in.src[1] = kVgpr0 + ((w0 >> 9) & 0xFF);
      in.nsrc = 2;
      in.info = find_op(in.enc, in.op);
    }
    name = in.info ? in.info->name : "";
    if (in.enc == Enc::VOP2 && (has(name, "fmamk") || has(name, "fmaak"))) {
      if (!need(2)) return fail("truncated literal");
      in.has_lit = true;
      in.lit = in.word[1];
      // fmamk: D = S0 * K + S1; fmaak: D = S0 * S1 + K.
      if (has(name, "fmamk")) {
        in.src[2] = in.src[1];
        in.src[1] = kLiteral;
      } else {
        in.src[2] = kLiteral;
      }
      in.nsrc = 3;
      if (in.src[0] == kLiteral) return fail("fmaak/fmamk with a second literal");
    } else {
      if (!lit_if({in.src[0]})) return fail("truncated literal");
      if (in.enc == Enc::VOP2 &&
          (starts(name, "v_add_co_ci") || starts(name, "v_sub_co_ci") || starts(name, "v_subrev_co_ci"))) {
        in.sdst = kVccLo;
        in.src[2] = kVccLo;
        in.nsrc = 3;
      } else if (in.enc == Enc::VOP2 && starts(name, "v_cndmask")) {
        in.src[2] = kVccLo;
        in.nsrc = 3;
      } else if (in.enc == Enc::VOP2 && (has(name, "fmac") || has(name, "dot2acc"))) {
        in.src[2] = in.dst;  // accumulator
        in.nsrc = 3;
      }
    }
  } else {
    const uint32_t top6 = w0 >> 26;
    if (top6 == 0x35) {  // VOP3 / VOP3SD
      if (!need(2)) return fail("truncated VOP3");
      const uint32_t w1 = in.word[1];
      in.enc = Enc::VOP3;
      in.op = (w0 >> 16) & 0x3FF;
      in.info = find_op(in.enc, in.op);
      name = in.info ? in.info->name : "";
      in.e64 = in.op < 512 && in.info && has(name, "_e64");
      in.clamp = (w0 >> 15) & 1;
      in.src[0] = w1 & 0x1FF;
      in.src[1] = (w1 >> 9) & 0x1FF;
      in.src[2] = (w1 >> 18) & 0x1FF;
      in.omod = (w1 >> 27) & 3;
      in.neg = (w1 >> 29) & 7;
      const unsigned vdst = w0 & 0xFF;
      if (is_vop3sd(name)) {
        in.sdst = (w0 >> 8) & 0x7F;
        in.dst = kVgpr0 + vdst;
      } else {
        in.abs = (w0 >> 8) & 7;
        in.opsel = (w0 >> 11) & 0xF;
        if (in.op < 256) {  // VOPC: scalar destination
          in.sdst = starts(name, "v_cmpx") ? static_cast<uint16_t>(kExecLo) : static_cast<uint16_t>(vdst);
        } else if (starts(name, "v_readlane") || starts(name, "v_readfirstlane")) {
          in.dst = vdst;
        } else {
          in.dst = kVgpr0 + vdst;
        }
      }
      // Sources present: VOP3 probes clear src2 (bit 0), src1 (bit 1), src0 (bit 2).
      unsigned n = 3;
      if (in.info) {
        if (in.info->cleared & 4)
          n = 0;
        else if (in.info->cleared & 2)
          n = 1;
        else if (in.info->cleared & 1)
          n = 2;
      }
      if (starts(name, "v_cmpx") && in.info) n = in.info->cleared & 1 ? 2 : 3;
      if (starts(name, "v_writelane")) n = 2;  // vdst is also read (lanes kept)
      if (in.op >= 256 && in.op < 384 && (has(name, "fmac") || has(name, "dot2acc"))) {
        n = 3;
        in.src[2] = in.dst;
      }
      in.nsrc = n;
      for (unsigned i = n; i < 3; ++i)
        if (!(has(name, "fmac") && i == 2)) in.src[i] = 0;
      if (!lit_if({in.nsrc > 0 ? in.src[0] : uint16_t(0), in.nsrc > 1 ? in.src[1] : uint16_t(0),
                   in.nsrc > 2 ? in.src[2] : uint16_t(0)}))
        return fail("truncated literal");
    } else if ((w0 >> 24) == 0xCC) {  // VOP3P
      if (!need(2)) return fail("truncated VOP3P");
      const uint32_t w1 = in.word[1];
      in.enc = Enc::VOP3P;
      in.op = (w0 >> 16) & 0x7F;
      in.info = find_op(in.enc, in.op);
      in.dst = kVgpr0 + (w0 & 0xFF);
      in.neg_hi = (w0 >> 8) & 7;
      in.opsel = (w0 >> 11) & 7;
      in.opsel_hi = ((w1 >> 27) & 3) | (((w0 >> 14) & 1) << 2);
      in.clamp = (w0 >> 15) & 1;
      in.src[0] = w1 & 0x1FF;
      in.src[1] = (w1 >> 9) & 0x1FF;
      in.src[2] = (w1 >> 18) & 0x1FF;
      in.neg = (w1 >> 29) & 7;
      in.nsrc = in.info && (in.info->cleared & 1) ? 2 : 3;
      if (!lit_if({in.src[0], in.src[1], in.nsrc > 2 ? in.src[2] : uint16_t(0)})) return fail("truncated literal");
    } else if (top6 == 0x32) {  // VOPD
      if (!need(2)) return fail("truncated VOPD");
      const uint32_t w1 = in.word[1];
      in.enc = Enc::VOPD;
      in.op = (w0 >> 22) & 0xF;
      in.opy = (w0 >> 17) & 0x1F;
      in.info = find_op(Enc::VOPDX, in.op);
      in.infoy = find_op(Enc::VOPDY, in.opy);
      in.src[0] = w0 & 0x1FF;
      in.src[1] = kVgpr0 + ((w0 >> 9) & 0xFF);
      in.srcy[0] = w1 & 0x1FF;
      in.srcy[1] = kVgpr0 + ((w1 >> 9) & 0xFF);
      const unsigned vdstx = w1 >> 24;
      in.dst = kVgpr0 + vdstx;
      in.dsty = kVgpr0 + ((((w1 >> 17) & 0x7F) << 1) | ((vdstx & 1) ^ 1));
      in.nsrc = 2;
      bool k = (in.info && (has(in.info->name, "fmaak") || has(in.info->name, "fmamk"))) ||
               (in.infoy && (has(in.infoy->name, "fmaak") || has(in.infoy->name, "fmamk")));
      if (k || in.src[0] == kLiteral || in.srcy[0] == kLiteral) {
        if (!need(3)) return fail("truncated VOPD literal");
        in.has_lit = true;
        in.lit = in.word[2];
      }
    } else if (top6 == 0x3D) {  // SMEM
      if (!need(2)) return fail("truncated SMEM");
      const uint32_t w1 = in.word[1];
      in.enc = Enc::SMEM;
      in.op = (w0 >> 18) & 0xFF;
      in.info = find_op(in.enc, in.op);
      in.dst = (w0 >> 6) & 0x7F;
      in.sbase = (w0 & 0x3F) << 1;
      in.glc = (w0 >> 14) & 1;
      in.dlc = (w0 >> 13) & 1;
      in.simm = sext(w1 & 0x1FFFFF, 21);
      in.soffset = w1 >> 25;
    } else if (top6 == 0x36) {  // DS
      if (!need(2)) return fail("truncated DS");
      const uint32_t w1 = in.word[1];
      in.enc = Enc::DS;
      in.op = (w0 >> 18) & 0xFF;
      in.info = find_op(in.enc, in.op);
      in.off0 = w0 & 0xFF;
      in.off1 = (w0 >> 8) & 0xFF;
      in.gds = (w0 >> 17) & 1;
      in.addr = kVgpr0 + (w1 & 0xFF);
      in.data0 = kVgpr0 + ((w1 >> 8) & 0xFF);
      in.data1 = kVgpr0 + ((w1 >> 16) & 0xFF);
      in.dst = kVgpr0 + (w1 >> 24);
    } else if (top6 == 0x37) {  // FLAT / SCRATCH / GLOBAL
      if (!need(2)) return fail("truncated FLAT");
      const uint32_t w1 = in.word[1];
      const unsigned seg = (w0 >> 16) & 3;
      if (seg == 3) return fail("FLAT segment 3 is reserved");
      in.enc = seg == 0 ? Enc::FLAT : seg == 1 ? Enc::SCRATCH : Enc::GLOBAL;
      in.op = (w0 >> 18) & 0x7F;
      in.info = find_op(in.enc, in.op);
      in.simm = sext(w0 & 0x1FFF, 13);
      in.dlc = (w0 >> 13) & 1;
      in.glc = (w0 >> 14) & 1;
      in.slc = (w0 >> 15) & 1;
      in.addr = kVgpr0 + (w1 & 0xFF);
      in.data0 = kVgpr0 + ((w1 >> 8) & 0xFF);
      in.saddr = (w1 >> 16) & 0x7F;
      in.sve = (w1 >> 23) & 1;
      in.dst = kVgpr0 + (w1 >> 24);
    } else if (top6 == 0x38) {  // MUBUF (only the cache-control instructions matter)
      if (!need(2)) return fail("truncated MUBUF");
      in.enc = Enc::MUBUF;
      in.op = (w0 >> 18) & 0xFF;
      in.info = find_op(in.enc, in.op);
      in.simm = w0 & 0xFFF;
    } else {
      char b[96];
      std::snprintf(b, sizeof b, "unsupported instruction encoding 0x%08x at 0x%llx", w0,
                    static_cast<unsigned long long>(pc));
      return fail(b);
    }
  }
  in.size = static_cast<uint8_t>(4 * words);
  return true;
}

std::string operand_text(uint16_t code, unsigned width, uint32_t lit, bool fp64) {
  (void)fp64;
  if (width == 0) width = 1;
  auto range = [&](const char* p, unsigned base) {
    if (width == 1) return std::string(p) + std::to_string(base);
    return std::string(p) + "[" + std::to_string(base) + ":" + std::to_string(base + width - 1) + "]";
  };
  if (code >= kVgpr0) return range("v", code - kVgpr0);
  if (code < 106) return range("s", code);
  if (code >= 108 && code <= 123) return range("ttmp", code - 108);
  switch (code) {
    case kVccLo:
      return width == 2 ? "vcc" : "vcc_lo";
    case kVccHi:
      return "vcc_hi";
    case kNull:
      return "null";
    case kM0:
      return "m0";
    case kExecLo:
      return width == 2 ? "exec" : "exec_lo";
    case kExecHi:
      return "exec_hi";
    case kSharedBase:
      return "src_shared_base";
    case kSharedLimit:
      return "src_shared_limit";
    case kPrivateBase:
      return "src_private_base";
    case kPrivateLimit:
      return "src_private_limit";
    case kPopsExitingWaveId:
      return "src_pops_exiting_wave_id";
    case kVccz:
      return "src_vccz";
    case kExecz:
      return "src_execz";
    case kScc:
      return "src_scc";
    case kLiteral: {
      // A literal that an inline constant could have encoded (a linker-patched value) prints like one.
      const int32_t v = static_cast<int32_t>(lit);
      if (v >= -16 && v <= 64) return std::to_string(v);
      return hex(lit);
    }
    case 240:
      return "0.5";
    case 241:
      return "-0.5";
    case 242:
      return "1.0";
    case 243:
      return "-1.0";
    case 244:
      return "2.0";
    case 245:
      return "-2.0";
    case 246:
      return "4.0";
    case 247:
      return "-4.0";
    case 248:
      return "0.15915494";
    default:
      break;
  }
  if (code >= 128 && code <= 192) return std::to_string(code - 128);
  if (code >= 193 && code <= 208) return std::to_string(192 - static_cast<int>(code));
  return "<operand " + std::to_string(code) + ">";
}

std::string mnemonic(const Inst& in) {
  if (in.enc == Enc::VOPD)
    return std::string(in.info ? in.info->name : "v_dual_<unknown>") +
           " :: " + (in.infoy ? in.infoy->name : "v_dual_<unknown>");
  if (in.info) return in.info->name;
  char b[64];
  std::snprintf(b, sizeof b, "<unknown %s opcode %u>", to_string(in.enc), in.op);
  return b;
}

namespace {

unsigned wat(const OpInfo* info, unsigned i, unsigned dflt = 1) {
  if (!info || i >= info->nops || i >= 6 || info->w[i] == 0) return dflt;
  return info->w[i];
}

std::string src_mod(const Inst& in, unsigned i, unsigned width) {
  std::string s = operand_text(in.src[i], width, in.lit);
  if (in.abs >> i & 1) s = "|" + s + "|";
  if (in.neg >> i & 1) s = "-" + s;
  return s;
}

std::string waitcnt_text(uint32_t imm) {
  unsigned vm = (imm >> 10) & 0x3F, exp = imm & 7, lgkm = (imm >> 4) & 0x3F;
  std::string s;
  auto add = [&](const char* n, unsigned v) {
    if (!s.empty()) s += " ";
    s += std::string(n) + "(" + std::to_string(v) + ")";
  };
  if (vm != 0x3F) add("vmcnt", vm);
  if (exp != 7) add("expcnt", exp);
  if (lgkm != 0x3F) add("lgkmcnt", lgkm);
  if (s.empty()) {  // nothing waited on: LLVM prints every counter
    add("vmcnt", vm);
    add("expcnt", exp);
    add("lgkmcnt", lgkm);
  }
  return s;
}

std::string delay_alu_text(uint32_t imm) {
  static const char* const id[] = {
      "NO_DEP",        "VALU_DEP_1",    "VALU_DEP_2",        "VALU_DEP_3",   "VALU_DEP_4",   "TRANS32_DEP_1",
      "TRANS32_DEP_2", "TRANS32_DEP_3", "FMA_ACCUM_CYCLE_1", "SALU_CYCLE_1", "SALU_CYCLE_2", "SALU_CYCLE_3"};
  static const char* const skip[] = {"SAME", "NEXT", "SKIP_1", "SKIP_2", "SKIP_3", "SKIP_4"};
  unsigned i0 = imm & 0xF, sk = (imm >> 4) & 7, i1 = (imm >> 7) & 0xF;
  std::string s;
  auto sep = [&] {
    if (!s.empty()) s += " | ";
  };
  if (i0) s += std::string("instid0(") + (i0 < 12 ? id[i0] : "?") + ")";
  if (sk) sep(), s += std::string("instskip(") + (sk < 6 ? skip[sk] : "?") + ")";
  if (i1) sep(), s += std::string("instid1(") + (i1 < 12 ? id[i1] : "?") + ")";
  if (s.empty()) s = "0";
  return s;
}

std::string hwreg_text(uint32_t imm) {
  const unsigned id = imm & 0x3F, off = (imm >> 6) & 0x1F, size = ((imm >> 11) & 0x1F) + 1;
  const char* n = nullptr;
  switch (id) {
    case 1:
      n = "HW_REG_MODE";
      break;
    case 2:
      n = "HW_REG_STATUS";
      break;
    case 3:
      n = "HW_REG_TRAPSTS";
      break;
    case 5:
      n = "HW_REG_GPR_ALLOC";
      break;
    case 6:
      n = "HW_REG_LDS_ALLOC";
      break;
    case 7:
      n = "HW_REG_IB_STS";
      break;
    case 15:
      n = "HW_REG_SH_MEM_BASES";
      break;
    case 20:
      n = "HW_REG_FLAT_SCR_LO";
      break;
    case 21:
      n = "HW_REG_FLAT_SCR_HI";
      break;
    case 23:
      n = "HW_REG_HW_ID1";
      break;
    case 24:
      n = "HW_REG_HW_ID2";
      break;
    default:
      break;
  }
  std::string s = "hwreg(" + (n ? std::string(n) : std::to_string(id));
  if (off != 0 || size != 32) s += ", " + std::to_string(off) + ", " + std::to_string(size);
  return s + ")";
}

std::string vopd_half(const char* name, uint16_t dst, const uint16_t* src, uint32_t lit, const Inst& in) {
  (void)in;
  std::string s = std::string(name) + " " + operand_text(dst, 1, lit);
  std::string n = name;
  if (n == "v_dual_mov_b32") return s + ", " + operand_text(src[0], 1, lit);
  if (n.find("fmamk") != std::string::npos)
    return s + ", " + operand_text(src[0], 1, lit) + ", " + hex(lit) + ", " + operand_text(src[1], 1, lit);
  s += ", " + operand_text(src[0], 1, lit) + ", " + operand_text(src[1], 1, lit);
  if (n.find("fmaak") != std::string::npos) s += ", " + hex(lit);
  return s;
}

}  // namespace

std::string disassemble(const Inst& in) {
  if (!in.info && in.enc != Enc::VOPD) return mnemonic(in);
  const OpInfo* info = in.info;
  const std::string name = info ? info->name : "";
  std::string s = name;
  auto op = [&](const std::string& t) {
    s += s.size() == name.size() ? " " : ", ";
    s += t;
  };
  switch (in.enc) {
    case Enc::SOP2:
      op(operand_text(in.dst, wat(info, 0), in.lit));
      op(operand_text(in.src[0], wat(info, 1), in.lit));
      op(operand_text(in.src[1], wat(info, 2), in.lit));
      break;
    case Enc::SOP1: {
      unsigned i = 0;
      if (!(info->cleared & 1)) op(operand_text(in.dst, wat(info, i++), in.lit));
      if (!(info->cleared & 2)) op(operand_text(in.src[0], wat(info, i), in.lit));
      break;
    }
    case Enc::SOPC:
      op(operand_text(in.src[0], wat(info, 0), in.lit));
      op(operand_text(in.src[1], wat(info, 1), in.lit));
      break;
    case Enc::SOPK: {
      const uint32_t imm = static_cast<uint32_t>(in.simm) & 0xFFFF;
      if (name == "s_version") {
        op(hex(imm));
      } else if (name.rfind("s_setreg", 0) == 0) {
        op(hwreg_text(imm));
        op(name == "s_setreg_imm32_b32" ? hex(in.lit) : operand_text(in.dst, 1, 0));
      } else if (name == "s_getreg_b32") {
        op(operand_text(in.dst, 1, 0));
        op(hwreg_text(imm));
      } else if (name == "s_call_b64") {
        op(operand_text(in.dst, 2, 0));
        op(std::to_string(in.simm));
      } else {
        op(operand_text(in.dst, wat(info, 0), in.lit));
        op(hex(imm));
      }
      break;
    }
    case Enc::SOPP: {
      const uint32_t imm = static_cast<uint32_t>(in.simm) & 0xFFFF;
      if (name == "s_waitcnt")
        op(waitcnt_text(imm));
      else if (name == "s_delay_alu")
        op(delay_alu_text(imm));
      else if (name.rfind("s_branch", 0) == 0 || name.rfind("s_cbranch", 0) == 0)
        op(std::to_string(in.simm));
      else if (name == "s_sendmsg" || name == "s_sendmsghalt") {
        if (imm == 3)
          op("sendmsg(MSG_DEALLOC_VGPRS)");
        else if (imm == 1)
          op("sendmsg(MSG_INTERRUPT)");
        else
          op("sendmsg(" + std::to_string(imm) + ")");
      } else if (name == "s_nop" || name == "s_sleep" || name == "s_setprio" || name == "s_trap" ||
                 name == "s_denorm_mode" || name == "s_setkill" || name == "s_sethalt" || name == "s_incperflevel" ||
                 name == "s_decperflevel") {
        op(std::to_string(imm));
      } else if (name == "s_clause" || name == "s_set_inst_prefetch_distance" || name == "s_waitcnt_depctr" ||
                 name == "s_round_mode" || name == "s_ttracedata_imm" || name == "s_wait_event") {
        op(hex(imm));
      } else if ((name == "s_endpgm") && imm != 0)
        op(std::to_string(imm));
      break;
    }
    case Enc::SMEM: {
      op(operand_text(in.dst, wat(info, 0), 0));
      op(operand_text(in.sbase, 2, 0));
      if (in.simm == 0)
        op(operand_text(in.soffset, 1, 0));
      else if (in.soffset == kNull)
        op(hex(static_cast<uint32_t>(in.simm) & 0x1FFFFF));
      else
        op(operand_text(in.soffset, 1, 0) + " offset:" + hex(static_cast<uint32_t>(in.simm) & 0x1FFFFF));
      if (in.glc) s += " glc";
      if (in.dlc) s += " dlc";
      break;
    }
    case Enc::VOP1:
      if (info->nops >= 1) op(operand_text(in.dst, wat(info, 0), in.lit));
      if (in.nsrc) op(operand_text(in.src[0], wat(info, 1), in.lit));
      break;
    case Enc::VOP2: {
      op(operand_text(in.dst, wat(info, 0), in.lit));
      if (in.sdst) op(operand_text(in.sdst, 1, 0));
      if (name.find("fmamk") != std::string::npos) {
        op(operand_text(in.src[0], wat(info, 1), in.lit));
        op(hex(in.lit));
        op(operand_text(in.src[2], wat(info, 3), in.lit));
      } else if (name.find("fmaak") != std::string::npos) {
        op(operand_text(in.src[0], wat(info, 1), in.lit));
        op(operand_text(in.src[1], wat(info, 2), in.lit));
        op(hex(in.lit));
      } else {
        unsigned base = in.sdst ? 2 : 1;
        op(operand_text(in.src[0], wat(info, base), in.lit));
        op(operand_text(in.src[1], wat(info, base + 1), in.lit));
        if (in.nsrc == 3 && in.src[2] == kVccLo) op("vcc_lo");
      }
      break;
    }
    case Enc::VOPC: {
      const bool cmpx = name.rfind("v_cmpx", 0) == 0;
      unsigned i = 0;
      if (!cmpx) op("vcc_lo"), ++i;
      op(operand_text(in.src[0], wat(info, i), in.lit));
      op(operand_text(in.src[1], wat(info, i + 1), in.lit));
      break;
    }
    case Enc::VOP3: {
      unsigned i = 0;
      const bool cmpx = name.rfind("v_cmpx", 0) == 0;
      if (in.op < 256) {
        if (!cmpx) op(operand_text(in.sdst, wat(info, i++), 0));
      } else if (!(info->cleared & 8) && info->nops > 0) {
        op(operand_text(in.dst, wat(info, i++), in.lit));
        if (is_vop3sd(name.c_str())) op(operand_text(in.sdst, 1, 0)), ++i;
      }
      const bool fmac = in.op >= 256 && in.op < 384 &&
                        (name.find("fmac") != std::string::npos || name.find("dot2acc") != std::string::npos);
      unsigned n = fmac ? 2 : in.nsrc;
      if (name.rfind("v_writelane", 0) == 0) n = 2;
      for (unsigned k = 0; k < n; ++k) op(src_mod(in, k, wat(info, i + k)));
      if (in.opsel) {
        s += " op_sel:[";
        for (unsigned k = 0; k < n; ++k) s += std::to_string(in.opsel >> k & 1) + ",";
        s += std::to_string(in.opsel >> 3 & 1) + "]";
      }
      if (in.clamp) s += " clamp";
      if (in.omod == 1)
        s += " mul:2";
      else if (in.omod == 2)
        s += " mul:4";
      else if (in.omod == 3)
        s += " div:2";
      break;
    }
    case Enc::VOP3P: {
      op(operand_text(in.dst, wat(info, 0), in.lit));
      for (unsigned k = 0; k < in.nsrc; ++k) op(operand_text(in.src[k], wat(info, 1 + k), in.lit));
      auto arr = [&](const char* n, unsigned bits, unsigned dflt) {
        unsigned all = (1u << in.nsrc) - 1;
        if ((bits & all) == (dflt & all)) return;
        s += std::string(" ") + n + ":[";
        for (unsigned k = 0; k < in.nsrc; ++k) s += std::to_string(bits >> k & 1) + (k + 1 < in.nsrc ? "," : "]");
      };
      arr("op_sel", in.opsel, 0);
      arr("op_sel_hi", in.opsel_hi, 7);
      arr("neg_lo", in.neg, 0);
      arr("neg_hi", in.neg_hi, 0);
      if (in.clamp) s += " clamp";
      break;
    }
    case Enc::VOPD:
      s = vopd_half(info ? info->name : "v_dual_?", in.dst, in.src, in.lit, in) +
          " :: " + vopd_half(in.infoy ? in.infoy->name : "v_dual_?", in.dsty, in.srcy, in.lit, in);
      break;
    case Enc::DS: {
      // Printed: [vdst], addr, [data0], [data1]; probe fields cleared: 1 vdst, 2 data1, 4 data0, 8 addr.
      unsigned i = 0;
      if (!(info->cleared & 1)) op(operand_text(in.dst, wat(info, i++), 0));
      if (!(info->cleared & 8)) op(operand_text(in.addr, wat(info, i++), 0));
      if (!(info->cleared & 4)) op(operand_text(in.data0, wat(info, i++), 0));
      if (!(info->cleared & 2)) op(operand_text(in.data1, wat(info, i++), 0));
      if (name.find("2addr") != std::string::npos) {
        if (in.off0) s += " offset0:" + std::to_string(in.off0);
        if (in.off1) s += " offset1:" + std::to_string(in.off1);
      } else {
        unsigned off = in.off0 | in.off1 << 8;
        if (off) s += " offset:" + std::to_string(off);
      }
      if (in.gds) s += " gds";
      break;
    }
    case Enc::FLAT:
    case Enc::GLOBAL:
    case Enc::SCRATCH: {
      // Probe fields cleared: 1 vdst, 2 data, 4 addr.
      unsigned i = 0;
      const bool atomic = name.find("_atomic_") != std::string::npos;
      const bool has_vdst = !(info->cleared & 1) || (atomic && in.glc), has_data = !(info->cleared & 2);
      if (has_vdst) {
        // Atomics return the old value when GLC is set; the table was probed without it.
        const unsigned vw = atomic ? (name.find("64") != std::string::npos ? 2 : 1) : wat(info, 0);
        op(operand_text(in.dst, vw, 0));
      }
      if (atomic && (info->cleared & 1))
        i = 0;  // table widths: addr, data, ...
      else
        ++i;
      (void)i;
      unsigned aw = in.enc == Enc::FLAT ? 2 : in.enc == Enc::GLOBAL ? (in.saddr == kNull ? 2 : 1) : 1;
      if (in.enc == Enc::SCRATCH && !in.sve)
        op("off");
      else
        op(operand_text(in.addr, aw, 0));
      if (has_data) {
        unsigned dw = (has_vdst && !(atomic && (info->cleared & 1))) ? wat(info, 2) : wat(info, 1);
        op(operand_text(in.data0, dw, 0));
      }
      if (in.enc != Enc::FLAT) op(in.saddr == kNull ? "off" : operand_text(in.saddr, in.enc == Enc::GLOBAL ? 2 : 1, 0));
      if (in.simm) s += " offset:" + std::to_string(in.simm);
      if (in.glc) s += " glc";
      if (in.slc) s += " slc";
      if (in.dlc) s += " dlc";
      break;
    }
    case Enc::MUBUF:
    default:
      break;
  }
  return s;
}

}  // namespace spork::sim::isa
