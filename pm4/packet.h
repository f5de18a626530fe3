// PM4 packet headers, opcodes and packet payload fields: the small parsing layer shared by the
// writer, the decoder and the simulator's command processor.
//
// Type-3 header: (3 << 30) | ((payload_dwords - 1) << 16) | (opcode << 8) | (shader_type << 1) | predicate.
// A type-3 NOP whose count field is 0x3FFF is a one-dword filler with no payload.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace spork::pm4 {

enum class Opcode : uint8_t {
#define SPORK_OPCODE(NAME, VALUE) NAME = VALUE,
#include "pm4/opcodes.inc"
};
// "SET_SH_REG", or nullptr for a value with no name.
const char* opcode_name(uint8_t opcode);
std::optional<Opcode> opcode_from_name(std::string_view name);

enum class ShaderType : uint8_t { Graphics = 0, Compute = 1 };

inline constexpr uint32_t kType3CountMax = 0x3FFF;             // 14-bit count field
inline constexpr uint32_t kMaxPayloadDwords = kType3CountMax;  // count 0x3FFF is reserved for the NOP filler
// One-dword type-3 NOP (count 0x3FFF): what the kernel driver pads rings with on gfx10+.
inline constexpr uint32_t kNopFiller = 0xFFFF1000u;

constexpr uint32_t make_type3_header(Opcode op, uint32_t payload_dwords, ShaderType st = ShaderType::Compute,
                                     bool predicate = false) {
  return (3u << 30) | (((payload_dwords - 1u) & kType3CountMax) << 16) | (uint32_t(op) << 8) | (uint32_t(st) << 1) |
         (predicate ? 1u : 0u);
}

struct Header {
  uint32_t raw = 0;
  uint8_t type = 0;        // 0..3
  uint32_t count = 0;      // bits 29:16 (type 0 and 3)
  uint8_t opcode = 0;      // type 3: bits 15:8
  bool compute = false;    // type 3: bit 1 (shader type)
  bool predicate = false;  // type 3: bit 0
  uint16_t reg = 0;        // type 0: base register (dword address), bits 15:0

  // Dwords after the header that belong to this packet.
  constexpr uint32_t payload_dwords() const {
    switch (type) {
      case 0:
        return count + 1;
      case 3:
        return (opcode == uint8_t(Opcode::NOP) && count == kType3CountMax) ? 0 : count + 1;
      default:
        return 0;  // type 1 (reserved) and type 2 (filler) are one dword
    }
  }
  constexpr uint32_t total_dwords() const { return 1 + payload_dwords(); }
};

constexpr Header parse_header(uint32_t h) {
  Header r;
  r.raw = h;
  r.type = uint8_t(h >> 30);
  r.count = (h >> 16) & kType3CountMax;
  r.opcode = uint8_t(h >> 8);
  r.compute = (h >> 1) & 1;
  r.predicate = h & 1;
  r.reg = uint16_t(h);
  return r;
}

// One packet cut out of a stream (no interpretation of the payload).
struct RawPacket {
  size_t offset = 0;  // dword offset of the header in the stream
  Header header;
  std::span<const uint32_t> payload;  // empty when truncated
  bool truncated = false;             // the header's count runs past the end of the stream
  size_t size_dwords() const { return truncated ? 1 : header.total_dwords(); }
};

// Cuts the packet starting at `offset` (which must be < stream.size()). Never reads past the end:
// a count that runs past the end gives truncated=true and an empty payload (advance by 1 dword).
constexpr RawPacket next_packet(std::span<const uint32_t> stream, size_t offset) {
  RawPacket p;
  p.offset = offset;
  p.header = parse_header(stream[offset]);
  const size_t n = p.header.payload_dwords();
  if (n > stream.size() - offset - 1) {
    p.truncated = true;
  } else {
    p.payload = stream.subspan(offset + 1, n);
  }
  return p;
}

// ---- payload fields of the packets spork writes (pm4/packet_fields.inc) ----
struct PacketField {
  Opcode opcode;
  uint8_t dword;  // index into the payload (0 = first dword after the header)
  const char* name;
  uint8_t lo, hi;
  const char* ref_name;  // the nvd.h macro name checked by the test, or ""
  constexpr uint32_t width() const { return hi - lo + 1u; }
  constexpr uint32_t mask() const { return (width() == 32 ? 0xFFFFFFFFu : ((1u << width()) - 1u)) << lo; }
  constexpr uint32_t get(uint32_t dw) const { return (dw & mask()) >> lo; }
  // Puts v into the field; throws std::out_of_range naming the field when v does not fit.
  uint32_t put(uint32_t v) const;
};

// Named constants: pm4::RELEASE_MEM_::DATA_SEL etc.
#define SPORK_PKT_FIELD(OP, DW, NAME, LO, HI, REF)                         \
  namespace OP##_ {                                                        \
    inline constexpr PacketField NAME{Opcode::OP, DW, #NAME, LO, HI, REF}; \
  }
#include "pm4/packet_fields.inc"

std::span<const PacketField> packet_fields();

// Values of the select fields (Mesa sid.h / PM4 documentation names).
enum class EventType : uint8_t {
  CS_PARTIAL_FLUSH = 0x07,
  CACHE_FLUSH_AND_INV_TS_EVENT = 0x14,
  BOTTOM_OF_PIPE_TS = 0x28,
  CS_DONE = 0x2F,
};
const char* event_type_name(uint32_t v);
// EVENT_INDEX that goes with an event type (4 for CS_PARTIAL_FLUSH, 5 for end-of-pipe timestamps).
constexpr uint32_t event_index(EventType e) {
  switch (e) {
    case EventType::CS_PARTIAL_FLUSH:
      return 4;
    case EventType::CS_DONE:
      return 6;
    default:
      return 5;
  }
}
enum class ReleaseDataSel : uint8_t { NONE = 0, VALUE_32BIT = 1, VALUE_64BIT = 2, TIMESTAMP = 3 };
enum class ReleaseIntSel : uint8_t { NONE = 0, SEND_INT = 1, SEND_INT_ON_CONFIRM = 2, SEND_DATA_AFTER_WR_CONFIRM = 3 };
enum class ReleaseDstSel : uint8_t { MEMORY = 0, TC_L2 = 1 };
enum class WriteDstSel : uint8_t { REGISTER = 0, MEMORY = 5 };
enum class EngineSel : uint8_t { ME = 0, PFP = 1 };
enum class WaitFunction : uint8_t {
  ALWAYS = 0,
  LESS = 1,
  LESS_EQUAL = 2,
  EQUAL = 3,
  NOT_EQUAL = 4,
  GREATER_EQUAL = 5,
  GREATER = 6
};
enum class WaitMemSpace : uint8_t { REGISTER = 0, MEMORY = 1 };
enum class CopySrcSel : uint8_t {
  REGISTER = 0,
  MEMORY = 1,
  TC_L2 = 2,
  GDS = 3,
  PERF = 4,
  IMMEDIATE = 5,
  TIMESTAMP = 9
};
enum class CopyDstSel : uint8_t { REGISTER = 0, TC_L2 = 2, GDS = 3, PERF = 4, MEMORY = 5 };

}  // namespace spork::pm4
