// amdhsa code-object loader: ELF64 / EM_AMDGPU / HSA OS-ABI, code object v4 and v5.
// Decodes every kernel's 64-byte kernel descriptor (llvm/Support/AMDHSAKernelDescriptor.h)
// and the NT_AMDGPU_METADATA msgpack note. Uses libelf and msgpack-cxx, never libLLVM.
// Every malformed input throws CodeObjectError with a message naming the problem.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spork {

struct CodeObjectError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// COMPUTE_PGM_RSRC1 as laid out in the kernel descriptor (gfx10/11 meaning of each field).
struct PgmRsrc1 {
  uint32_t raw = 0;
  uint32_t GRANULATED_WORKITEM_VGPR_COUNT, GRANULATED_WAVEFRONT_SGPR_COUNT, PRIORITY, FLOAT_ROUND_MODE_32,
      FLOAT_ROUND_MODE_16_64, FLOAT_DENORM_MODE_32, FLOAT_DENORM_MODE_16_64, PRIV, ENABLE_DX10_CLAMP, DEBUG_MODE,
      ENABLE_IEEE_MODE, BULKY, CDBG_USER, FP16_OVFL, WGP_MODE, MEM_ORDERED, FWD_PROGRESS;
};
// COMPUTE_PGM_RSRC2.
struct PgmRsrc2 {
  uint32_t raw = 0;
  uint32_t ENABLE_PRIVATE_SEGMENT /* SCRATCH_EN */, USER_SGPR_COUNT, ENABLE_TRAP_HANDLER, ENABLE_SGPR_WORKGROUP_ID_X,
      ENABLE_SGPR_WORKGROUP_ID_Y, ENABLE_SGPR_WORKGROUP_ID_Z, ENABLE_SGPR_WORKGROUP_INFO, ENABLE_VGPR_WORKITEM_ID,
      ENABLE_EXCEPTION_ADDRESS_WATCH, ENABLE_EXCEPTION_MEMORY, GRANULATED_LDS_SIZE,
      ENABLE_EXCEPTION_IEEE_754_FP_INVALID_OPERATION, ENABLE_EXCEPTION_FP_DENORMAL_SOURCE,
      ENABLE_EXCEPTION_IEEE_754_FP_DIVISION_BY_ZERO, ENABLE_EXCEPTION_IEEE_754_FP_OVERFLOW,
      ENABLE_EXCEPTION_IEEE_754_FP_UNDERFLOW, ENABLE_EXCEPTION_IEEE_754_FP_INEXACT, ENABLE_EXCEPTION_INT_DIVIDE_BY_ZERO;
};
// COMPUTE_PGM_RSRC3 (gfx10/gfx11 layout).
struct PgmRsrc3 {
  uint32_t raw = 0;
  uint32_t SHARED_VGPR_COUNT, INST_PREF_SIZE, TRAP_ON_START, TRAP_ON_END, IMAGE_OP;
};

// The 64-byte kernel descriptor, every field decoded.
struct KernelDescriptor {
  uint32_t group_segment_fixed_size = 0;
  uint32_t private_segment_fixed_size = 0;
  uint32_t kernarg_size = 0;
  int64_t kernel_code_entry_byte_offset = 0;  // relative to the descriptor's own address
  PgmRsrc3 rsrc3{};
  PgmRsrc1 rsrc1{};
  PgmRsrc2 rsrc2{};
  uint16_t kernel_code_properties = 0;  // raw
  // kernel_code_properties bits:
  bool enable_sgpr_private_segment_buffer = false, enable_sgpr_dispatch_ptr = false, enable_sgpr_queue_ptr = false,
       enable_sgpr_kernarg_segment_ptr = false, enable_sgpr_dispatch_id = false, enable_sgpr_flat_scratch_init = false,
       enable_sgpr_private_segment_size = false, enable_wavefront_size32 = false, uses_dynamic_stack = false;
  uint8_t kernarg_preload_spec_length = 0;  // v5: kernarg_preload
  uint16_t kernarg_preload_spec_offset = 0;
  std::vector<uint8_t> raw;  // the 64 bytes as stored

