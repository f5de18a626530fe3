// Vulkan compute reference path: device listing, buffers in explicitly chosen memory types,
// FP32 GEMM (kernels/glsl/gemm.comp), memory bandwidth kernels, dispatch overhead, all timed
// with GPU timestamps. The Vulkan loader is opened at run time (libvulkan.so.1, or the library that
// SPORK_VULKAN_LOADER names); no Vulkan header leaks out.
//
// Errors are spork::vk::Error exceptions with a message a person can act on (no loader, no
// device, no compute queue, out of device memory, device lost, GPU timeout); callers catch
// them and carry on with other backends.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace spork::vk {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// VkMemoryPropertyFlagBits values (kept here so callers need no Vulkan header).
enum MemoryFlag : uint32_t {
  kDeviceLocal = 0x1,
  kHostVisible = 0x2,
  kHostCoherent = 0x4,
  kHostCached = 0x8,
  kLazilyAllocated = 0x10,
  kProtected = 0x20,
};
// "DEVICE_LOCAL|HOST_VISIBLE|HOST_COHERENT", or "none".
std::string memory_flags_string(uint32_t flags);

struct MemoryHeapInfo {
  uint32_t index = 0;
  uint64_t size = 0;
  bool device_local = false;  // VK_MEMORY_HEAP_DEVICE_LOCAL_BIT
};
struct MemoryTypeInfo {
  uint32_t index = 0;
  uint32_t heap = 0;
  uint32_t flags = 0;  // MemoryFlag bits
};
struct DeviceInfo {
  uint32_t index = 0;  // position in vkEnumeratePhysicalDevices
  std::string name;
  std::string type;  // "discrete GPU", "integrated GPU", "virtual GPU", "CPU", "other"
  uint32_t vendor_id = 0, device_id = 0;
  std::string api_version;            // "1.3.239"
  std::string driver_version;         // raw, vendor-encoded, printed as hex
  bool compute_queue = false;         // a queue family with VK_QUEUE_COMPUTE_BIT
  uint32_t timestamp_valid_bits = 0;  // of that queue family (0: no timestamps)
  float timestamp_period_ns = 0;
  uint64_t max_storage_buffer_range = 0;
  uint64_t max_shared_memory = 0;
  uint64_t min_storage_offset_alignment = 0;
  uint32_t max_workgroup_invocations = 0;
  std::vector<MemoryHeapInfo> heaps;
  std::vector<MemoryTypeInfo> types;
};
struct DeviceList {
  std::vector<DeviceInfo> devices;
  std::string error;  // non-empty when the loader, instance or enumeration failed (why)
};
// Every physical device with its heaps and memory types. Never throws.
DeviceList list_devices();

// Where a buffer's memory lives. Chosen among the memory types the device offers.
enum class Placement {
  DeviceLocal,             // DEVICE_LOCAL without HOST_VISIBLE (VRAM; filled through staging)
  HostVisible,             // HOST_VISIBLE|HOST_COHERENT without DEVICE_LOCAL (system memory)
  DeviceLocalHostVisible,  // DEVICE_LOCAL|HOST_VISIBLE (resizable BAR, or unified memory)
};
const char* placement_name(Placement p);  // "device-local", "host-visible", "device-local+host-visible"

// GEMM tiling (specialisation constants of gemm.comp; see the top of that file).
struct GemmConfig {
  uint32_t BM = 64, BN = 64, BK = 16, TM = 4, TN = 4;
  uint32_t VEC = 0;  // 4, 1, or 0 = choose per shape (4 when K % 4 == 0 and N % 4 == 0)
  uint32_t STAGES = 2;
  uint32_t invocations() const { return (BM / TM) * (BN / TN); }
  // "128x128x8 t8x8 v4 s2"
  std::string str() const;
  // Parses "BMxBNxBK/TMxTN[/STAGES[/VEC]]", e.g. "128x128x8/8x8/2"; throws Error on nonsense.
  static GemmConfig parse(const std::string& s);
};

struct Timing {
  std::vector<double> gpu_ms;  // one per timed run
  double median_ms = 0, min_ms = 0, max_ms = 0;
  double host_ms = 0;  // host wall time per run (submission to fence)
};

