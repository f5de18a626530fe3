// The dispatch IB builder and kernarg packing, checked against independent readings of real code
// objects (llvm-readelf-19 metadata and symbols, llvm-objdump-19 descriptor bytes) and against
// hand-filled Kernel structs. The IB is read back with the decoder and replayed register by register.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "oracle.h"
#include "pm4/decoder.h"
#include "runtime/codeobj.h"
#include "runtime/dispatch.h"
#include "runtime/kernargs.h"

using namespace spork;
using namespace spork::pm4;

namespace {

const std::string kBin = SPORK_BINARY_DIR;
const std::string kGemm = kBin + "/kernels/gfx1100/gemm.co";
const std::string kTestDir = kBin + "/kernels/test/gfx1100/";

constexpr uint64_t kBase = 0x7F0000000000ull, kKernarg = 0x7F1000000000ull, kPacket = 0x7F1000001000ull,
                   kScratch = 0x7F2000000000ull, kTs = 0x7F3000000000ull, kFence = 0x7F3000000100ull;

bool have(const std::string& path) {
  if (std::filesystem::exists(path)) return true;
  MESSAGE("skipping: " << path << " not built");
  return false;
}

// SH register state at each DISPATCH_DIRECT, plus everything the IB did.
struct Replay {
  struct Dispatch {
    std::map<uint32_t, uint32_t> sh;  // packet offset -> value
    uint32_t dim[3], initiator;
    size_t packet_index;
  };
  std::vector<Dispatch> dispatches;
  Decoding dec;
  uint32_t reg(size_t i, const RegisterInfo& r) const { return dispatches.at(i).sh.at(r.offset()); }
};

Replay replay(const std::vector<uint32_t>& ib) {
  Replay r;
  r.dec = decode(ib);
  REQUIRE_MESSAGE(r.dec.ok(), format(r.dec));
  std::map<uint32_t, uint32_t> sh;
  for (size_t i = 0; i < r.dec.packets.size(); ++i) {
    const DecodedPacket& p = r.dec.packets[i];
    for (const DecodedRegister& reg : p.registers)
      if (reg.space == RegSpace::SH) sh[reg.offset] = reg.value;
    if (p.name == "DISPATCH_DIRECT") {
      const uint32_t* pl = &ib[p.offset + 1];
      r.dispatches.push_back({sh, {pl[0], pl[1], pl[2]}, pl[3], i});
    }
  }
  return r;
}

uint64_t field(const DecodedPacket& p, const char* name) {
  for (const auto& f : p.fields)
    if (f.name == name) return f.value;
  FAIL("no field " << name);
  return 0;
}

// What the descriptor bytes say, read by hand (AMDHSAKernelDescriptor.h offsets).
struct Kd {
  uint32_t group, priv, kernarg, rsrc1, rsrc2, rsrc3, props;
};
Kd read_kd(const std::string& co, const std::string& kernel) {
  const auto d = oracle::descriptor_bytes(co, oracle::symbol(co, kernel + ".kd"));
  return {oracle::u32(d, 0),  oracle::u32(d, 4),  oracle::u32(d, 8),          oracle::u32(d, 48),
          oracle::u32(d, 52), oracle::u32(d, 44), oracle::u32(d, 56) & 0xFFFF};
}

// Everything a dispatch of `k` must carry, checked against the oracle readings.
void check_dispatch_against_oracle(const std::string& co, const Kernel& k, const DispatchParams& p, const Replay& r,
                                   size_t di) {
  const Kd kd = read_kd(co, k.name);
  const auto metas = oracle::read_metadata(co);
  const auto& md = oracle::kernel(metas, k.name);
  const uint64_t code = kBase + oracle::symbol(co, k.name);  // the function symbol is the entry point
  CHECK(r.reg(di, COMPUTE_PGM_LO::info()) == uint32_t(code >> 8));
  CHECK(r.reg(di, COMPUTE_PGM_HI::info()) == uint32_t(code >> 40));
  CHECK(r.reg(di, COMPUTE_PGM_RSRC1::info()) == kd.rsrc1);
  CHECK(r.reg(di, COMPUTE_PGM_RSRC3::info()) == kd.rsrc3);
  // RSRC2: the descriptor's value with LDS_SIZE = ceil((static + dynamic LDS) / 512).
  const uint32_t rsrc2 = r.reg(di, COMPUTE_PGM_RSRC2::info());
  const uint64_t lds = md.get(".group_segment_fixed_size") + p.dynamic_lds_bytes;
  CHECK((rsrc2 & ~(0x1FFu << 15)) == (kd.rsrc2 & ~(0x1FFu << 15)));
  CHECK(((rsrc2 >> 15) & 0x1FF) == (lds + 511) / 512);
  CHECK(kd.group == md.get(".group_segment_fixed_size"));
  // User SGPRs in ABI order from kernel_code_properties, exactly USER_SGPR (bits 1-5 of RSRC2) of them.
  const uint32_t user_sgpr = (kd.rsrc2 >> 1) & 31;
  std::vector<uint32_t> want;
  auto pair = [&want](uint64_t v) { want.push_back(uint32_t(v)), want.push_back(uint32_t(v >> 32)); };
  REQUIRE((kd.props & 1) == 0);  // no private segment buffer on gfx11
  if (kd.props & 2) pair(p.dispatch_packet_address);
  if (kd.props & 4) pair(p.queue_address);
  if (kd.props & 8) pair(p.kernarg_address);
  if (kd.props & 16) pair(p.dispatch_id);
  if (kd.props & 32) pair(p.scratch ? p.scratch->address : 0);
  if (kd.props & 64) want.push_back(kd.priv);
  REQUIRE(want.size() <= user_sgpr);
  want.resize(user_sgpr, 0);
  for (uint32_t i = 0; i < 16; ++i) {
    CAPTURE(i);
    const auto it = r.dispatches[di].sh.find(COMPUTE_USER_DATA_0::kOffset + i);
    if (i < user_sgpr) {
      REQUIRE(it != r.dispatches[di].sh.end());
      CHECK(it->second == want[i]);
    }
  }
  // Scratch: TMPRING_SIZE and the dispatch scratch base.
  const bool scratch = (kd.rsrc2 & 1) || kd.priv > 0;
  CHECK(scratch == (md.get(".private_segment_fixed_size") > 0));
  const auto tmp = COMPUTE_TMPRING_SIZE::decode(r.reg(di, COMPUTE_TMPRING_SIZE::info()));
  if (scratch) {
    REQUIRE(p.scratch);
    CHECK(tmp.WAVES == p.scratch->waves / p.scratch->shader_engines);
    CHECK(tmp.WAVESIZE * 256 == p.scratch->bytes_per_wave);
    CHECK(tmp.WAVESIZE * 256 >= kd.priv * md.get(".wavefront_size"));
    CHECK(r.reg(di, COMPUTE_DISPATCH_SCRATCH_BASE_LO::info()) == uint32_t(p.scratch->address >> 8));
    CHECK(r.reg(di, COMPUTE_DISPATCH_SCRATCH_BASE_HI::info()) == uint32_t(p.scratch->address >> 40));
  } else {
    CHECK(tmp.WAVES == 0);
    CHECK(tmp.WAVESIZE == 0);
  }
  // Geometry.
  const auto& g = p.geometry;
  CHECK(COMPUTE_NUM_THREAD_X::decode(r.reg(di, COMPUTE_NUM_THREAD_X::info())).NUM_THREAD_FULL == g.workgroup.x);
  CHECK(COMPUTE_NUM_THREAD_Y::decode(r.reg(di, COMPUTE_NUM_THREAD_Y::info())).NUM_THREAD_FULL == g.workgroup.y);
  CHECK(COMPUTE_NUM_THREAD_Z::decode(r.reg(di, COMPUTE_NUM_THREAD_Z::info())).NUM_THREAD_FULL == g.workgroup.z);
  CHECK(r.reg(di, COMPUTE_START_X::info()) == g.start.x);
  CHECK(r.dispatches[di].dim[0] == g.start.x + g.grid.x);
  CHECK(r.dispatches[di].dim[1] == g.start.y + g.grid.y);
  CHECK(r.dispatches[di].dim[2] == g.start.z + g.grid.z);
  const auto init = COMPUTE_DISPATCH_INITIATOR::decode(r.dispatches[di].initiator);
  CHECK(init.COMPUTE_SHADER_EN == 1);
  CHECK(init.CS_W32_EN == (md.get(".wavefront_size") == 32 ? 1u : 0u));
  CHECK(init.CS_W32_EN == ((kd.props >> 10) & 1));
  CHECK(init.FORCE_START_AT_000 == ((g.start.x | g.start.y | g.start.z) == 0 ? 1u : 0u));
}

DispatchParams params_for(const Kernel& k, Dim3u grid, Dim3u block) {
  DispatchParams p;
  p.geometry.grid = grid;
  p.geometry.workgroup = block;
  p.code_address = kBase + k.code_vaddr();
  p.kernarg_address = kKernarg;
  p.kernarg_bytes = std::max(k.metadata.kernarg_segment_size, k.descriptor.kernarg_size);
  if (k.descriptor.enable_sgpr_dispatch_ptr) p.dispatch_packet_address = kPacket;
  if (k.descriptor.private_segment_fixed_size)
    p.scratch = ScratchArea{kScratch, (k.descriptor.private_segment_fixed_size * 32 + 255) / 256 * 256, 64};
  p.timestamp_begin = kTs;
  p.timestamp_end = kTs + 8;
  p.dispatch_id = 0x1234;
  return p;
}

}  // namespace

