// The public runtime API on the simulator: GEMM against an FP64 CPU reference, batched
// dispatches in one IB, several submissions in flight, staging through GTT, error paths.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "runtime/device.h"
#include "spork_kernels.h"

using namespace spork;

namespace {

Device& sim() {
  static Device d = [] {
    DeviceOptions o;
    o.selector = "sim";
    o.announce = false;
    return Device::open(o);
  }();
  return d;
}

Module& gemm_module() {
  static Module m = sim().load(kernels::find("gfx1100/gemm"), "gfx1100/gemm");
  return m;
}
Module& fill_module() {
  static Module m = sim().load(kernels::find("gfx1100/fill"), "gfx1100/fill");
  return m;
}
Module& copy_module() {
  static Module m = sim().load(kernels::find("gfx1100/copy"), "gfx1100/copy");
  return m;
}
Module& args_module() {
  static Module m = sim().load_file(ARGS_KERNEL_CO);
  return m;
}

bool contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

// C = A * B on the device, checked entry by entry against an FP64 reference.
void check_gemm(uint32_t M, uint32_t N, uint32_t K, Placement p) {
  Device& dev = sim();
  std::mt19937 rng(M * 7919u + N * 31u + K);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> A(size_t(M) * K), B(size_t(K) * N);
  for (auto& x : A) x = dist(rng);
  for (auto& x : B) x = dist(rng);
  Buffer a = dev.alloc(A.size() * 4, p), b = dev.alloc(B.size() * 4, p), c = dev.alloc(size_t(M) * N * 4, p);
  CHECK(a.placement() == p);
  a.upload(A);
  b.upload(B);
  c.fill(0xFF);  // poison: NaN everywhere
  Queue q = dev.queue();
  Fence f = q.launch(gemm_module().function("gemm"), {(N + 63) / 64, (M + 63) / 64}, {16, 16},
                     Args().buffer(a).buffer(b).buffer(c).u32(M).u32(N).u32(K));
  f.wait();
  auto C = c.download_as<float>(size_t(M) * N);
  // FP32 accumulation with FMA: |c - ref| <= 2 * K * 2^-24 * sum_k |a_ik * b_kj| per entry.
  const double tol = 2.0 * K * std::ldexp(1.0, -24);
  double worst = 0;
  size_t bad = 0;
  for (uint32_t i = 0; i < M; ++i)
    for (uint32_t j = 0; j < N; ++j) {
      double ref = 0, mag = 0;
      for (uint32_t k = 0; k < K; ++k) {
        ref += double(A[size_t(i) * K + k]) * double(B[size_t(k) * N + j]);
        mag += std::fabs(double(A[size_t(i) * K + k]) * double(B[size_t(k) * N + j]));
      }
      double got = C[size_t(i) * N + j];
      double err = std::isfinite(got) ? std::fabs(got - ref) / std::max(mag, 1e-30) : INFINITY;
      worst = std::max(worst, err);
      if (!(err <= tol)) ++bad;
    }
  INFO("gemm " << M << "x" << N << "x" << K << " in " << std::string(to_string(p)) << ": worst rel error " << worst
               << ", tolerance " << tol);
  CHECK(bad == 0);
  CHECK(f.timing(0).end_ticks >= f.timing(0).begin_ticks);
}

}  // namespace

TEST_CASE("device basics: sim info, placements, upload/download round trips") {
  Device& dev = sim();
  CHECK(dev.simulated());
  CHECK(dev.info().gfx_target == "gfx1100");
  CHECK(dev.info().timestamp_hz == 100'000'000);
  for (Placement p : {Placement::VRAM, Placement::VRAM_CPU_VISIBLE, Placement::GTT}) {
    Buffer b = dev.alloc(1000, p);
    CHECK(b.size() == 1000);
    CHECK(b.placement() == p);
    CHECK(b.gpu_address() % 4096 == 0);
    CHECK(b.cpu_visible() == (p != Placement::VRAM));
    std::vector<uint8_t> src(1000);
    for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(i * 37 + 11);
    b.fill(0xAB);
    b.upload(src.data() + 3, 990, 3);  // unaligned start and end: edge bytes must survive
    std::vector<uint8_t> got(1000);
    b.download(got.data(), 1000);
    CHECK(got[0] == 0xAB);
    CHECK(got[2] == 0xAB);
    CHECK(std::memcmp(got.data() + 3, src.data() + 3, 990) == 0);
    CHECK(got[993] == 0xAB);
    CHECK(got[999] == 0xAB);
    std::vector<uint8_t> mid(5);
    b.download(mid.data(), 5, 501);  // unaligned download
    CHECK(std::memcmp(mid.data(), src.data() + 501, 5) == 0);
  }
  Buffer v = dev.alloc(64, Placement::VRAM);
  CHECK_THROWS_AS(v.map(), DeviceError);
  CHECK_THROWS_AS(v.upload(std::vector<uint8_t>(65)), std::out_of_range);
}

