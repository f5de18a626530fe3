// spork codeobj FILE [--json]: what the loader reads from an amdhsa code object: target,
// code object version, and per kernel the decoded kernel descriptor (every field of
// COMPUTE_PGM_RSRC1/2/3 and kernel_code_properties) and the metadata with its kernarg layout.
// FILE may also name an embedded kernel ("gfx1100/gemm") when no such file exists.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "command.h"
#include "runtime/codeobj.h"
#include "spork_kernels.h"

namespace spork::cli {
namespace {

using nlohmann::ordered_json;

const char* round_mode(uint32_t v) {
  static const char* n[] = {"near_even", "plus_infinity", "minus_infinity", "zero"};
  return n[v & 3];
}
const char* denorm_mode(uint32_t v) {
  static const char* n[] = {"flush_src_dst", "flush_dst", "flush_src", "flush_none"};
  return n[v & 3];
}
const char* workitem_ids(uint32_t v) {
  static const char* n[] = {"x", "x,y", "x,y,z", "undefined"};
  return n[v & 3];
}

// One named field: name, value, and a short explanation. Used by both output forms so
// the text and the JSON always list the same fields.
struct Field {
  const char* name;
  uint64_t value;
  std::string note;
};

std::vector<Field> rsrc1_fields(const KernelDescriptor& d) {
  const PgmRsrc1& r = d.rsrc1;
  return {
      {"GRANULATED_WORKITEM_VGPR_COUNT", r.GRANULATED_WORKITEM_VGPR_COUNT,
       std::to_string(d.allocated_vgprs()) + " VGPRs (granule " + std::to_string(d.vgpr_granule()) + ")"},
      {"GRANULATED_WAVEFRONT_SGPR_COUNT", r.GRANULATED_WAVEFRONT_SGPR_COUNT,
       std::to_string(d.allocated_sgprs()) + " SGPRs (granule 8; gfx10+ hardware ignores it)"},
      {"PRIORITY", r.PRIORITY, ""},
      {"FLOAT_ROUND_MODE_32", r.FLOAT_ROUND_MODE_32, round_mode(r.FLOAT_ROUND_MODE_32)},
      {"FLOAT_ROUND_MODE_16_64", r.FLOAT_ROUND_MODE_16_64, round_mode(r.FLOAT_ROUND_MODE_16_64)},
      {"FLOAT_DENORM_MODE_32", r.FLOAT_DENORM_MODE_32, denorm_mode(r.FLOAT_DENORM_MODE_32)},
      {"FLOAT_DENORM_MODE_16_64", r.FLOAT_DENORM_MODE_16_64, denorm_mode(r.FLOAT_DENORM_MODE_16_64)},
      {"PRIV", r.PRIV, ""},
      {"ENABLE_DX10_CLAMP", r.ENABLE_DX10_CLAMP, ""},
      {"DEBUG_MODE", r.DEBUG_MODE, ""},
      {"ENABLE_IEEE_MODE", r.ENABLE_IEEE_MODE, ""},
      {"BULKY", r.BULKY, ""},
      {"CDBG_USER", r.CDBG_USER, ""},
      {"FP16_OVFL", r.FP16_OVFL, ""},
      {"WGP_MODE", r.WGP_MODE, r.WGP_MODE ? "workgroup processor mode" : "CU mode"},
      {"MEM_ORDERED", r.MEM_ORDERED, ""},
      {"FWD_PROGRESS", r.FWD_PROGRESS, ""},
  };
}

std::vector<Field> rsrc2_fields(const KernelDescriptor& d) {
  const PgmRsrc2& r = d.rsrc2;
  return {
      {"ENABLE_PRIVATE_SEGMENT", r.ENABLE_PRIVATE_SEGMENT, "SCRATCH_EN"},
      {"USER_SGPR_COUNT", r.USER_SGPR_COUNT, "USER_SGPR: SGPRs preloaded before the system SGPRs"},
      {"ENABLE_TRAP_HANDLER", r.ENABLE_TRAP_HANDLER, "TRAP_PRESENT"},
      {"ENABLE_SGPR_WORKGROUP_ID_X", r.ENABLE_SGPR_WORKGROUP_ID_X, "TGID_X_EN"},
      {"ENABLE_SGPR_WORKGROUP_ID_Y", r.ENABLE_SGPR_WORKGROUP_ID_Y, "TGID_Y_EN"},
      {"ENABLE_SGPR_WORKGROUP_ID_Z", r.ENABLE_SGPR_WORKGROUP_ID_Z, "TGID_Z_EN"},
      {"ENABLE_SGPR_WORKGROUP_INFO", r.ENABLE_SGPR_WORKGROUP_INFO, "TG_SIZE_EN"},
      {"ENABLE_VGPR_WORKITEM_ID", r.ENABLE_VGPR_WORKITEM_ID,
       std::string("TIDIG_COMP_CNT: work-item id ") + workitem_ids(r.ENABLE_VGPR_WORKITEM_ID)},
      {"ENABLE_EXCEPTION_ADDRESS_WATCH", r.ENABLE_EXCEPTION_ADDRESS_WATCH, ""},
      {"ENABLE_EXCEPTION_MEMORY", r.ENABLE_EXCEPTION_MEMORY, ""},
      {"GRANULATED_LDS_SIZE", r.GRANULATED_LDS_SIZE,
       "LDS_SIZE; 0 from LLVM, the runtime sets " + std::to_string(d.lds_size_granules()) + " (512-byte granules)"},
      {"ENABLE_EXCEPTION_IEEE_754_FP_INVALID_OPERATION", r.ENABLE_EXCEPTION_IEEE_754_FP_INVALID_OPERATION, ""},
      {"ENABLE_EXCEPTION_FP_DENORMAL_SOURCE", r.ENABLE_EXCEPTION_FP_DENORMAL_SOURCE, ""},
      {"ENABLE_EXCEPTION_IEEE_754_FP_DIVISION_BY_ZERO", r.ENABLE_EXCEPTION_IEEE_754_FP_DIVISION_BY_ZERO, ""},
      {"ENABLE_EXCEPTION_IEEE_754_FP_OVERFLOW", r.ENABLE_EXCEPTION_IEEE_754_FP_OVERFLOW, ""},
      {"ENABLE_EXCEPTION_IEEE_754_FP_UNDERFLOW", r.ENABLE_EXCEPTION_IEEE_754_FP_UNDERFLOW, ""},
      {"ENABLE_EXCEPTION_IEEE_754_FP_INEXACT", r.ENABLE_EXCEPTION_IEEE_754_FP_INEXACT, ""},
      {"ENABLE_EXCEPTION_INT_DIVIDE_BY_ZERO", r.ENABLE_EXCEPTION_INT_DIVIDE_BY_ZERO, ""},
  };
}

std::vector<Field> rsrc3_fields(const KernelDescriptor& d) {
  const PgmRsrc3& r = d.rsrc3;
  return {
      {"SHARED_VGPR_COUNT", r.SHARED_VGPR_COUNT, ""},
      {"INST_PREF_SIZE", r.INST_PREF_SIZE, ""},
      {"TRAP_ON_START", r.TRAP_ON_START, ""},
      {"TRAP_ON_END", r.TRAP_ON_END, ""},
      {"IMAGE_OP", r.IMAGE_OP, ""},
  };
}

std::vector<Field> code_property_fields(const KernelDescriptor& d) {
  return {
      {"ENABLE_SGPR_PRIVATE_SEGMENT_BUFFER", d.enable_sgpr_private_segment_buffer, "4 user SGPRs"},
      {"ENABLE_SGPR_DISPATCH_PTR", d.enable_sgpr_dispatch_ptr, "2 user SGPRs"},
      {"ENABLE_SGPR_QUEUE_PTR", d.enable_sgpr_queue_ptr, "2 user SGPRs"},
      {"ENABLE_SGPR_KERNARG_SEGMENT_PTR", d.enable_sgpr_kernarg_segment_ptr, "2 user SGPRs"},
      {"ENABLE_SGPR_DISPATCH_ID", d.enable_sgpr_dispatch_id, "2 user SGPRs"},
      {"ENABLE_SGPR_FLAT_SCRATCH_INIT", d.enable_sgpr_flat_scratch_init, "2 user SGPRs"},
      {"ENABLE_SGPR_PRIVATE_SEGMENT_SIZE", d.enable_sgpr_private_segment_size, "1 user SGPR"},
      {"ENABLE_WAVEFRONT_SIZE32", d.enable_wavefront_size32, d.enable_wavefront_size32 ? "wave32" : "wave64"},
      {"USES_DYNAMIC_STACK", d.uses_dynamic_stack, ""},
  };
}

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

ordered_json fields_json(uint64_t raw, const std::vector<Field>& fs) {
  ordered_json j;
  j["raw"] = raw;
  for (const Field& f : fs) j[f.name] = f.value;
  return j;
}

ordered_json arg_json(const KernelArg& a) {
  ordered_json j;
  j["offset"] = a.offset;
  j["size"] = a.size;
  j["value_kind"] = a.value_kind;
  j["hidden"] = a.hidden();
  j["name"] = a.name;
  j["type_name"] = a.type_name;
  j["address_space"] = a.address_space;
  j["access"] = a.access;
  j["actual_access"] = a.actual_access;
  j["is_const"] = a.is_const;
  j["is_restrict"] = a.is_restrict;
  j["is_volatile"] = a.is_volatile;
  j["is_pipe"] = a.is_pipe;
  j["pointee_align"] = a.pointee_align ? ordered_json(*a.pointee_align) : ordered_json(nullptr);
  return j;
}

template <typename T>
ordered_json opt_json(const std::optional<T>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json to_json(const CodeObject& co) {
  ordered_json j;
  j["file"] = co.origin();
  j["code_object_version"] = co.code_object_version();
  j["abi_version"] = co.abi_version();
  j["e_flags"] = co.e_flags();
  j["target"] = co.target();
  j["target_id"] = co.target_id();
  j["xnack"] = co.xnack_setting();
  j["sramecc"] = co.sramecc_setting();
  j["metadata_version"] = co.metadata_version();
  j["metadata_target"] = co.metadata_target();
  j["image_size"] = co.image_size();
  ordered_json segs = ordered_json::array();
  for (const Segment& s : co.segments())
    segs.push_back(
        {{"vaddr", s.vaddr}, {"offset", s.offset}, {"filesz", s.filesz}, {"memsz", s.memsz}, {"flags", s.flags}});
  j["segments"] = segs;
  ordered_json rel = ordered_json::array();
  for (const auto& [off, add] : co.relocations()) rel.push_back({{"offset", off}, {"addend", add}});
  j["relocations"] = rel;
  ordered_json ks = ordered_json::array();
  for (const Kernel& k : co.kernels()) {
    const KernelDescriptor& d = k.descriptor;
    const KernelMetadata& m = k.metadata;
    ordered_json kj;
    kj["name"] = k.name;
    kj["descriptor_vaddr"] = k.descriptor_vaddr;
    kj["code_vaddr"] = k.code_vaddr();
    ordered_json dj;
    dj["group_segment_fixed_size"] = d.group_segment_fixed_size;
    dj["private_segment_fixed_size"] = d.private_segment_fixed_size;
    dj["kernarg_size"] = d.kernarg_size;
    dj["kernel_code_entry_byte_offset"] = d.kernel_code_entry_byte_offset;
    dj["compute_pgm_rsrc1"] = fields_json(d.rsrc1.raw, rsrc1_fields(d));
    dj["compute_pgm_rsrc2"] = fields_json(d.rsrc2.raw, rsrc2_fields(d));
    dj["compute_pgm_rsrc3"] = fields_json(d.rsrc3.raw, rsrc3_fields(d));
    dj["kernel_code_properties"] = fields_json(d.kernel_code_properties, code_property_fields(d));
    dj["kernarg_preload"] = {{"length", d.kernarg_preload_spec_length}, {"offset", d.kernarg_preload_spec_offset}};
    dj["wavefront_size"] = d.wavefront_size();
    dj["allocated_vgprs"] = d.allocated_vgprs();
    dj["allocated_sgprs"] = d.allocated_sgprs();
    dj["lds_size_granules"] = d.lds_size_granules();
    kj["descriptor"] = dj;
    ordered_json mj;
    mj["name"] = m.name;
    mj["symbol"] = m.symbol;
    mj["kernarg_segment_size"] = m.kernarg_segment_size;
    mj["kernarg_segment_align"] = m.kernarg_segment_align;
    mj["group_segment_fixed_size"] = m.group_segment_fixed_size;
    mj["private_segment_fixed_size"] = m.private_segment_fixed_size;
    mj["sgpr_count"] = m.sgpr_count;
    mj["vgpr_count"] = m.vgpr_count;
    mj["agpr_count"] = m.agpr_count;
    mj["sgpr_spill_count"] = m.sgpr_spill_count;
    mj["vgpr_spill_count"] = m.vgpr_spill_count;
    mj["wavefront_size"] = m.wavefront_size;
    mj["max_flat_workgroup_size"] = m.max_flat_workgroup_size;
    mj["reqd_workgroup_size"] = opt_json(m.reqd_workgroup_size);
    mj["workgroup_size_hint"] = opt_json(m.workgroup_size_hint);
    mj["uses_dynamic_stack"] = m.uses_dynamic_stack;
    mj["workgroup_processor_mode"] = opt_json(m.workgroup_processor_mode);
    mj["uniform_work_group_size"] = opt_json(m.uniform_work_group_size);
    mj["language"] = m.language;
    mj["language_version"] = m.language_version;
    mj["kind"] = m.kind;
    mj["vec_type_hint"] = m.vec_type_hint;
    mj["device_enqueue_symbol"] = m.device_enqueue_symbol;
    mj["max_num_workgroups"] = {m.max_num_workgroups_x, m.max_num_workgroups_y, m.max_num_workgroups_z};
    ordered_json args = ordered_json::array();
    for (const KernelArg& a : m.args) args.push_back(arg_json(a));
    mj["args"] = args;
    kj["metadata"] = mj;
    ks.push_back(kj);
  }
  j["kernels"] = ks;
  return j;
}

void print_fields(const char* title, uint64_t raw, const std::vector<Field>& fs) {
  std::printf("  %s %s\n", title, hex(raw).c_str());
  for (const Field& f : fs)
    std::printf("    %-46s %4llu%s%s\n", f.name, static_cast<unsigned long long>(f.value), f.note.empty() ? "" : "  ",
                f.note.c_str());
}

std::string arg_flags(const KernelArg& a) {
  std::string s;
  auto add = [&](bool on, const std::string& w) {
    if (on && !w.empty()) s += (s.empty() ? "" : " ") + w;
  };
  add(a.is_const, "const");
  add(a.is_restrict, "restrict");
  add(a.is_volatile, "volatile");
  add(a.is_pipe, "pipe");
  add(!a.access.empty(), "access=" + a.access);
  add(!a.actual_access.empty(), a.actual_access);
  add(a.pointee_align.has_value(), "pointee_align=" + std::to_string(a.pointee_align.value_or(0)));
  return s;
}

void print_text(const CodeObject& co) {
  std::printf("%s: amdhsa code object v%u (EI_ABIVERSION %u), target %s (e_flags %s: xnack %s, sramecc %s)\n",
              co.origin().c_str(), co.code_object_version(), co.abi_version(), co.target_id().c_str(),
              hex(co.e_flags()).c_str(), co.xnack_setting().c_str(), co.sramecc_setting().c_str());
  std::string mv;
  for (uint32_t v : co.metadata_version()) mv += (mv.empty() ? "" : ".") + std::to_string(v);
  std::printf("metadata %s, amdhsa.target %s\n", mv.c_str(), co.metadata_target().c_str());
  std::printf("image %s bytes: %zu PT_LOAD segments, %zu R_AMDGPU_RELATIVE64 relocations, %zu kernel%s\n",
              hex(co.image_size()).c_str(), co.segments().size(), co.relocations().size(), co.kernels().size(),
              co.kernels().size() == 1 ? "" : "s");
  for (const Kernel& k : co.kernels()) {
    const KernelDescriptor& d = k.descriptor;
    const KernelMetadata& m = k.metadata;
    std::printf("\nkernel %s\n", k.name.c_str());
    std::printf("  descriptor %s at %s, code at %s (kernel_code_entry_byte_offset %lld)\n", m.symbol.c_str(),
                hex(k.descriptor_vaddr).c_str(), hex(k.code_vaddr()).c_str(),
                static_cast<long long>(d.kernel_code_entry_byte_offset));
    std::printf("  group_segment_fixed_size   %u  (LDS bytes)\n", d.group_segment_fixed_size);
    std::printf("  private_segment_fixed_size %u  (scratch bytes per work-item)\n", d.private_segment_fixed_size);
    std::printf("  kernarg_size               %u\n", d.kernarg_size);
    std::printf(
        "  USER_SGPR %u, TGID_X/Y/Z %u/%u/%u, TG_SIZE %u, VGPR work-item id %s, wave%u, %u VGPRs allocated "
        "(.vgpr_count %u, .sgpr_count %u), LDS %u bytes, scratch %s\n",
        d.rsrc2.USER_SGPR_COUNT, d.rsrc2.ENABLE_SGPR_WORKGROUP_ID_X, d.rsrc2.ENABLE_SGPR_WORKGROUP_ID_Y,
        d.rsrc2.ENABLE_SGPR_WORKGROUP_ID_Z, d.rsrc2.ENABLE_SGPR_WORKGROUP_INFO,
        workitem_ids(d.rsrc2.ENABLE_VGPR_WORKITEM_ID), d.wavefront_size(), d.allocated_vgprs(), m.vgpr_count,
        m.sgpr_count, d.group_segment_fixed_size, d.rsrc2.ENABLE_PRIVATE_SEGMENT ? "on" : "off");
    print_fields("COMPUTE_PGM_RSRC1", d.rsrc1.raw, rsrc1_fields(d));
    print_fields("COMPUTE_PGM_RSRC2", d.rsrc2.raw, rsrc2_fields(d));
    print_fields("COMPUTE_PGM_RSRC3", d.rsrc3.raw, rsrc3_fields(d));
    print_fields("kernel_code_properties", d.kernel_code_properties, code_property_fields(d));
    std::printf("  kernarg_preload length %u, offset %u\n", d.kernarg_preload_spec_length,
                d.kernarg_preload_spec_offset);
    std::printf("  metadata\n");
    std::printf("    .sgpr_count %u, .vgpr_count %u, .agpr_count %u, .sgpr_spill_count %u, .vgpr_spill_count %u\n",
                m.sgpr_count, m.vgpr_count, m.agpr_count, m.sgpr_spill_count, m.vgpr_spill_count);
    std::printf("    .group_segment_fixed_size %u, .private_segment_fixed_size %u, .uses_dynamic_stack %s\n",
                m.group_segment_fixed_size, m.private_segment_fixed_size, m.uses_dynamic_stack ? "true" : "false");
    std::printf("    .wavefront_size %u, .max_flat_workgroup_size %u", m.wavefront_size, m.max_flat_workgroup_size);
    if (m.reqd_workgroup_size)
      std::printf(", .reqd_workgroup_size %u,%u,%u", (*m.reqd_workgroup_size)[0], (*m.reqd_workgroup_size)[1],
                  (*m.reqd_workgroup_size)[2]);
    if (m.workgroup_size_hint)
      std::printf(", .workgroup_size_hint %u,%u,%u", (*m.workgroup_size_hint)[0], (*m.workgroup_size_hint)[1],
                  (*m.workgroup_size_hint)[2]);
    if (m.workgroup_processor_mode) std::printf(", .workgroup_processor_mode %d", int(*m.workgroup_processor_mode));
    std::printf("\n");
    if (!m.language.empty()) {
      std::string lv;
      for (uint32_t v : m.language_version) lv += (lv.empty() ? " " : ".") + std::to_string(v);
      std::printf("    .language %s%s\n", m.language.c_str(), lv.c_str());
    }
    std::printf("  kernel arguments: .kernarg_segment_size %u, .kernarg_segment_align %u\n", m.kernarg_segment_size,
                m.kernarg_segment_align);
    std::printf("    %6s %4s  %-26s %-10s %-14s %-10s %s\n", "offset", "size", "value_kind", "type", "address_space",
                "name", "flags");
    for (const KernelArg& a : m.args)
      std::printf("    %6u %4u  %-26s %-10s %-14s %-10s %s\n", a.offset, a.size, a.value_kind.c_str(),
                  a.type_name.empty() ? "-" : a.type_name.c_str(),
                  a.address_space.empty() ? "-" : a.address_space.c_str(), a.name.empty() ? "-" : a.name.c_str(),
                  arg_flags(a).c_str());
  }
}

const Registrar reg(20, [](CLI::App& app) {
  auto* cmd =
      app.add_subcommand("codeobj", "Show what an amdhsa code object holds: target, kernel descriptors, metadata");
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("FILE", *file, "code object (.co), or an embedded kernel such as gfx1100/gemm")->required();
  cmd->add_flag("--json", *json, "machine-readable output (stable field names)");
  cmd->callback([file, json] {
    CodeObject co = [&] {
      std::error_code ec;
      if (!std::filesystem::exists(*file, ec)) {
        std::span<const uint8_t> blob = spork::kernels::find(*file);
        if (!blob.empty()) return CodeObject::from_memory(blob, "embedded:" + *file);
        std::string names;
        for (const auto& b : spork::kernels::all()) names += (names.empty() ? "" : ", ") + std::string(b.name);
        throw Exit(1, *file + ": no such file, and no embedded kernel of that name (embedded: " + names + ")");
      }
      return CodeObject::from_file(*file);
    }();
    if (*json)
      std::printf("%s\n", to_json(co).dump(2).c_str());
    else
      print_text(co);
  });
});

}  // namespace
}  // namespace spork::cli
