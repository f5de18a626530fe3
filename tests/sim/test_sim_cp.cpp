// sim::Memory, the command processor and sim::Gpu's submission queue, driven with raw PM4
// built by pm4::Writer (no shader work except the empty-grid dispatch and the endless `spin`
// kernel of the cancellation tests).
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "pm4/writer.h"
#include "sim_env.h"

using namespace spork;
using namespace spork::pm4;
using namespace simtest;
using sim::Access;
using sim::Domain;
using sim::Memory;
using Status = sim::SubmissionResult::Status;

namespace {
std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}
template <class F>
sim::VmFault expect_fault(F&& f) {
  try {
    f();
  } catch (const sim::VmFault& e) {
    return e;
  }
  FAIL("expected a VmFault");
  return sim::VmFault(0, Access::Read, "");
}
bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }
}  // namespace

TEST_CASE("memory: BOs are page-rounded, zero-filled and reach the GPU through their mappings") {
  Memory m;
  auto bo = m.create_bo(5000, Domain::GTT);
  CHECK(m.bo_size(bo) == 8192);
  CHECK(m.bo_domain(bo) == Domain::GTT);
  uint8_t* cpu = m.bo_cpu_ptr(bo);
  for (int i = 0; i < 8192; ++i) REQUIRE(cpu[i] == 0);
  uint64_t va = m.find_free_va(8192);
  CHECK(va >= Memory::kVaStart);
  // Map the second page only, at va.
  m.map(bo, va, 4096, 4096, sim::PERM_READ | sim::PERM_WRITE);
  uint32_t v = 0xA5A5F00D;
  m.write(va + 12, &v, 4);
  uint32_t back = 0;
  std::memcpy(&back, cpu + 4096 + 12, 4);
  CHECK(back == v);
  CHECK(m.translate(va + 12, 4, Access::Read) == cpu + 4096 + 12);
  auto r = m.lookup(va + 100, 8, Access::Write);
  CHECK(r.va_begin == va);
  CHECK(r.va_end == va + 4096);
  CHECK(r.domain == Domain::GTT);
  CHECK(r.bo == bo);
  CHECK(r.contains(va + 4088, 8));
  CHECK_FALSE(r.contains(va + 4090, 8));
  // The same BO page can be mapped twice (aliases see the same bytes).
  uint64_t va2 = m.find_free_va(4096);
  CHECK(va2 != va);
  m.map(bo, va2, 4096, 4096, sim::PERM_READ);
  uint32_t alias = 0;
  m.read(va2 + 12, &alias, 4);
  CHECK(alias == v);
  CHECK(m.mapping_count() == 2);
  m.destroy_bo(bo);
  CHECK(m.mapping_count() == 0);
  CHECK(m.bo_count() == 0);
}

TEST_CASE("memory: faults name the address, the access and what is wrong") {
  Memory m;
  auto vram = m.create_bo(4096, Domain::VRAM);
  uint64_t va = Memory::kVaStart + 0x10000;
  m.map(vram, va, 0, 4096, sim::PERM_READ);

  auto f = expect_fault([&] { m.translate(va + 4096, 4, Access::Read); });
  CHECK(f.address == va + 4096);
  CHECK(f.access == Access::Read);
  CHECK(contains(f.what(), hex(va + 4096)));
  CHECK(contains(f.what(), "not mapped"));
  CHECK(contains(f.what(), "0 bytes before"));  // right after the mapping

  f = expect_fault([&] { m.translate(va + 8, 4, Access::Write); });
  CHECK(f.access == Access::Write);
  CHECK(contains(f.what(), "not writable"));
  CHECK(contains(f.what(), "VRAM"));

  f = expect_fault([&] { m.translate(va, 4, Access::Exec); });
  CHECK(f.access == Access::Exec);
  CHECK(contains(f.what(), "not executable"));

  f = expect_fault([&] { m.translate(va + 4094, 4, Access::Read); });  // straddles the end
  CHECK(contains(f.what(), "past the end"));

  f = expect_fault([&] { m.translate(0, 4, Access::Read); });  // null pointer
  CHECK(f.address == 0);

  uint32_t x = 1;
  f = expect_fault([&] { m.write(va, &x, 4); });
  CHECK(f.access == Access::Write);

  m.unmap(va);
  f = expect_fault([&] { m.translate(va, 4, Access::Read); });
  CHECK(contains(f.what(), "nothing is mapped"));
}

