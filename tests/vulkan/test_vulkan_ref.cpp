// vulkan_ref on lavapipe (selected by name "llvmpipe"): GEMM at odd shapes and every tiling used
// on real devices, against the FP64 reference; buffers in every memory type the driver offers;
// bandwidth kernels' data; error paths. Exits 77 (skipped) when there is no lavapipe.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "spork_glsl.h"
#include "spork_spirv.h"
#include "vulkan_ref/vulkan_ref.h"

using namespace spork::vk;

namespace {
Context& lavapipe() {
  static Context* ctx = [] {
    DeviceList list = list_devices();
    bool found = false;
    for (auto& d : list.devices) found |= d.name.find("llvmpipe") != std::string::npos;
    if (!found) {
      std::printf("SKIP: no lavapipe (llvmpipe) Vulkan device here: %s\n",
                  list.error.empty() ? "not in the device list" : list.error.c_str());
      std::fflush(stdout);
      std::exit(77);
    }
    return new Context("llvmpipe");  // lives for the process: lavapipe threads outlive tests otherwise
  }();
  return *ctx;
}

GemmResult run_gemm(uint32_t M, uint32_t N, uint32_t K, std::optional<GemmConfig> cfg = std::nullopt,
                    std::optional<uint32_t> type = std::nullopt) {
  GemmRequest r;
  r.M = M, r.N = N, r.K = K;
  r.config = cfg;
  r.memory_type = type;
  r.warmup = 1, r.repeat = 2;
  r.seed = M * 7919 + N * 31 + K;
  GemmResult res = lavapipe().gemm(r);
  INFO("gemm ", M, "x", N, "x", K, " ", res.config.str(), " ", res.memory, ": rel err ", res.max_rel_error, " tol ",
       res.tolerance, ", ", res.check, ", unwritten ", res.unwritten);
  CHECK(res.unwritten == 0);
  CHECK(res.checked > 0);
  CHECK(res.max_rel_error <= res.tolerance);
  CHECK(res.passed);
  CHECK(res.timing.median_ms > 0);
  return res;
}
}  // namespace

TEST_CASE("embedded shaders: SPIR-V magic and GLSL source text") {
  auto gemm = spork::spirv::find("gemm");
  REQUIRE(gemm.size() > 20);
  uint32_t magic;
  std::memcpy(&magic, gemm.data(), 4);
  CHECK(magic == 0x07230203u);
  CHECK(!spork::spirv::find("membw").empty());
  auto src = spork::glsl::find("gemm.comp");
  REQUIRE(!src.empty());
  CHECK(std::string(reinterpret_cast<const char*>(src.data())).find("#version 450") != std::string::npos);
}

TEST_CASE("list_devices describes lavapipe with heaps and memory types") {
  lavapipe();
  DeviceList list = list_devices();
  CHECK(list.error.empty());
  bool seen = false;
  for (auto& d : list.devices) {
    if (d.name.find("llvmpipe") == std::string::npos) continue;
    seen = true;
    CHECK(d.type == "CPU");
    CHECK(d.compute_queue);
    CHECK(!d.heaps.empty());
    REQUIRE(!d.types.empty());
    for (auto& t : d.types) CHECK(t.heap < d.heaps.size());
  }
  CHECK(seen);
  CHECK(memory_flags_string(kDeviceLocal | kHostVisible) == "DEVICE_LOCAL|HOST_VISIBLE");
  CHECK(memory_flags_string(0) == "none");
}

TEST_CASE("device selection errors are clear") {
  lavapipe();
  try {
    Context c("no-such-gpu-xyzzy");
    FAIL("a device name nobody has was accepted");
  } catch (const Error& e) {
    std::string m = e.what();
    CHECK(m.find("no Vulkan device whose name contains \"no-such-gpu-xyzzy\"") != std::string::npos);
    CHECK(m.find("llvmpipe") != std::string::npos);  // the message lists what there is
  }
  CHECK_THROWS_WITH_AS(Context("999"), doctest::Contains("no Vulkan device 999"), Error);
}

