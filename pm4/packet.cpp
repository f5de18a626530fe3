#include "pm4/packet.h"

#include <array>
#include <stdexcept>

namespace spork::pm4 {
namespace {
struct OpName {
  const char* name;
  uint8_t value;
};
constexpr OpName kOpcodes[] = {
#define SPORK_OPCODE(NAME, VALUE) {#NAME, VALUE},
#include "pm4/opcodes.inc"
};
constexpr PacketField kPacketFields[] = {
#define SPORK_PKT_FIELD(OP, DW, NAME, LO, HI, REF) OP##_::NAME,
#include "pm4/packet_fields.inc"
};
}  // namespace

const char* opcode_name(uint8_t opcode) {
  static const auto table = [] {
    std::array<const char*, 256> t{};
    for (const OpName& o : kOpcodes)
      if (!t[o.value]) t[o.value] = o.name;  // first name wins over aliases
    return t;
  }();
  return table[opcode];
}

std::optional<Opcode> opcode_from_name(std::string_view name) {
  for (const OpName& o : kOpcodes)
    if (name == o.name) return Opcode(o.value);
  return std::nullopt;
}

uint32_t PacketField::put(uint32_t v) const {
  if (width() < 32 && (v >> width()) != 0)
    throw std::out_of_range(std::string(opcode_name(uint8_t(opcode))) + "." + name + " = " + std::to_string(v) +
                            " does not fit in " + std::to_string(width()) + " bits");
  return v << lo;
}

std::span<const PacketField> packet_fields() { return kPacketFields; }

const char* event_type_name(uint32_t v) {
  switch (v) {
    case uint32_t(EventType::CS_PARTIAL_FLUSH):
      return "CS_PARTIAL_FLUSH";
    case uint32_t(EventType::CACHE_FLUSH_AND_INV_TS_EVENT):
      return "CACHE_FLUSH_AND_INV_TS_EVENT";
    case uint32_t(EventType::BOTTOM_OF_PIPE_TS):
      return "BOTTOM_OF_PIPE_TS";
    case uint32_t(EventType::CS_DONE):
      return "CS_DONE";
    default:
      return nullptr;
  }
}

}  // namespace spork::pm4