TEST_CASE("gemm through the API matches an FP64 reference") {
  check_gemm(1, 1, 1, Placement::VRAM);
  check_gemm(17, 31, 7, Placement::GTT);
  check_gemm(129, 65, 257, Placement::VRAM_CPU_VISIBLE);
  check_gemm(256, 256, 256, Placement::VRAM);
}

TEST_CASE("several dispatches batched in one IB run in order") {
  Device& dev = sim();
  const uint32_t n = 5000;
  Buffer x = dev.alloc(n * 4, Placement::VRAM), y = dev.alloc(n * 4, Placement::VRAM),
         z = dev.alloc(n * 4, Placement::GTT);
  z.fill(0xFF);
  Queue q = dev.queue();
  q.dispatch(fill_module().function("fill_u32"), {7}, {64}, Args().buffer(x).u32(0x12345678u).u32(n));
  q.dispatch(copy_module().function("copy_u32"), {5}, {128}, Args().buffer(x).buffer(y).u32(n));
  q.dispatch(copy_module().function("copy_u32"), {3}, {256}, Args().buffer(y).buffer(z).u32(n));
  CHECK(q.recorded() == 3);
  Fence f = q.submit();
  CHECK(q.recorded() == 0);
  f.wait();
  CHECK(f.dispatch_count() == 3);
  auto zs = z.map_as<uint32_t>();
  size_t wrong = 0;
  for (uint32_t i = 0; i < n; ++i) wrong += zs[i] != 0x12345678u;
  CHECK(wrong == 0);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(f.timing(i).begin_ticks <= f.timing(i).end_ticks);
    if (i) CHECK(f.timing(i - 1).end_ticks <= f.timing(i).begin_ticks);
  }
  CHECK(f.gpu_ms() >= 0);
  // One IB: the three dispatches and a single fence.
  CHECK(!f.ib().empty());
}

TEST_CASE("several submissions in flight, waited out of order") {
  Device& dev = sim();
  const uint32_t n = 4096;
  Queue q = dev.queue();
  std::vector<Buffer> bufs;
  std::vector<Fence> fences;
  for (uint32_t s = 0; s < 6; ++s) {
    bufs.push_back(dev.alloc(n * 4, Placement::GTT));
    bufs.back().fill(0);
    fences.push_back(
        q.launch(fill_module().function("fill_u32"), {4}, {64}, Args().buffer(bufs.back()).u32(s + 100).u32(n)));
  }
  // A dependent submission: copies buffer 0 into a new one (submissions run in order).
  Buffer last = dev.alloc(n * 4, Placement::GTT);
  fences.push_back(q.launch(copy_module().function("copy_u32"), {4}, {64}, Args().buffer(bufs[0]).buffer(last).u32(n)));
  for (size_t i = fences.size(); i-- > 0;) CHECK(fences[i].wait(std::chrono::seconds(300)));
  for (size_t i = 1; i < fences.size(); ++i) CHECK(fences[i].sequence() > fences[i - 1].sequence());
  for (uint32_t s = 0; s < 6; ++s) {
    auto v = bufs[s].map_as<uint32_t>();
    CHECK(v[0] == s + 100);
    CHECK(v[n - 1] == s + 100);
  }
  CHECK(last.map_as<uint32_t>()[n - 1] == 100);
  // Buffers dropped while their submission is in flight stay alive until it is done.
  Fence late;
  {
    Buffer tmp = dev.alloc(n * 4, Placement::VRAM);
    late = q.launch(fill_module().function("fill_u32"), {4}, {64}, Args().buffer(tmp).u32(1).u32(n));
  }
  late.wait();
  q.finish();
}

