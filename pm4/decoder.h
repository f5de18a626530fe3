// PM4 decoder: a dword stream -> packets with offsets, opcode names, registers and named fields.
// Malformed input (count past the end, unknown opcode, register outside its space, type-0/1/2
// packets on a compute queue, wrong payload size) gives error entries with the dword offset; the
// decoder goes on where the packet length is still trustworthy and never reads out of bounds.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pm4/packet.h"
#include "pm4/registers.h"

namespace spork::pm4 {

struct DecodedRegister {
  RegSpace space;
  uint32_t offset;  // packet offset in its space
  uint32_t value;
  const RegisterInfo* info;  // nullptr when the table has no register there
  uint32_t byte_address() const { return pm4::byte_address(space, offset); }
};

struct DecodedField {
  std::string name;
  uint64_t value;
};

struct DecodedPacket {
  size_t offset = 0;       // dword offset of the header
  size_t size_dwords = 0;  // dwords consumed (1 for a header that could not be trusted)
  Header header;
  std::string name;                        // opcode name, "TYPE0", "TYPE2", ... or "" for an unknown opcode
  std::vector<DecodedRegister> registers;  // SET_SH_REG / SET_UCONFIG_REG
  std::vector<DecodedField> fields;        // payload fields
  std::string summary;                     // one-line reading, e.g. "4,2,1 initiator COMPUTE_SHADER_EN CS_W32_EN"
  std::vector<std::string> errors;         // what is wrong with this packet (empty when fine)
  bool ok() const { return errors.empty(); }
};

struct Decoding {
  std::vector<DecodedPacket> packets;
  size_t error_count = 0;
  bool ok() const { return error_count == 0; }
};

Decoding decode(std::span<const uint32_t> stream);
// Human-readable listing, one packet per line plus one line per register.
std::string format(const Decoding& d);

}  // namespace spork::pm4