TEST_CASE("memory: map() refuses bad arguments with a message") {
  Memory m;
  auto bo = m.create_bo(8192, Domain::VRAM);
  uint64_t va = Memory::kVaStart;
  CHECK_THROWS_AS(m.map(bo, va + 1, 0, 4096, sim::PERM_READ), std::invalid_argument);  // misaligned va
  CHECK_THROWS_AS(m.map(bo, va, 0, 100, sim::PERM_READ), std::invalid_argument);       // size not a page
  CHECK_THROWS_AS(m.map(bo, va, 4096, 8192, sim::PERM_READ), std::invalid_argument);   // past the BO
  CHECK_THROWS_AS(m.map(bo, 0x1000, 0, 4096, sim::PERM_READ), std::invalid_argument);  // below the VA space
  CHECK_THROWS_AS(m.map(bo, va, 0, 4096, 0), std::invalid_argument);                   // no permission
  CHECK_THROWS_AS(m.map(bo + 7, va, 0, 4096, sim::PERM_READ), std::invalid_argument);  // unknown BO
  m.map(bo, va + 4096, 0, 4096, sim::PERM_READ);
  CHECK_THROWS_AS(m.map(bo, va, 0, 8192, sim::PERM_READ), std::invalid_argument);         // overlaps
  CHECK_THROWS_AS(m.map(bo, va + 4096, 0, 4096, sim::PERM_READ), std::invalid_argument);  // same place
  CHECK_THROWS_AS(m.unmap(va), std::invalid_argument);
  CHECK_THROWS_AS(m.destroy_bo(bo + 7), std::invalid_argument);
  m.map(bo, va, 0, 4096, sim::PERM_READ);  // adjacent below is fine
  // Host reads may span adjacent mappings (each piece checked).
  uint8_t buf[16];
  m.read(va + 4088, buf, 16);
  // find_free_va skips what is mapped.
  uint64_t f = m.find_free_va(4096);
  CHECK((f >= va + 8192 || f + 4096 <= va));
}

TEST_CASE("memory: translate() runs lock-free on many threads while other BOs are mapped and freed") {
  Memory m;
  auto bo = m.create_bo(1 << 16, Domain::VRAM);
  uint64_t va = m.find_free_va(1 << 16);
  m.map(bo, va, 0, 1 << 16, sim::PERM_READ | sim::PERM_WRITE);
  for (uint32_t i = 0; i < (1 << 14); ++i) reinterpret_cast<uint32_t*>(m.bo_cpu_ptr(bo))[i] = i * 7;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, done{0};
  {
    Memory::Pin pin(m);  // as the command processor holds during a submission
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t)
      readers.emplace_back([&, t] {
        uint32_t i = t;
        while (!stop.load(std::memory_order_relaxed)) {
          i = (i * 1103515245u + 12345u) & ((1 << 14) - 1);
          uint32_t v;
          std::memcpy(&v, m.translate(va + i * 4, 4, Access::Read), 4);
          if (v != i * 7) bad++;
          done++;
        }
      });
    for (int k = 0; k < 300; ++k) {
      auto other = m.create_bo(4096, Domain::GTT);
      uint64_t ova = m.find_free_va(4096);
      m.map(other, ova, 0, 4096, sim::PERM_READ);
      if (k % 2) m.unmap(ova);
      m.destroy_bo(other);
    }
    while (done.load() < 10000) std::this_thread::yield();
    stop = true;
    for (auto& r : readers) r.join();
  }
  CHECK(bad.load() == 0);
  CHECK(m.bo_count() == 1);
}

// ---------------------------------------------------------------------------------------

namespace {
struct CpEnv : SimEnv {
  Buffer data = alloc(4096, Domain::GTT);
  CpEnv() : SimEnv(opts()) { data.poison(0); }
  static sim::GpuOptions opts() {
    auto o = default_options();
    o.wait_timeout = std::chrono::milliseconds(300);
    o.max_packets = 100000;
    return o;
  }
  uint32_t u32(size_t off) const {
    uint32_t v;
    std::memcpy(&v, data.host + off, 4);
    return v;
  }
  uint64_t u64(size_t off) const {
    uint64_t v;
    std::memcpy(&v, data.host + off, 8);
    return v;
  }
  // A small submission that must work after any failure.
  void check_still_works(uint32_t magic) {
    Writer w;
    const uint32_t d[] = {magic};
    w.write_data(data.va + 4000, d);
    auto r = submit_ib(w.dwords());
    REQUIRE_MESSAGE(r.ok(), describe(r));
    CHECK(u32(4000) == magic);
  }
};
}  // namespace

