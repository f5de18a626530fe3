// Writer -> decoder round trips for every packet kind, header layout, and malformed streams.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "pm4/decoder.h"
#include "pm4/writer.h"

using namespace spork::pm4;

namespace {
uint64_t field(const DecodedPacket& p, const std::string& name) {
  for (const auto& f : p.fields)
    if (f.name == name) return f.value;
  FAIL("no field " << name << " in " << p.name);
  return 0;
}
const DecodedPacket& only(const Decoding& d) {
  REQUIRE(d.ok());
  REQUIRE(d.packets.size() == 1);
  return d.packets[0];
}
}  // namespace

TEST_CASE("type-3 header layout") {
  // (3<<30) | ((n-1)<<16) | (op<<8) | compute<<1, written out by hand.
  CHECK(make_type3_header(Opcode::SET_SH_REG, 3) == ((3u << 30) | (2u << 16) | (0x76u << 8) | 2u));
  CHECK(make_type3_header(Opcode::DISPATCH_DIRECT, 4, ShaderType::Graphics) == 0xC0031500u);
  const Header h = parse_header(0xC0031502u);
  CHECK(h.type == 3);
  CHECK(h.opcode == 0x15);
  CHECK(h.compute);
  CHECK(h.payload_dwords() == 4);
  CHECK(parse_header(kNopFiller).payload_dwords() == 0);
  CHECK(parse_header(kNopFiller).opcode == uint8_t(Opcode::NOP));
}

