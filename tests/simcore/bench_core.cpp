// Host-throughput benchmark of the shader core (not a test): runs the GEMM code object
// (kernels/ocl/gemm.cl, 64x64 tiles, 16x16 threads) directly on sim::ShaderCore and
// prints wave-instructions/s and lane-FMAs/s. Usage: bench_core [N] [threads] [--check]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "simcore_util.h"

using namespace simcore_test;

int main(int argc, char** argv) {
  unsigned n = 1024, threads = 0;
  bool check = false;
  int pos = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--check") == 0)
      check = true;
    else if (pos++ == 0)
      n = static_cast<unsigned>(std::atoi(argv[i]));
    else
      threads = static_cast<unsigned>(std::atoi(argv[i]));
  }
  try {
    CodeObject co(read_file(SPORK_BINARY_DIR "/kernels/gfx1100/gemm.co"));
    const KernelDesc& k = co.kernels.at("gemm");
    Gpu gpu;
    const uint64_t code = gpu.load(co);
    const uint64_t bytes = uint64_t(n) * n * 4;
    const uint64_t a = gpu.alloc(bytes), b = gpu.alloc(bytes), c = gpu.alloc(bytes);
    std::vector<float> ha(size_t(n) * n), hb(size_t(n) * n);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (auto& v : ha) v = dist(rng);
    for (auto& v : hb) v = dist(rng);
    gpu.put(a, ha);
    gpu.put(b, hb);
    std::vector<uint8_t> karg(std::max<uint32_t>(k.kernarg_size, 64), 0);
    std::memcpy(&karg[0], &a, 8);
    std::memcpy(&karg[8], &b, 8);
    std::memcpy(&karg[16], &c, 8);
    std::memcpy(&karg[24], &n, 4);
    std::memcpy(&karg[28], &n, 4);
    std::memcpy(&karg[32], &n, 4);
    const uint64_t kargs = gpu.alloc(karg.size(), spork::sim::PERM_READ);
    gpu.put(kargs, karg);
    const uint32_t g = (n + 63) / 64;
    auto st = make_state(code, k, kargs, {g, g, 1}, {16, 16, 1});
    spork::sim::DispatchOptions opt;
    opt.collect_stats = true;
    opt.threads = threads;
    auto t0 = std::chrono::steady_clock::now();
    auto stats = gpu.core.dispatch(st, opt);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "gemm %ux%ux%u on sim core: %.3f s, %llu wave-instructions (%.1f M/s), %llu lane-FMAs (%.1f M/s), VOPD %llu, "
        "VALU %llu\n",
        n, n, n, s, (unsigned long long)stats.instructions(), stats.instructions() / s / 1e6,
        (unsigned long long)stats.fma_lanes, stats.fma_lanes / s / 1e6, (unsigned long long)stats.vopd,
        (unsigned long long)stats.valu);
    if (check) {
      auto hc = gpu.get<float>(c, size_t(n) * n);
      double maxerr = 0;
      for (unsigned i = 0; i < n; i += (n > 256 ? 37 : 1))
        for (unsigned j = 0; j < n; j += (n > 256 ? 41 : 1)) {
          double ref = 0;
          for (unsigned kk = 0; kk < n; ++kk) ref += double(ha[size_t(i) * n + kk]) * hb[size_t(kk) * n + j];
          maxerr = std::max(maxerr, std::fabs(ref - hc[size_t(i) * n + j]));
        }
      std::printf("max abs error vs FP64 reference: %g\n", maxerr);
      if (!(maxerr < 1e-3 * n)) return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_core: %s\n", e.what());
    return 1;
  }
  return 0;
}
