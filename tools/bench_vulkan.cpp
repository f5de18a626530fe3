// `spork bench` backend "vulkan": vulkan_ref/ GEMM, bandwidth per memory type, dispatch overhead.
// Tuning knobs (environment):
//   SPORK_VK_GEMM_CONFIG=BMxBNxBK/TMxTN[/STAGES[/VEC]]  overrides the per-device GEMM tiling
//   SPORK_VK_MEMBW_PLACEMENTS=device-local,host-visible,device-local+host-visible  placements measured
//   SPORK_VK_MEMBW_OPS=read,write,copy                  bandwidth kernels run
//   SPORK_VK_MEMBW_DST_OFFSET=bytes                     destination bound at this offset in its allocation
// Test hook (tests/bench, never for measurements):
//   SPORK_BENCH_TEST_CORRUPT=vulkan   perturbs one entry of each GEMM result before its FP64 check and
//                                     one word of each bandwidth result before its check, so the
//                                     record must come out failed (exercises the exit status)
#include <cstdio>
#include <cstdlib>
#include <set>

#include "bench_backend.h"
#include "vulkan_ref/vulkan_ref.h"

namespace spork::bench {
namespace {

class VulkanBackend : public Backend {
 public:
  std::string name() const override { return "vulkan"; }

  bool available(const Options& opt, std::string& why) override {
    try {
      ctx_ = std::make_unique<vk::Context>(opt.device);
      return true;
    } catch (const std::exception& e) {
      why = e.what();
      return false;
    }
  }

  bool slow() const override { return ctx_ && ctx_->is_cpu(); }

  std::vector<Record> gemm(const std::vector<GemmShape>& shapes, const Options& opt) override {
    std::vector<Record> out;
    std::optional<vk::GemmConfig> cfg;
    if (const char* env = std::getenv("SPORK_VK_GEMM_CONFIG"); env && *env) cfg = vk::GemmConfig::parse(env);
    for (const GemmShape& s : shapes) {
      Record r = base("gemm");
      r.gemm = s;
      r.shape = std::to_string(s.M) + "x" + std::to_string(s.N) + "x" + std::to_string(s.K);
      if (opt.progress) std::fprintf(stderr, "vulkan: gemm %s ...\n", r.shape.c_str());
      try {
        vk::GemmRequest q;
        q.M = s.M, q.N = s.N, q.K = s.K;
        q.config = cfg;
        q.placement = vk::Placement::DeviceLocal;
        q.repeat = opt.repeat ? opt.repeat : (slow() ? 3 : 10);
        q.warmup = slow() ? 1 : 3;
        if (const char* c = std::getenv("SPORK_BENCH_TEST_CORRUPT"); c && std::string(c) == "vulkan")
          q.test_corrupt = true;
        vk::GemmResult g = ctx_->gemm(q);
        const auto& t = ctx_->info().types.at(g.memory_type);
        // The placement actually used: device-local falls back to device-local+host-visible.
        r.placement = (t.flags & vk::kHostVisible) ? "device-local+host-visible" : "device-local";
        r.placement_detail = g.memory;
        fill_timing(r, g.timing);
        r.gflops = g.gflops;
        r.rel_error = g.max_rel_error;
        r.tolerance = g.tolerance;
        r.passed = g.passed;
        r.note = "tiling " + g.config.str() + "; check: " + g.check +
                 (g.unwritten ? "; " + std::to_string(g.unwritten) + " entries unwritten (NaN poison)" : "");
        r.extra["memory_type"] = g.memory_type;
      } catch (const std::exception& e) {
        r.passed = false;
        r.note = e.what();
      }
      out.push_back(r);
    }
    return out;
  }

