// gfx11 (gfx1100, RDNA3) instruction decoder and disassembler.
// The opcode -> mnemonic table (sim/isa_table.inc) is generated with llvm-mc-19 as the
// oracle (sim/isa_table_gen.py); the text produced by disassemble() follows
// llvm-objdump-19 -d closely enough for a differential test (tests/simcore).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace spork::sim::isa {

enum class Enc : uint8_t {
  SOP2,
  SOPK,
  SOP1,
  SOPC,
  SOPP,
  SMEM,
  VOP2,
  VOP1,
  VOPC,
  VOP3,
  VOP3P,
  VOPDX,
  VOPDY,
  DS,
  FLAT,
  SCRATCH,
  GLOBAL,
  MUBUF,
  VOPD
};
const char* to_string(Enc e);

// One row of the generated table.
struct OpInfo {
  Enc enc;
  uint16_t op;
  const char* name;
  uint8_t cleared;  // optional probe fields that had to be zero (see isa_table_gen.py): absent operands
  uint8_t nops;     // operands llvm-objdump prints
  uint8_t w[6];     // register width (dwords) of each printed operand, 0 when not a register
};
const OpInfo* find_op(Enc enc, unsigned op);

// Scalar operand codes (9-bit source field; 7-bit SGPR destinations use the low range).
enum : uint16_t {
  kVccLo = 106,
  kVccHi = 107,
  kNull = 124,
  kM0 = 125,
  kExecLo = 126,
  kExecHi = 127,
  kSharedBase = 235,
  kSharedLimit = 236,
  kPrivateBase = 237,
  kPrivateLimit = 238,
  kPopsExitingWaveId = 239,
  kVccz = 251,
  kExecz = 252,
  kScc = 253,
  kLiteral = 255,
  kVgpr0 = 256,
};

// A decoded instruction. Operand fields hold 9-bit operand codes (VGPR n = 256 + n) so
// scalar and vector sources share one representation.
struct Inst {
  uint64_t pc = 0;
  uint8_t size = 4;  // bytes, literal included
  Enc enc = Enc::SOPP;
  uint16_t op = 0;
  const OpInfo* info = nullptr;  // nullptr: unknown opcode (executing it is an error)
  uint32_t word[3] = {0, 0, 0};

  uint16_t dst = 0;             // SALU/VALU destination code (VGPR dst = 256 + n)
  uint16_t sdst = 0;            // VOP3 SDST / VOPC-in-VOP3 scalar destination code
  uint16_t src[3] = {0, 0, 0};  // source codes
  uint8_t nsrc = 0;
  bool has_lit = false;
  uint32_t lit = 0;
  int32_t simm = 0;  // SOPK/SOPP simm16 (sign-extended), SMEM/FLAT/MUBUF offset
  uint8_t neg = 0, abs = 0, neg_hi = 0, opsel = 0, opsel_hi = 0, clamp = 0, omod = 0;
  bool e64 = false;  // VOP3-encoded VOP1/VOP2/VOPC
  // Memory operands.
  uint16_t addr = 0, data0 = 0, data1 = 0, saddr = 0, sbase = 0, soffset = 0;  // codes
  uint8_t off0 = 0, off1 = 0;                                                  // DS offset0/offset1
  bool glc = false, slc = false, dlc = false, gds = false, sve = false;
  // VOPD: X half in op/dst/src[0..1], Y half here.
  uint16_t opy = 0, dsty = 0, srcy[2] = {0, 0};
  const OpInfo* infoy = nullptr;
};

// Decodes the instruction at p (avail bytes readable). Returns false when the bytes are
// not a gfx11 instruction encoding the core knows (err says why); an unknown opcode in
// a known encoding decodes with info == nullptr.
bool decode(const uint8_t* p, size_t avail, uint64_t pc, Inst& out, std::string* err = nullptr);

// Mnemonic and operands in llvm-objdump-19 syntax ("v_add_nc_u32_e32 v0, s1, v2").
std::string disassemble(const Inst& in);
// The mnemonic only ("v_dual_fmac_f32 :: v_dual_mov_b32" for VOPD).
std::string mnemonic(const Inst& in);

// Text of a scalar/vector operand code of `width` dwords ("s[2:3]", "vcc_lo", "0.5", "v7").
std::string operand_text(uint16_t code, unsigned width, uint32_t lit, bool fp64 = false);

}  // namespace spork::sim::isa
