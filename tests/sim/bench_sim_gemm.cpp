// Simulator benchmark: spork's GEMM code object at 512^3 and 1024^3 (or the sizes given)
// through the whole PM4 path (runtime/dispatch IB -> sim::Gpu CP -> shader core). Prints wall
// time of the submission, wave-instructions/s and lane-FMAs/s, and checks C against a CPU
// reference (OpenBLAS sgemm on every element when available, plus FP64 on a sample).
//
//   bench_sim_gemm [N ...] [--threads T]
//
// The instruction counts come from a second run with statistics on (so the timed run is not
// slowed by counting); the figures describe the simulator on this host, not a GPU.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "sim_env.h"

#ifdef SPORK_HAVE_CBLAS
#include <cblas.h>
#endif

using namespace simtest;

namespace {

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [N ...] [--threads T]\n"
               "  N          square GEMM sizes (default 512 1024)\n"
               "  --threads  shader-core host threads (default: all)\n",
               argv0);
  return 2;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<uint32_t> sizes;
  unsigned threads = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") return usage(argv[0]), 0;
    if (a == "--threads" && i + 1 < argc) {
      threads = unsigned(std::strtoul(argv[++i], nullptr, 10));
    } else if (!a.empty() && a[0] != '-') {
      char* end = nullptr;
      unsigned long n = std::strtoul(a.c_str(), &end, 10);
      if (*end || n == 0 || n > 8192) {
        std::fprintf(stderr, "bad size '%s' (1..8192)\n", a.c_str());
        return 2;
      }
      sizes.push_back(uint32_t(n));
    } else {
      std::fprintf(stderr, "unknown option '%s'\n", a.c_str());
      return usage(argv[0]);
    }
  }
  if (sizes.empty()) sizes = {512, 1024};

  try {
    sim::GpuOptions opt = SimEnv::default_options();
    opt.instruction_budget = 1'000'000'000'000ull;
    opt.shader_threads = threads;
    SimEnv e(opt);
    Program p = e.load(spork_kernel_path("gemm"));
    std::printf("spork simulator GEMM benchmark (%s, %u host threads)\n", e.gpu.info().name.c_str(),
                threads ? threads : std::thread::hardware_concurrency());
    bool all_ok = true;
    for (uint32_t n : sizes) {
      const uint32_t M = n, N = n, K = n;
      auto a = random_floats(size_t(M) * K), b = random_floats(size_t(K) * N);
      Buffer ba = e.upload(a), bb = e.upload(b), bc = e.alloc(size_t(M) * N * 4);
      bc.poison(0xFF);
      std::vector<ArgValue> args = {buf(ba), buf(bb), buf(bc), val(M), val(N), val(K)};
      Dim3u grid{div_up(N, 64), div_up(M, 64), 1}, wg{16, 16, 1};

      // Timed run, statistics off.
      auto t0 = std::chrono::steady_clock::now();
      std::clock_t c0 = std::clock();
      auto r = e.run1(p, "gemm", args, grid, wg);
      double wall = seconds_since(t0);
      double cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;  // all threads of this process
      if (!r.ok()) {
        std::printf("%ux%ux%u: FAILED: %s\n", M, N, K, describe(r).c_str());
        all_ok = false;
        continue;
      }
      double gpu_s = double(r.end_timestamp - r.start_timestamp) / double(e.gpu.info().timestamp_hz);

      // Check every element against sgemm (when linked) and a sample against FP64.
      const float* c = bc.as<float>();
      size_t bad = 0;
      double max_rel = 0;
#ifdef SPORK_HAVE_CBLAS
      std::vector<float> ref(size_t(M) * N);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(M), int(N), int(K), 1.0f, a.data(), int(K), b.data(),
                  int(N), 0.0f, ref.data(), int(N));
      for (size_t i = 0; i < ref.size(); ++i) {
        double d = std::fabs(double(c[i]) - ref[i]);
        if (!(d <= 1e-4 * std::sqrt(double(K)))) ++bad;  // two FP32 orderings of a K-term sum
      }
      const char* checked = "all elements vs OpenBLAS sgemm, 1000 vs FP64";
#else
      const char* checked = "1000 elements vs FP64";
#endif
      for (int s = 0; s < 1000; ++s) {
        uint32_t i = uint32_t(rng()() % M), j = uint32_t(rng()() % N);
        double refd = 0, mag = 0;
        for (uint32_t k = 0; k < K; ++k) {
          double t = double(a[size_t(i) * K + k]) * b[size_t(k) * N + j];
          refd += t, mag += std::fabs(t);
        }
        double d = std::fabs(c[size_t(i) * N + j] - refd);
        if (!(d <= 2.0 * K * 1.1920929e-7 * mag)) ++bad;
        max_rel = std::max(max_rel, d / (mag + 1e-30));
      }

      // Statistics run (untimed figures: instruction mix).
      auto o = e.gpu.options();
      o.collect_stats = true;
      e.gpu.set_options(o);
      auto t1 = std::chrono::steady_clock::now();
      auto rs = e.run1(p, "gemm", args, grid, wg);
      double wall_stats = seconds_since(t1);
      o.collect_stats = false;
      e.gpu.set_options(o);
      sim::DispatchStats st;
      if (rs.ok() && !rs.stats.empty()) st = rs.stats[0];

      double flop = 2.0 * M * N * K;
      std::printf("\nGEMM %ux%ux%u  (grid %ux%u workgroups of 16x16)\n", M, N, K, grid.x, grid.y);
      std::printf("  wall time (submit -> fence)    %.3f s   (GPU timestamps: %.3f s)\n", wall, gpu_s);
      std::printf("  host CPU time, all threads     %.3f s   (a loaded machine stretches wall time, not this)\n", cpu);
      std::printf("  simulated GFLOP/s              %.3f\n", flop / wall / 1e9);
      if (st.waves) {
        std::printf("  waves / workgroups             %llu / %llu\n", (unsigned long long)st.waves,
                    (unsigned long long)st.workgroups);
        std::printf("  wave-instructions              %.4g  (VALU %.3g, VOPD %.3g, SALU %.3g, LDS %.3g, VMEM %.3g)\n",
                    double(st.instructions()), double(st.valu), double(st.vopd), double(st.salu), double(st.lds),
                    double(st.vmem));
        std::printf("  wave-instructions/s            %.4g\n", double(st.instructions()) / wall);
        std::printf("  lane-FMAs                      %.4g  (M*N*K = %.4g)\n", double(st.fma_lanes), double(M) * N * K);
        std::printf("  lane-FMAs/s                    %.4g\n", double(st.fma_lanes) / wall);
        std::printf("  VALU lane utilisation          %.1f %%\n",
                    st.valu ? 100.0 * double(st.valu_active_lanes) / (double(st.valu) * 32) : 0.0);
        std::printf("  wall time with statistics on   %.3f s\n", wall_stats);
      } else {
        std::printf("  (no statistics: %s)\n", rs.ok() ? "core returned none" : describe(rs).c_str());
      }
      std::printf("  check (%s): %s, max |err|/sum|ab| %.2g\n", checked, bad ? "FAILED" : "ok", max_rel);
      if (bad) {
        std::printf("  %zu elements out of tolerance\n", bad);
        all_ok = false;
      }
      e.free(ba), e.free(bb), e.free(bc);
    }
    return all_ok ? 0 : 1;
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "bench_sim_gemm: %s\n", ex.what());
    return 1;
  }
}
