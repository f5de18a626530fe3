#include "runtime/kernargs.h"

#include <algorithm>
#include <cstdio>

namespace spork {
namespace {

std::string arg_name(const Kernel& k, const KernelArg& a, size_t index) {
  std::string s = k.name + ": argument " + std::to_string(index);
  if (!a.name.empty()) s += " '" + a.name + "'";
  if (!a.type_name.empty()) s += " (" + a.type_name + ")";
  return s;
}

template <class T>
void put(std::span<uint8_t> buf, const Kernel& k, const KernelArg& a, T v) {
  if (a.size != sizeof(T))
    throw KernargError(k.name + ": hidden argument " + a.value_kind + " has size " + std::to_string(a.size) +
                       " in the metadata, expected " + std::to_string(sizeof(T)));
  if (uint64_t(a.offset) + sizeof(T) > buf.size())
    throw KernargError(k.name + ": hidden argument " + a.value_kind + " at offset " + std::to_string(a.offset) +
                       " lies outside the " + std::to_string(buf.size()) + "-byte kernarg segment");
  std::memcpy(buf.data() + a.offset, &v, sizeof(T));  // little-endian host, like the GPU
}

bool is_buffer_kind(const std::string& kind) { return kind == "global_buffer"; }

}  // namespace

uint32_t LaunchGeometry::grid_dims() const {
  if (dims) return dims;
  for (int d = 2; d > 0; --d)
    if (uint64_t(block_count()[d]) * workgroup[d] > 1) return uint32_t(d + 1);
  return 1;
}

std::string ArgValue::describe() const {
  char b[64];
  switch (kind) {
    case Kind::Buffer:
      std::snprintf(b, sizeof b, "a buffer (0x%llx)", (unsigned long long)address);
      break;
    case Kind::Local:
      std::snprintf(b, sizeof b, "local memory (%u bytes)", local_bytes);
      break;
    default:
      std::snprintf(b, sizeof b, "a %u-byte scalar", size);
  }
  return b;
}

void validate_geometry(const Kernel& k, const LaunchGeometry& g) {
  const auto str = [](Dim3u d) {
    return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," + std::to_string(d.z) + ")";
  };
  if (g.grid.x == 0 || g.grid.y == 0 || g.grid.z == 0)
    throw KernargError(k.name + ": grid " + str(g.grid) + " has a zero dimension (nothing to dispatch)");
  if (g.workgroup.x == 0 || g.workgroup.y == 0 || g.workgroup.z == 0)
    throw KernargError(k.name + ": workgroup size " + str(g.workgroup) + " has a zero dimension");
  for (int d = 0; d < 3; ++d) {
    if (g.workgroup[d] > 1024)
      throw KernargError(k.name + ": workgroup size " + str(g.workgroup) + " exceeds 1024 in dimension " +
                         std::to_string(d));
    if (uint64_t(g.start[d]) + g.grid[d] > 0xFFFFFFFFull)
      throw KernargError(k.name + ": start + grid overflows 32 bits in dimension " + std::to_string(d));
  }
  const uint32_t max_flat = k.metadata.max_flat_workgroup_size ? k.metadata.max_flat_workgroup_size : 1024;
  if (g.workgroup.product() > max_flat)
    throw KernargError(k.name + ": workgroup size " + str(g.workgroup) + " = " + std::to_string(g.workgroup.product()) +
                       " work-items exceeds the kernel's max_flat_workgroup_size " + std::to_string(max_flat));
  if (const auto& r = k.metadata.reqd_workgroup_size) {
    const Dim3u req{(*r)[0], (*r)[1], (*r)[2]};
    if (req.x != g.workgroup.x || req.y != g.workgroup.y || req.z != g.workgroup.z)
      throw KernargError(k.name + ": workgroup size " + str(g.workgroup) + " differs from the kernel's " +
                         "reqd_work_group_size " + str(req));
  }
  if (g.dims > 3) throw KernargError(k.name + ": dims must be 0 (auto) or 1..3, got " + std::to_string(g.dims));
}

