#include "pm4/registers.h"

#include <array>
#include <cstdio>

namespace spork::pm4 {
namespace {

// Field arrays, one per register.
#define SPORK_REG(NAME, SPACE, ADDR, ALIAS) constexpr FieldInfo NAME##_fields[] = {
#define SPORK_FIELD(REG, FIELD, LO, HI) {#FIELD, LO, HI},
#define SPORK_REG_END(NAME) \
  }                         \
  ;
#include "pm4/gfx11_registers.inc"

constexpr RegisterInfo kRegisters[] = {
#define SPORK_REG(NAME, SPACE, ADDR, ALIAS) {#NAME, RegSpace::SPACE, ADDR, ALIAS != 0, NAME##_fields},
#define SPORK_FIELD(REG, FIELD, LO, HI)
#define SPORK_REG_END(NAME)
#include "pm4/gfx11_registers.inc"
};

// Table order of the registers themselves, to find each struct's entry.
enum RegIndex : unsigned {
#define SPORK_REG(NAME, SPACE, ADDR, ALIAS) NAME##_index,
#define SPORK_FIELD(REG, FIELD, LO, HI)
#define SPORK_REG_END(NAME)
#include "pm4/gfx11_registers.inc"
};

}  // namespace

#define SPORK_REG(NAME, SPACE, ADDR, ALIAS) \
  const RegisterInfo& NAME::info() { return kRegisters[NAME##_index]; }
#define SPORK_FIELD(REG, FIELD, LO, HI)
#define SPORK_REG_END(NAME)
#include "pm4/gfx11_registers.inc"

std::span<const RegisterInfo> registers() { return kRegisters; }

const RegisterInfo* find_register(RegSpace space, uint32_t offset) {
  // Direct-mapped lookup tables, built once (the decoder and the simulator call this per register write).
  static const auto tables = [] {
    struct T {
      std::array<const RegisterInfo*, space_dwords(RegSpace::SH)> sh{};
      std::array<const RegisterInfo*, space_dwords(RegSpace::UCONFIG)> uconfig{};
    } t;
    for (const RegisterInfo& r : kRegisters) {
      auto& slot = r.space == RegSpace::SH ? t.sh[r.offset()] : t.uconfig[r.offset()];
      if (!r.alias && !slot) slot = &r;
    }
    return t;
  }();
  if (offset >= space_dwords(space)) return nullptr;
  return space == RegSpace::SH ? tables.sh[offset] : tables.uconfig[offset];
}

const RegisterInfo* find_register(std::string_view name) {
  for (const RegisterInfo& r : kRegisters)
    if (name == r.name) return &r;
  return nullptr;
}

std::string format_fields(const RegisterInfo& reg, uint32_t value, bool include_zero) {
  std::string s;
  uint32_t covered = 0;
  char buf[64];
  for (const FieldInfo& f : reg.fields) {
    covered |= f.mask();
    const uint32_t v = f.get(value);
    if (v == 0 && !include_zero) continue;
    if (!s.empty()) s += ' ';
    if (v < 0x10000)
      std::snprintf(buf, sizeof buf, "%s=%u", f.name, v);
    else
      std::snprintf(buf, sizeof buf, "%s=0x%x", f.name, v);
    s += buf;
  }
  if (value & ~covered) {
    std::snprintf(buf, sizeof buf, "%s?bits=0x%08x", s.empty() ? "" : " ", value & ~covered);
    s += buf;
  }
  return s;
}

}  // namespace spork::pm4