  // Derived counts, gfx10+/gfx11 meaning. VGPRs are allocated in granules of 8 (wave32)
  // or 4 (wave64); the SGPR granule field is ignored by gfx10+ hardware (every wave gets
  // the full SGPR file) but LLVM still writes ceil(sgprs / 8) - 1 there.
  uint32_t vgpr_granule() const { return enable_wavefront_size32 ? 8 : 4; }
  uint32_t allocated_vgprs() const { return (rsrc1.GRANULATED_WORKITEM_VGPR_COUNT + 1) * vgpr_granule(); }
  uint32_t allocated_sgprs() const { return (rsrc1.GRANULATED_WAVEFRONT_SGPR_COUNT + 1) * 8; }
  uint32_t wavefront_size() const { return enable_wavefront_size32 ? 32 : 64; }
  // COMPUTE_PGM_RSRC2.LDS_SIZE for group_segment_fixed_size (+ dynamic LDS) bytes, in
  // granules of `granule_bytes` (gfx11: 512 bytes). LLVM leaves the field 0 in the descriptor.
  uint32_t lds_size_granules(uint32_t dynamic_lds_bytes = 0, uint32_t granule_bytes = 512) const {
    uint64_t bytes = uint64_t(group_segment_fixed_size) + dynamic_lds_bytes;
    return uint32_t((bytes + granule_bytes - 1) / granule_bytes);
  }
};

// Decodes a 64-byte kernel descriptor (throws CodeObjectError when bytes.size() != 64).
KernelDescriptor decode_kernel_descriptor(std::span<const uint8_t> bytes);
// "gfx1100" for EF_AMDGPU_MACH 0x41; empty for an unknown value.
std::string_view amdgpu_mach_name(uint32_t mach);

// One kernel argument from the metadata (.args).
struct KernelArg {
  std::string name;           // .name (may be empty)
  std::string type_name;      // .type_name
  uint32_t offset = 0;        // .offset
  uint32_t size = 0;          // .size
  std::string value_kind;     // by_value, global_buffer, hidden_block_count_x, ...
  std::string address_space;  // global, constant, local, ... (may be empty)
  std::string access, actual_access;
  bool is_const = false, is_restrict = false, is_volatile = false, is_pipe = false;
  std::optional<uint32_t> pointee_align;
  bool hidden() const { return value_kind.rfind("hidden_", 0) == 0; }
};

// Per-kernel metadata from NT_AMDGPU_METADATA (amdhsa.kernels[i]).
struct KernelMetadata {
  std::string name, symbol;
  std::vector<KernelArg> args;
  uint32_t kernarg_segment_size = 0, kernarg_segment_align = 0;
  uint32_t group_segment_fixed_size = 0, private_segment_fixed_size = 0;
  uint32_t sgpr_count = 0, vgpr_count = 0, agpr_count = 0;
  uint32_t sgpr_spill_count = 0, vgpr_spill_count = 0;
  uint32_t wavefront_size = 0, max_flat_workgroup_size = 0;
  std::optional<std::array<uint32_t, 3>> reqd_workgroup_size, workgroup_size_hint;
  bool uses_dynamic_stack = false;
  std::string language;
  // Less common fields (present when the compiler wrote them).
  std::vector<uint32_t> language_version;            // .language_version, e.g. {2, 0}
  std::optional<bool> workgroup_processor_mode;      // .workgroup_processor_mode
  std::optional<bool> uniform_work_group_size;       // .uniform_work_group_size
  std::string kind;                                  // .kind: normal, init, fini
  std::string vec_type_hint, device_enqueue_symbol;  // .vec_type_hint, .device_enqueue_symbol
  uint32_t max_num_workgroups_x = 0, max_num_workgroups_y = 0, max_num_workgroups_z = 0;
  // The hidden argument of this kind, or nullptr (e.g. "hidden_block_count_x").
  const KernelArg* find_arg(std::string_view value_kind) const {
    for (const KernelArg& a : args)
      if (a.value_kind == value_kind) return &a;
    return nullptr;
  }
};