void fill_hidden_args(const Kernel& k, std::span<uint8_t> buf, const LaunchGeometry& g, uint32_t dynamic_lds_bytes,
                      const HiddenValues& hv) {
  const Dim3u bc = g.block_count();
  for (const KernelArg& a : k.metadata.args) {
    if (!a.hidden()) continue;
    const std::string& v = a.value_kind;
    // Per-dimension kinds end in _x/_y/_z.
    const int dim = v.size() > 2 && v[v.size() - 2] == '_' ? (v.back() == 'x'   ? 0
                                                              : v.back() == 'y' ? 1
                                                              : v.back() == 'z' ? 2
                                                                                : -1)
                                                           : -1;
    const std::string stem = dim >= 0 ? v.substr(0, v.size() - 2) : v;
    if (stem == "hidden_block_count" && dim >= 0) {
      put<uint32_t>(buf, k, a, bc[dim]);
    } else if (stem == "hidden_group_size" && dim >= 0) {
      put<uint16_t>(buf, k, a, uint16_t(g.workgroup[dim]));
    } else if (stem == "hidden_remainder" && dim >= 0) {
      put<uint16_t>(buf, k, a, 0);  // spork dispatches whole workgroups: grid size % group size = 0
    } else if (stem == "hidden_global_offset" && dim >= 0) {
      put<uint64_t>(buf, k, a, g.global_offset[dim]);
    } else if (v == "hidden_grid_dims") {
      put<uint16_t>(buf, k, a, uint16_t(g.grid_dims()));
    } else if (v == "hidden_dynamic_lds_size") {
      put<uint32_t>(buf, k, a, dynamic_lds_bytes);
    } else if (v == "hidden_private_base") {
      put<uint32_t>(buf, k, a, hv.private_base);
    } else if (v == "hidden_shared_base") {
      put<uint32_t>(buf, k, a, hv.shared_base);
    } else if (v == "hidden_queue_ptr") {
      put<uint64_t>(buf, k, a, hv.queue_ptr);
    } else if (v == "hidden_printf_buffer") {
      put<uint64_t>(buf, k, a, hv.printf_buffer);
    } else if (v == "hidden_hostcall_buffer") {
      put<uint64_t>(buf, k, a, hv.hostcall_buffer);
    } else if (v == "hidden_multigrid_sync_arg") {
      put<uint64_t>(buf, k, a, hv.multigrid_sync_arg);
    } else if (v == "hidden_heap_v1") {
      put<uint64_t>(buf, k, a, hv.heap_v1);
    } else if (v == "hidden_default_queue") {
      put<uint64_t>(buf, k, a, hv.default_queue);
    } else if (v == "hidden_completion_action") {
      put<uint64_t>(buf, k, a, hv.completion_action);
    } else if (v == "hidden_none") {
      if (uint64_t(a.offset) + a.size > buf.size())
        throw KernargError(k.name + ": hidden_none at offset " + std::to_string(a.offset) +
                           " lies outside the kernarg segment");
      std::memset(buf.data() + a.offset, 0, a.size);
    } else {
      throw KernargError(k.name + ": hidden argument kind '" + v + "' at offset " + std::to_string(a.offset) +
                         " is not one spork knows how to fill");
    }
  }
}