TEST_CASE("GEMM dispatch IB: every register against llvm-readelf/objdump, packet order, fence") {
  if (!have(kGemm)) return;
  const CodeObject co = CodeObject::from_file(kGemm);
  const Kernel& k = co.kernel("gemm");
  DispatchParams p = params_for(k, {8, 4, 1}, {16, 16, 1});
  const std::vector<uint32_t> ib = build_dispatch_ib(k, p, {.address = kFence, .value = 0xABCDEF0123ull});
  CHECK(ib.size() % 8 == 0);
  const Replay r = replay(ib);
  REQUIRE(r.dispatches.size() == 1);
  check_dispatch_against_oracle(kGemm, k, p, r, 0);

  // Packet order: ACQUIRE_MEM first, timestamp before the dispatch, flush + timestamp + fence after.
  std::vector<std::string> names;
  for (const auto& pk : r.dec.packets)
    if (pk.name != "SET_SH_REG" && pk.name != "NOP") names.push_back(pk.name);
  CHECK(names == std::vector<std::string>{"ACQUIRE_MEM", "COPY_DATA", "DISPATCH_DIRECT", "EVENT_WRITE", "RELEASE_MEM",
                                          "RELEASE_MEM"});
  const auto& pk = r.dec.packets;
  const DecodedPacket* acquire = &pk[0];
  CHECK(field(*acquire, "GCR_CNTL_GL2_INV") == 1);
  CHECK(field(*acquire, "GCR_CNTL_GLK_INV") == 1);
  CHECK(field(*acquire, "GCR_CNTL_GLI_INV") == 1);
  const DecodedPacket& ts0 = pk[r.dispatches[0].packet_index - 1];
  CHECK(ts0.name == "COPY_DATA");
  CHECK(field(ts0, "SRC_SEL") == uint32_t(CopySrcSel::TIMESTAMP));
  CHECK((field(ts0, "DST_ADDR_LO") | field(ts0, "DST_ADDR_HI") << 32) == kTs);
  const DecodedPacket& flush = pk[r.dispatches[0].packet_index + 1];
  CHECK(flush.summary == "CS_PARTIAL_FLUSH");
  const DecodedPacket& ts1 = pk[r.dispatches[0].packet_index + 2];
  CHECK(field(ts1, "DATA_SEL") == 3);
  CHECK((field(ts1, "ADDR_LO") | field(ts1, "ADDR_HI") << 32) == kTs + 8);
  const DecodedPacket& fence = pk[r.dispatches[0].packet_index + 3];
  CHECK(field(fence, "DATA_SEL") == 2);
  CHECK(field(fence, "GCR_GL2_WB") == 1);
  CHECK((field(fence, "ADDR_LO") | field(fence, "ADDR_HI") << 32) == kFence);
  CHECK((field(fence, "DATA_LO") | field(fence, "DATA_HI") << 32) == 0xABCDEF0123ull);
}

