// sim::Gpu behind the winsys interface.
#include "runtime/sim_winsys.h"

#include <map>
#include <mutex>

#include "runtime/device_internal.h"
#include "sim/gpu.h"

namespace spork {
namespace {

// A hang shows up after minutes rather than the better part of an hour (sim's own default).
constexpr uint64_t kDefaultBudget = 4'000'000'000ull;

class SimWinsys final : public winsys::Winsys {
 public:
  explicit SimWinsys(const DeviceOptions& opt) : gpu_(gpu_options(opt)) {
    const auto& g = gpu_.info();
    info_.node = "sim";
    info_.name = "spork simulator";
    info_.gfx_target = g.target;
    info_.gfx_major = 11;
    info_.gfx_minor = 0;
    info_.num_cus = g.compute_units;
    info_.vram_size = g.vram_bytes;
    info_.vram_cpu_visible_size = g.vram_bytes;
    info_.gtt_size = g.gtt_bytes;
    info_.compute_rings = 1;
    info_.timestamp_hz = g.timestamp_hz;
    info_.simulated = true;
    next_va_ = g.va_start;
  }

  const winsys::DeviceInfo& info() const override { return info_; }

  winsys::BoHandle alloc_bo(uint64_t size, winsys::Domain domain, uint32_t flags) override {
    std::lock_guard lk(mu_);
    auto h = gpu_.memory().create_bo(size, domain == winsys::Domain::VRAM ? sim::Domain::VRAM : sim::Domain::GTT);
    bos_[h] = Bo{gpu_.memory().bo_size(h), flags, 0};
    return h;
  }

  void free_bo(winsys::BoHandle h) noexcept override {
    std::lock_guard lk(mu_);
    if (!bos_.erase(h)) return;
    try {
      gpu_.memory().destroy_bo(h);
    } catch (...) {
    }
  }

  uint64_t map_gpu(winsys::BoHandle h, uint32_t perms) override {
    std::lock_guard lk(mu_);
    Bo& b = get(h);
    if (b.va) return b.va;
    // Leave 64 MiB unmapped after every BO, so that running off the end of a buffer faults
    // rather than landing silently in the next one.
    constexpr uint64_t kGap = 64ull << 20, k2M = 2ull << 20;
    uint64_t span = ((b.size + k2M - 1) & ~(k2M - 1)) + kGap;
    uint64_t va = next_va_;
    if (va + span > sim::Memory::kVaEnd)
      va = gpu_.memory().find_free_va(b.size);
    else
      next_va_ += span;
    uint32_t p = 0;
    if (perms & winsys::VM_READ) p |= sim::PERM_READ;
    if (perms & winsys::VM_WRITE) p |= sim::PERM_WRITE;
    if (perms & winsys::VM_EXEC) p |= sim::PERM_EXEC;
    gpu_.memory().map(h, va, 0, b.size, p);
    b.va = va;
    return va;
  }

  void* map_cpu(winsys::BoHandle h) override {
    std::lock_guard lk(mu_);
    Bo& b = get(h);
    // Modelled like hardware: VRAM outside the CPU-visible window cannot be mapped.
    if (b.flags & winsys::BO_NO_CPU_ACCESS)
      throw DeviceError("this BO is in CPU-invisible VRAM and cannot be mapped for the CPU");
    return gpu_.memory().bo_cpu_ptr(h);
  }

  uint64_t submit(std::span<const winsys::IbRef> ibs, std::span<const winsys::BoHandle>) override {
    std::vector<sim::IbRef> v;
    for (const auto& ib : ibs) v.push_back({ib.va, ib.bytes / 4});
    return gpu_.submit(std::move(v));
  }

  winsys::WaitResult wait(uint64_t seq, std::chrono::nanoseconds timeout) override {
    sim::SubmissionResult r = gpu_.wait(seq, timeout);
    switch (r.status) {
      case sim::SubmissionResult::Status::Completed: {
        std::lock_guard lk(mu_);
        if (!r.stats.empty()) stats_[seq] = std::move(r.stats);
        return winsys::WaitResult::Signaled;
      }
      case sim::SubmissionResult::Status::Failed:
        throw GpuFaultError(std::string("simulated GPU: ") + sim::to_string(r.error.kind) + ": " + r.error.message);
      default:
        return winsys::WaitResult::Timeout;
    }
  }

  std::vector<sim::DispatchStats> take_stats(uint64_t seq) {
    std::lock_guard lk(mu_);
    auto it = stats_.find(seq);
    if (it == stats_.end()) return {};
    auto v = std::move(it->second);
    stats_.erase(it);
    return v;
  }

 private:
  struct Bo {
    uint64_t size = 0;
    uint32_t flags = 0;
    uint64_t va = 0;
  };
  static sim::GpuOptions gpu_options(const DeviceOptions& opt) {
    sim::GpuOptions o;
    o.instruction_budget = opt.sim_instruction_budget ? opt.sim_instruction_budget : kDefaultBudget;
    o.collect_stats = opt.sim_collect_stats;
    o.shader_threads = opt.sim_threads;
    return o;
  }
  Bo& get(winsys::BoHandle h) {
    auto it = bos_.find(h);
    if (it == bos_.end()) throw DeviceError("invalid BO handle " + std::to_string(h));
    return it->second;
  }

  sim::Gpu gpu_;
  winsys::DeviceInfo info_;
  std::mutex mu_;
  std::map<winsys::BoHandle, Bo> bos_;
  std::map<uint64_t, std::vector<sim::DispatchStats>> stats_;
  uint64_t next_va_ = 0;
};

}  // namespace

std::unique_ptr<winsys::Winsys> make_sim_winsys(const DeviceOptions& opt) { return std::make_unique<SimWinsys>(opt); }

namespace detail {
std::vector<SimStats> collect_sim_stats(DeviceCore& dev, uint64_t seq) {
  auto* s = dynamic_cast<SimWinsys*>(dev.ws.get());
  if (!s) return {};
  std::vector<SimStats> out;
  for (const auto& d : s->take_stats(seq)) {
    SimStats x;
    x.waves = d.waves;
    x.workgroups = d.workgroups;
    x.salu = d.salu;
    x.valu = d.valu;
    x.vopd = d.vopd;
    x.smem = d.smem;
    x.vmem = d.vmem;
    x.lds = d.lds;
    x.branch = d.branch;
    x.waitcnt = d.waitcnt;
    x.other = d.other;
    x.valu_active_lanes = d.valu_active_lanes;
    x.fma_lanes = d.fma_lanes;
    x.bytes_read = d.bytes_read[0] + d.bytes_read[1];
    x.bytes_written = d.bytes_written[0] + d.bytes_written[1];
    x.lds_bytes = d.lds_bytes;
    x.bytes_read_gtt = d.bytes_read[1];
    x.bytes_written_gtt = d.bytes_written[1];
    out.push_back(x);
  }
  return out;
}
}  // namespace detail

}  // namespace spork
