// sim::Gpu: the whole simulated gfx1100: memory, command processor and shader core behind
// a submission queue. Submissions (lists of IBs) execute in order on one CP worker thread,
// so several can be in flight; each gets a sequence number, and wait() reports whether it
// completed, failed (with the error: VM fault, hang, unimplemented instruction, CP error)
// or is still running. A failed submission is abandoned at the failing packet; the GPU
// stays usable and the next submission runs normally.
//
//   sim::Gpu gpu;
//   auto bo = gpu.memory().create_bo(4096, sim::Domain::GTT);
//   uint64_t va = gpu.memory().find_free_va(4096);
//   gpu.memory().map(bo, va, 0, 4096, sim::PERM_READ | sim::PERM_WRITE);
//   ... write an IB at va ...
//   uint64_t seq = gpu.submit({{va, ib_dwords}});
//   auto r = gpu.wait(seq, std::chrono::seconds(10));   // r.status == Status::Completed
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sim/cp.h"
#include "sim/memory.h"
#include "sim/shader.h"

namespace spork::sim {

struct GpuOptions {
  uint64_t instruction_budget = DispatchOptions{}.instruction_budget;  // per dispatch, wave-instructions
  bool collect_stats = false;                      // per-dispatch DispatchStats kept with each submission
  unsigned shader_threads = 0;                     // host threads the shader core uses; 0: one per hardware thread
  std::chrono::milliseconds wait_timeout{5000};    // WAIT_REG_MEM gives up after this (HangError)
  unsigned max_ib_depth = 4;                       // nested INDIRECT_BUFFER calls
  uint64_t max_packets = CpOptions{}.max_packets;  // per submitted IB; more is reported as a hang
};

// What the simulator reports about itself (the figures of a gfx1100, Navi 31).
struct DeviceInfo {
  std::string target = "gfx1100";
  std::string name = "spork simulated gfx1100 (wave32 software model)";
  unsigned compute_units = 96;  // Navi 31; the model runs workgroups on host threads
  unsigned simds_per_cu = 2;
  unsigned wave_size = 32;
  unsigned max_waves_per_simd = 16;
  unsigned lds_bytes_per_workgroup = 65536;
  unsigned max_workgroup_size = 1024;
  uint64_t shader_clock_hz = 2'500'000'000;                // nominal gfx1100 boost clock, not the model's speed
  uint64_t timestamp_hz = CommandProcessor::kTimestampHz;  // GPU clock counter (RELEASE_MEM/COPY_DATA)
  uint64_t vram_bytes = 16ull << 30;                       // nominal; BOs live in host memory
  uint64_t gtt_bytes = 16ull << 30;
  uint64_t va_start = Memory::kVaStart, va_end = Memory::kVaEnd;
};

struct IbRef {
  uint64_t va = 0;      // GPU address, 4-byte aligned
  uint32_t dwords = 0;  // size
};

enum class ErrorKind { None, VmFault, Hang, Unimplemented, Shader, Cp, Cancelled, Other };
const char* to_string(ErrorKind k);

struct SubmissionError {
  ErrorKind kind = ErrorKind::None;
  std::string message;  // complete and actionable: what, where (IB, packet, wave, PC)
  CpLocation where;     // packet being executed when it happened
  // VmFault details (kind == VmFault).
  uint64_t fault_address = 0;
  Access fault_access = Access::Read;
  std::string wave, instruction;
  uint64_t pc = 0;
};

struct SubmissionResult {
  enum class Status { Pending, Completed, Failed, TimedOut };
  uint64_t seq = 0;
  Status status = Status::Pending;
  SubmissionError error;                            // when Failed
  std::vector<DispatchStats> stats;                 // one per dispatch, when collect_stats
  uint64_t start_timestamp = 0, end_timestamp = 0;  // GPU clock counter (100 MHz)
  bool ok() const { return status == Status::Completed; }
};
const char* to_string(SubmissionResult::Status s);

class Gpu {
 public:
  explicit Gpu(GpuOptions options = {});
  // Stops the CP thread: the running submission is abandoned at once (a WAIT_REG_MEM or a
  // dispatch in it fails with ErrorKind::Cancelled), queued ones are marked failed without running.
  ~Gpu();
  Gpu(const Gpu&) = delete;
  Gpu& operator=(const Gpu&) = delete;

  Memory& memory() { return mem_; }
  const DeviceInfo& info() const { return info_; }

  // Applies to submissions that start after the call.
  void set_options(const GpuOptions& options);
  GpuOptions options() const;

  // Queues IBs to run in order; returns the submission's sequence number (1, 2, ...).
  uint64_t submit(std::vector<IbRef> ibs);
  // Waits up to `timeout` for submission `seq`: Completed, Failed (with error) or TimedOut
  // (still queued or running). Results are kept for the last kKeptResults submissions;
  // asking about an older or unknown seq throws std::invalid_argument.
  SubmissionResult wait(uint64_t seq, std::chrono::nanoseconds timeout);
  // Waits for everything submitted so far; returns the result of the last submission.
  SubmissionResult wait_idle(std::chrono::nanoseconds timeout = std::chrono::hours(24));
  // Abandons submission `seq`: a queued one fails without running, a running one stops at its
  // next budget slice or WAIT_REG_MEM poll; either fails with ErrorKind::Cancelled ("cancelled:
  // ..."). Later submissions run normally. Returns false when it had already finished.
  bool cancel(uint64_t seq);
  uint64_t last_submitted() const;
  uint64_t last_completed() const;  // highest seq that finished (completed or failed)

  uint64_t timestamp() const { return CommandProcessor::timestamp(); }

  static constexpr uint64_t kKeptResults = 4096;

 private:
  void worker();
  SubmissionResult run(uint64_t seq, const std::vector<IbRef>& ibs, const GpuOptions& opt);

  Memory mem_;
  std::unique_ptr<ShaderCore> core_;
  std::unique_ptr<CommandProcessor> cp_;
  DeviceInfo info_;

  mutable std::mutex mu_;
  std::condition_variable cv_work_, cv_done_;
  GpuOptions opt_;
  std::deque<std::pair<uint64_t, std::vector<IbRef>>> queue_;
  std::map<uint64_t, SubmissionResult> results_;
  uint64_t submitted_ = 0, completed_ = 0;
  uint64_t running_ = 0;  // seq the CP thread is executing, 0 when idle
  bool stop_ = false;
  std::atomic<bool> cancel_{false};  // abandons the running submission; cleared after it unless stop_
  std::thread thread_;
};

}  // namespace spork::sim