TEST_CASE("GEMM launch validation: clear errors, nothing appended") {
  if (!have(kGemm)) return;
  const CodeObject co = CodeObject::from_file(kGemm);
  const Kernel& k = co.kernel("gemm");
  DispatchBuilder b;
  auto expect = [&](DispatchParams p, const char* text) {
    CAPTURE(text);
    try {
      b.add(k, p);
      FAIL("accepted");
    } catch (const DispatchError& e) {
      CHECK(std::string(e.what()).find(text) != std::string::npos);
    }
    CHECK(b.dwords().empty());
  };
  DispatchParams p = params_for(k, {8, 4, 1}, {16, 16, 1});
  auto q = p;
  q.geometry.grid.y = 0;
  expect(q, "zero dimension");
  q = p;
  q.geometry.workgroup = {32, 8, 1};
  expect(q, "reqd_work_group_size (16,16,1)");
  q = p;
  q.geometry.workgroup = {16, 16, 2};
  expect(q, "max_flat_workgroup_size 256");
  q = p;
  q.kernarg_bytes = 32;
  expect(q, "smaller than the kernel's kernarg segment (36 bytes)");
  q = p;
  q.code_address += 4;
  expect(q, "256-byte aligned");
  q = p;
  q.kernarg_address = 0;
  expect(q, "kernarg_address is 0");
  q = p;
  q.timestamp_end = kTs + 4;
  expect(q, "timestamp_end");
  CHECK_THROWS_AS(b.finish({.address = kFence + 4, .value = 1}), DispatchError);
}