PackedKernargs pack_kernargs(const Kernel& k, std::span<const ArgValue> args, const LaunchGeometry& g,
                             const HiddenValues& hv) {
  validate_geometry(k, g);
  PackedKernargs out;
  out.bytes.assign(std::max(k.metadata.kernarg_segment_size, k.descriptor.kernarg_size), 0);
  std::vector<const KernelArg*> explicit_args;
  for (const KernelArg& a : k.metadata.args)
    if (!a.hidden()) explicit_args.push_back(&a);
  if (args.size() != explicit_args.size()) {
    std::string sig;
    for (const KernelArg* a : explicit_args)
      sig += (sig.empty() ? "" : ", ") + (a->type_name.empty() ? a->value_kind : a->type_name) +
             (a->name.empty() ? "" : " " + a->name);
    throw KernargError(k.name + " takes " + std::to_string(explicit_args.size()) + " explicit argument(s) (" + sig +
                       "), got " + std::to_string(args.size()));
  }
  // Dynamic LDS goes after the static LDS, each block aligned to its pointee alignment (16 by default).
  uint32_t lds_end = k.descriptor.group_segment_fixed_size;
  for (size_t i = 0; i < args.size(); ++i) {
    const KernelArg& a = *explicit_args[i];
    const ArgValue& v = args[i];
    const std::string who = arg_name(k, a, i);
    if (uint64_t(a.offset) + a.size > out.bytes.size())
      throw KernargError(who + " at offset " + std::to_string(a.offset) +
                         " lies outside the kernarg segment (bad metadata)");
    const std::string& kind = a.value_kind;
    if (is_buffer_kind(kind)) {
      if (v.kind != ArgValue::Kind::Buffer)
        throw KernargError(who + " is a global buffer pointer; got " + v.describe());
      if (a.size != 8) throw KernargError(who + " is a pointer of " + std::to_string(a.size) + " bytes (expected 8)");
      std::memcpy(out.bytes.data() + a.offset, &v.address, 8);
    } else if (kind == "by_value") {
      if (v.kind != ArgValue::Kind::Scalar)
        throw KernargError(who + " is a " + std::to_string(a.size) + "-byte value; got " + v.describe());
      if (v.size != a.size) throw KernargError(who + " is " + std::to_string(a.size) + " bytes; got " + v.describe());
      std::memcpy(out.bytes.data() + a.offset, v.bytes.data(), v.size);
    } else if (kind == "dynamic_shared_pointer") {
      if (v.kind != ArgValue::Kind::Local)
        throw KernargError(who + " is a __local pointer (pass ArgValue::local(bytes)); got " + v.describe());
      if (a.size != 4)
        throw KernargError(who + " is a local pointer of " + std::to_string(a.size) + " bytes (expected 4)");
      const uint32_t align = std::max<uint32_t>(1, a.pointee_align.value_or(16));
      lds_end = (lds_end + align - 1) / align * align;
      std::memcpy(out.bytes.data() + a.offset, &lds_end, 4);  // LDS byte address of the block
      lds_end += v.local_bytes;
    } else {
      throw KernargError(who + " has kind " + kind + ", which spork does not support");
    }
  }
  out.dynamic_lds_bytes = lds_end - k.descriptor.group_segment_fixed_size;
  fill_hidden_args(k, out.bytes, g, out.dynamic_lds_bytes, hv);
  return out;
}

std::array<uint8_t, 64> make_dispatch_packet(const Kernel& k, const LaunchGeometry& g, uint64_t kernel_object,
                                             uint64_t kernarg_address, uint32_t dynamic_lds_bytes) {
  using F = DispatchPacketFields;
  std::array<uint8_t, 64> p{};
  auto w = [&p](size_t off, auto v) { std::memcpy(p.data() + off, &v, sizeof v); };
  const Dim3u bc = g.block_count();
  w(F::header, F::kHeader);
  w(F::setup, uint16_t(g.grid_dims()));
  w(F::workgroup_size_x, uint16_t(g.workgroup.x));
  w(F::workgroup_size_y, uint16_t(g.workgroup.y));
  w(F::workgroup_size_z, uint16_t(g.workgroup.z));
  for (int d = 0; d < 3; ++d) {
    const uint64_t items = uint64_t(bc[d]) * g.workgroup[d];
    if (items > 0xFFFFFFFFull)
      throw KernargError(k.name + ": grid size in work-items overflows 32 bits in dimension " + std::to_string(d));
    w(F::grid_size_x + 4 * size_t(d), uint32_t(items));
  }
  w(F::private_segment_size, k.descriptor.private_segment_fixed_size);
  w(F::group_segment_size, k.descriptor.group_segment_fixed_size + dynamic_lds_bytes);
  w(F::kernel_object, kernel_object);
  w(F::kernarg_address, kernarg_address);
  w(F::completion_signal, uint64_t(0));
  return p;
}

}  // namespace spork