  std::vector<Record> membw(const std::vector<uint64_t>& sizes, const Options& opt) override {
    std::vector<Record> out;
    std::set<uint32_t> done;
    for (vk::Placement p :
         {vk::Placement::DeviceLocal, vk::Placement::HostVisible, vk::Placement::DeviceLocalHostVisible}) {
      auto type = ctx_->memory_type_for(p);
      if (!type) continue;                       // the device offers no such memory type (lavapipe: one type for all)
      if (!done.insert(*type).second) continue;  // unified memory: several placements, one type
      if (!env_allows("SPORK_VK_MEMBW_PLACEMENTS", vk::placement_name(p))) continue;
      const std::string placement = vk::placement_name(p), detail = ctx_->describe_memory_type(*type);
      for (vk::MembwOp op : {vk::MembwOp::Read, vk::MembwOp::Write, vk::MembwOp::Copy}) {
        if (!env_allows("SPORK_VK_MEMBW_OPS", vk::membw_op_name(op))) continue;
        for (uint64_t bytes : sizes) {
          Record r = base(std::string("membw-") + vk::membw_op_name(op));
          r.placement = placement;
          r.placement_detail = detail;
          r.shape = human(bytes);
          if (bytes > ctx_->info().max_storage_buffer_range) {
            std::fprintf(stderr, "vulkan: membw %s skipped: over maxStorageBufferRange (%s)\n", r.shape.c_str(),
                         human(ctx_->info().max_storage_buffer_range).c_str());
            continue;
          }
          const uint64_t heap = ctx_->info().heaps[ctx_->info().types[*type].heap].size;
          if (2 * bytes > heap) {
            std::fprintf(stderr, "vulkan: membw %s in %s skipped: over half of its heap (%s)\n", r.shape.c_str(),
                         vk::placement_name(p), human(heap).c_str());
            continue;
          }
          if (opt.progress)
            std::fprintf(stderr, "vulkan: membw %s %s %s ...\n", vk::membw_op_name(op), r.shape.c_str(),
                         vk::placement_name(p));
          try {
            vk::MembwRequest q;
            q.op = op;
            q.bytes = bytes;
            q.memory_type = *type;
            q.repeat = opt.repeat ? opt.repeat : (slow() ? 3 : 10);
            q.warmup = slow() ? 1 : 3;
            if (const char* c = std::getenv("SPORK_BENCH_TEST_CORRUPT"); c && std::string(c) == "vulkan")
              q.test_corrupt = true;
            if (const char* e = std::getenv("SPORK_VK_MEMBW_DST_OFFSET"); e && *e)
              q.dst_offset = std::strtoull(e, nullptr, 0);
            vk::MembwResult m = ctx_->membw(q);
            fill_timing(r, m.timing);
            r.size_bytes = m.bytes_moved;
            r.gbps = m.gbps;
            r.passed = m.passed;
            r.note = "bytes counted read + write: " + human(m.bytes_moved) + " per run; " + m.note;
            r.extra["memory_type"] = m.memory_type;
            r.extra["buffer_bytes"] = double(bytes);
          } catch (const std::exception& e) {
            r.passed = false;
            r.note = e.what();
          }
          out.push_back(r);
        }
      }
    }
    return out;
  }

  std::vector<Record> dispatch(unsigned count, const Options& opt) override {
    if (opt.progress) std::fprintf(stderr, "vulkan: dispatch x%u ...\n", count);
    vk::DispatchResult d = ctx_->dispatch(count);
    Record a = base("dispatch-batched"), b = base("dispatch-submit");
    a.shape = b.shape = std::to_string(count) + " dispatches";
    a.placement = b.placement = "-";
    a.median_ms = a.min_ms = a.max_ms = d.batched_gpu_us / 1000;
    a.host_ms = d.batched_host_us / 1000;
    a.note =
        "one command buffer, barrier between dispatches; times are per dispatch (GPU: first to last timestamp / N)";
    b.median_ms = b.min_ms = b.max_ms = d.submit_gpu_us / 1000;
    b.host_ms = d.submit_host_us / 1000;
    b.note = "one vkQueueSubmit per dispatch; GPU time is the median per dispatch, host time the wall time / N";
    a.passed = b.passed = true;
    return {a, b};
  }

 private:
  std::unique_ptr<vk::Context> ctx_;

  Record base(const std::string& op) const {
    Record r;
    r.backend = "vulkan";
    r.device = ctx_->info().name + " (Vulkan " + ctx_->info().api_version + ")";
    r.op = op;
    return r;
  }
  // True when the variable is unset or lists `item` (comma-separated).
  static bool env_allows(const char* var, const std::string& item) {
    const char* e = std::getenv(var);
    if (!e || !*e) return true;
    std::string list = std::string(",") + e + ",";
    return list.find("," + item + ",") != std::string::npos;
  }
  static void fill_timing(Record& r, const vk::Timing& t) {
    r.median_ms = t.median_ms;
    r.min_ms = t.min_ms;
    r.max_ms = t.max_ms;
    r.host_ms = t.host_ms;
  }
  static std::string human(uint64_t b) {
    char buf[32];
    if (b >= (1ull << 30) && b % (1ull << 30) == 0)
      std::snprintf(buf, sizeof buf, "%llu GiB", (unsigned long long)(b >> 30));
    else if (b >= (1ull << 20) && b % (1ull << 20) == 0)
      std::snprintf(buf, sizeof buf, "%llu MiB", (unsigned long long)(b >> 20));
    else if (b >= 1024 && b % 1024 == 0)
      std::snprintf(buf, sizeof buf, "%llu KiB", (unsigned long long)(b >> 10));
    else
      std::snprintf(buf, sizeof buf, "%llu B", (unsigned long long)b);
    return buf;
  }
};

BackendRegistrar reg(20, [] { return std::make_unique<VulkanBackend>(); });

}  // namespace
}  // namespace spork::bench