TEST_CASE("batched: several dispatches, timestamps per dispatch, one fence at the end") {
  if (!have(kGemm)) return;
  const CodeObject co = CodeObject::from_file(kGemm);
  const Kernel& k = co.kernel("gemm");
  DispatchBuilder b;
  for (uint32_t i = 0; i < 3; ++i) {
    DispatchParams p = params_for(k, {i + 1, 2, 1}, {16, 16, 1});
    p.timestamp_begin = kTs + 16 * i;
    p.timestamp_end = kTs + 16 * i + 8;
    p.kernarg_address = kKernarg + 256 * i;
    b.add(k, p);
  }
  CHECK(b.dispatch_count() == 3);
  const auto ib = b.finish({.address = kFence, .value = 9});
  const Replay r = replay(ib);
  REQUIRE(r.dispatches.size() == 3);
  size_t fences = 0, acquires = 0;
  for (const auto& pk : r.dec.packets) {
    if (pk.name == "RELEASE_MEM" && field(pk, "DATA_SEL") == 2) ++fences;
    if (pk.name == "ACQUIRE_MEM") ++acquires;
  }
  CHECK(fences == 1);
  CHECK(acquires == 3);
  CHECK(ib.size() % 8 == 0);  // padded after the fence
  for (uint32_t i = 0; i < 3; ++i) {
    CHECK(r.dispatches[i].dim[0] == i + 1);
    const auto& ts = r.dec.packets[r.dispatches[i].packet_index - 1];
    CHECK(field(ts, "DST_ADDR_LO") == uint32_t(kTs + 16 * i));
    const auto& te = r.dec.packets[r.dispatches[i].packet_index + 2];
    CHECK(field(te, "ADDR_LO") == uint32_t(kTs + 16 * i + 8));
    CHECK(r.reg(i, COMPUTE_USER_DATA_0::info()) == uint32_t(kKernarg + 256 * i));
  }
}

