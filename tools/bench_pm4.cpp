// `spork bench` backend "pm4": spork's own runtime (direct PM4 on amdgpu, or the simulator).
// gemm: the embedded <target>/gemm kernel, checked against FP64; membw: read/fill/copy kernels over
// VRAM (CPU-visible and not) and GTT; dispatch: N dispatches in one IB vs one submission per dispatch.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include "bench_backend.h"
#include "runtime/device.h"
#include "spork_kernels.h"

namespace spork::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Stats3 {
  double median = 0, min = 0, max = 0;
};
Stats3 summarize(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  double med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  return {med, v.front(), v.back()};
}

std::string mib(uint64_t b) {
  char buf[48];
  if (b >= (1u << 20))
    std::snprintf(buf, sizeof buf, "%.0f MiB", double(b) / double(1 << 20));
  else
    std::snprintf(buf, sizeof buf, "%.0f KiB", double(b) / 1024.0);
  return buf;
}

class Pm4Backend final : public Backend {
 public:
  std::string name() const override { return "pm4"; }

  bool available(const Options& opt, std::string& why) override {
    try {
      open(opt);
      return true;
    } catch (const std::exception& e) {
      why = e.what();
      return false;
    }
  }
  bool slow() const override { return dev_ && dev_.simulated(); }

  std::vector<Record> gemm(const std::vector<GemmShape>& shapes, const Options& opt) override {
    open(opt);
    std::vector<Record> out;
    Module m = dev_.load(kernels::find(dev_.info().gfx_target + "/gemm"), "gemm");
    Function f = m.function("gemm");
    for (const GemmShape& s : shapes) {
      Record r = base("gemm");
      r.placement = "VRAM";
      r.gemm = s;
      r.shape = std::to_string(s.M) + "x" + std::to_string(s.N) + "x" + std::to_string(s.K);
      if (opt.progress) std::fprintf(stderr, "pm4: gemm %s\n", r.shape.c_str());
      try {
        std::mt19937 rng(s.M * 131u + s.N * 7u + s.K);
        std::uniform_real_distribution<float> u(-1, 1);
        std::vector<float> A(size_t(s.M) * s.K), B(size_t(s.K) * s.N);
        for (auto& x : A) x = u(rng);
        for (auto& x : B) x = u(rng);
        Buffer a = dev_.alloc(A.size() * 4), b = dev_.alloc(B.size() * 4), c = dev_.alloc(size_t(s.M) * s.N * 4);
        a.upload(A);
        b.upload(B);
        c.fill(0xFF);  // NaN poison
        Args args = Args().buffer(a).buffer(b).buffer(c).u32(s.M).u32(s.N).u32(s.K);
        Dim3 grid((s.N + 63) / 64, (s.M + 63) / 64);
        unsigned reps = repeats(opt);
        std::vector<double> gpu, host;
        Queue q = dev_.queue();
        for (unsigned i = 0; i < reps + warmup(); ++i) {
          auto t0 = Clock::now();
          Fence fe = q.launch(f, grid, {16, 16}, args);
          fe.wait();
          auto t1 = Clock::now();
          if (i < warmup()) continue;
          gpu.push_back(fe.timing(0).ms);
          host.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
          if (auto st = fe.sim_stats(0)) add_sim_stats(r, *st);
        }
        fill_times(r, gpu, host);
        r.gflops = r.median_ms > 0 ? 2.0 * s.M * s.N * s.K / (r.median_ms * 1e6) : 0;
        check_gemm(r, A, B, c.download_as<float>(size_t(s.M) * s.N), s);
      } catch (const std::exception& e) {
        r.note = e.what();
        r.passed = false;
      }
      out.push_back(r);
    }
    return out;
  }

