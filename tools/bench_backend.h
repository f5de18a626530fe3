// `spork bench` backends: pm4 (amdgpu or simulator), vulkan, gl. Each lives in its own
// tools/bench_<name>.cpp and registers itself with a static BackendRegistrar, so the
// bench command (tools/cmd_bench.cpp) never needs to know the list.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace spork::bench {

struct GemmShape {
  uint32_t M = 0, N = 0, K = 0;
};

// One measured result; one row of the table, one record of the JSON (docs/BENCH_JSON.md).
struct Record {
  std::string backend;  // "pm4", "vulkan", "gl"
  std::string
      device;  // "AMD Radeon RX 7900 XTX (gfx1100)", "llvmpipe (LLVM 15.0.6, 256 bits)", "spork simulator (gfx1100)"
  std::string placement;         // where the buffers live, short: "VRAM", "GTT", "device-local", "GL_STATIC_DRAW", ...
  std::string placement_detail;  // optional full detail, e.g. Vulkan "type 0 DEVICE_LOCAL|HOST_VISIBLE (heap 0: 2 GiB)"
  std::string op;                // "gemm", "membw-read", "membw-write", "membw-copy", "dispatch-batched", ...
  std::string shape;             // "1024x1024x1024" or a byte size "64 MiB"
  uint64_t size_bytes = 0;       // membw: bytes per run counted as read + write
  GemmShape gemm{};              // gemm: the shape
  double median_ms = 0, min_ms = 0, max_ms = 0;  // GPU time
  double host_ms = 0;                            // host wall time per run (dispatch overhead)
  double gflops = 0, gbps = 0;                   // throughput (0 when not applicable)
  double rel_error = 0;                          // max |gpu - ref| / (|A||B| scale), see docs
  double tolerance = 0;
  bool passed = false;
  bool simulated = false;               // times are simulator host time, not hardware speed
  std::map<std::string, double> extra;  // e.g. simulator statistics: valu_util, fma_per_inst, vopd_share
  std::string note;
};

struct Options {
  std::string device;     // --device (backend-specific selector; empty = best)
  unsigned repeat = 0;    // --repeat (0 = backend default)
  bool progress = false;  // print progress to stderr
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // False (with the reason) when the backend cannot run here; bench then lists it as absent.
  virtual bool available(const Options& opt, std::string& why) = 0;
  // True when the backend is slow (simulator, software driver): bench picks small sizes.
  virtual bool slow() const = 0;
  virtual std::vector<Record> gemm(const std::vector<GemmShape>& shapes, const Options& opt) = 0;
  virtual std::vector<Record> membw(const std::vector<uint64_t>& sizes, const Options& opt) = 0;
  virtual std::vector<Record> dispatch(unsigned count, const Options& opt) = 0;
};

using BackendFactory = std::function<std::unique_ptr<Backend>()>;
struct BackendRegistrar {
  BackendRegistrar(int order, BackendFactory make);
};
// Every registered backend, in order (pm4, vulkan, gl).
std::vector<std::unique_ptr<Backend>> make_backends();

}  // namespace spork::bench