TEST_CASE("-O0 kernels: dispatch pointer, dispatch id, hidden arguments and scratch against llvm-readelf") {
  const std::string co_path = kTestDir + "probe_o0.co";
  if (!have(co_path)) return;
  const CodeObject co = CodeObject::from_file(co_path);
  const auto metas = oracle::read_metadata(co_path);
  for (const char* name : {"probe_ids", "probe_dispatch"}) {
    CAPTURE(name);
    const Kernel& k = co.kernel(name);
    const Kd kd = read_kd(co_path, name);
    REQUIRE((kd.props & 2) != 0);  // -O0 kernels take the dispatch pointer
    DispatchParams p = params_for(k, {3, 2, 2}, {8, 4, 2});
    p.geometry.start = {1, 0, 0};
    REQUIRE(p.scratch);
    const auto ib = build_dispatch_ib(k, p, {.address = kFence, .value = 1});
    const Replay r = replay(ib);
    REQUIRE(r.dispatches.size() == 1);
    check_dispatch_against_oracle(co_path, k, p, r, 0);
    CHECK(((kd.rsrc2 & 1) == 1));  // SCRATCH_EN

    // Hidden arguments at the offsets llvm-readelf reports.
    const auto& md = oracle::kernel(metas, name);
    const PackedKernargs ka = pack_kernargs(k, std::vector<ArgValue>{ArgValue::buffer(0x5000)}, p.geometry);
    REQUIRE(ka.bytes.size() == md.get(".kernarg_segment_size"));
    size_t hidden = 0;
    for (const auto& a : md.args) {
      CAPTURE(a.value_kind);
      uint64_t v = 0;
      REQUIRE(a.offset + a.size <= ka.bytes.size());
      std::memcpy(&v, ka.bytes.data() + a.offset, std::min<uint32_t>(a.size, 8));
      const std::string& vk = a.value_kind;
      const int d = vk.back() - 'x';
      if (vk == "global_buffer")
        CHECK(v == 0x5000);
      else if (vk.rfind("hidden_block_count_", 0) == 0)
        CHECK(v == p.geometry.start[d] + p.geometry.grid[d]);
      else if (vk.rfind("hidden_group_size_", 0) == 0)
        CHECK(v == p.geometry.workgroup[d]);
      else if (vk.rfind("hidden_remainder_", 0) == 0)
        CHECK(v == 0);
      else if (vk.rfind("hidden_global_offset_", 0) == 0)
        CHECK(v == 0);
      else if (vk == "hidden_grid_dims")
        CHECK(v == 3);
      else
        CHECK(v == 0);  // printf/hostcall/multigrid/heap/queue/completion: null
      hidden += vk.rfind("hidden_", 0) == 0;
    }
    CHECK(hidden >= 15);

    // The dispatch packet the dispatch pointer points at.
    const auto pkt = make_dispatch_packet(k, p.geometry, kBase + k.descriptor_vaddr, kKernarg);
    auto u16 = [&](size_t o) { return uint32_t(pkt[o] | pkt[o + 1] << 8); };
    auto u32 = [&](size_t o) { return u16(o) | u16(o + 2) << 16; };
    CHECK((u16(0) & 0xFF) == 2);  // HSA_PACKET_TYPE_KERNEL_DISPATCH
    CHECK(u16(2) == 3);           // dimensions
    CHECK(u16(4) == 8);
    CHECK(u16(6) == 4);
    CHECK(u16(8) == 2);
    CHECK(u32(12) == (1 + 3) * 8);  // grid size in work-items (block count x workgroup size)
    CHECK(u32(16) == 2 * 4);
    CHECK(u32(20) == 2 * 2);
    CHECK(u32(24) == md.get(".private_segment_fixed_size"));
    CHECK(u32(28) == md.get(".group_segment_fixed_size"));
    CHECK((u32(32) | uint64_t(u32(36)) << 32) == kBase + oracle::symbol(co_path, std::string(name) + ".kd"));
    CHECK((u32(40) | uint64_t(u32(44)) << 32) == kKernarg);
    CHECK(u32(56) == 0);
    CHECK(u32(60) == 0);
  }
}