TEST_CASE("cp: WRITE_DATA, RELEASE_MEM and COPY_DATA write what they say") {
  CpEnv e;
  Writer w;
  const uint32_t d[] = {11, 22, 33};
  w.write_data(e.data.va, d);
  const uint32_t one[] = {5, 6, 7};
  w.packet(Opcode::WRITE_DATA, {WRITE_DATA_::DST_SEL.put(5) | WRITE_DATA_::WR_ONE_ADDR.put(1), uint32_t(e.data.va + 16),
                                uint32_t((e.data.va + 16) >> 32), one[0], one[1], one[2]});
  w.release_mem({.data_sel = ReleaseDataSel::VALUE_32BIT, .address = e.data.va + 32, .data = 0xBEEFCAFEull});
  w.release_mem({.data_sel = ReleaseDataSel::VALUE_64BIT, .address = e.data.va + 40, .data = 0x0123456789ABCDEFull});
  w.release_mem({.data_sel = ReleaseDataSel::TIMESTAMP, .address = e.data.va + 48});
  w.copy_data({.src_sel = CopySrcSel::IMMEDIATE, .src_address = 0x1122334455667788ull, .dst_address = e.data.va + 56});
  w.copy_data({.src_sel = CopySrcSel::IMMEDIATE,
               .src_address = 0xAABBCCDDull,
               .dst_address = e.data.va + 64,
               .count_64bit = false});
  w.copy_data({.src_sel = CopySrcSel::MEMORY, .src_address = e.data.va + 40, .dst_address = e.data.va + 72});
  w.copy_data({.src_sel = CopySrcSel::TIMESTAMP, .dst_address = e.data.va + 80});
  // Register round trip: SET_SH_REG a user-data register, copy it to memory; WRITE_DATA to a register too.
  w.set_regs(COMPUTE_USER_DATA_3{.DATA = 0x600DF00D});
  w.copy_data({.src_sel = CopySrcSel::REGISTER,
               .src_address = COMPUTE_USER_DATA_3::kByteAddress / 4,
               .dst_address = e.data.va + 88,
               .count_64bit = false});
  const uint32_t regval[] = {0x7777AAAA};
  w.write_data(COMPUTE_USER_DATA_5::kByteAddress / 4, regval, WriteDstSel::REGISTER);
  w.copy_data({.src_sel = CopySrcSel::REGISTER,
               .src_address = COMPUTE_USER_DATA_5::kByteAddress / 4,
               .dst_address = e.data.va + 92,
               .count_64bit = false});
  w.acquire_mem({});
  w.event_write(EventType::CS_PARTIAL_FLUSH);
  w.nop(1).nop(5);
  uint64_t before = e.gpu.timestamp();
  auto r = e.submit_ib(w.dwords());
  uint64_t after = e.gpu.timestamp();
  REQUIRE_MESSAGE(r.ok(), describe(r));
  CHECK(e.u32(0) == 11);
  CHECK(e.u32(4) == 22);
  CHECK(e.u32(8) == 33);
  CHECK(e.u32(16) == 7);  // WR_ONE_ADDR: every dword to one address
  CHECK(e.u32(20) == 0);
  CHECK(e.u32(32) == 0xBEEFCAFEu);
  CHECK(e.u32(36) == 0);  // 32-bit data writes 4 bytes only
  CHECK(e.u64(40) == 0x0123456789ABCDEFull);
  CHECK(e.u64(48) >= before);
  CHECK(e.u64(48) <= after);
  CHECK(e.u64(56) == 0x1122334455667788ull);
  CHECK(e.u32(64) == 0xAABBCCDDu);
  CHECK(e.u32(68) == 0);
  CHECK(e.u64(72) == 0x0123456789ABCDEFull);
  CHECK(e.u64(80) >= e.u64(48));  // the clock counter is monotonic
  CHECK(e.u64(80) <= after);
  CHECK(e.u32(88) == 0x600DF00Du);
  CHECK(e.u32(92) == 0x7777AAAAu);
  CHECK(r.start_timestamp >= before);
  CHECK(r.end_timestamp <= after);
  CHECK(sim::CommandProcessor::kTimestampHz == 100'000'000);
  CHECK(e.gpu.info().timestamp_hz == 100'000'000);
  CHECK(e.gpu.info().target == "gfx1100");
}

TEST_CASE("cp: INDIRECT_BUFFER calls return, chains do not") {
  CpEnv e;
  Buffer ib2b = e.alloc(4096, Domain::GTT, sim::PERM_READ);
  Buffer ib3b = e.alloc(4096, Domain::GTT, sim::PERM_READ);
  Writer ib3;
  const uint32_t c[] = {3};
  ib3.write_data(e.data.va + 8, c);
  std::memcpy(ib3b.host, ib3.dwords().data(), ib3.size() * 4);
  Writer ib2;
  const uint32_t b[] = {2};
  ib2.write_data(e.data.va + 4, b);
  ib2.indirect_buffer(ib3b.va, uint32_t(ib3.size()), /*chain=*/true);
  const uint32_t never[] = {0xBAD};
  ib2.write_data(e.data.va + 12, never);  // skipped: the chain ended this IB
  std::memcpy(ib2b.host, ib2.dwords().data(), ib2.size() * 4);
  Writer ib1;
  const uint32_t a[] = {1}, d[] = {4};
  ib1.write_data(e.data.va + 0, a);
  ib1.indirect_buffer(ib2b.va, uint32_t(ib2.size()));
  ib1.write_data(e.data.va + 16, d);  // runs after the called IB (and its chain) returns
  auto r = e.submit_ib(ib1.dwords());
  REQUIRE_MESSAGE(r.ok(), describe(r));
  CHECK(e.u32(0) == 1);
  CHECK(e.u32(4) == 2);
  CHECK(e.u32(8) == 3);
  CHECK(e.u32(12) == 0);
  CHECK(e.u32(16) == 4);
}