TEST_CASE("a kernel with a private segment gets scratch") {
  Device& dev = sim();
  const uint32_t n = 200, j = 17, m = 290, k = 3;
  Buffer out = dev.alloc(n * 4, Placement::GTT);
  out.fill(0xFF);
  Queue q = dev.queue();
  q.launch(args_module().function("private_sum"), {4}, {64}, Args().buffer(out).u32(j).u32(m).u32(k).u32(n)).wait();
  auto v = out.map_as<uint32_t>();
  size_t bad = 0;
  for (uint32_t i = 0; i < n; ++i) bad += v[i] != (j * k + i) + (m * k + i);
  CHECK(bad == 0);
}

TEST_CASE("argument checking names the argument") {
  Queue q = sim().queue();
  Function g = gemm_module().function("gemm");
  Buffer b = sim().alloc(4096, Placement::GTT);
  try {
    q.dispatch(g, {1, 1}, {16, 16}, Args().buffer(b).buffer(b).buffer(b).u32(1).u32(1));
    FAIL("no error for a missing argument");
  } catch (const std::invalid_argument& e) {
    CHECK(contains(e.what(), "takes 6 arguments, got 5"));
  }
  try {
    q.dispatch(g, {1, 1}, {16, 16}, Args().u32(0).buffer(b).buffer(b).u32(1).u32(1).u32(1));
    FAIL("no error for a scalar passed as a pointer");
  } catch (const std::invalid_argument& e) {
    CHECK(contains(e.what(), "argument 0 (float*)"));  // no names without -cl-kernel-arg-info
    CHECK(contains(e.what(), "pointer"));
  }
  try {
    q.dispatch(g, {1, 1}, {16, 16}, Args().buffer(b).buffer(b).buffer(b).u64(1).u32(1).u32(1));
    FAIL("no error for a wrong-size scalar");
  } catch (const std::invalid_argument& e) {
    CHECK(contains(e.what(), "argument 3 (uint)"));
    CHECK(contains(e.what(), "4 bytes"));
  }
  try {
    q.dispatch(g, {1, 1}, {16, 16}, Args().buffer(b).buffer(b).buffer(b).u32(1).buffer(b).u32(1));
    FAIL("no error for a buffer passed as a scalar");
  } catch (const std::invalid_argument& e) {
    CHECK(contains(e.what(), "argument 4 (uint)"));
  }
  // With argument names in the metadata (-cl-kernel-arg-info) the message carries the name.
  CHECK_THROWS_WITH_AS(q.dispatch(args_module().function("poke"), {1}, {32}, Args().u32(1).u32(1).u32(1)),
                       doctest::Contains("argument 0 'p' (uint*)"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(q.dispatch(args_module().function("echo_args"), {1}, {32},
                                  Args().buffer(b).i16(1).i16(2).i32(3).u32(4).i64(5).u64(6).f32(7).f64(8).u32(9)),
                       doctest::Contains("argument 1 'a' (char) is 1 bytes, got i16"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(q.dispatch(g, {1, 1}, {8, 8}, Args().buffer(b).buffer(b).buffer(b).u32(1).u32(1).u32(1)),
                       doctest::Contains("reqd_work_group_size"), std::invalid_argument);
  CHECK_THROWS_AS(q.dispatch(g, {0, 1}, {16, 16}, Args()), std::invalid_argument);
  CHECK(q.recorded() == 0);
  CHECK_THROWS_WITH_AS(gemm_module().function("gemmm"), doctest::Contains("gemm"), CodeObjectError);
}

TEST_CASE("a VM fault is reported, and the next launch works") {
  Device& dev = sim();
  Queue q = dev.queue();
  Buffer small = dev.alloc(64, Placement::VRAM);
  // poke writes p[i * stride]: element 1 << 22 lies 16 MiB past a 64-byte buffer.
  Fence f = q.launch(args_module().function("poke"), {1}, {32}, Args().buffer(small).u32(1u << 22).u32(2));
  try {
    f.wait();
    FAIL("no fault reported");
  } catch (const GpuFaultError& e) {
    std::string m = e.what();
    INFO(m);
    CHECK((contains(m, "fault") || contains(m, "Fault")));
  }
  CHECK_THROWS_AS(f.wait(), GpuFaultError);  // the fence keeps saying so
  Buffer ok = dev.alloc(4096, Placement::GTT);
  Fence g = q.launch(args_module().function("poke"), {1}, {32}, Args().buffer(ok).u32(1).u32(32));
  g.wait();
  auto v = ok.map_as<uint32_t>();
  CHECK(v[0] == 0xC0FFEEu);
  CHECK(v[31] == 0xC0FFEEu + 31);
}

TEST_CASE("a hang is reported as an error, not a hang") {
  DeviceOptions o;
  o.selector = "sim";
  o.announce = false;
  o.sim_instruction_budget = 200'000;
  Device dev = Device::open(o);
  Module m = dev.load_file(ARGS_KERNEL_CO);
  Buffer flag = dev.alloc(4, Placement::GTT);
  flag.fill(0);
  Queue q = dev.queue();
  Fence f = q.launch(m.function("spin"), {1}, {32}, Args().buffer(flag));
  CHECK_THROWS_AS(f.wait(), GpuFaultError);
  flag.fill(1);
  Fence g = q.launch(m.function("spin"), {1}, {32}, Args().buffer(flag));
  g.wait();
}

TEST_CASE("device selection errors say what to do") {
  DeviceOptions o;
  o.announce = false;
  o.selector = "/dev/dri/renderD999";
  CHECK_THROWS_WITH_AS(Device::open(o), doctest::Contains("renderD999"), DeviceError);
  o.selector = "bogus";
  CHECK_THROWS_WITH_AS(Device::open(o), doctest::Contains("use sim, amdgpu"), DeviceError);
  // SPORK_DEVICE is honoured when no selector is given.
  const char* old = std::getenv("SPORK_DEVICE");
  std::string saved = old ? old : "";
  setenv("SPORK_DEVICE", "/dev/dri/renderD999", 1);
  o.selector = "";
  CHECK_THROWS_WITH_AS(Device::open(o), doctest::Contains("no such render node"), DeviceError);
  if (old)
    setenv("SPORK_DEVICE", saved.c_str(), 1);
  else
    unsetenv("SPORK_DEVICE");
  if (winsys::amdgpu_enumerate().empty()) {
    o.selector = "amdgpu";
    CHECK_THROWS_WITH_AS(Device::open(o), doctest::Contains("no amdgpu render node found"), DeviceError);
  }
}

TEST_CASE("code object for another target is refused") {
  auto bytes = kernels::find("gfx1100/fill");
  REQUIRE(!bytes.empty());
  // The simulator models gfx1100: a matching object loads; the message for a mismatch names both.
  CHECK_NOTHROW(sim().load(bytes, "fill"));
  CHECK_THROWS_WITH(sim().load_file(USER_KERNEL_GFX1030_CO),
                    doctest::Contains("is built for gfx1030, but the device is gfx1100"));
}

TEST_CASE("amdgpu family/revision -> gfx target (Mesa's amdgpu_asic_addr.h ranges)") {
  // Family 145 = GC 11.0.x dGPUs: external revision ranges 0x01-0x0f gfx1100, 0x10-0x1f gfx1102, 0x20+ gfx1101.
  CHECK(winsys::amdgpu_gfx_target(145, 0x01) == "gfx1100");
  CHECK(winsys::amdgpu_gfx_target(145, 0x0F) == "gfx1100");
  CHECK(winsys::amdgpu_gfx_target(145, 0x10) == "gfx1102");
  CHECK(winsys::amdgpu_gfx_target(145, 0x20) == "gfx1101");
  CHECK(winsys::amdgpu_gfx_target(148, 0x01) == "gfx1103");
  CHECK(winsys::amdgpu_gfx_target(999, 0x01).empty());
  auto t = winsys::supported_targets();
  CHECK(std::find(t.begin(), t.end(), "gfx1100") != t.end());
}