TEST_CASE("scratch kernel: refused without a scratch area, TMPRING_SIZE and scratch base with one") {
  for (const char* file : {"scratch_o0.co", "scratch.co"}) {
    const std::string co_path = kTestDir + file;
    if (!have(co_path)) continue;
    CAPTURE(file);
    const CodeObject co = CodeObject::from_file(co_path);
    const Kernel& k = co.kernel("scratch_lookup");
    REQUIRE(k.descriptor.private_segment_fixed_size >= 512);
    DispatchParams p = params_for(k, {4, 1, 1}, {64, 1, 1});
    auto q = p;
    q.scratch.reset();
    CHECK_THROWS_WITH_AS(build_dispatch_ib(k, q, {.address = kFence}), doctest::Contains("no scratch area"),
                         DispatchError);
    q = p;
    q.scratch->bytes_per_wave -= 256;
    CHECK_THROWS_WITH_AS(build_dispatch_ib(k, q, {.address = kFence}), doctest::Contains("bytes_per_wave"),
                         DispatchError);
    q = p;
    q.scratch->shader_engines = 128;  // fewer waves than engines
    CHECK_THROWS_WITH_AS(build_dispatch_ib(k, q, {.address = kFence}), doctest::Contains("TMPRING_SIZE.WAVES"),
                         DispatchError);
    const Replay r = replay(build_dispatch_ib(k, p, {.address = kFence, .value = 1}));
    check_dispatch_against_oracle(co_path, k, p, r, 0);
    // gfx1100: 6 shader engines, WAVES counts per engine.
    q = p;
    q.scratch->waves = 60;
    q.scratch->shader_engines = 6;
    const Replay r6 = replay(build_dispatch_ib(k, q, {.address = kFence, .value = 1}));
    CHECK(COMPUTE_TMPRING_SIZE::decode(r6.reg(0, COMPUTE_TMPRING_SIZE::info())).WAVES == 10);
  }
}