TEST_CASE("cp: several submissions in flight run in order; WAIT_REG_MEM waits for the host") {
  CpEnv e;
  e.gpu.set_options([&] {
    auto o = e.gpu.options();
    o.wait_timeout = std::chrono::seconds(20);
    return o;
  }());
  Writer w1;
  w1.wait_reg_mem({.function = WaitFunction::GREATER_EQUAL, .address = e.data.va + 100, .reference = 5, .mask = 0xFF});
  const uint32_t one[] = {1};
  w1.write_data(e.data.va + 200, one);
  std::vector<uint64_t> seqs;
  std::vector<Buffer> ibs;
  auto submit = [&](const Writer& w) {
    Buffer b = e.alloc(w.size() * 4, Domain::GTT, sim::PERM_READ);
    std::memcpy(b.host, w.dwords().data(), w.size() * 4);
    ibs.push_back(b);
    seqs.push_back(e.gpu.submit({{b.va, uint32_t(w.size())}}));
  };
  submit(w1);
  for (uint32_t i = 0; i < 8; ++i) {
    Writer w;
    // Each reads what the one before wrote and writes it + 1 (order matters).
    w.copy_data({.src_sel = CopySrcSel::MEMORY,
                 .src_address = e.data.va + 200 + 4 * i,
                 .dst_address = e.data.va + 300,
                 .count_64bit = false});
    w.copy_data({.src_sel = CopySrcSel::MEMORY,
                 .src_address = e.data.va + 300,
                 .dst_address = e.data.va + 204 + 4 * i,
                 .count_64bit = false});
    submit(w);
  }
  // Nothing can have finished: the first waits for the host.
  auto r = e.gpu.wait(seqs.back(), std::chrono::milliseconds(20));
  CHECK(r.status == Status::TimedOut);
  CHECK(e.gpu.last_completed() == 0);
  // 0x105 & 0xFF = 5 >= 5: satisfies the wait (mask applied).
  std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(e.data.host + 100)).store(0x105, std::memory_order_release);
  r = e.gpu.wait(seqs.back(), std::chrono::seconds(30));
  REQUIRE_MESSAGE(r.ok(), describe(r));
  for (uint64_t s : seqs) CHECK(e.gpu.wait(s, std::chrono::seconds(0)).ok());
  for (uint32_t i = 0; i <= 8; ++i) CHECK(e.u32(200 + 4 * i) == 1);
  CHECK(e.gpu.last_completed() == seqs.back());
  CHECK(e.gpu.wait_idle().ok());
  CHECK_THROWS_AS(e.gpu.wait(seqs.back() + 100, std::chrono::seconds(0)), std::invalid_argument);
}

TEST_CASE("cp: a WAIT_REG_MEM that is never satisfied is reported as a hang, and the GPU goes on") {
  CpEnv e;
  Writer w;
  w.nop(3);
  w.wait_reg_mem({.function = WaitFunction::EQUAL, .address = e.data.va + 100, .reference = 42});
  const uint32_t never[] = {0xBAD};
  w.write_data(e.data.va + 104, never);
  auto r = e.submit_ib(w.dwords());
  REQUIRE(r.status == Status::Failed);
  CHECK(r.error.kind == sim::ErrorKind::Hang);
  CHECK(contains(r.error.message, "WAIT_REG_MEM"));
  CHECK(contains(r.error.message, hex(e.data.va + 100)));
  CHECK(contains(r.error.message, "300 ms"));
  CHECK(r.error.where.packet == "WAIT_REG_MEM");
  CHECK(r.error.where.dword_offset == 3);
  CHECK(e.u32(104) == 0);
  e.check_still_works(0x1111);
  // A register wait as well.
  Writer wr;
  wr.wait_reg_mem({.function = WaitFunction::NOT_EQUAL,
                   .mem_space = WaitMemSpace::REGISTER,
                   .address = COMPUTE_USER_DATA_9::kByteAddress / 4,
                   .reference = 0});
  r = e.submit_ib(wr.dwords());
  CHECK(r.error.kind == sim::ErrorKind::Hang);
  e.check_still_works(0x2222);
}