  std::vector<Record> membw(const std::vector<uint64_t>& sizes, const Options& opt) override {
    open(opt);
    std::vector<Record> out;
    const std::string t = dev_.info().gfx_target;
    Module fill = dev_.load(kernels::find(t + "/fill"), "fill"), copy = dev_.load(kernels::find(t + "/copy"), "copy"),
           read = dev_.load(kernels::find(t + "/read"), "read");
    for (Placement p : {Placement::VRAM, Placement::VRAM_CPU_VISIBLE, Placement::GTT}) {
      for (uint64_t bytes : sizes) {
        bytes = std::max<uint64_t>(bytes & ~uint64_t(3), 4);
        uint32_t count = uint32_t(std::min<uint64_t>(bytes / 4, 0xFFFFFFFFu));
        bytes = uint64_t(count) * 4;
        for (const char* op : {"read", "write", "copy"}) {
          const std::string name = op;
          Record r = base("membw-" + name);
          r.placement = to_string(p);
          r.placement_detail = placement_detail(p);
          r.shape = mib(bytes);
          // Bytes counted like the Vulkan and GL backends: read and write move the buffer once, copy twice.
          r.size_bytes = name == "copy" ? 2 * bytes : bytes;
          r.extra["buffer_bytes"] = double(bytes);
          if (opt.progress) std::fprintf(stderr, "pm4: %s %s %s\n", r.op.c_str(), r.placement.c_str(), r.shape.c_str());
          try {
            Queue q = dev_.queue();
            // Grid-stride kernels: enough workgroups to fill the GPU (few on the simulator).
            uint32_t groups = dev_.simulated() ? 32 : std::max(1u, dev_.info().num_cus) * 8;
            groups = uint32_t(std::min<uint64_t>(groups, (count + 255) / 256));
            Buffer src = dev_.alloc(bytes, p);
            Buffer dst = name == "read" ? dev_.alloc(uint64_t(groups) * 4, Placement::GTT) : dev_.alloc(bytes, p);
            uint32_t cpu_sum = 0;
            if (name == "read") {
              // Random input, so the sum of the per-workgroup sums only matches when every word was read.
              std::mt19937 rng(uint32_t(bytes) ^ uint32_t(p));
              std::vector<uint32_t> in(count);
              for (auto& x : in) x = rng();
              for (uint32_t x : in) cpu_sum += x;  // wraps, like the kernel
              src.upload(in);
              dst.fill(0xFF);  // poison: an unwritten partial sum makes the total wrong
            } else if (name == "copy") {
              q.launch(fill.function("fill_u32"), {groups}, {256}, Args().buffer(src).u32(0x5EED0000u).u32(count))
                  .wait();
            }
            std::vector<double> gpu, host;
            for (unsigned i = 0; i < repeats(opt) + warmup(); ++i) {
              uint32_t v = 0xA0000000u + i;
              auto t0 = Clock::now();
              Fence fe =
                  name == "read"
                      ? q.launch(read.function("read_u32"), {groups}, {256}, Args().buffer(src).buffer(dst).u32(count))
                  : name == "write"
                      ? q.launch(fill.function("fill_u32"), {groups}, {256}, Args().buffer(dst).u32(v).u32(count))
                      : q.launch(copy.function("copy_u32"), {groups}, {256}, Args().buffer(src).buffer(dst).u32(count));
              fe.wait();
              auto t1 = Clock::now();
              if (i < warmup()) continue;
              gpu.push_back(fe.timing(0).ms);
              host.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
              if (auto st = fe.sim_stats(0)) add_sim_stats(r, *st);
            }
            fill_times(r, gpu, host);
            r.gbps = r.median_ms > 0 ? double(r.size_bytes) / (r.median_ms * 1e6) : 0;
            r.passed = true;
            if (name == "read") {
              uint32_t gpu_sum = 0;
              for (uint32_t x : dst.download_as<uint32_t>(groups)) gpu_sum += x;
              r.note = "bytes counted: the buffer once (the " + std::to_string(groups * 4) +
                       "-byte per-workgroup sums written are not counted)";
              if (gpu_sum != cpu_sum) {
                r.passed = false;
                r.note = "sum of the words read is wrong: " + std::to_string(gpu_sum) + ", expected " +
                         std::to_string(cpu_sum);
              }
            } else {
              r.note = name == "write" ? "bytes counted: the buffer written once"
                                       : "bytes counted: read + write (2x the buffer)";
              // Check a sample of the result (first, last and strided words).
              uint32_t expect = name == "write" ? 0xA0000000u + repeats(opt) + warmup() - 1 : 0x5EED0000u;
              for (uint64_t idx : {uint64_t(0), uint64_t(count - 1), uint64_t(count / 2), uint64_t(count / 3)}) {
                uint32_t w = 0;
                dst.download(&w, 4, idx * 4);
                if (w != expect) {
                  r.passed = false;
                  r.note = "word " + std::to_string(idx) + " is wrong";
                }
              }
            }
          } catch (const std::exception& e) {
            r.note = e.what();
            r.passed = false;
          }
          out.push_back(r);
        }
      }
    }
    return out;
  }