struct GemmRequest {
  uint32_t M = 0, N = 0, K = 0;
  std::optional<GemmConfig> config;              // default: Context::default_gemm_config()
  Placement placement = Placement::DeviceLocal;  // falls back to DeviceLocalHostVisible if not offered
  std::optional<uint32_t> memory_type;           // overrides placement
  unsigned warmup = 2, repeat = 5;
  unsigned sets = 0;  // buffer sets rotated over (0: enough to exceed caches, at most 4)
  uint64_t seed = 1;
  // Check every entry against the FP64 reference when M*N*K <= full_check_limit, otherwise a
  // random sample of `samples` entries (each an FP64 dot product) plus a NaN scan of all of C.
  uint64_t full_check_limit = uint64_t(1) << 31;  // 2048^3: OpenBLAS dgemm takes ~1 s here
  uint32_t samples = 4096;
  // Test hook (tests/bench): add 1.0 to one entry of the first downloaded C before the check, so
  // that a correct run must be reported as failed. Only meant for full checks (small shapes).
  bool test_corrupt = false;
  // Test hook: dispatch one workgroup column fewer, so the last columns of C keep their poison and
  // the run must be reported as failed with unwritten entries.
  bool test_short_grid = false;
};
struct GemmResult {
  GemmConfig config;  // as run (VEC resolved)
  uint32_t memory_type = 0;
  std::string memory;  // describe_memory_type()
  Timing timing;
  double gflops = 0;         // 2*M*N*K / median
  double max_rel_error = 0;  // max over checked entries of |c - ref| / sum_k |a_ik * b_kj|
  double tolerance = 0;      // 2 * K * 2^-24 (FP32 accumulation bound)
  uint64_t checked = 0;      // entries compared with the FP64 reference
  uint64_t unwritten = 0;    // entries still NaN (poison) after the runs
  std::string check;         // "full FP64 reference" or "sampled FP64 dot products (n of m)"
  bool passed = false;
};

enum class MembwOp { Read, Write, Copy };
const char* membw_op_name(MembwOp op);  // "read", "write", "copy"
struct MembwRequest {
  MembwOp op = MembwOp::Copy;
  uint64_t bytes = 1 << 20;  // per buffer; multiple of 16
  Placement placement = Placement::DeviceLocal;
  std::optional<uint32_t> memory_type;
  unsigned warmup = 2, repeat = 5;
  unsigned sets = 0;  // 0: auto (rotate so that sets * bytes >= 256 MiB where possible, at most 8)
  bool check = true;
  // Bytes between the start of each destination allocation and the bound destination range, a
  // multiple of the device's minStorageBufferOffsetAlignment (studies placement effects on copy).
  uint64_t dst_offset = 0;
  // Test hook: change one word of the first downloaded result before the check (must then fail).
  bool test_corrupt = false;
};
struct MembwResult {
  uint32_t memory_type = 0;
  std::string memory;
  Timing timing;
  uint64_t bytes_moved = 0;  // per run, read + write (copy: 2 * bytes)
  double gbps = 0;           // bytes_moved / median, 1e9 bytes per second
  bool passed = false;
  std::string note;
};

struct DispatchResult {
  unsigned count = 0;
  double batched_gpu_us = 0, batched_host_us = 0;  // N dispatches in one command buffer, per dispatch
  double submit_gpu_us = 0, submit_host_us = 0;    // N command buffers, one vkQueueSubmit each
};

class Buffer;

class Context {
 public:
  // selector: "" = the best device (discrete > integrated > virtual > CPU), a number = index in
  // list_devices(), otherwise a case-insensitive substring of the device name ("llvmpipe").
  explicit Context(const std::string& selector = "");
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const DeviceInfo& info() const;
  bool is_cpu() const;  // software rasteriser (lavapipe): slow, pick small sizes
  // Memory type for a placement, or nullopt when the device offers none that fits buffers.
  std::optional<uint32_t> memory_type_for(Placement p) const;
  // Memory types usable for storage buffers (bit i = type i).
  uint32_t buffer_memory_types() const;
  // "type 1 DEVICE_LOCAL (heap 0: 80 GiB, DEVICE_LOCAL)"
  std::string describe_memory_type(uint32_t index) const;

  std::unique_ptr<Buffer> create_buffer(uint64_t bytes, uint32_t memory_type);
  // Copy host data in/out; through a staging buffer when the memory is not HOST_VISIBLE
  // (or always, with via_staging).
  void upload(Buffer& dst, const void* src, uint64_t bytes, bool via_staging = false);
  void download(Buffer& src, void* dst, uint64_t bytes, bool via_staging = false);

  GemmConfig default_gemm_config() const;
  GemmResult gemm(const GemmRequest& req);
  MembwResult membw(const MembwRequest& req);
  DispatchResult dispatch(unsigned count);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// A storage buffer in one memory type, mapped for the host when HOST_VISIBLE. Must not outlive its Context.
class Buffer {
 public:
  ~Buffer();
  uint64_t size() const { return size_; }
  uint32_t memory_type() const { return type_; }
  bool host_visible() const { return mapped_ != nullptr; }
  void* mapped() const { return mapped_; }

 private:
  friend class Context;
  friend struct Context::Impl;
  Buffer() = default;
  Context::Impl* ctx_ = nullptr;
  uint64_t size_ = 0;
  uint32_t type_ = 0;
  void* mapped_ = nullptr;
  uint64_t buffer_ = 0, memory_ = 0;  // VkBuffer, VkDeviceMemory
};

}  // namespace spork::vk
