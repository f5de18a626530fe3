// gl_perf: figures of the OpenGL reference path (benchmark program, not a test): GEMM for given
// shapes and tilings, the allocation-hint bandwidth table, dispatch overhead. Prints tables;
// --csv also writes every run. It needs only gl_ref (EGL, GL, BLAS), so it runs where the rest of
// spork's dependencies are absent.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "gl_ref/context.h"
#include "gl_ref/gemm.h"
#include "gl_ref/membw.h"

using namespace spork::gl;

int main(int argc, char** argv) {
  CLI::App app{"gl_perf: OpenGL compute GEMM, allocation-hint bandwidth and dispatch figures"};
  std::string device, csv_path;
  std::vector<std::string> shapes, tilings;
  std::vector<uint64_t> membw_mib;
  unsigned repeat = 10, warmup = 2, dispatches = 0;
  bool ignore_limit = false, list = false;
  std::vector<std::string> prelude, extra_defines;
  unsigned membw_groups = 0;
  std::string kinds_filter;
  app.add_option("--device", device, "EGL device index, 'surfaceless', or a piece of the renderer name");
  app.add_option("--gemm", shapes, "GEMM shapes: N (cube) or MxNxK");
  app.add_option("--tiling", tilings, "tilings BMxBNxBK/TMxTN[/STAGES[/VEC]] (default: as the Vulkan path picks)");
  app.add_option("--membw", membw_mib, "buffer sizes in MiB for the allocation-hint table");
  app.add_option("--dispatch", dispatches, "back-to-back dispatches per batch (0: skip)");
  app.add_option("--repeat", repeat, "timed runs (median reported)")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "untimed runs first");
  app.add_option("--csv", csv_path, "write every result to this CSV file");
  app.add_flag("--ignore-ssbo-limit", ignore_limit,
               "run buffers above GL_MAX_SHADER_STORAGE_BLOCK_SIZE (checked anyway)");
  app.add_flag("--list", list, "list EGL devices and exit");
  app.add_option("--membw-groups", membw_groups, "most workgroups per bandwidth dispatch (0: 65535)");
  app.add_option("--kind", kinds_filter, "only buffer kinds whose name contains this");
  app.add_option("--prelude", prelude, "GEMM: a line put after #version (compiler experiments)");
  app.add_option("--define", extra_defines, "GEMM: an extra NAME=VALUE #define");
  CLI11_PARSE(app, argc, argv);

  try {
    if (list) {
      for (const EglDevice& d : list_devices())
        std::printf("%d: %s [%s] %s\n", d.index, d.name.c_str(), d.drm_file.c_str(), d.extensions.c_str());
      return 0;
    }
    Context ctx(device);
    const RendererInfo& i = ctx.info();
    GLint64 max_block = 0;
    GLint shared = 0, inv = 0;
    glGetInteger64v(GL_MAX_SHADER_STORAGE_BLOCK_SIZE, &max_block);
    glGetIntegerv(GL_MAX_COMPUTE_SHARED_MEMORY_SIZE, &shared);
    glGetIntegerv(GL_MAX_COMPUTE_WORK_GROUP_INVOCATIONS, &inv);
    std::time_t now = std::time(nullptr);
    char date[64];
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    std::printf("date: %s\nrenderer: %s\nvendor: %s\nversion: %s (GLSL %s)\nplatform: %s\nEGL: %s %s\n", date,
                i.renderer.c_str(), i.vendor.c_str(), i.version.c_str(), i.glsl_version.c_str(), i.platform.c_str(),
                i.egl_vendor.c_str(), i.egl_version.c_str());
    std::printf("limits: MAX_SHADER_STORAGE_BLOCK_SIZE %lld MiB, MAX_COMPUTE_SHARED_MEMORY_SIZE %d, invocations %d\n",
                (long long)(max_block >> 20), shared, inv);
    std::ofstream csv;
    if (!csv_path.empty()) {
      csv.open(csv_path);
      csv << "kind,op,shape,placement,tiling,median_ms,min_ms,max_ms,host_ms,gflops,gbps,rel_error,tolerance,passed,"
             "note\n";
    }
    int failures = 0;

    if (!shapes.empty()) {
      GemmRunner g(ctx);
      g.set_ignore_block_limit(ignore_limit);
      if (!prelude.empty() || !extra_defines.empty()) {
        std::string lines;
        for (const std::string& l : prelude) lines += l + "\n";
        Defines defs;
        for (const std::string& d : extra_defines) {
          size_t eq = d.find('=');
          defs.emplace_back(d.substr(0, eq), eq == std::string::npos ? "" : d.substr(eq + 1));
        }
        g.set_prelude(lines, defs);
        std::printf("GEMM shader prelude: %s extra defines:", lines.c_str());
        for (const auto& [n, v] : defs) std::printf(" %s=%s", n.c_str(), v.c_str());
        std::printf("\n");
      }
      std::vector<GemmTiling> ts;
      for (const std::string& t : tilings) ts.push_back(GemmTiling::parse(t));
      if (ts.empty()) ts.push_back(default_gemm_tiling(i));
      std::printf("\nGEMM (FP32, GPU time from GL_TIMESTAMP pairs, median of %u after %u warm-up)\n", repeat, warmup);
      std::printf("%-16s %-40s %10s %10s %10s %10s %9s %9s %9s %s\n", "shape", "tiling", "median_ms", "min_ms",
                  "max_ms", "host_ms", "GFLOP/s", "rel_err", "tol", "check");
      for (const std::string& sh : shapes) {
        unsigned M = 0, N = 0, K = 0;
        if (std::sscanf(sh.c_str(), "%ux%ux%u", &M, &N, &K) != 3) M = N = K = unsigned(std::stoul(sh));
        for (const GemmTiling& t : ts) {
          try {
            GemmResult r = g.run(M, N, K, t, warmup, repeat);
            std::string shape = std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K);
            std::printf(
                "%-16s %-40s %10.3f %10.3f %10.3f %10.3f %9.1f %9.2e %9.2e %s%s (normwise %.1e; %s, %u set(s))\n",
                shape.c_str(), r.tiling.str().c_str(), r.gpu.median, r.gpu.min, r.gpu.max, r.host_ms, r.gflops,
                r.check.rel_error, r.check.tolerance, r.check.passed ? "PASS" : "FAIL ",
                r.check.passed ? "" : r.check.first_bad.c_str(), r.check.norm_error, r.check.method.c_str(), r.sets);
            std::fflush(stdout);
            failures += !r.check.passed;
            if (csv.is_open())
              csv << "gemm,gemm," << shape << "," << buffer_kind_name(r.kind) << ",\"" << r.tiling.str() << "\","
                  << r.gpu.median << "," << r.gpu.min << "," << r.gpu.max << "," << r.host_ms << "," << r.gflops
                  << ",0," << r.check.rel_error << "," << r.check.tolerance << "," << r.check.passed << ",\""
                  << r.check.method << "\"\n";
          } catch (const Error& e) {
            std::printf("%-16s %-40s error: %s\n", sh.c_str(), t.str().c_str(), e.what());
            ++failures;
          }
        }
      }
    }

    if (!membw_mib.empty()) {
      MembwRunner m(ctx);
      m.set_ignore_block_limit(ignore_limit);
      m.set_max_groups(membw_groups);
      std::printf(
          "\nAllocation hints: bandwidth of compute kernels (bytes = read + write, GB = 1e9 B; GPU time median of "
          "%u)\n",
          repeat);
      std::printf("%-48s %-6s %9s %10s %10s %10s %6s %s\n", "buffer", "op", "size", "GB/s", "median_ms", "host_ms",
                  "sets", "check");
      for (uint64_t mib : membw_mib) {
        for (BufferKind kind : all_buffer_kinds()) {
          if (std::string(buffer_kind_name(kind)).find(kinds_filter) == std::string::npos) continue;
          for (MembwOp op : {MembwOp::Read, MembwOp::Write, MembwOp::Copy}) {
            try {
              MembwResult r = m.run(kind, op, size_t(mib) << 20, warmup, repeat);
              std::printf("%-48s %-6s %5llu MiB %10.1f %10.4f %10.4f %6u %s %s\n", buffer_kind_name(kind),
                          membw_op_name(op), (unsigned long long)mib, r.gbps, r.gpu.median, r.host_ms, r.sets,
                          r.verified ? "PASS" : "FAIL", r.error.c_str());
              std::fflush(stdout);
              failures += !r.verified;
              if (csv.is_open())
                csv << "membw," << membw_op_name(op) << "," << mib << " MiB," << buffer_kind_name(kind) << ",,"
                    << r.gpu.median << "," << r.gpu.min << "," << r.gpu.max << "," << r.host_ms << ",0," << r.gbps
                    << ",0,0," << r.verified << ",\"" << r.error << "\"\n";
            } catch (const Error& e) {
              std::printf("%-48s %-6s %5llu MiB error: %s\n", buffer_kind_name(kind), membw_op_name(op),
                          (unsigned long long)mib, e.what());
              ++failures;
            }
          }
        }
      }
    }

    if (dispatches) {
      DispatchResult d = measure_dispatch(ctx, dispatches, repeat);
      std::printf("\nDispatch overhead (%u dependent 1-workgroup dispatches per batch, %u batches)\n", dispatches,
                  repeat);
      std::printf("  GPU per dispatch  (GL_TIMESTAMP span / N): median %.2f us (min %.2f, max %.2f)\n",
                  d.gpu_per_dispatch_ms.median * 1e3, d.gpu_per_dispatch_ms.min * 1e3, d.gpu_per_dispatch_ms.max * 1e3);
      std::printf("  host per dispatch (issue..glFinish / N):   median %.2f us\n", d.host_per_dispatch_ms.median * 1e3);
      std::printf("  one dispatch + glFinish, host round trip:  median %.2f us (GPU span %.2f us)\n",
                  d.sync_host_ms.median * 1e3, d.sync_gpu_ms.median * 1e3);
      std::printf("  check: %s %s\n", d.verified ? "PASS" : "FAIL", d.error.c_str());
      failures += !d.verified;
      if (csv.is_open())
        csv << "dispatch,batched," << dispatches << ",,," << d.gpu_per_dispatch_ms.median << ","
            << d.gpu_per_dispatch_ms.min << "," << d.gpu_per_dispatch_ms.max << "," << d.host_per_dispatch_ms.median
            << ",0,0,0,0," << d.verified << ",\"sync round trip ms " << d.sync_host_ms.median << "\"\n";
    }
    return failures ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gl_perf: %s\n", e.what());
    return 1;
  }
}