TEST_CASE("cp: malformed IBs are CP errors naming the packet, its dword offset and the IB") {
  CpEnv e;
  struct Case {
    const char* what;
    std::vector<uint32_t> ib;
    size_t offset;
    std::string packet, message;
  };
  const uint32_t hdr_unknown = (3u << 30) | (0u << 16) | (0x01u << 8) | 2u;  // opcode 0x01: not a PM4 opcode
  std::vector<Case> cases = {
      {"unknown opcode", {kNopFiller, kNopFiller, hdr_unknown, 0}, 2, "opcode 0x1", "unknown opcode 0x1"},
      {"known but unmodelled",
       {kNopFiller, make_type3_header(Opcode::DRAW_INDEX_AUTO, 2), 0, 0},
       1,
       "DRAW_INDEX_AUTO",
       "not modelled"},
      {"truncated", {kNopFiller, make_type3_header(Opcode::WRITE_DATA, 5), 0, 0}, 1, "WRITE_DATA", "truncated"},
      {"DISPATCH_DIRECT too short",
       {make_type3_header(Opcode::DISPATCH_DIRECT, 3), 1, 1, 1},
       0,
       "DISPATCH_DIRECT",
       "expected 4"},
      {"SET_SH_REG past the space",
       {make_type3_header(Opcode::SET_SH_REG, 3), space_dwords(RegSpace::SH) - 1, 1, 2},
       0,
       "SET_SH_REG",
       "past the end"},
      {"SET_SH_REG without values", {make_type3_header(Opcode::SET_SH_REG, 1), 0}, 0, "SET_SH_REG", "at least one"},
      {"type-0 packet", {kNopFiller, 0x00002C00u, 5}, 1, "TYPE0", "type-0"},
      {"type-2 packet", {0x80000000u}, 0, "TYPE2", "type-2"},
      {"COMPUTE_SHADER_EN=0",
       {make_type3_header(Opcode::DISPATCH_DIRECT, 4), 1, 1, 1, 0},
       0,
       "DISPATCH_DIRECT",
       "COMPUTE_SHADER_EN"},
      {"RELEASE_MEM misaligned",
       {make_type3_header(Opcode::RELEASE_MEM, 7), 0x28, 2u << 29, uint32_t(e.data.va + 4), uint32_t(e.data.va >> 32),
        1, 2, 0},
       0,
       "RELEASE_MEM",
       "8-byte aligned"},
      {"WRITE_DATA to an unmodelled register",
       {make_type3_header(Opcode::WRITE_DATA, 4), 0, 0x1000, 0, 1},
       0,
       "WRITE_DATA",
       "neither an SH nor a UCONFIG"},
  };
  uint32_t magic = 1;
  for (const Case& c : cases) {
    CAPTURE(c.what);
    Buffer ib = e.alloc(c.ib.size() * 4, Domain::GTT, sim::PERM_READ);
    std::memcpy(ib.host, c.ib.data(), c.ib.size() * 4);
    uint64_t seq = e.gpu.submit({{ib.va, uint32_t(c.ib.size())}});
    auto r = e.gpu.wait(seq, std::chrono::seconds(30));
    REQUIRE(r.status == Status::Failed);
    CHECK(r.error.kind == sim::ErrorKind::Cp);
    CHECK(r.error.where.dword_offset == c.offset);
    CHECK(r.error.where.ib_address == ib.va);
    CHECK(r.error.where.packet == c.packet);
    CHECK_MESSAGE(contains(r.error.message, c.message), r.error.message);
    CHECK_MESSAGE(contains(r.error.message, "dword " + std::to_string(c.offset)), r.error.message);
    CHECK_MESSAGE(contains(r.error.message, hex(ib.va)), r.error.message);
    e.free(ib);
    e.check_still_works(magic++);
  }
}

