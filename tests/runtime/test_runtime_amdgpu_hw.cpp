// The libdrm winsys on real hardware: skipped (exit 77) when there is no amdgpu render node.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "runtime/device.h"
#include "spork_kernels.h"

using namespace spork;

namespace {
// Opens the first usable supported amdgpu node, or exits 77 saying why.
Device& hw() {
  static Device d = [] {
    auto nodes = winsys::amdgpu_enumerate();
    if (nodes.empty()) {
      std::printf("skipped: no amdgpu render node\n");
      std::exit(77);
    }
    DeviceOptions o;
    o.selector = "amdgpu";  // the first usable node (an APU's node may come before a supported dGPU's)
    o.announce = true;
    try {
      return Device::open(o);
    } catch (const DeviceError& e) {
      std::printf("skipped: %s\n", e.what());
      std::exit(77);
    }
  }();
  return d;
}
}  // namespace

TEST_CASE("amdgpu: device info is sane") {
  Device& d = hw();
  const auto& i = d.info();
  CHECK(!i.simulated);
  CHECK(i.num_cus > 0);
  CHECK(i.vram_size > 0);
  CHECK(i.gtt_size > 0);
  CHECK(i.compute_rings != 0);
  CHECK(i.timestamp_hz > 0);
}

TEST_CASE("amdgpu: every placement round-trips and a gemm matches FP64") {
  Device& d = hw();
  for (Placement p : {Placement::VRAM, Placement::VRAM_CPU_VISIBLE, Placement::GTT}) {
    Buffer b = d.alloc(1 << 20, p);
    std::vector<uint32_t> v(1 << 18);
    for (size_t i = 0; i < v.size(); ++i) v[i] = uint32_t(i * 2654435761u);
    b.upload(v);
    CHECK(b.download_as<uint32_t>(v.size()) == v);
  }
  const uint32_t M = 300, N = 200, K = 129;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> A(M * K), B(K * N);
  for (auto& x : A) x = u(rng);
  for (auto& x : B) x = u(rng);
  Buffer a = d.alloc(A.size() * 4), b = d.alloc(B.size() * 4), c = d.alloc(M * N * 4);
  a.upload(A);
  b.upload(B);
  c.fill(0xFF);
  Module m = d.load(kernels::find(d.info().gfx_target + "/gemm"), "gemm");
  Queue q = d.queue();
  Fence f = q.launch(m.function("gemm"), {(N + 63) / 64, (M + 63) / 64}, {16, 16},
                     Args().buffer(a).buffer(b).buffer(c).u32(M).u32(N).u32(K));
  f.wait();
  CHECK(f.gpu_ms() > 0);
  auto C = c.download_as<float>(M * N);
  size_t bad = 0;
  for (uint32_t i = 0; i < M; ++i)
    for (uint32_t j = 0; j < N; ++j) {
      double ref = 0, mag = 0;
      for (uint32_t k = 0; k < K; ++k) {
        ref += double(A[i * K + k]) * B[k * N + j];
        mag += std::fabs(double(A[i * K + k]) * B[k * N + j]);
      }
      if (!(std::fabs(C[i * N + j] - ref) <= 2.0 * K * std::ldexp(1.0, -24) * mag)) ++bad;
    }
  CHECK(bad == 0);
}
