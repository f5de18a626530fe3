// Kernel argument packing: explicit arguments at their metadata offsets, every code object v5
// (and v4) hidden argument spork can know, and the 64-byte hsa_kernel_dispatch_packet_t the
// dispatch pointer SGPRs point at. Every mismatch throws KernargError naming the argument.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "runtime/codeobj.h"

namespace spork {

struct KernargError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct Dim3u {
  uint32_t x = 1, y = 1, z = 1;
  uint32_t operator[](int i) const { return i == 0 ? x : i == 1 ? y : z; }
  uint64_t product() const { return uint64_t(x) * y * z; }
};

// The geometry of one dispatch as the kernel sees it.
struct LaunchGeometry {
  Dim3u grid{};          // workgroups in each dimension (DISPATCH_DIRECT counts)
  Dim3u workgroup{};     // work-items per workgroup
  Dim3u start{0, 0, 0};  // first workgroup id (COMPUTE_START_*); 0 for ordinary dispatches
  // Work-item offset added by get_global_id (OpenCL global_work_offset); hidden_global_offset_*.
  std::array<uint64_t, 3> global_offset{0, 0, 0};
  // Dimensions of the launch (1..3) for hidden_grid_dims and the dispatch packet; 0 = the
  // highest dimension whose total size is > 1 (at least 1).
  uint32_t dims = 0;
  uint32_t grid_dims() const;
  // Workgroup-id range end in each dimension: start + grid (what the kernel's group ids run to).
  Dim3u block_count() const { return {start.x + grid.x, start.y + grid.y, start.z + grid.z}; }
};

// One explicit argument value.
struct ArgValue {
  enum class Kind { Buffer, Scalar, Local };
  Kind kind = Kind::Scalar;
  uint64_t address = 0;             // Buffer: GPU address
  std::array<uint8_t, 16> bytes{};  // Scalar: little-endian bytes
  uint32_t size = 0;                // Scalar: byte count (1..16)
  uint32_t local_bytes = 0;         // Local: dynamic LDS bytes for a __local pointer argument

  static ArgValue buffer(uint64_t gpu_address) { return {.kind = Kind::Buffer, .address = gpu_address}; }
  template <class T>
  static ArgValue scalar(const T& v) {
    static_assert(sizeof(T) <= 16 && std::is_trivially_copyable_v<T>, "scalar arguments are 1..16 bytes");
    ArgValue a{.kind = Kind::Scalar, .size = uint32_t(sizeof(T))};
    std::memcpy(a.bytes.data(), &v, sizeof(T));
    return a;
  }
  static ArgValue local(uint32_t bytes) { return {.kind = Kind::Local, .local_bytes = bytes}; }
  std::string describe() const;  // "buffer 0x...", "4-byte scalar", "local 256 bytes"
};

// Values of hidden arguments that depend on the device rather than the launch.
struct HiddenValues {
  uint32_t private_base = 0;  // hidden_private_base: high 32 bits of the private (scratch) aperture
  uint32_t shared_base = 0;   // hidden_shared_base: high 32 bits of the shared (LDS) aperture
  uint64_t queue_ptr = 0;     // hidden_queue_ptr (spork has no AQL queue: 0)
  uint64_t printf_buffer = 0, hostcall_buffer = 0, multigrid_sync_arg = 0, heap_v1 = 0, default_queue = 0,
           completion_action = 0;  // features spork does not provide: 0 (null pointers)
};

struct PackedKernargs {
  std::vector<uint8_t> bytes;      // kernarg segment, max(kernarg_segment_size, descriptor.kernarg_size) bytes
  uint32_t dynamic_lds_bytes = 0;  // LDS for __local pointer arguments, allocated after the static LDS
};

// Packs the explicit arguments (in metadata order) and fills every hidden argument.
PackedKernargs pack_kernargs(const Kernel& k, std::span<const ArgValue> args, const LaunchGeometry& g,
                             const HiddenValues& hv = {});

// Fills the hidden arguments of an already packed kernarg segment (explicit arguments untouched).
// Throws KernargError for a hidden kind spork does not know or one that lies outside `kernarg`.
void fill_hidden_args(const Kernel& k, std::span<uint8_t> kernarg, const LaunchGeometry& g,
                      uint32_t dynamic_lds_bytes = 0, const HiddenValues& hv = {});

// Checks that the workgroup size suits the kernel: each size >= 1 and <= 1024, product <=
// max_flat_workgroup_size, equal to reqd_workgroup_size when the kernel has one. Grid >= 1.
void validate_geometry(const Kernel& k, const LaunchGeometry& g);

// hsa_kernel_dispatch_packet_t (HSA runtime spec 2.9.6; AMDGPUUsage "dispatch packet").
struct DispatchPacketFields {
  static constexpr size_t kSize = 64;
  static constexpr size_t header = 0, setup = 2, workgroup_size_x = 4, workgroup_size_y = 6, workgroup_size_z = 8,
                          reserved0 = 10, grid_size_x = 12, grid_size_y = 16, grid_size_z = 20,
                          private_segment_size = 24, group_segment_size = 28, kernel_object = 32, kernarg_address = 40,
                          reserved2 = 48, completion_signal = 56;
  // header: type KERNEL_DISPATCH (2) at bits 0-7, barrier bit 8, acquire fence scope (system = 2)
  // at bits 9-10, release fence scope (system = 2) at bits 11-12.
  static constexpr uint16_t kHeader = 2 | (1 << 8) | (2 << 9) | (2 << 11);
};
// grid_size_* in work-items = block_count * workgroup size; setup = dimensions.
std::array<uint8_t, 64> make_dispatch_packet(const Kernel& k, const LaunchGeometry& g, uint64_t kernel_object,
                                             uint64_t kernarg_address, uint32_t dynamic_lds_bytes = 0);

}  // namespace spork