TEST_CASE("GEMM at odd shapes against the FP64 reference") {
  auto r1 = run_gemm(1, 1, 1);
  CHECK(r1.config.VEC == 1);
  run_gemm(17, 31, 7);
  run_gemm(129, 65, 257);
  auto r4 = run_gemm(64, 48, 20);  // K, N multiples of 4: vec4 path
  CHECK(r4.config.VEC == 4);
}

TEST_CASE("the GEMM check can fail: a wrong entry, and entries the kernel never wrote (poison)") {
  GemmRequest r;
  r.M = 17, r.N = 31, r.K = 7;
  r.warmup = 0, r.repeat = 1;
  r.test_corrupt = true;  // one entry off by 1.0 after download
  GemmResult bad = lavapipe().gemm(r);
  CHECK_FALSE(bad.passed);
  CHECK(bad.max_rel_error > bad.tolerance);
  CHECK(bad.unwritten == 0);
  r.test_corrupt = false;
  r.M = 40, r.N = 70, r.K = 9;
  r.config = GemmConfig::parse("32x32x8/4x4/1");  // 3 workgroup columns; the hook dispatches 2
  r.test_short_grid = true;
  GemmResult part = lavapipe().gemm(r);
  CHECK_FALSE(part.passed);
  CHECK(part.unwritten == uint64_t(40) * (70 - 64));  // columns 64..69 keep the NaN poison
  CHECK(part.checked == uint64_t(40) * 64);
  CHECK(part.max_rel_error <= part.tolerance);  // what was written is right
  // The same through the sampled check (NaN scan of all of C).
  r.full_check_limit = 0;
  r.samples = 64;
  part = lavapipe().gemm(r);
  CHECK_FALSE(part.passed);
  CHECK(part.unwritten == uint64_t(40) * 6);
}

TEST_CASE("the bandwidth check can fail") {
  for (MembwOp op : {MembwOp::Read, MembwOp::Write, MembwOp::Copy}) {
    MembwRequest r;
    r.op = op;
    r.bytes = 16 * 1024;
    r.warmup = 0, r.repeat = 1;
    r.test_corrupt = true;
    MembwResult res = lavapipe().membw(r);
    INFO(membw_op_name(op), ": ", res.note);
    CHECK_FALSE(res.passed);
    CHECK(res.note.find("buffer set 0") != std::string::npos);
  }
}

TEST_CASE("GEMM tilings used on real GPUs (NVIDIA, generic), both staging modes, both vector widths") {
  for (const char* cfg :
       {"128x128x8/8x8/2", "128x128x8/8x8/1", "64x64x16/4x4/2", "128x128x16/8x8/2", "64x128x16/4x8/2"}) {
    GemmConfig c = GemmConfig::parse(cfg);
    INFO("config ", std::string(cfg));
    run_gemm(131, 133, 37, c);  // VEC 1, partial tiles everywhere
    run_gemm(132, 260, 40, c);  // VEC 4, partial tiles in M and N
  }
}

TEST_CASE("GEMM config validation") {
  CHECK_THROWS_AS(GemmConfig::parse("128x128"), Error);
  GemmConfig c = GemmConfig::parse("64x64x16/4x4/2/4");
  CHECK(c.BM == 64);
  CHECK(c.STAGES == 2);
  CHECK(c.VEC == 4);
  GemmRequest r;
  r.M = r.N = r.K = 8;
  r.config = GemmConfig::parse("64x64x16/3x4/2");
  CHECK_THROWS_WITH_AS(lavapipe().gemm(r), doctest::Contains("multiples of 4"), Error);
  r.config = GemmConfig::parse("64x64x16/4x4/2/4");
  r.K = 7;
  CHECK_THROWS_WITH_AS(lavapipe().gemm(r), doctest::Contains("VEC=4 needs"), Error);
  r.K = 0;
  CHECK_THROWS_AS(lavapipe().gemm(r), Error);
}