TEST_CASE("cp: IB nesting too deep, chain loops, and IBs the CP cannot read") {
  CpEnv e;
  // An IB that calls itself: depth exceeds the limit.
  Buffer self = e.alloc(4096, Domain::GTT, sim::PERM_READ);
  Writer w;
  w.nop(2);
  w.indirect_buffer(self.va, 6);
  REQUIRE(w.size() == 6);
  std::memcpy(self.host, w.dwords().data(), 24);
  uint64_t seq = e.gpu.submit({{self.va, 6}});
  auto r = e.gpu.wait(seq, std::chrono::seconds(30));
  REQUIRE(r.status == Status::Failed);
  CHECK(r.error.kind == sim::ErrorKind::Cp);
  CHECK(r.error.where.packet == "INDIRECT_BUFFER");
  CHECK(r.error.where.dword_offset == 2);
  CHECK(r.error.where.depth == 4);
  CHECK_MESSAGE(contains(r.error.message, "too deep"), r.error.message);
  e.check_still_works(0x51);

  // A chain to itself never ends: reported as a hang after max_packets.
  Writer loop;
  loop.indirect_buffer(self.va + 64, 4, /*chain=*/true);
  std::memcpy(self.host + 64, loop.dwords().data(), 16);
  seq = e.gpu.submit({{self.va + 64, 4}});
  r = e.gpu.wait(seq, std::chrono::seconds(60));
  REQUIRE(r.status == Status::Failed);
  CHECK(r.error.kind == sim::ErrorKind::Hang);
  CHECK_MESSAGE(contains(r.error.message, "chain"), r.error.message);
  e.check_still_works(0x52);

  // An IB in unmapped memory / in a write-only mapping: VM faults of the CP's fetch.
  seq = e.gpu.submit({{Memory::kVaEnd - 4096, 8}});
  r = e.gpu.wait(seq, std::chrono::seconds(30));
  REQUIRE(r.status == Status::Failed);
  CHECK(r.error.kind == sim::ErrorKind::VmFault);
  CHECK(r.error.fault_address == Memory::kVaEnd - 4096);
  CHECK(r.error.fault_access == Access::Read);
  Buffer wo = e.alloc(4096, Domain::GTT, sim::PERM_WRITE);
  seq = e.gpu.submit({{wo.va, 8}});
  r = e.gpu.wait(seq, std::chrono::seconds(30));
  CHECK(r.error.kind == sim::ErrorKind::VmFault);
  CHECK_MESSAGE(contains(r.error.message, "not readable"), r.error.message);
  // A called IB running past its mapping.
  Writer call;
  call.indirect_buffer(self.va + 4096 - 8, 16);
  r = e.submit_ib(call.dwords());
  CHECK(r.error.kind == sim::ErrorKind::VmFault);
  CHECK(r.error.where.packet == "IB fetch");
  CHECK(r.error.where.depth == 1);
  // A WRITE_DATA into read-only memory.
  Writer ro;
  const uint32_t x[] = {1};
  ro.write_data(self.va, x);
  r = e.submit_ib(ro.dwords());
  CHECK(r.error.kind == sim::ErrorKind::VmFault);
  CHECK(r.error.fault_access == Access::Write);
  CHECK(r.error.where.packet == "WRITE_DATA");
  e.check_still_works(0x53);
  CHECK_THROWS_AS(e.gpu.submit({{self.va + 2, 4}}), std::invalid_argument);
  CHECK_THROWS_AS(e.gpu.submit({{self.va, 0}}), std::invalid_argument);
}

TEST_CASE("cp: DISPATCH_INDIRECT reads its grid from memory; an empty grid launches nothing") {
  CpEnv e;
  Writer w;
  // Grid {0, 4, 1} from memory: no workgroups, so no shader code is needed at all.
  uint32_t dims[3] = {0, 4, 1};
  std::memcpy(e.data.host + 512, dims, 12);
  w.dispatch_indirect(e.data.va + 512, COMPUTE_DISPATCH_INITIATOR{.COMPUTE_SHADER_EN = 1, .CS_W32_EN = 1});
  w.dispatch_direct(0, 0, 0, COMPUTE_DISPATCH_INITIATOR{.COMPUTE_SHADER_EN = 1, .CS_W32_EN = 1});
  const uint32_t done[] = {77};
  w.write_data(e.data.va + 600, done);
  auto r = e.submit_ib(w.dwords());
  REQUIRE_MESSAGE(r.ok(), describe(r));
  CHECK(e.u32(600) == 77);
  // A grid address that is not mapped faults in the CP.
  Writer bad;
  bad.dispatch_indirect(Memory::kVaStart - 64, COMPUTE_DISPATCH_INITIATOR{.COMPUTE_SHADER_EN = 1});
  r = e.submit_ib(bad.dwords());
  CHECK(r.error.kind == sim::ErrorKind::VmFault);
  CHECK(r.error.where.packet == "DISPATCH_INDIRECT");
  e.check_still_works(0x61);
}