  std::vector<Record> dispatch(unsigned count, const Options& opt) override {
    open(opt);
    std::vector<Record> out;
    count = std::max(1u, count);
    Module fill = dev_.load(kernels::find(dev_.info().gfx_target + "/fill"), "fill");
    Function f = fill.function("fill_u32");
    Buffer b = dev_.alloc(4096, Placement::GTT);
    for (int batched = 1; batched >= 0; --batched) {
      Record r = base(batched ? "dispatch-batched" : "dispatch-separate");
      r.placement = "GTT";
      r.shape = std::to_string(count) + " dispatches";
      if (opt.progress) std::fprintf(stderr, "pm4: %s x%u\n", r.op.c_str(), count);
      try {
        Queue q = dev_.queue();
        std::vector<double> gpu, host;
        // At least one warm-up round, even on the simulator: the first round pays for thread
        // start-up and BO pool growth, which is not dispatch overhead.
        const unsigned warm = std::max(1u, warmup());
        for (unsigned rep = 0; rep < repeats(opt) + warm; ++rep) {
          auto t0 = Clock::now();
          std::vector<Fence> fences;
          for (unsigned i = 0; i < count; ++i) {
            q.dispatch(f, {1}, {64}, Args().buffer(b).u32(i).u32(64));
            if (!batched) fences.push_back(q.submit());
          }
          if (batched) fences.push_back(q.submit());
          for (auto& fe : fences) fe.wait();
          auto t1 = Clock::now();
          if (rep < warm) continue;
          // GPU time per dispatch: first begin .. last end over the count.
          double first = double(fences.front().timing(0).begin_ticks);
          auto& lf = fences.back();
          double last = double(lf.timing(lf.dispatch_count() - 1).end_ticks);
          gpu.push_back((last - first) / double(dev_.info().timestamp_hz) * 1e3 / count);
          host.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count() / count);
        }
        fill_times(r, gpu, host);
        r.passed = b.download_as<uint32_t>(1)[0] == count - 1;
        r.note = "times per dispatch";
      } catch (const std::exception& e) {
        r.note = e.what();
        r.passed = false;
      }
      out.push_back(r);
    }
    return out;
  }

 private:
  void open(const Options& opt) {
    if (dev_) return;
    DeviceOptions o;
    o.selector = opt.device;
    dev_ = Device::open(o);
    if (dev_.simulated()) {  // reopen with statistics: records carry valu_util and friends
      o.selector = "sim";
      o.announce = false;
      o.sim_collect_stats = true;
      dev_ = Device::open(o);
    }
  }
  // How the runtime allocates each placement (DeviceCore::alloc_bo, the amdgpu winsys; the simulator models the same).
  static std::string placement_detail(Placement p) {
    switch (p) {
      case Placement::VRAM:
        return "VRAM, not CPU-visible (AMDGPU_GEM_CREATE_NO_CPU_ACCESS); host copies staged through GTT";
      case Placement::VRAM_CPU_VISIBLE:
        return "CPU-visible VRAM (AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED), mapped for the CPU";
      case Placement::GTT:
        return "GTT (system memory, AMDGPU_GEM_DOMAIN_GTT), mapped for the CPU";
    }
    return to_string(p);
  }
  unsigned warmup() const { return dev_.simulated() ? 0 : 2; }
  unsigned repeats(const Options& opt) const { return opt.repeat ? opt.repeat : dev_.simulated() ? 1 : 10; }

  Record base(const std::string& op) const {
    Record r;
    r.backend = "pm4";
    r.device = dev_.description();
    r.op = op;
    r.simulated = dev_.simulated();
    return r;
  }
  static void fill_times(Record& r, const std::vector<double>& gpu, const std::vector<double>& host) {
    Stats3 g = summarize(gpu);
    r.median_ms = g.median;
    r.min_ms = g.min;
    r.max_ms = g.max;
    r.host_ms = summarize(host).median;
  }
  static void add_sim_stats(Record& r, const SimStats& s) {
    r.extra["valu_util"] = s.valu_util();
    r.extra["fma_per_inst"] = s.fma_per_inst();
    r.extra["vopd_share"] = s.vopd_share();
    r.extra["instructions"] = double(s.instructions());
  }
  // Every entry against FP64 when small, else a deterministic sample; NaN poison counts as wrong.
  static void check_gemm(Record& r, const std::vector<float>& A, const std::vector<float>& B,
                         const std::vector<float>& C, const GemmShape& s) {
    r.tolerance = 2.0 * s.K * std::ldexp(1.0, -24);
    uint64_t total = uint64_t(s.M) * s.N;
    bool full = total * s.K <= (uint64_t(1) << 26);
    uint64_t n = full ? total : 4096;
    std::mt19937_64 rng(11);
    double worst = 0;
    for (uint64_t t = 0; t < n; ++t) {
      uint64_t idx = full ? t : rng() % total;
      uint32_t i = uint32_t(idx / s.N), j = uint32_t(idx % s.N);
      double ref = 0, mag = 0;
      for (uint32_t k = 0; k < s.K; ++k) {
        double p = double(A[size_t(i) * s.K + k]) * double(B[size_t(k) * s.N + j]);
        ref += p;
        mag += std::fabs(p);
      }
      double got = C[idx];
      double e = std::isfinite(got) ? std::fabs(got - ref) / std::max(mag, 1e-30) : INFINITY;
      worst = std::max(worst, e);
    }
    r.rel_error = worst;
    r.passed = worst <= r.tolerance;
    if (!full) r.note = "sampled 4096 entries against FP64";
    if (!full)
      for (float x : C)
        if (!std::isfinite(x)) {
          r.passed = false;
          r.note = "unwritten (NaN) entries in C";
          break;
        }
  }

  Device dev_;
};

BackendRegistrar reg(0, [] { return std::make_unique<Pm4Backend>(); });

}  // namespace
}  // namespace spork::bench
