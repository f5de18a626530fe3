// The winsys: the only seam between the runtime and a "device". Two implementations:
// runtime/amdgpu/ (libdrm_amdgpu, real hardware, kept thin) and runtime/sim_winsys.*
// (the software gfx11 GPU). Everything worth testing sits above this interface.
//
// A BO is allocated in a domain, mapped into the GPU VA space, optionally mapped for the
// CPU; IBs living in BOs are submitted together with the list of BOs they touch; each
// submission gets a sequence number that can be waited on with a timeout.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace spork {

// Errors from opening or driving a device. The message says what to do.
struct DeviceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The GPU reported a problem with a submission (VM fault, hang, reset, illegal instruction).
// The device stays usable for later submissions where the backend allows it.
struct GpuFaultError : DeviceError {
  using DeviceError::DeviceError;
};
// Waiting on a fence ran past its timeout.
struct TimeoutError : DeviceError {
  using DeviceError::DeviceError;
};

namespace winsys {

enum class Domain { VRAM, GTT };

enum BoFlags : uint32_t {
  BO_CPU_ACCESS = 1,     // must be CPU-mappable (VRAM: AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED)
  BO_NO_CPU_ACCESS = 2,  // never CPU-mapped (VRAM: AMDGPU_GEM_CREATE_NO_CPU_ACCESS)
};

enum VmPerms : uint32_t { VM_READ = 1, VM_WRITE = 2, VM_EXEC = 4 };

using BoHandle = uint32_t;  // 0 is never a valid handle

// What the device is, as far as the runtime needs to know.
struct DeviceInfo {
  std::string node;                       // "/dev/dri/renderD128" or "sim"
  std::string name;                       // marketing name, "spork simulator"
  std::string gfx_target;                 // "gfx1100" ("" when not recognised)
  unsigned gfx_major = 0, gfx_minor = 0;  // compute IP version (11.0)
  uint32_t family_id = 0, chip_external_rev = 0, device_id = 0;
  uint32_t num_cus = 0;
  uint32_t num_shader_engines = 1;  // COMPUTE_TMPRING_SIZE.WAVES counts per shader engine
  uint64_t vram_size = 0, vram_cpu_visible_size = 0, gtt_size = 0;
  uint32_t compute_rings = 0;                                // available_rings bitmask of AMDGPU_HW_IP_COMPUTE
  uint64_t timestamp_hz = 0;                                 // GPU clock counter frequency (timestamps of RELEASE_MEM)
  uint32_t ib_start_alignment = 256, ib_size_alignment = 4;  // bytes
  bool simulated = false;
};

// One IB of a submission: GPU address and size in bytes (a multiple of 4).
struct IbRef {
  uint64_t va = 0;
  uint32_t bytes = 0;
};

// Result of waiting on a submission.
enum class WaitResult { Signaled, Timeout };

class Winsys {
 public:
  virtual ~Winsys() = default;
  virtual const DeviceInfo& info() const = 0;

  // Allocates a BO of at least `size` bytes (rounded up to pages). Throws DeviceError.
  virtual BoHandle alloc_bo(uint64_t size, Domain domain, uint32_t flags) = 0;
  // Frees a BO (unmapping it first when still mapped). Never throws.
  virtual void free_bo(BoHandle bo) noexcept = 0;
  // Maps the whole BO into the GPU VA space with VmPerms; returns its GPU address.
  virtual uint64_t map_gpu(BoHandle bo, uint32_t perms) = 0;
  // CPU pointer to the whole BO; throws DeviceError when the BO is not CPU-visible.
  virtual void* map_cpu(BoHandle bo) = 0;

  // Submits IBs (executed in order on the compute ring); every BO they or their
  // dispatches touch must be in `bos`. Returns the sequence number of the submission.
  virtual uint64_t submit(std::span<const IbRef> ibs, std::span<const BoHandle> bos) = 0;
  // Waits for submission `seq`. Throws GpuFaultError when it failed (VM fault, hang, reset).
  virtual WaitResult wait(uint64_t seq, std::chrono::nanoseconds timeout) = 0;
};

// Which devices are there to open (for `spork info` and device selection).
struct AmdgpuNode {
  std::string path;  // /dev/dri/renderD128
  std::string pci;   // 0000:03:00.0
  uint32_t device_id = 0;
};
// Every amdgpu render node (vendor 0x1002, driver amdgpu); empty when none.
std::vector<AmdgpuNode> amdgpu_enumerate();
// Opens a render node with libdrm_amdgpu. Throws DeviceError with an actionable message.
// When require_supported_target, a gfx version without spork kernels is refused.
std::unique_ptr<Winsys> amdgpu_open(const std::string& path, bool require_supported_target = true);
// gfx target from amdgpu_gpu_info's family_id and chip_external_rev ("" when unknown).
std::string amdgpu_gfx_target(uint32_t family_id, uint32_t chip_external_rev);
// The gfx targets spork's kernels were built for (SPORK_GPU_TARGETS).
std::vector<std::string> supported_targets();

}  // namespace winsys
}  // namespace spork