TEST_CASE("kernarg packing: probe_args explicit arguments at the metadata offsets") {
  const std::string co_path = kTestDir + "probe.co";
  if (!have(co_path)) return;
  const CodeObject co = CodeObject::from_file(co_path);
  const Kernel& k = co.kernel("probe_args");
  const auto metas = oracle::read_metadata(co_path);
  const auto& md = oracle::kernel(metas, "probe_args");
  LaunchGeometry g{.grid = {2, 1, 1}, .workgroup = {64, 1, 1}};
  struct I4 {
    int32_t v[4];
  };
  const std::vector<ArgValue> args = {
      ArgValue::buffer(0x1111222233334444ull), ArgValue::scalar(int8_t(-3)),       ArgValue::scalar(int16_t(-300)),
      ArgValue::scalar(int32_t(-70000)),       ArgValue::scalar(int64_t(1) << 40), ArgValue::scalar(2.5f),
      ArgValue::scalar(I4{{1, -2, 3, -4}}),    ArgValue::buffer(0x8888),           ArgValue::local(256)};
  const PackedKernargs ka = pack_kernargs(k, args, g);
  CHECK(ka.bytes.size() == md.get(".kernarg_segment_size"));
  // Expected bytes of each explicit argument, in metadata order.
  std::vector<std::vector<uint8_t>> want;
  auto bytes = [](const auto& v) {
    std::vector<uint8_t> b(sizeof v);
    std::memcpy(b.data(), &v, sizeof v);
    return b;
  };
  want.push_back(bytes(uint64_t(0x1111222233334444ull)));
  want.push_back(bytes(int8_t(-3)));
  want.push_back(bytes(int16_t(-300)));
  want.push_back(bytes(int32_t(-70000)));
  want.push_back(bytes(int64_t(1) << 40));
  want.push_back(bytes(2.5f));
  want.push_back(bytes(I4{{1, -2, 3, -4}}));
  want.push_back(bytes(uint64_t(0x8888)));
  const uint32_t lds_offset = (k.descriptor.group_segment_fixed_size + 3) / 4 * 4;  // pointee_align 4
  want.push_back(bytes(lds_offset));
  size_t i = 0;
  for (const auto& a : md.args) {
    if (a.value_kind.rfind("hidden_", 0) == 0) continue;
    CAPTURE(a.type_name);
    REQUIRE(i < want.size());
    REQUIRE(a.size == want[i].size());
    CHECK(std::memcmp(ka.bytes.data() + a.offset, want[i].data(), a.size) == 0);
    ++i;
  }
  CHECK(i == want.size());
  CHECK(ka.dynamic_lds_bytes == lds_offset + 256 - k.descriptor.group_segment_fixed_size);

  // Mismatches name the argument.
  auto wrong = args;
  wrong[3] = ArgValue::scalar(int64_t(1));
  CHECK_THROWS_WITH_AS(pack_kernargs(k, wrong, g),
                       doctest::Contains("argument 3 (int) is 4 bytes; got a 8-byte scalar"), KernargError);
  wrong = args;
  wrong[0] = ArgValue::scalar(1.0f);
  CHECK_THROWS_WITH_AS(pack_kernargs(k, wrong, g), doctest::Contains("global buffer"), KernargError);
  wrong = args;
  wrong[8] = ArgValue::buffer(0);
  CHECK_THROWS_WITH_AS(pack_kernargs(k, wrong, g), doctest::Contains("__local pointer"), KernargError);
  wrong.pop_back();
  CHECK_THROWS_WITH_AS(pack_kernargs(k, wrong, g), doctest::Contains("takes 9 explicit argument(s)"), KernargError);
}

// ---- hand-filled Kernel structs: the ABI order of every user SGPR kind ----
namespace {
Kernel fake_kernel() {
  Kernel k;
  k.name = "fake";
  k.descriptor_vaddr = 0x1000;
  k.descriptor.kernel_code_entry_byte_offset = 0x100;
  k.descriptor.enable_wavefront_size32 = true;
  k.descriptor.kernarg_size = 16;
  k.metadata.kernarg_segment_size = 16;
  k.metadata.max_flat_workgroup_size = 1024;
  k.metadata.wavefront_size = 32;
  return k;
}
}  // namespace

