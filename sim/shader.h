// The wave32 gfx11 shader core: runs one dispatch from the compute registers the
// command processor latched, exactly as the hardware would set each wave up.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "sim/memory.h"

namespace spork::sim {

// Compute state at DISPATCH_DIRECT/INDIRECT time (register values as written by PM4).
struct DispatchState {
  uint64_t pgm_addr = 0;  // COMPUTE_PGM_LO/HI << 8
  uint32_t pgm_rsrc1 = 0, pgm_rsrc2 = 0, pgm_rsrc3 = 0;
  std::array<uint32_t, 16> user_data{};  // COMPUTE_USER_DATA_0..15
  std::array<uint32_t, 3> num_thread{};  // COMPUTE_NUM_THREAD_X/Y/Z (NUM_THREAD_FULL)
  std::array<uint32_t, 3> start{};       // COMPUTE_START_X/Y/Z (in workgroups)
  std::array<uint32_t, 3> dim{};         // DISPATCH_DIRECT dims (workgroups)
  uint32_t dispatch_initiator = 0;       // COMPUTE_DISPATCH_INITIATOR
  uint32_t tmpring_size = 0;             // COMPUTE_TMPRING_SIZE (WAVES, WAVESIZE)
  uint64_t scratch_base = 0;             // COMPUTE_DISPATCH_SCRATCH_BASE_LO/HI << 8
  uint32_t resource_limits = 0;          // COMPUTE_RESOURCE_LIMITS
};

struct DispatchOptions {
  uint64_t instruction_budget = 20'000'000'000ull;  // wave-instructions before a hang is reported
  bool collect_stats = false;
  unsigned threads = 0;  // 0: one per hardware thread
  // When set and it becomes true, the dispatch is abandoned with CancelledError. Each worker
  // looks at it when it takes a new slice of the budget (every 64K wave-instructions), so
  // the check costs nothing measurable.
  const std::atomic<bool>* cancel = nullptr;
};

// Instruction statistics of one dispatch (filled when collect_stats).
struct DispatchStats {
  uint64_t waves = 0, workgroups = 0;
  uint64_t salu = 0, valu = 0, vopd = 0, smem = 0, vmem = 0, lds = 0, branch = 0, waitcnt = 0, other = 0;
  uint64_t valu_active_lanes = 0;  // sum over VALU issues of active lanes (utilisation = /(valu*32))
  uint64_t fma_lanes = 0;          // lane-FMAs (v_fma*, v_fmac*, v_dual_fmac, ...)
  uint64_t bytes_read[2] = {0, 0}, bytes_written[2] = {0, 0};  // by Domain (VRAM, GTT)
  uint64_t lds_bytes = 0;
  uint64_t instructions() const { return salu + valu + vopd + smem + vmem + lds + branch + waitcnt + other; }
};

// Errors from a dispatch: the dispatch is abandoned, the core and memory stay usable.
struct ShaderError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct HangError : ShaderError {
  using ShaderError::ShaderError;
};  // budget exhausted
struct UnimplementedError : ShaderError {
  using ShaderError::ShaderError;
};  // names the instruction
struct CancelledError : ShaderError {
  using ShaderError::ShaderError;
};  // DispatchOptions::cancel was set

class ShaderCore {
 public:
  explicit ShaderCore(Memory& mem);
  ~ShaderCore();
  // Runs the whole dispatch; throws VmFault / HangError / CancelledError / UnimplementedError / ShaderError.
  DispatchStats dispatch(const DispatchState& state, const DispatchOptions& opts = {});

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace spork::sim
