// The register table (pm4/gfx11_registers.inc) and the packet tables (opcodes.inc, packet_fields.inc)
// checked entry by entry against the reference facts in ../shared/reference.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "pm4/packet.h"
#include "pm4/registers.h"

using namespace spork::pm4;
using nlohmann::json;

namespace {
json load(const char* file) {
  const std::filesystem::path p = std::filesystem::path(SPORK_SHARED_DIR) / "reference" / file;
  if (!std::filesystem::exists(p)) {
    std::printf("skipped: ../shared/reference not found (%s)\n", p.c_str());
    std::exit(77);
  }
  std::ifstream in(p);
  return json::parse(in);
}
uint32_t num(const json& j) { return uint32_t(std::stoul(j.get<std::string>(), nullptr, 16)); }
}  // namespace

TEST_CASE("every register and field of the table matches gfx11_registers.json") {
  const json ref = load("gfx11_registers.json")["registers"];
  size_t checked_fields = 0;
  for (const RegisterInfo& r : registers()) {
    CAPTURE(r.name);
    REQUIRE(ref.contains(r.name));
    const json& j = ref[r.name];
    CHECK(j["space"].get<std::string>() == (r.space == RegSpace::SH ? "sh" : "uconfig"));
    CHECK(num(j["byte_address"]) == r.byte_address);
    CHECK(num(j["packet_offset"]) == r.offset());
    // Same field set, same bit ranges.
    CHECK(j["fields"].size() == r.fields.size());
    for (const FieldInfo& f : r.fields) {
      CAPTURE(f.name);
      REQUIRE(j["fields"].contains(f.name));
      CHECK(j["fields"][f.name][0].get<unsigned>() == f.lo);
      CHECK(j["fields"][f.name][1].get<unsigned>() == f.hi);
      ++checked_fields;
    }
    CHECK(find_register(r.name) == &r);
    if (!r.alias) CHECK(find_register(r.space, r.offset()) == &r);
  }
  CHECK(checked_fields > 150);
  // Every compute SH register of the reference is in the table.
  for (auto& [name, j] : ref.items())
    if (j["space"] == "sh") {
      CAPTURE(name);
      CHECK(find_register(name) != nullptr);
    }
  CHECK(find_register("GRBM_GFX_INDEX") != nullptr);
}

TEST_CASE("typed register structs agree with the table and the reference") {
  const json ref = load("gfx11_registers.json")["registers"];
  CHECK(COMPUTE_PGM_RSRC2::kByteAddress == num(ref["COMPUTE_PGM_RSRC2"]["byte_address"]));
  CHECK(COMPUTE_PGM_RSRC2::kOffset == num(ref["COMPUTE_PGM_RSRC2"]["packet_offset"]));
  CHECK(COMPUTE_USER_DATA_0::kOffset == num(ref["COMPUTE_USER_DATA_0"]["packet_offset"]));
  CHECK(GRBM_GFX_INDEX::kOffset == num(ref["GRBM_GFX_INDEX"]["packet_offset"]));
  // Each field of RSRC2 set alone lands on the reference bits.
  const json& f = ref["COMPUTE_PGM_RSRC2"]["fields"];
  auto bits = [&](const char* n) {
    const unsigned lo = f[n][0], hi = f[n][1];
    return (hi - lo == 31 ? 0xFFFFFFFFu : ((1u << (hi - lo + 1)) - 1)) << lo;
  };
  CHECK(COMPUTE_PGM_RSRC2{.USER_SGPR = 31}.encode() == bits("USER_SGPR"));
  CHECK(COMPUTE_PGM_RSRC2{.LDS_SIZE = 511}.encode() == bits("LDS_SIZE"));
  CHECK(COMPUTE_PGM_RSRC2{.TGID_X_EN = 1}.encode() == bits("TGID_X_EN"));
  CHECK(COMPUTE_PGM_RSRC2{.EXCP_EN = 127}.encode() == bits("EXCP_EN"));
  const auto d = COMPUTE_PGM_RSRC2::decode(0x9e);
  CHECK(d.USER_SGPR == 15);
  CHECK(d.TGID_X_EN == 1);
  CHECK(d.SCRATCH_EN == 0);
  CHECK_THROWS_AS((void)COMPUTE_PGM_RSRC2{.USER_SGPR = 32}.encode(), std::out_of_range);
}

TEST_CASE("every opcode matches pm4_packets.json") {
  const json ref = load("pm4_packets.json");
  for (auto& [name, v] : ref["opcodes"].items()) {
    CAPTURE(name);
    const auto op = opcode_from_name(name);
    REQUIRE(op.has_value());
    CHECK(uint32_t(*op) == num(v));
    REQUIRE(opcode_name(num(v)) != nullptr);
  }
  CHECK(std::string(opcode_name(0x76)) == "SET_SH_REG");
  CHECK(std::string(opcode_name(0x3F)) == "INDIRECT_BUFFER");
}

TEST_CASE("every packet field with an nvd.h name has its shift (and value) from pm4_packets.json") {
  const json ref = load("pm4_packets.json")["fields"];
  size_t checked = 0;
  for (const PacketField& f : packet_fields()) {
    if (!*f.ref_name) continue;
    const std::string op = opcode_name(uint8_t(f.opcode));
    CAPTURE(op);
    CAPTURE(f.ref_name);
    REQUIRE(ref.contains(op));
    REQUIRE(ref[op].contains(f.ref_name));
    const json& j = ref[op][f.ref_name];
    CHECK(j["shift"].get<unsigned>() == f.lo);
    if (j.contains("value")) CHECK(f.put(j["value"].get<uint32_t>()) == (j["value"].get<uint32_t>() << f.lo));
    ++checked;
  }
  CHECK(checked >= 40);
  // And each reference macro of the packets we write is covered by the table.
  for (const char* op : {"RELEASE_MEM", "ACQUIRE_MEM", "WAIT_REG_MEM", "EVENT_WRITE"})
    for (auto& [name, j] : ref[op].items()) {
      CAPTURE(name);
      bool found = false;
      for (const PacketField& f : packet_fields()) found |= name == f.ref_name;
      CHECK(found);
    }
}