TEST_CASE("user SGPRs: ABI order, padding to USER_SGPR, inconsistent descriptors refused") {
  Kernel k = fake_kernel();
  auto& d = k.descriptor;
  d.enable_sgpr_dispatch_ptr = d.enable_sgpr_queue_ptr = d.enable_sgpr_kernarg_segment_ptr = true;
  d.enable_sgpr_dispatch_id = d.enable_sgpr_flat_scratch_init = d.enable_sgpr_private_segment_size = true;
  d.private_segment_fixed_size = 64;
  d.rsrc2.ENABLE_PRIVATE_SEGMENT = 1;
  d.rsrc2.USER_SGPR_COUNT = 16;
  d.rsrc2.raw = COMPUTE_PGM_RSRC2{.SCRATCH_EN = 1, .USER_SGPR = 16, .TGID_X_EN = 1}.encode();
  DispatchParams p;
  p.geometry = {.grid = {1, 1, 1}, .workgroup = {64, 1, 1}};
  p.code_address = 0x10000;
  p.kernarg_address = 0xAAAABBBB0000ull;
  p.kernarg_bytes = 16;
  p.dispatch_packet_address = 0x111122220000ull;
  p.queue_address = 0x333344440000ull;
  p.dispatch_id = 0x5555000066660000ull;
  p.scratch = ScratchArea{0x777788880000ull, 2048, 10};
  const auto s = user_sgprs(k, p);
  REQUIRE(s.size() == 16);
  const uint32_t want[16] = {0x22220000, 0x1111, 0x44440000, 0x3333, 0xBBBB0000, 0xAAAA, 0x66660000, 0x55550000,
                             0x88880000, 0x7777, 64,         0,      0,          0,      0,          0};
  for (int i = 0; i < 16; ++i) {
    CAPTURE(i);
    CHECK(s[i].value == want[i]);
  }
  CHECK(std::string(s[0].what) == "dispatch_ptr lo");
  CHECK(std::string(s[10].what) == "private_segment_size");
  CHECK(std::string(s[11].what) == "(padding)");
  // The IB writes all 16 COMPUTE_USER_DATA registers in one run.
  const Replay r = replay(build_dispatch_ib(k, p, {.address = 0x100, .value = 1}));
  for (int i = 0; i < 16; ++i) CHECK(r.dispatches[0].sh.at(COMPUTE_USER_DATA_0::kOffset + i) == want[i]);
  CHECK(COMPUTE_PGM_RSRC2::decode(r.reg(0, COMPUTE_PGM_RSRC2::info())).USER_SGPR == 16);

  d.rsrc2.USER_SGPR_COUNT = 10;  // fewer than the 11 enabled
  CHECK_THROWS_WITH_AS(user_sgprs(k, p), doctest::Contains("USER_SGPR is 10"), DispatchError);
  d.rsrc2.USER_SGPR_COUNT = 16;
  d.enable_sgpr_private_segment_buffer = true;
  CHECK_THROWS_WITH_AS(user_sgprs(k, p), doctest::Contains("private segment buffer"), DispatchError);
  d.enable_sgpr_private_segment_buffer = false;
  p.dispatch_packet_address = 0;
  CHECK_THROWS_WITH_AS(user_sgprs(k, p), doctest::Contains("dispatch_packet_address"), DispatchError);
}

TEST_CASE("LDS_SIZE from group segment + dynamic LDS in 512-byte granules; wave64 clears CS_W32_EN") {
  Kernel k = fake_kernel();
  k.descriptor.group_segment_fixed_size = 1000;
  k.descriptor.enable_sgpr_kernarg_segment_ptr = true;
  k.descriptor.rsrc2.USER_SGPR_COUNT = 2;
  k.descriptor.rsrc2.raw = COMPUTE_PGM_RSRC2{.USER_SGPR = 2}.encode();
  DispatchParams p;
  p.geometry = {.grid = {2, 1, 1}, .workgroup = {128, 1, 1}};
  p.code_address = 0x10000;
  p.kernarg_address = 0x20000;
  p.kernarg_bytes = 16;
  p.dynamic_lds_bytes = 100;
  auto regs = dispatch_registers(k, p);
  CHECK(regs.rsrc2.LDS_SIZE == 3);  // ceil(1100 / 512)
  CHECK(regs.initiator.CS_W32_EN == 1);
  CHECK(regs.limits.SIMD_DEST_CNTL == 1);  // 4 waves of 32
  p.dynamic_lds_bytes = 65536;
  CHECK_THROWS_WITH_AS(dispatch_registers(k, p), doctest::Contains("bytes of LDS"), DispatchError);
  p.dynamic_lds_bytes = 0;
  k.descriptor.enable_wavefront_size32 = false;
  k.metadata.wavefront_size = 64;
  regs = dispatch_registers(k, p);
  CHECK(regs.initiator.CS_W32_EN == 0);
  CHECK(regs.limits.SIMD_DEST_CNTL == 0);  // 2 waves of 64
  k.metadata.wavefront_size = 32;
  CHECK_THROWS_WITH_AS(dispatch_registers(k, p), doctest::Contains("wavefront_size"), DispatchError);
}
