// Internals of runtime/device.h shared by device.cpp, queue.cpp and sim_winsys.cpp.
#pragma once
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/device.h"
#include "runtime/kernargs.h"

namespace spork::detail {

struct DeviceCore;

// One winsys BO mapped for the GPU (and the CPU when it can be).
struct BoState {
  DeviceCore* dev = nullptr;         // always valid while the BoState lives
  std::shared_ptr<DeviceCore> keep;  // owning link (null for the device's own cached BOs)
  winsys::BoHandle handle = 0;
  uint64_t size = 0, alloc_size = 0, va = 0;
  Placement placement = Placement::GTT;
  uint8_t* cpu = nullptr;
  BoState() = default;
  BoState(const BoState&) = delete;
  BoState& operator=(const BoState&) = delete;
  ~BoState();
};

struct ModuleState {
  CodeObject co;
  std::shared_ptr<BoState> bo;  // executable BO holding load_image(bo->va)
};

// One recorded dispatch, before it is encoded.
struct PendingDispatch {
  std::shared_ptr<ModuleState> module;
  const Kernel* kernel = nullptr;
  Dim3 grid, block;
  LaunchGeometry geometry;
  PackedKernargs kernarg;  // explicit and hidden arguments
  std::vector<std::shared_ptr<BoState>> bos;
};

struct Submission {
  std::shared_ptr<DeviceCore> dev;
  uint64_t seq = 0;
  std::shared_ptr<BoState> cmd;                  // kernargs + dispatch packets + timestamps + fence (GTT, pooled)
  std::vector<std::shared_ptr<BoState>> pooled;  // cmd and the IB BO: back to the device's pool when done
  std::vector<std::shared_ptr<BoState>> refs;    // kept alive until done
  std::vector<std::shared_ptr<ModuleState>> modules;
  struct Info {
    std::string kernel;
    Dim3 grid, block;
  };
  std::vector<Info> dispatches;
  std::vector<uint32_t> ib;
  uint64_t ts_offset = 0;     // in cmd: 2 x u64 per dispatch (begin, end)
  uint64_t fence_offset = 0;  // in cmd: u64 fence value written by the final RELEASE_MEM
  uint64_t fence_value = 0;
  bool done = false;
  std::string error;
  std::vector<DispatchTiming> timings;
  std::vector<SimStats> stats;

  bool wait(std::chrono::nanoseconds timeout);  // throws GpuFaultError
  void retire();                                // done: drop references, return pooled BOs
  std::string summary() const;                  // "gemm grid (4,4,1) block (16,16,1)" / "3 dispatches"
};

struct QueueState {
  explicit QueueState(std::shared_ptr<DeviceCore> d) : dev(std::move(d)) {}
  ~QueueState();
  std::shared_ptr<DeviceCore> dev;
  std::vector<PendingDispatch> pending;
  std::deque<std::shared_ptr<Submission>> inflight;
  uint64_t next_fence = 1;

  // Checks args against the kernel's metadata and records the dispatch.
  void record(const std::shared_ptr<ModuleState>& module, const Kernel& k, Dim3 grid, Dim3 block, const Args& args,
              const std::vector<std::shared_ptr<BoState>>& extra_bos = {});
  std::shared_ptr<Submission> submit();
  void finish();
  void reap();  // drops finished submissions
};

struct DeviceCore : std::enable_shared_from_this<DeviceCore> {
  std::unique_ptr<winsys::Winsys> ws;  // declared first: destroyed last
  DeviceOptions opt;
  std::chrono::nanoseconds timeout{};
  std::mutex mu;
  std::shared_ptr<ModuleState> copy_module, fill_module;  // embedded helper kernels, loaded on first use

  // GTT BOs for command data and IBs, reused between submissions (BO allocation and VA
  // mapping cost far more than a dispatch).
  std::mutex pool_mu;
  std::vector<std::shared_ptr<BoState>> pool;
  std::shared_ptr<BoState> acquire_gtt(uint64_t bytes);
  void release_gtt(std::shared_ptr<BoState> bo);

  ~DeviceCore() {
    copy_module.reset();
    fill_module.reset();
    pool.clear();
  }
  // internal: the BO does not keep the device alive (for BOs the device itself caches).
  std::shared_ptr<BoState> alloc_bo(uint64_t bytes, Placement p, uint32_t perms, bool internal = false);
  std::shared_ptr<ModuleState> load_module(const CodeObject& co, bool internal = false);
  std::shared_ptr<ModuleState> helper(const char* name);  // "copy" / "fill" of the device's gfx target
  void staged_upload(BoState& dst, const void* src, uint64_t bytes, uint64_t offset);
  void staged_download(BoState& src, void* dst, uint64_t bytes, uint64_t offset);
  void gpu_fill(BoState& dst, uint8_t byte);
  // Copies dwords between GPU addresses with the embedded copy kernel and waits.
  void gpu_copy(const std::shared_ptr<BoState>& src, uint64_t src_off, const std::shared_ptr<BoState>& dst,
                uint64_t dst_off, uint64_t dwords);
};

}  // namespace spork::detail