TEST_CASE("buffers in every memory type: direct and staged round trips, GEMM in each") {
  Context& c = lavapipe();
  const uint32_t types = c.buffer_memory_types();
  REQUIRE(types != 0);
  std::mt19937 rng(42);
  std::vector<uint32_t> data(40000 + 3);
  for (auto& x : data) x = rng();
  for (uint32_t t = 0; t < c.info().types.size(); ++t) {
    if (!(types & (1u << t))) continue;
    INFO(c.describe_memory_type(t));
    for (bool staged_up : {false, true})
      for (bool staged_down : {false, true}) {
        auto b = c.create_buffer(data.size() * 4, t);
        CHECK(b->memory_type() == t);
        c.upload(*b, data.data(), data.size() * 4, staged_up);
        std::vector<uint32_t> back(data.size(), 0xDEADBEEF);
        c.download(*b, back.data(), back.size() * 4, staged_down);
        CHECK(back == data);
      }
    run_gemm(33, 35, 9, std::nullopt, t);
  }
  // The placements resolve to types the driver offers, or are absent.
  for (Placement p : {Placement::DeviceLocal, Placement::HostVisible, Placement::DeviceLocalHostVisible}) {
    auto t = c.memory_type_for(p);
    if (t) CHECK((types & (1u << *t)) != 0);
  }
  CHECK_THROWS_WITH_AS(c.create_buffer(16, 31), doctest::Contains("no memory type 31"), Error);
  // More than the heap holds: a clear out-of-memory error, nothing allocated.
  const uint64_t heap = c.info().heaps[c.info().types[0].heap].size;
  CHECK_THROWS_WITH_AS(c.create_buffer(heap + 4096, 0), doctest::Contains("out of device memory"), Error);
}

TEST_CASE("bandwidth kernels move the right data in every memory type") {
  Context& c = lavapipe();
  for (uint32_t t = 0; t < c.info().types.size(); ++t) {
    if (!(c.buffer_memory_types() & (1u << t))) continue;
    for (MembwOp op : {MembwOp::Read, MembwOp::Write, MembwOp::Copy})
      for (uint64_t bytes : {uint64_t(1) << 20, uint64_t(16 * 4099)}) {
        MembwRequest r;
        r.op = op;
        r.bytes = bytes;
        r.memory_type = t;
        r.warmup = 1, r.repeat = 2;
        r.sets = 2;
        MembwResult res = c.membw(r);
        INFO(membw_op_name(op), " ", bytes, " bytes in ", res.memory, ": ", res.note);
        CHECK(res.passed);
        CHECK(res.bytes_moved == (op == MembwOp::Copy ? 2 * bytes : bytes));
        CHECK(res.gbps > 0);
      }
  }
  // Destination bound at an offset inside its allocation: the data still lands where it should.
  for (MembwOp op : {MembwOp::Write, MembwOp::Copy}) {
    MembwRequest r;
    r.op = op;
    r.bytes = 16 * 1000;
    r.dst_offset = 4096;
    r.warmup = 0, r.repeat = 1;
    MembwResult res = c.membw(r);
    INFO(res.note);
    CHECK(res.passed);
  }
  MembwRequest odd;
  odd.dst_offset = 4;
  odd.bytes = 4096;
  CHECK_THROWS_WITH_AS(c.membw(odd), doctest::Contains("minStorageBufferOffsetAlignment"), Error);
  MembwRequest bad;
  bad.bytes = 100;
  CHECK_THROWS_WITH_AS(c.membw(bad), doctest::Contains("multiple of 16"), Error);
}

TEST_CASE("dispatch overhead: batched and one submit each") {
  DispatchResult d = lavapipe().dispatch(16);
  CHECK(d.count == 16);
  CHECK(d.batched_gpu_us > 0);
  CHECK(d.batched_host_us > 0);
  CHECK(d.submit_gpu_us > 0);
  CHECK(d.submit_host_us > 0);
}