struct Kernel {
  std::string name;
  uint64_t descriptor_vaddr = 0;  // address of <name>.kd in the loaded image
  KernelDescriptor descriptor;
  KernelMetadata metadata;
  // Address of the first instruction in the loaded image.
  uint64_t code_vaddr() const { return descriptor_vaddr + uint64_t(descriptor.kernel_code_entry_byte_offset); }
};

// One PT_LOAD segment.
struct Segment {
  uint64_t vaddr = 0, offset = 0, filesz = 0, memsz = 0;
  uint32_t flags = 0;  // PF_X = 1, PF_W = 2, PF_R = 4
};

class CodeObject {
 public:
  static CodeObject from_file(const std::string& path);
  static CodeObject from_memory(std::span<const uint8_t> bytes, std::string origin = "<memory>");

  const std::string& origin() const { return origin_; }
  unsigned code_object_version() const { return version_; }  // 4 or 5
  const std::string& target() const { return target_; }      // "gfx1100", from e_flags
  bool xnack_on() const { return xnack_; }
  bool sramecc_on() const { return sramecc_; }
  uint32_t e_flags() const { return e_flags_; }
  // Target ID as clang spells it: "gfx1100", "gfx90a:sramecc+:xnack-" (features only when
  // the object says on/off; "any" and "unsupported" are left out).
  std::string target_id() const;
  unsigned abi_version() const { return abi_version_; }
  // EF_AMDGPU_FEATURE_XNACK_V4 / _SRAMECC_V4: "unsupported", "any", "off" or "on".
  const std::string& xnack_setting() const { return xnack_setting_; }
  const std::string& sramecc_setting() const { return sramecc_setting_; }  // EI_ABIVERSION (2 = v4, 3 = v5)
  // From the metadata note: amdhsa.version and amdhsa.target.
  const std::vector<uint32_t>& metadata_version() const { return metadata_version_; }
  const std::string& metadata_target() const { return metadata_target_; }
  const std::vector<Segment>& segments() const { return segments_; }
  // R_AMDGPU_RELATIVE64 relocations: (image offset, addend); load_image writes base + addend.
  const std::vector<std::pair<uint64_t, int64_t>>& relocations() const { return relocations_; }
  std::span<const uint8_t> bytes() const { return bytes_; }
  const std::vector<Kernel>& kernels() const { return kernels_; }
  const Kernel* find(std::string_view name) const;    // nullptr when absent
  const Kernel& kernel(std::string_view name) const;  // throws naming the kernels it has

  // The image as the GPU sees it: PT_LOAD segments placed at their p_vaddr (base 0),
  // zero-filled between and past p_filesz, R_AMDGPU_RELATIVE64 relocations applied
  // against `base` (the GPU address the image will be copied to).
  std::vector<uint8_t> load_image(uint64_t base) const;
  uint64_t image_size() const { return image_size_; }

 private:
  std::string origin_;
  std::vector<uint8_t> bytes_;
  unsigned version_ = 0;
  std::string target_;
  bool xnack_ = false, sramecc_ = false;
  uint32_t e_flags_ = 0;
  std::vector<Kernel> kernels_;
  uint64_t image_size_ = 0;
  unsigned abi_version_ = 0;
  std::string xnack_setting_, sramecc_setting_;  // "on", "off", "any", "unsupported"
  std::vector<uint32_t> metadata_version_;
  std::string metadata_target_;
  std::vector<Segment> segments_;
  std::vector<std::pair<uint64_t, int64_t>> relocations_;
  friend struct CodeObjectParser;
};

}  // namespace spork
