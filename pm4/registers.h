// gfx11 registers: typed values and a run-time table, both generated from the one data table
// in pm4/gfx11_registers.inc (used by the packet writer, the decoder and the simulator).
//
//   uint32_t v = COMPUTE_PGM_RSRC2{.USER_SGPR = 15, .TGID_X_EN = 1}.encode();
//   auto r = COMPUTE_PGM_RSRC2::decode(v);   // r.USER_SGPR == 15
//   COMPUTE_PGM_RSRC2::kByteAddress == 0xB84C, ::kOffset == 0x213 (SET_SH_REG offset)
//
// Field names are exactly those of the Linux amdgpu headers (gc_11_0_0_sh_mask.h).
#pragma once
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace spork::pm4 {

// Register spaces reachable from a compute queue, with the base the packet offsets count from.
enum class RegSpace : uint8_t { SH, UCONFIG };
inline constexpr uint32_t kShRegByteBase = 0xB000;  // SET_SH_REG offset 0 = dword 0x2C00
inline constexpr uint32_t kShRegByteEnd = 0xC000;
inline constexpr uint32_t kUconfigRegByteBase = 0x30000;  // SET_UCONFIG_REG offset 0 = dword 0xC000
inline constexpr uint32_t kUconfigRegByteEnd = 0x40000;

constexpr uint32_t space_byte_base(RegSpace s) { return s == RegSpace::SH ? kShRegByteBase : kUconfigRegByteBase; }
constexpr uint32_t space_byte_end(RegSpace s) { return s == RegSpace::SH ? kShRegByteEnd : kUconfigRegByteEnd; }
// Number of dword registers in the space (valid packet offsets are 0 .. size-1).
constexpr uint32_t space_dwords(RegSpace s) { return (space_byte_end(s) - space_byte_base(s)) / 4; }
constexpr const char* space_name(RegSpace s) { return s == RegSpace::SH ? "SH" : "UCONFIG"; }
constexpr uint32_t packet_offset(RegSpace s, uint32_t byte_address) { return (byte_address - space_byte_base(s)) / 4; }
constexpr uint32_t byte_address(RegSpace s, uint32_t packet_offset) { return space_byte_base(s) + packet_offset * 4; }

struct FieldInfo {
  const char* name;
  uint8_t lo, hi;  // bit range, inclusive
  constexpr uint32_t width() const { return hi - lo + 1u; }
  constexpr uint32_t mask() const { return (width() == 32 ? 0xFFFFFFFFu : ((1u << width()) - 1u)) << lo; }
  constexpr uint32_t get(uint32_t reg) const { return (reg & mask()) >> lo; }
};

struct RegisterInfo {
  const char* name;
  RegSpace space;
  uint32_t byte_address;
  bool alias;  // another name for the register listed just before it
  std::span<const FieldInfo> fields;
  constexpr uint32_t offset() const { return packet_offset(space, byte_address); }
};

// Every register of the table, in table order.
std::span<const RegisterInfo> registers();
// The primary (non-alias) register at a packet offset, or nullptr.
const RegisterInfo* find_register(RegSpace space, uint32_t packet_offset);
// By name (aliases included), or nullptr.
const RegisterInfo* find_register(std::string_view name);
// "USER_SGPR=15 TGID_X_EN=1" (fields that are non-zero; bits outside every field as "?bits=0x..").
std::string format_fields(const RegisterInfo& reg, uint32_t value, bool include_zero = false);

namespace detail {
// Puts v into bits [lo, hi]; a value wider than the field is a programming error worth a message.
constexpr uint32_t put_field(uint32_t v, unsigned lo, unsigned hi, const char* reg, const char* field) {
  const unsigned width = hi - lo + 1;
  if (width < 32 && (v >> width) != 0)
    throw std::out_of_range(std::string(reg) + "." + field + " = " + std::to_string(v) + " does not fit in " +
                            std::to_string(width) + " bits");
  return v << lo;
}
constexpr uint32_t get_field(uint32_t r, unsigned lo, unsigned hi) {
  const unsigned width = hi - lo + 1;
  return width == 32 ? r : (r >> lo) & ((1u << width) - 1u);
}
}  // namespace detail

// One aggregate per register: members are the fields (0 by default), designated-initialiser friendly.
#define SPORK_REG(NAME, SPACE, ADDR, ALIAS)             \
  struct NAME {                                         \
    static constexpr const char* kName = #NAME;         \
    static constexpr RegSpace kSpace = RegSpace::SPACE; \
    static constexpr uint32_t kByteAddress = ADDR;      \
    static constexpr uint32_t kOffset = packet_offset(kSpace, ADDR);
#define SPORK_FIELD(REG, FIELD, LO, HI) uint32_t FIELD = 0;
#define SPORK_REG_END(NAME)                 \
  constexpr uint32_t encode() const;        \
  static constexpr NAME decode(uint32_t v); \
  static const RegisterInfo& info();        \
  }                                         \
  ;
#include "pm4/gfx11_registers.inc"

#define SPORK_REG(NAME, SPACE, ADDR, ALIAS) \
  constexpr uint32_t NAME::encode() const { \
    uint32_t v = 0;
#define SPORK_FIELD(REG, FIELD, LO, HI) v |= detail::put_field(FIELD, LO, HI, #REG, #FIELD);
#define SPORK_REG_END(NAME) \
  return v;                 \
  }
#include "pm4/gfx11_registers.inc"

#define SPORK_REG(NAME, SPACE, ADDR, ALIAS) \
  constexpr NAME NAME::decode(uint32_t v) { \
    NAME r{};
#define SPORK_FIELD(REG, FIELD, LO, HI) r.FIELD = detail::get_field(v, LO, HI);
#define SPORK_REG_END(NAME) \
  (void)v;                  \
  return r;                 \
  }
#include "pm4/gfx11_registers.inc"

// COMPUTE_USER_DATA_i by index (0..15).
constexpr uint32_t compute_user_data_byte_address(unsigned i) { return COMPUTE_USER_DATA_0::kByteAddress + 4 * i; }
inline constexpr unsigned kNumComputeUserData = 16;

}  // namespace spork::pm4