TEST_CASE("SET_SH_REG run round trip: offsets from 0x2C00 dwords, every register named") {
  Writer w;
  w.set_regs(COMPUTE_PGM_LO{.DATA = 0x12345678}, COMPUTE_PGM_HI{.DATA = 0xAB});
  w.set_regs(COMPUTE_PGM_RSRC2{.USER_SGPR = 15, .TGID_X_EN = 1});
  const uint32_t ud[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  w.set_sh_regs(COMPUTE_USER_DATA_0::kByteAddress, ud);
  w.set_regs(GRBM_GFX_INDEX{.SA_BROADCAST_WRITES = 1, .INSTANCE_BROADCAST_WRITES = 1, .SE_BROADCAST_WRITES = 1});
  const auto& dw = w.dwords();
  // Raw layout of the first packet: header, offset (0xB830/4 - 0x2C00 = 0x20C), values.
  REQUIRE(dw.size() >= 4);
  CHECK(dw[0] == make_type3_header(Opcode::SET_SH_REG, 3));
  CHECK(dw[1] == 0x20C);
  CHECK(dw[2] == 0x12345678);
  CHECK(dw[3] == 0xAB);

  const Decoding d = decode(dw);
  REQUIRE(d.ok());
  REQUIRE(d.packets.size() == 4);
  CHECK(d.packets[0].registers.size() == 2);
  CHECK(std::string(d.packets[0].registers[0].info->name) == "COMPUTE_PGM_LO");
  CHECK(d.packets[0].registers[1].value == 0xAB);
  CHECK(std::string(d.packets[1].registers[0].info->name) == "COMPUTE_PGM_RSRC2");
  CHECK(d.packets[1].registers[0].value == 0x9e);
  REQUIRE(d.packets[2].registers.size() == 16);
  for (unsigned i = 0; i < 16; ++i) {
    CHECK(d.packets[2].registers[i].info->name == "COMPUTE_USER_DATA_" + std::to_string(i));
    CHECK(d.packets[2].registers[i].value == i + 1);
  }
  CHECK(d.packets[3].name == "SET_UCONFIG_REG");
  CHECK(std::string(d.packets[3].registers[0].info->name) == "GRBM_GFX_INDEX");
  CHECK(d.packets[3].registers[0].value == 0xE0000000u);
  const std::string text = format(d);
  CHECK(text.find("COMPUTE_PGM_RSRC2                  = 0x0000009e  USER_SGPR=15 TGID_X_EN=1") != std::string::npos);
}

TEST_CASE("DISPATCH_DIRECT and DISPATCH_INDIRECT round trip") {
  Writer w;
  const COMPUTE_DISPATCH_INITIATOR init{
      .COMPUTE_SHADER_EN = 1, .FORCE_START_AT_000 = 1, .ORDER_MODE = 1, .CS_W32_EN = 1};
  w.dispatch_direct(4, 2, 1, init);
  w.dispatch_indirect(0x1000'0000'0040ull, init);
  const Decoding d = decode(w.dwords());
  REQUIRE(d.ok());
  REQUIRE(d.packets.size() == 2);
  CHECK(field(d.packets[0], "DIM_X") == 4);
  CHECK(field(d.packets[0], "DIM_Y") == 2);
  CHECK(field(d.packets[0], "DIM_Z") == 1);
  CHECK(field(d.packets[0], "DISPATCH_INITIATOR") == init.encode());
  CHECK(init.encode() == (1u | 4u | 64u | 0x8000u));
  CHECK(d.packets[0].summary == "4,2,1 initiator COMPUTE_SHADER_EN FORCE_START_AT_000 ORDER_MODE CS_W32_EN");
  CHECK(field(d.packets[1], "ADDR_LO") == 0x40);
  CHECK(field(d.packets[1], "ADDR_HI") == 0x1000);
  CHECK_THROWS_AS(w.dispatch_indirect(0x42, init), std::invalid_argument);
}

TEST_CASE("ACQUIRE_MEM gfx10+ form round trip") {
  Writer w;
  w.acquire_mem({});
  const Decoding dec = decode(w.dwords());
  const auto& p = only(dec);
  CHECK(p.name == "ACQUIRE_MEM");
  CHECK(p.size_dwords == 8);
  CHECK(field(p, "COHER_SIZE") == 0xFFFFFFFFu);
  CHECK(field(p, "POLL_INTERVAL") == 10);
  CHECK(field(p, "GCR_CNTL_GL2_INV") == 1);
  CHECK(field(p, "GCR_CNTL_GL2_WB") == 1);
  CHECK(field(p, "GCR_CNTL_GLK_INV") == 1);
  CHECK(field(p, "GCR_CNTL_GLV_INV") == 1);
  CHECK(field(p, "GCR_CNTL_GL1_INV") == 1);
  CHECK(field(p, "GCR_CNTL_GLI_INV") == 1);
  CHECK(field(p, "GCR_CNTL_GL2_DISCARD") == 0);
  // GL2_INV is bit 14 and GL2_WB bit 15 of GCR_CNTL (nvd.h).
  CHECK((w.dwords()[7] & 0xC000u) == 0xC000u);
  CHECK(GcrCntl::decode(GcrCntl::invalidate_all().encode()).GLM_INV == 1);
}

TEST_CASE("RELEASE_MEM round trip: fence value and timestamp") {
  Writer w;
  w.release_mem({.event = EventType::CACHE_FLUSH_AND_INV_TS_EVENT,
                 .gcr = ReleaseGcr::writeback(),
                 .data_sel = ReleaseDataSel::VALUE_32BIT,
                 .address = 0x7000'0000'1004ull,
                 .data = 0xCAFE});
  w.release_mem({.event = EventType::BOTTOM_OF_PIPE_TS, .data_sel = ReleaseDataSel::TIMESTAMP, .address = 0x2000});
  w.release_mem({.data_sel = ReleaseDataSel::VALUE_64BIT,
                 .int_sel = ReleaseIntSel::SEND_DATA_AFTER_WR_CONFIRM,
                 .dst_sel = ReleaseDstSel::TC_L2,
                 .address = 0x3000,
                 .data = 0x1122334455667788ull});
  const Decoding d = decode(w.dwords());
  REQUIRE(d.ok());
  REQUIRE(d.packets.size() == 3);
  const auto& a = d.packets[0];
  CHECK(field(a, "EVENT_TYPE") == 0x14);
  CHECK(field(a, "EVENT_INDEX") == 5);
  CHECK(field(a, "GCR_GL2_WB") == 1);
  CHECK(field(a, "GCR_GLM_WB") == 1);
  CHECK(field(a, "GCR_SEQ") == 1);
  CHECK(field(a, "DATA_SEL") == 1);
  CHECK(field(a, "ADDR_LO") == 0x1004);
  CHECK(field(a, "ADDR_HI") == 0x7000);
  CHECK(field(a, "DATA_LO") == 0xCAFE);
  CHECK(a.summary == "CACHE_FLUSH_AND_INV_TS_EVENT DATA_SEL=DATA32 addr=0x700000001004 data=0xcafe");
  CHECK(field(d.packets[1], "EVENT_TYPE") == 0x28);
  CHECK(field(d.packets[1], "DATA_SEL") == 3);
  CHECK(field(d.packets[2], "DATA_SEL") == 2);
  CHECK(field(d.packets[2], "INT_SEL") == 3);
  CHECK(field(d.packets[2], "DST_SEL") == 1);
  CHECK(field(d.packets[2], "DATA_HI") == 0x11223344);
  // Misaligned and oversize values are refused.
  CHECK_THROWS_AS(w.release_mem({.data_sel = ReleaseDataSel::TIMESTAMP, .address = 0x2004}), std::invalid_argument);
  CHECK_THROWS_AS(w.release_mem({.address = 0x2000, .data = 1ull << 32}), std::invalid_argument);
}

TEST_CASE("EVENT_WRITE, WRITE_DATA, WAIT_REG_MEM, COPY_DATA, INDIRECT_BUFFER round trip") {
  Writer w;
  w.event_write(EventType::CS_PARTIAL_FLUSH);
  const uint32_t data[] = {7, 8, 9};
  w.write_data(0x4000, data);
  w.wait_reg_mem({.function = WaitFunction::GREATER_EQUAL, .address = 0x5000, .reference = 42, .mask = 0xFF});
  w.copy_data({.src_sel = CopySrcSel::TIMESTAMP, .dst_address = 0x6008});
  w.indirect_buffer(0x8000, 100, true);
  const Decoding d = decode(w.dwords());
  REQUIRE(d.ok());
  REQUIRE(d.packets.size() == 5);
  CHECK(d.packets[0].summary == "CS_PARTIAL_FLUSH");
  CHECK(field(d.packets[0], "EVENT_TYPE") == 7);
  CHECK(field(d.packets[0], "EVENT_INDEX") == 4);
  CHECK(field(d.packets[1], "DST_SEL") == 5);
  CHECK(field(d.packets[1], "WR_CONFIRM") == 1);
  CHECK(field(d.packets[1], "DST_ADDR_LO") == 0x4000);
  CHECK(d.packets[1].size_dwords == 7);
  CHECK(w.dwords()[d.packets[1].offset + 6] == 9);
  CHECK(field(d.packets[2], "FUNCTION") == 5);
  CHECK(field(d.packets[2], "MEM_SPACE") == 1);
  CHECK(field(d.packets[2], "REFERENCE") == 42);
  CHECK(field(d.packets[2], "MASK") == 0xFF);
  CHECK(field(d.packets[2], "POLL_INTERVAL") == 10);
  CHECK(field(d.packets[3], "SRC_SEL") == 9);
  CHECK(field(d.packets[3], "DST_SEL") == 5);
  CHECK(field(d.packets[3], "COUNT_SEL") == 1);
  CHECK(field(d.packets[3], "DST_ADDR_LO") == 0x6008);
  CHECK(field(d.packets[4], "IB_SIZE") == 100);
  CHECK(field(d.packets[4], "CHAIN") == 1);
  CHECK(field(d.packets[4], "VALID") == 1);
  CHECK(field(d.packets[4], "IB_BASE_LO") == 0x8000);
  CHECK_THROWS_AS(w.indirect_buffer(0x8000, 1u << 20), std::out_of_range);
}

TEST_CASE("NOP padding reaches every alignment exactly") {
  for (uint32_t start = 0; start < 9; ++start)
    for (uint32_t align : {1u, 2u, 4u, 8u, 16u, 256u}) {
      Writer w;
      w.nop(start);
      CHECK(w.size() == start);
      w.pad_to(align);
      CHECK(w.size() % align == 0);
      CHECK(w.size() < start + align);
      const Decoding d = decode(w.dwords());
      CHECK(d.ok());
      for (const auto& p : d.packets) CHECK(p.name == "NOP");
    }
  Writer big;
  big.nop(40000);  // longer than one NOP packet can be
  CHECK(big.size() == 40000);
  CHECK(decode(big.dwords()).ok());
}

TEST_CASE("malformed streams give error entries with offsets and never stop early without saying so") {
  SUBCASE("count past the end") {
    const uint32_t s[] = {make_type3_header(Opcode::SET_SH_REG, 10), 0x212, 1};
    const Decoding d = decode(s);
    CHECK(!d.ok());
    REQUIRE(d.packets.size() == 1);
    CHECK(d.packets[0].errors[0].find("claims 10 payload dwords but only 2 remain") != std::string::npos);
  }
  SUBCASE("unknown opcode is skipped by its count") {
    Writer w;
    w.packet(Opcode(0xEE), {1, 2});
    w.event_write(EventType::CS_PARTIAL_FLUSH);
    const Decoding d = decode(w.dwords());
    REQUIRE(d.packets.size() == 2);
    CHECK(!d.packets[0].ok());
    CHECK(d.packets[0].errors[0].find("unknown type-3 opcode 0xee") != std::string::npos);
    CHECK(d.packets[1].ok());
    CHECK(d.packets[1].offset == 3);
  }
  SUBCASE("register outside the SH range") {
    const uint32_t s[] = {make_type3_header(Opcode::SET_SH_REG, 3), 0x3FF, 1, 2};
    const Decoding d = decode(s);
    REQUIRE(d.packets.size() == 1);
    CHECK(d.packets[0].registers.size() == 1);
    CHECK(d.packets[0].errors.at(0).find("outside the SH register range") != std::string::npos);
  }
  SUBCASE("type 0, 1 and 2 packets") {
    const uint32_t s[] = {0x00012C00u, 5, 6, 0x40000000u, 0x80000000u, kNopFiller};
    const Decoding d = decode(s);
    REQUIRE(d.packets.size() == 4);
    CHECK(d.packets[0].name == "TYPE0");
    CHECK(d.packets[0].size_dwords == 3);
    CHECK(d.packets[1].name == "TYPE1");
    CHECK(d.packets[1].offset == 3);
    CHECK(d.packets[2].name == "TYPE2");
    CHECK(d.packets[3].ok());
    CHECK(d.error_count == 3);
    CHECK(format(d).find("error at dword 4: type-2") != std::string::npos);
  }
  SUBCASE("fixed-size packets with the wrong size") {
    Writer w;
    w.packet(Opcode::RELEASE_MEM, {1, 2, 3});
    w.packet(Opcode::DISPATCH_DIRECT, {1, 2, 3});
    const Decoding d = decode(w.dwords());
    REQUIRE(d.packets.size() == 2);
    CHECK(d.error_count == 2);
  }
  SUBCASE("writer refuses what it cannot encode") {
    Writer w;
    const uint32_t v[] = {1, 2};
    CHECK_THROWS_AS(w.set_sh_regs(0xBFFC, v), std::invalid_argument);
    CHECK_THROWS_AS(w.set_sh_regs(0x30800, v), std::invalid_argument);
    CHECK_THROWS_AS(w.set_uconfig_regs(0xB800, v), std::invalid_argument);
    CHECK_THROWS_AS(w.packet(Opcode::NOP, {}), std::invalid_argument);
    CHECK(w.size() == 0);
  }
}