TEST_CASE("cp: random packet streams fail cleanly (CP error, VM fault or hang), never crash, and the GPU goes on") {
  CpEnv e;
  auto o = e.gpu.options();
  o.wait_timeout = std::chrono::milliseconds(1);
  o.max_packets = 2000;
  o.instruction_budget = 100000;
  e.gpu.set_options(o);
  // IBs live in a read-only buffer; packets aim their addresses at `data` (writable) or `ibs`.
  Buffer ibs = e.alloc(1 << 16, Domain::GTT, sim::PERM_READ);
  std::mt19937 r(1234);
  const Opcode ops[] = {Opcode::NOP,
                        Opcode::SET_SH_REG,
                        Opcode::SET_UCONFIG_REG,
                        Opcode::DISPATCH_DIRECT,
                        Opcode::DISPATCH_INDIRECT,
                        Opcode::ACQUIRE_MEM,
                        Opcode::RELEASE_MEM,
                        Opcode::EVENT_WRITE,
                        Opcode::WRITE_DATA,
                        Opcode::WAIT_REG_MEM,
                        Opcode::COPY_DATA,
                        Opcode::INDIRECT_BUFFER,
                        Opcode::DRAW_INDEX_AUTO,
                        Opcode::DMA_DATA};
  auto addr = [&](uint64_t base, uint64_t size) { return base + (r() % (size / 4)) * 4; };
  std::map<sim::ErrorKind, int> kinds;
  int completed = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    std::vector<uint32_t> ib;
    const size_t n_packets = 1 + r() % 6;
    for (size_t k = 0; k < n_packets; ++k) {
      if (r() % 16 == 0) {  // raw garbage dword
        ib.push_back(r());
        continue;
      }
      Opcode op = ops[r() % std::size(ops)];
      uint32_t payload = 1 + r() % 8;
      if (r() % 4) {  // mostly the right size, so the packets get executed
        switch (op) {
          case Opcode::DISPATCH_DIRECT:
            payload = 4;
            break;
          case Opcode::DISPATCH_INDIRECT:
            payload = 3;
            break;
          case Opcode::ACQUIRE_MEM:
          case Opcode::RELEASE_MEM:
            payload = 7;
            break;
          case Opcode::EVENT_WRITE:
            payload = 1;
            break;
          case Opcode::WAIT_REG_MEM:
            payload = 6;
            break;
          case Opcode::COPY_DATA:
            payload = 5;
            break;
          case Opcode::WRITE_DATA:
          case Opcode::SET_SH_REG:
            payload = std::max(payload, 4u);
            break;
          default:
            break;
        }
      }
      if (op == Opcode::INDIRECT_BUFFER) payload = 3;
      ib.push_back(make_type3_header(op, payload));
      for (uint32_t i = 0; i < payload; ++i) {
        uint32_t v = r();
        switch (r() % 5) {
          case 0:
            v = uint32_t(addr(e.data.va, e.data.size));
            break;
          case 1:
            v = uint32_t(e.data.va >> 32);
            break;
          case 2:
            v = r() % 8;
            break;
          default:
            break;
        }
        if (op == Opcode::SET_SH_REG && i == 0 && r() % 2) v = 0x200 + r() % 0x40;  // the compute registers
        if ((op == Opcode::DISPATCH_DIRECT || op == Opcode::DISPATCH_INDIRECT) && i < 3 && r() % 4) v = r() % 3;
        if (op == Opcode::INDIRECT_BUFFER && i == 0) v = uint32_t(addr(ibs.va, ibs.size));
        if (op == Opcode::INDIRECT_BUFFER && i == 1) v = uint32_t(ibs.va >> 32);
        if (op == Opcode::INDIRECT_BUFFER && i == 2) v = (r() % 64 + 1) | (r() % 2) << 20 | (r() % 8 ? 1u << 23 : 0);
        ib.push_back(v);
      }
    }
    if (r() % 8 == 0 && ib.size() > 1) ib.resize(ib.size() - 1 - r() % (ib.size() - 1));  // truncate
    const size_t slot = (iter % 64) * 1024;  // bytes; IBs up to 6 * 9 + 1 dwords fit easily
    std::memcpy(ibs.host + slot, ib.data(), ib.size() * 4);
    uint64_t seq = e.gpu.submit({{ibs.va + slot, uint32_t(ib.size())}});
    auto res = e.gpu.wait(seq, std::chrono::seconds(60));
    REQUIRE(res.status != Status::TimedOut);
    if (res.ok()) {
      ++completed;
    } else {
      kinds[res.error.kind]++;
      CHECK_MESSAGE(res.error.kind != sim::ErrorKind::Other, res.error.message);
      CHECK_FALSE(res.error.message.empty());
    }
  }
  MESSAGE("completed " << completed << ", CP errors " << kinds[sim::ErrorKind::Cp] << ", VM faults "
                       << kinds[sim::ErrorKind::VmFault] << ", hangs " << kinds[sim::ErrorKind::Hang]
                       << ", shader errors " << kinds[sim::ErrorKind::Shader] << ", unimplemented "
                       << kinds[sim::ErrorKind::Unimplemented]);
  CHECK(kinds[sim::ErrorKind::Cp] > 0);
  CHECK(kinds[sim::ErrorKind::VmFault] > 0);
  e.gpu.set_options(CpEnv::opts());
  e.check_still_works(0xF00F);
}

TEST_CASE("gpu: destroying it with a blocked WAIT_REG_MEM and queued work returns promptly") {
  auto o = SimEnv::default_options();
  o.wait_timeout = std::chrono::minutes(10);  // the destructor must not wait for this
  auto start = std::chrono::steady_clock::now();
  {
    SimEnv e(o);
    Buffer data = e.alloc(4096, Domain::GTT);
    Writer w;
    w.wait_reg_mem({.function = WaitFunction::EQUAL, .address = data.va, .reference = 1});
    Buffer ib = e.alloc(w.size() * 4, Domain::GTT, sim::PERM_READ);
    std::memcpy(ib.host, w.dwords().data(), w.size() * 4);
    for (int i = 0; i < 4; ++i) e.gpu.submit({{ib.va, uint32_t(w.size())}});
    CHECK(e.gpu.wait(1, std::chrono::milliseconds(10)).status == Status::TimedOut);
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::minutes(1));
}

// The endless `spin` kernel with a budget it would need hours to use up: only cancellation
// can end it. The bounds are generous (not timing tests): they tell "stopped" from "ran on".
namespace {
sim::GpuOptions endless_options() {
  auto o = SimEnv::default_options();
  o.instruction_budget = 1'000'000'000'000ull;
  o.shader_threads = 2;
  return o;
}
Launch spin_launch(const Program& p, const Buffer& flag) {
  Launch l;
  l.kernel = &p.kernel("spin");
  l.image_base = p.image.va;
  l.args = {buf(flag)};
  l.geometry.grid = {2, 1, 1};
  l.geometry.workgroup = {64, 1, 1};
  return l;
}
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

TEST_CASE("gpu: cancel() abandons a running endless dispatch and a queued submission; the next one works") {
  SimEnv e(endless_options());
  Program p = e.load(kernel_path("scratch"));
  Buffer flag = e.alloc(4);
  std::memset(flag.host, 0, 4);
  // Times out while spinning (run() frees its temporaries; the GPU keeps them pinned).
  auto r = e.run({spin_launch(p, flag)}, std::chrono::milliseconds(300));
  REQUIRE(r.status == Status::TimedOut);
  const uint64_t running = r.seq;
  // A second submission queued behind it.
  Writer w;
  const uint32_t marker[] = {0x5EC0};
  w.write_data(flag.va, marker);
  Buffer ib = e.alloc(w.dwords().size() * 4, sim::Domain::GTT, sim::PERM_READ);
  std::memcpy(ib.host, w.dwords().data(), w.dwords().size() * 4);
  const uint64_t queued = e.gpu.submit({{ib.va, uint32_t(w.dwords().size())}});
  CHECK(e.gpu.cancel(queued));
  auto q = e.gpu.wait(queued, std::chrono::seconds(5));
  REQUIRE(q.status == Status::Failed);
  CHECK(q.error.kind == sim::ErrorKind::Cancelled);
  CHECK_MESSAGE(contains(q.error.message, "cancelled: "), q.error.message);
  // Now the running one.
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(e.gpu.cancel(running));
  r = e.gpu.wait(running, std::chrono::seconds(60));
  CHECK(seconds_since(t0) < 30);
  REQUIRE(r.status == Status::Failed);
  CHECK(r.error.kind == sim::ErrorKind::Cancelled);
  CHECK_MESSAGE(r.error.message.rfind("cancelled: ", 0) == 0, r.error.message);
  CHECK_MESSAGE(contains(r.error.message, "DISPATCH_DIRECT"), r.error.message);
  CHECK_MESSAGE(contains(r.error.message, "PC 0x"), r.error.message);
  MESSAGE("cancel report: " << r.error.message);
  CHECK(std::string(sim::to_string(r.error.kind)) == "cancelled");
  CHECK(flag.as<uint32_t>()[0] == 0);  // the queued WRITE_DATA never ran
  CHECK_FALSE(e.gpu.cancel(running));  // already finished
  CHECK_THROWS_AS(e.gpu.cancel(queued + 100), std::invalid_argument);
  // The flag is cleared for what comes next: the same kernel, released by the host, completes.
  std::memset(flag.host, 1, 4);
  auto ok = e.run({spin_launch(p, flag)}, std::chrono::seconds(60));
  CHECK_MESSAGE(ok.ok(), describe(ok));
  e.free(ib), e.free(flag);
}

TEST_CASE("gpu: destroying a Gpu with an endless dispatch running returns promptly") {
  auto e = std::make_unique<SimEnv>(endless_options());
  Program p = e->load(kernel_path("scratch"));
  Buffer flag = e->alloc(4);
  std::memset(flag.host, 0, 4);
  auto r = e->run({spin_launch(p, flag)}, std::chrono::milliseconds(300));
  REQUIRE(r.status == Status::TimedOut);
  const auto t0 = std::chrono::steady_clock::now();
  e.reset();
  CHECK(seconds_since(t0) < 30);
}
