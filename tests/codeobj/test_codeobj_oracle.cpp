// The loader against independent oracles, for every code object the project builds:
//  - llvm-readelf-19: ELF header (ABI version, e_flags target), symbols (.kd and code
//    addresses), program headers and relocations (load_image), the metadata note (YAML);
//  - llvm-objdump-19: the kernel descriptor disassembled into .amdhsa_* directives;
//  - clang-19 -S on the same source and flags: the compiler's own .amdhsa_* directives,
//    which include what objdump does not print (USER_SGPR count, next_free_sgpr).
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <set>

#include "codeobj_test_util.h"
#include "runtime/codeobj.h"

using namespace cotest;
using spork::CodeObject;
using spork::Kernel;
using spork::KernelDescriptor;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

unsigned long long num(const std::string& s) { return std::stoull(s, nullptr, 0); }

// Compares one .amdhsa_* directive (or objdump "; FIELD" comment) with the decoded
// descriptor. Returns false for a directive this test does not know, so a new field
// in LLVM's output shows up as a failure instead of being skipped silently.
bool check_directive(const Kernel& k, const std::string& d, long long v, const std::string& who) {
  const KernelDescriptor& kd = k.descriptor;
  INFO(who << " kernel " << k.name << " directive " << d << " = " << v);
  auto eq = [&](long long want) { CHECK(v == want); };
  static const std::map<std::string, uint32_t spork::PgmRsrc1::*> r1 = {
      {".amdhsa_float_round_mode_32", &spork::PgmRsrc1::FLOAT_ROUND_MODE_32},
      {".amdhsa_float_round_mode_16_64", &spork::PgmRsrc1::FLOAT_ROUND_MODE_16_64},
      {".amdhsa_float_denorm_mode_32", &spork::PgmRsrc1::FLOAT_DENORM_MODE_32},
      {".amdhsa_float_denorm_mode_16_64", &spork::PgmRsrc1::FLOAT_DENORM_MODE_16_64},
      {".amdhsa_dx10_clamp", &spork::PgmRsrc1::ENABLE_DX10_CLAMP},
      {".amdhsa_ieee_mode", &spork::PgmRsrc1::ENABLE_IEEE_MODE},
      {".amdhsa_fp16_overflow", &spork::PgmRsrc1::FP16_OVFL},
      {".amdhsa_workgroup_processor_mode", &spork::PgmRsrc1::WGP_MODE},
      {".amdhsa_memory_ordered", &spork::PgmRsrc1::MEM_ORDERED},
      {".amdhsa_forward_progress", &spork::PgmRsrc1::FWD_PROGRESS},
  };
  static const std::map<std::string, uint32_t spork::PgmRsrc2::*> r2 = {
      {".amdhsa_enable_private_segment", &spork::PgmRsrc2::ENABLE_PRIVATE_SEGMENT},
      {".amdhsa_system_sgpr_private_segment_wavefront_offset", &spork::PgmRsrc2::ENABLE_PRIVATE_SEGMENT},
      {".amdhsa_user_sgpr_count", &spork::PgmRsrc2::USER_SGPR_COUNT},
      {".amdhsa_system_sgpr_workgroup_id_x", &spork::PgmRsrc2::ENABLE_SGPR_WORKGROUP_ID_X},
      {".amdhsa_system_sgpr_workgroup_id_y", &spork::PgmRsrc2::ENABLE_SGPR_WORKGROUP_ID_Y},
      {".amdhsa_system_sgpr_workgroup_id_z", &spork::PgmRsrc2::ENABLE_SGPR_WORKGROUP_ID_Z},
      {".amdhsa_system_sgpr_workgroup_info", &spork::PgmRsrc2::ENABLE_SGPR_WORKGROUP_INFO},
      {".amdhsa_system_vgpr_workitem_id", &spork::PgmRsrc2::ENABLE_VGPR_WORKITEM_ID},
      {".amdhsa_exception_fp_ieee_invalid_op", &spork::PgmRsrc2::ENABLE_EXCEPTION_IEEE_754_FP_INVALID_OPERATION},
      {".amdhsa_exception_fp_denorm_src", &spork::PgmRsrc2::ENABLE_EXCEPTION_FP_DENORMAL_SOURCE},
      {".amdhsa_exception_fp_ieee_div_zero", &spork::PgmRsrc2::ENABLE_EXCEPTION_IEEE_754_FP_DIVISION_BY_ZERO},
      {".amdhsa_exception_fp_ieee_overflow", &spork::PgmRsrc2::ENABLE_EXCEPTION_IEEE_754_FP_OVERFLOW},
      {".amdhsa_exception_fp_ieee_underflow", &spork::PgmRsrc2::ENABLE_EXCEPTION_IEEE_754_FP_UNDERFLOW},
      {".amdhsa_exception_fp_ieee_inexact", &spork::PgmRsrc2::ENABLE_EXCEPTION_IEEE_754_FP_INEXACT},
      {".amdhsa_exception_int_div_zero", &spork::PgmRsrc2::ENABLE_EXCEPTION_INT_DIVIDE_BY_ZERO},
  };
  static const std::map<std::string, uint32_t spork::PgmRsrc3::*> r3 = {
      {".amdhsa_shared_vgpr_count", &spork::PgmRsrc3::SHARED_VGPR_COUNT},
      {".amdhsa_inst_pref_size", &spork::PgmRsrc3::INST_PREF_SIZE},
      {"; SHARED_VGPR_COUNT", &spork::PgmRsrc3::SHARED_VGPR_COUNT},
      {"; INST_PREF_SIZE", &spork::PgmRsrc3::INST_PREF_SIZE},
      {"; TRAP_ON_START", &spork::PgmRsrc3::TRAP_ON_START},
      {"; TRAP_ON_END", &spork::PgmRsrc3::TRAP_ON_END},
      {"; IMAGE_OP", &spork::PgmRsrc3::IMAGE_OP},
  };
  static const std::map<std::string, bool KernelDescriptor::*> kcp = {
      {".amdhsa_user_sgpr_private_segment_buffer", &KernelDescriptor::enable_sgpr_private_segment_buffer},
      {".amdhsa_user_sgpr_dispatch_ptr", &KernelDescriptor::enable_sgpr_dispatch_ptr},
      {".amdhsa_user_sgpr_queue_ptr", &KernelDescriptor::enable_sgpr_queue_ptr},
      {".amdhsa_user_sgpr_kernarg_segment_ptr", &KernelDescriptor::enable_sgpr_kernarg_segment_ptr},
      {".amdhsa_user_sgpr_dispatch_id", &KernelDescriptor::enable_sgpr_dispatch_id},
      {".amdhsa_user_sgpr_flat_scratch_init", &KernelDescriptor::enable_sgpr_flat_scratch_init},
      {".amdhsa_user_sgpr_private_segment_size", &KernelDescriptor::enable_sgpr_private_segment_size},
      {".amdhsa_wavefront_size32", &KernelDescriptor::enable_wavefront_size32},
      {".amdhsa_uses_dynamic_stack", &KernelDescriptor::uses_dynamic_stack},
  };
  if (auto it = r1.find(d); it != r1.end()) return eq(kd.rsrc1.*(it->second)), true;
  if (auto it = r2.find(d); it != r2.end()) return eq(kd.rsrc2.*(it->second)), true;
  if (auto it = r3.find(d); it != r3.end()) return eq(kd.rsrc3.*(it->second)), true;
  if (auto it = kcp.find(d); it != kcp.end()) return eq(kd.*(it->second) ? 1 : 0), true;
  if (d == ".amdhsa_group_segment_fixed_size") return eq(kd.group_segment_fixed_size), true;
  if (d == ".amdhsa_private_segment_fixed_size") return eq(kd.private_segment_fixed_size), true;
  if (d == ".amdhsa_kernarg_size") return eq(kd.kernarg_size), true;
  if (d == ".amdhsa_user_sgpr_kernarg_preload_length") return eq(kd.kernarg_preload_spec_length), true;
  if (d == ".amdhsa_user_sgpr_kernarg_preload_offset") return eq(kd.kernarg_preload_spec_offset), true;
  if (d == ".amdhsa_next_free_vgpr") {
    // The granulated count covers next_free_vgpr rounded up to the granule (8 in wave32).
    long long g = kd.vgpr_granule(), want = ((std::max(v, 1LL) + g - 1) / g) * g;
    CHECK(kd.allocated_vgprs() == want);
    return true;
  }
  // SGPR bookkeeping is checked as a whole in check_sgprs; objdump's copy is patched.
  if (d == ".amdhsa_next_free_sgpr" || d == ".amdhsa_reserve_vcc" || d == ".amdhsa_reserve_xnack_mask" ||
      d == ".amdhsa_reserve_flat_scratch")
    return true;
  return false;
}

// From clang's directives: SGPRs used = next_free_sgpr + VCC (2) when reserved; LLVM 19
// writes ceil(SGPRs / 8) - 1 into GRANULATED_WAVEFRONT_SGPR_COUNT even on gfx10+, and the
// metadata's .sgpr_count is the same total.
void check_sgprs(const Kernel& k, const std::map<std::string, long long>& d) {
  INFO("kernel " << k.name);
  REQUIRE(d.count(".amdhsa_next_free_sgpr"));
  long long sgprs = d.at(".amdhsa_next_free_sgpr");
  if (d.count(".amdhsa_reserve_vcc") && d.at(".amdhsa_reserve_vcc")) sgprs += 2;
  CHECK(k.metadata.sgpr_count == sgprs);
  CHECK(k.descriptor.rsrc1.GRANULATED_WAVEFRONT_SGPR_COUNT == (std::max(sgprs, 1LL) + 7) / 8 - 1);
}

void check_directives(const CodeObject& co, const Directives& dirs, const std::string& who) {
  for (const Kernel& k : co.kernels()) {
    INFO(who << ": kernel " << k.name);
    REQUIRE(dirs.count(k.name));
    for (const auto& [d, v] : dirs.at(k.name)) {
      INFO("directive " << d);
      CHECK(check_directive(k, d, v, who));
    }
  }
  CHECK(dirs.size() == co.kernels().size());
}

void check_metadata(const CodeObject& co, const Yaml& md) {
  REQUIRE(md.kind == Yaml::Map);
  const Yaml* ver = md.get("amdhsa.version");
  REQUIRE(ver);
  REQUIRE(ver->list.size() == co.metadata_version().size());
  for (size_t i = 0; i < ver->list.size(); ++i) CHECK(num(ver->list[i].value) == co.metadata_version()[i]);
  CHECK(md.str("amdhsa.target") == co.metadata_target());
  const Yaml* ks = md.get("amdhsa.kernels");
  REQUIRE(ks);
  REQUIRE(ks->list.size() == co.kernels().size());
  static const std::set<std::string> kernel_keys = {".args",
                                                    ".name",
                                                    ".symbol",
                                                    ".kernarg_segment_size",
                                                    ".kernarg_segment_align",
                                                    ".group_segment_fixed_size",
                                                    ".private_segment_fixed_size",
                                                    ".sgpr_count",
                                                    ".vgpr_count",
                                                    ".agpr_count",
                                                    ".sgpr_spill_count",
                                                    ".vgpr_spill_count",
                                                    ".wavefront_size",
                                                    ".max_flat_workgroup_size",
                                                    ".reqd_workgroup_size",
                                                    ".workgroup_size_hint",
                                                    ".uses_dynamic_stack",
                                                    ".language",
                                                    ".language_version",
                                                    ".workgroup_processor_mode",
                                                    ".uniform_work_group_size",
                                                    ".kind",
                                                    ".vec_type_hint",
                                                    ".device_enqueue_symbol",
                                                    ".max_num_workgroups_x",
                                                    ".max_num_workgroups_y",
                                                    ".max_num_workgroups_z"};
  static const std::set<std::string> arg_keys = {
      ".name",          ".type_name", ".offset",      ".size",        ".value_kind", ".address_space", ".access",
      ".actual_access", ".is_const",  ".is_restrict", ".is_volatile", ".is_pipe",    ".pointee_align", ".value_type"};
  for (size_t i = 0; i < ks->list.size(); ++i) {
    const Yaml& y = ks->list[i];
    const Kernel& k = co.kernels()[i];
    const spork::KernelMetadata& m = k.metadata;
    INFO(co.origin() << " kernel " << y.str(".name"));
    for (const auto& [key, v] : y.map) {
      INFO("metadata key " << key);
      CHECK(kernel_keys.count(key));
    }
    CHECK(y.str(".name") == m.name);
    CHECK(k.name == m.name);
    CHECK(y.str(".symbol") == m.symbol);
    auto u = [&](const char* key, uint32_t got) {
      INFO(key);
      if (y.get(key))
        CHECK(num(y.str(key)) == got);
      else
        CHECK(got == 0);
    };
    u(".kernarg_segment_size", m.kernarg_segment_size);
    u(".kernarg_segment_align", m.kernarg_segment_align);
    u(".group_segment_fixed_size", m.group_segment_fixed_size);
    u(".private_segment_fixed_size", m.private_segment_fixed_size);
    u(".sgpr_count", m.sgpr_count);
    u(".vgpr_count", m.vgpr_count);
    u(".agpr_count", m.agpr_count);
    u(".sgpr_spill_count", m.sgpr_spill_count);
    u(".vgpr_spill_count", m.vgpr_spill_count);
    u(".wavefront_size", m.wavefront_size);
    u(".max_flat_workgroup_size", m.max_flat_workgroup_size);
    u(".max_num_workgroups_x", m.max_num_workgroups_x);
    u(".max_num_workgroups_y", m.max_num_workgroups_y);
    u(".max_num_workgroups_z", m.max_num_workgroups_z);
    auto dim3 = [&](const char* key, const std::optional<std::array<uint32_t, 3>>& got) {
      INFO(key);
      const Yaml* d = y.get(key);
      REQUIRE(bool(d) == got.has_value());
      if (d) {
        REQUIRE(d->list.size() == 3);
        for (int j = 0; j < 3; ++j) CHECK(num(d->list[j].value) == (*got)[j]);
      }
    };
    dim3(".reqd_workgroup_size", m.reqd_workgroup_size);
    dim3(".workgroup_size_hint", m.workgroup_size_hint);
    auto boolean = [&](const char* key, std::optional<bool> got) {
      INFO(key);
      const Yaml* d = y.get(key);
      REQUIRE(bool(d) == got.has_value());
      if (d) CHECK((d->value == "true" || d->value == "1") == *got);
    };
    boolean(".uses_dynamic_stack",
            y.get(".uses_dynamic_stack") ? std::optional<bool>(m.uses_dynamic_stack) : std::nullopt);
    boolean(".workgroup_processor_mode", m.workgroup_processor_mode);
    boolean(".uniform_work_group_size", m.uniform_work_group_size);
    CHECK(y.str(".language") == m.language);
    CHECK(y.str(".kind") == m.kind);
    CHECK(y.str(".vec_type_hint") == m.vec_type_hint);
    CHECK(y.str(".device_enqueue_symbol") == m.device_enqueue_symbol);
    if (const Yaml* lv = y.get(".language_version")) {
      REQUIRE(lv->list.size() == m.language_version.size());
      for (size_t j = 0; j < lv->list.size(); ++j) CHECK(num(lv->list[j].value) == m.language_version[j]);
    }
    // The descriptor agrees with the metadata where both state a fact.
    CHECK(k.descriptor.kernarg_size == m.kernarg_segment_size);
    CHECK(k.descriptor.group_segment_fixed_size == m.group_segment_fixed_size);
    CHECK(k.descriptor.private_segment_fixed_size == m.private_segment_fixed_size);
    CHECK(k.descriptor.wavefront_size() == m.wavefront_size);
    CHECK(k.descriptor.allocated_vgprs() >= m.vgpr_count);
    CHECK(k.descriptor.uses_dynamic_stack == m.uses_dynamic_stack);

    const Yaml* args = y.get(".args");
    size_t nargs = args ? args->list.size() : 0;
    REQUIRE(nargs == m.args.size());
    for (size_t j = 0; j < nargs; ++j) {
      const Yaml& ya = args->list[j];
      const spork::KernelArg& a = m.args[j];
      INFO("argument " << j << " " << ya.str(".value_kind"));
      for (const auto& [key, v] : ya.map) {
        INFO("argument key " << key);
        CHECK(arg_keys.count(key));
      }
      CHECK(num(ya.str(".offset")) == a.offset);
      CHECK(num(ya.str(".size")) == a.size);
      CHECK(ya.str(".value_kind") == a.value_kind);
      CHECK(ya.str(".type_name") == a.type_name);
      CHECK(ya.str(".name") == a.name);
      CHECK(ya.str(".address_space") == a.address_space);
      CHECK(ya.str(".access") == a.access);
      CHECK(ya.str(".actual_access") == a.actual_access);
      CHECK((ya.str(".is_const") == "true") == a.is_const);
      CHECK((ya.str(".is_restrict") == "true") == a.is_restrict);
      CHECK((ya.str(".is_volatile") == "true") == a.is_volatile);
      CHECK((ya.str(".is_pipe") == "true") == a.is_pipe);
      CHECK(bool(ya.get(".pointee_align")) == a.pointee_align.has_value());
      if (a.pointee_align) CHECK(num(ya.str(".pointee_align")) == *a.pointee_align);
      CHECK(a.hidden() == (a.value_kind.rfind("hidden_", 0) == 0));
    }
  }
}

std::vector<std::string> words(const std::string& l) {
  std::istringstream in(l);
  std::vector<std::string> w;
  std::string s;
  while (in >> s) w.push_back(s);
  return w;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() / ("spork_codeobj_oracle_" + std::to_string(getpid()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

void check_object(const BuiltObject& b, const std::filesystem::path& tmp) {
  INFO("code object " << b.path);
  CodeObject co = CodeObject::from_file(b.path);
  REQUIRE(!co.kernels().empty());
  const std::string readelf = SPORK_LLVM_READELF, objdump = SPORK_LLVM_OBJDUMP;

  // ---- ELF header: version and target ----
  RunResult h = run(readelf + " --file-headers " + q(b.path));
  REQUIRE(h.status == 0);
  bool saw_abi = false, saw_flags = false;
  for (const std::string& l : lines(h.out)) {
    std::string t = trim(l);
    if (t.rfind("ABI Version:", 0) == 0) {
      saw_abi = true;
      unsigned abi = unsigned(num(trim(t.substr(12))));
      CHECK(abi == co.abi_version());
      CHECK(co.code_object_version() == abi + 2);
    } else if (t.rfind("Flags:", 0) == 0) {
      saw_flags = true;
      std::string rest = trim(t.substr(6));
      size_t comma = rest.find(',');
      CHECK(num(rest.substr(0, comma)) == co.e_flags());
      std::string name = trim(rest.substr(comma + 1));
      CHECK(name.substr(0, name.find(',')) == co.target());
    } else if (t.rfind("Machine:", 0) == 0) {
      CHECK(t.find("EM_AMDGPU") != std::string::npos);
    } else if (t.rfind("OS/ABI:", 0) == 0) {
      CHECK(t.find("AMDGPU - HSA") != std::string::npos);
    }
  }
  CHECK(saw_abi);
  CHECK(saw_flags);

  // ---- symbols: descriptor and code addresses ----
  RunResult s = run(readelf + " --symbols " + q(b.path));
  REQUIRE(s.status == 0);
  std::map<std::string, uint64_t> kds, funcs;
  bool in_dynsym = false;
  for (const std::string& l : lines(s.out)) {
    if (l.find("Symbol table '") != std::string::npos) in_dynsym = l.find("'.dynsym'") != std::string::npos;
    std::vector<std::string> w = words(l);
    if (!in_dynsym || w.size() < 8) continue;
    if (w[3] == "OBJECT" && w[7].size() > 3 && w[7].substr(w[7].size() - 3) == ".kd") kds[w[7]] = num("0x" + w[1]);
    if (w[3] == "FUNC") funcs[w[7]] = num("0x" + w[1]);
  }
  CHECK(kds.size() == co.kernels().size());
  for (const Kernel& k : co.kernels()) {
    INFO("kernel " << k.name);
    REQUIRE(kds.count(k.metadata.symbol));
    CHECK(k.metadata.symbol == k.name + ".kd");
    CHECK(k.descriptor_vaddr == kds[k.metadata.symbol]);
    REQUIRE(funcs.count(k.name));
    CHECK(k.code_vaddr() == funcs[k.name]);
    CHECK(k.descriptor.raw.size() == 64);
  }

  // ---- metadata note ----
  RunResult n = run(readelf + " --notes " + q(b.path));
  REQUIRE(n.status == 0);
  check_metadata(co, readelf_metadata(n.out));

  // ---- load_image against program headers and relocations ----
  RunResult pl = run(readelf + " --program-headers --relocations " + q(b.path));
  REQUIRE(pl.status == 0);
  const std::vector<uint8_t> file = read_bytes(b.path);
  const uint64_t base = 0x123456789000ull;
  const std::vector<uint8_t> image = co.load_image(base);
  CHECK(image.size() == co.image_size());
  size_t loads = 0, relocs = 0;
  std::vector<bool> relocated(image.size());
  for (const std::string& l : lines(pl.out)) {
    std::vector<std::string> w = words(l);
    // "Offset Info Type [Symbol's Value  Symbol's Name +] Addend": no symbol for RELATIVE64.
    if (w.size() == 4 && w[2] == "R_AMDGPU_RELATIVE64") {
      uint64_t off = num("0x" + w[0]), addend = num("0x" + w[3]);
      REQUIRE(off + 8 <= image.size());
      uint64_t got;
      std::memcpy(&got, image.data() + off, 8);
      CHECK(got == base + addend);
      for (int i = 0; i < 8; ++i) relocated[off + i] = true;
      ++relocs;
    }
  }
  for (const std::string& l : lines(pl.out)) {
    std::vector<std::string> w = words(l);
    if (w.size() < 7 || w[0] != "LOAD") continue;
    uint64_t off = num(w[1]), va = num(w[2]), fsz = num(w[4]), msz = num(w[5]);
    REQUIRE(loads < co.segments().size());
    const spork::Segment& sg = co.segments()[loads++];
    CHECK(sg.offset == off);
    CHECK(sg.vaddr == va);
    CHECK(sg.filesz == fsz);
    CHECK(sg.memsz == msz);
    REQUIRE(va + msz <= image.size());
    size_t bad = 0;
    for (uint64_t i = 0; i < msz; ++i) {
      uint8_t want = i < fsz ? file[off + i] : 0;
      if (!relocated[va + i] && image[va + i] != want) ++bad;
    }
    CHECK(bad == 0);
  }
  CHECK(loads == co.segments().size());
  CHECK(relocs == co.relocations().size());
  for (const Kernel& k : co.kernels())  // the descriptor as placed in the image
    CHECK(std::memcmp(image.data() + k.descriptor_vaddr, k.descriptor.raw.data(), 64) == 0);

  // ---- llvm-objdump: descriptors as .amdhsa_* directives ----
  // LLVM 19's disassembler rejects the GRANULATED_WAVEFRONT_SGPR_COUNT that LLVM 19's
  // compiler writes for gfx10+ ("reserved bits ... must be zero"), so it decodes a copy
  // with that field cleared; the field itself is checked against clang's directives.
  std::vector<uint8_t> patched = file;
  std::string syms;
  for (const Kernel& k : co.kernels()) {
    syms += (syms.empty() ? "" : ",") + k.metadata.symbol;
    for (const spork::Segment& sg : co.segments())
      if (k.descriptor_vaddr >= sg.vaddr && k.descriptor_vaddr + 64 <= sg.vaddr + sg.filesz) {
        uint64_t at = sg.offset + (k.descriptor_vaddr - sg.vaddr) + 48;
        uint32_t r1;
        std::memcpy(&r1, &patched[at], 4);
        r1 &= ~(0xfu << 6);
        std::memcpy(&patched[at], &r1, 4);
      }
  }
  std::string pfile = (tmp / (std::filesystem::path(b.path).filename().string() + ".patched")).string();
  write_bytes(pfile, patched);
  RunResult od = run(objdump + " -D --disassemble-symbols=" + syms + " " + q(pfile), true);
  REQUIRE(od.status == 0);
  INFO("llvm-objdump output:\n" << od.out);
  CHECK(od.out.find("error decoding") == std::string::npos);
  check_directives(co, amdhsa_directives(od.out), "llvm-objdump");

  // ---- clang -S: the compiler's own directives ----
  if (!b.source.empty()) {
    RunResult cs = run(std::string(SPORK_CLANG) + " -x cl -cl-std=CL2.0 --target=amdgcn-amd-amdhsa -nogpulib " +
                       b.flags + " -S " + q(b.source) + " -o -");
    REQUIRE(cs.status == 0);
    Directives d = amdhsa_directives(cs.out);
    check_directives(co, d, "clang -S");
    for (const Kernel& k : co.kernels()) {
      CHECK(d[k.name].count(".amdhsa_user_sgpr_count"));  // USER_SGPR is compared
      check_sgprs(k, d[k.name]);
    }
  }
}

}  // namespace

TEST_CASE("every built code object matches llvm-readelf, llvm-objdump and clang -S") {
  std::vector<BuiltObject> objs = built_objects();
  REQUIRE(objs.size() >= 3);
  TempDir tmp;
  size_t with_source = 0, v4 = 0, hidden = 0, dispatch_ptr = 0, scratch = 0, lds = 0, relocs = 0;
  for (const BuiltObject& b : objs) {
    check_object(b, tmp.path);
    CodeObject co = CodeObject::from_file(b.path);
    with_source += !b.source.empty();
    v4 += co.code_object_version() == 4;
    relocs += !co.relocations().empty();
    for (const Kernel& k : co.kernels()) {
      for (const auto& a : k.metadata.args) hidden += a.hidden();
      dispatch_ptr += k.descriptor.enable_sgpr_dispatch_ptr;
      scratch += k.descriptor.rsrc2.ENABLE_PRIVATE_SEGMENT && k.descriptor.private_segment_fixed_size > 0;
      lds += k.descriptor.group_segment_fixed_size > 0;
    }
  }
  // The test kernels must exercise what they are there for.
  CHECK(with_source == objs.size());
  CHECK(v4 > 0);
  CHECK(hidden > 0);
  CHECK(dispatch_ptr > 0);
  CHECK(scratch > 0);
  CHECK(lds > 0);
  CHECK(relocs > 0);
}

TEST_CASE("code object v4 and v5 carry their own hidden arguments") {
  for (const BuiltObject& b : built_objects()) {
    if (b.path.find("/probe") == std::string::npos) continue;
    CodeObject co = CodeObject::from_file(b.path);
    const spork::KernelMetadata& m = co.kernel("probe_ids").metadata;
    INFO(b.path);
    if (co.code_object_version() == 5) {
      // v5: hidden_block_count_x at the start of the implicit arguments.
      REQUIRE(m.find_arg("hidden_block_count_x"));
      CHECK(m.find_arg("hidden_group_size_x"));
      CHECK(m.find_arg("hidden_block_count_x")->offset % 8 == 0);
    } else {
      CHECK(co.code_object_version() == 4);
      CHECK(m.find_arg("hidden_global_offset_x"));
      CHECK_FALSE(m.find_arg("hidden_block_count_x"));
    }
    const spork::KernelMetadata& pa = co.kernel("probe_args").metadata;
    REQUIRE(pa.args.size() >= 9);
    CHECK(pa.args[8].value_kind == "dynamic_shared_pointer");
    CHECK(pa.args[8].address_space == "local");
    CHECK(pa.args[7].address_space == "constant");
    CHECK(pa.args[6].size == 16);  // int4
    CHECK(pa.args[1].size == 1);   // char
    CHECK(co.kernel("probe_dispatch").descriptor.enable_sgpr_dispatch_ptr);
  }
}

TEST_CASE("kernel(name) names the kernels it has") {
  CodeObject co = CodeObject::from_file(built_objects().front().path);
  try {
    co.kernel("no_such_kernel");
    FAIL("kernel() did not throw");
  } catch (const spork::CodeObjectError& e) {
    std::string msg = e.what();
    CHECK(msg.find("no_such_kernel") != std::string::npos);
    CHECK(msg.find(co.kernels().front().name) != std::string::npos);
  }
  CHECK(co.find("no_such_kernel") == nullptr);
  CHECK(co.find(co.kernels().front().name) == &co.kernels().front());
}

// Fields the compiler leaves at their defaults get exercised here: llvm-mc-19 assembles
// kernels whose .amdhsa_* directives carry random values (fixed seed), with metadata that
// names every argument value kind the loader knows (llvm-mc verifies the metadata too).
TEST_CASE("descriptors assembled by llvm-mc with random field values decode to those values") {
  std::mt19937 rng(20261124);
  auto r = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const std::vector<std::string> kinds = {"by_value",
                                          "global_buffer",
                                          "dynamic_shared_pointer",
                                          "hidden_global_offset_x",
                                          "hidden_global_offset_y",
                                          "hidden_global_offset_z",
                                          "hidden_none",
                                          "hidden_printf_buffer",
                                          "hidden_hostcall_buffer",
                                          "hidden_default_queue",
                                          "hidden_completion_action",
                                          "hidden_multigrid_sync_arg",
                                          "hidden_heap_v1",
                                          "hidden_block_count_x",
                                          "hidden_block_count_y",
                                          "hidden_block_count_z",
                                          "hidden_group_size_x",
                                          "hidden_group_size_y",
                                          "hidden_group_size_z",
                                          "hidden_remainder_x",
                                          "hidden_remainder_y",
                                          "hidden_remainder_z",
                                          "hidden_grid_dims",
                                          "hidden_private_base",
                                          "hidden_shared_base",
                                          "hidden_queue_ptr",
                                          "hidden_dynamic_lds_size"};
  struct Spec {
    std::string name;
    std::map<std::string, int> d;                   // directive -> value
    std::vector<std::pair<std::string, int>> args;  // value_kind, size
  };
  const int kKernels = 12;
  std::vector<Spec> specs;
  std::string text = "\t.amdgcn_target \"amdgcn-amd-amdhsa--gfx1100\"\n\t.amdhsa_code_object_version 5\n";
  std::string meta = "---\namdhsa.kernels:\n";
  size_t next_kind = 0;
  for (int i = 0; i < kKernels; ++i) {
    Spec sp;
    sp.name = "k" + std::to_string(i);
    auto& d = sp.d;
    d[".amdhsa_user_sgpr_dispatch_ptr"] = r(0, 1);
    d[".amdhsa_user_sgpr_queue_ptr"] = r(0, 1);
    d[".amdhsa_user_sgpr_kernarg_segment_ptr"] = r(0, 1);
    d[".amdhsa_user_sgpr_dispatch_id"] = r(0, 1);
    d[".amdhsa_user_sgpr_private_segment_size"] = r(0, 1);
    int implied = 2 * (d[".amdhsa_user_sgpr_dispatch_ptr"] + d[".amdhsa_user_sgpr_queue_ptr"] +
                       d[".amdhsa_user_sgpr_kernarg_segment_ptr"] + d[".amdhsa_user_sgpr_dispatch_id"]) +
                  d[".amdhsa_user_sgpr_private_segment_size"];
    d[".amdhsa_user_sgpr_count"] = r(implied, 16);
    d[".amdhsa_wavefront_size32"] = r(0, 1);
    d[".amdhsa_uses_dynamic_stack"] = r(0, 1);
    d[".amdhsa_enable_private_segment"] = r(0, 1);
    d[".amdhsa_system_sgpr_workgroup_id_x"] = r(0, 1);
    d[".amdhsa_system_sgpr_workgroup_id_y"] = r(0, 1);
    d[".amdhsa_system_sgpr_workgroup_id_z"] = r(0, 1);
    d[".amdhsa_system_sgpr_workgroup_info"] = r(0, 1);
    d[".amdhsa_system_vgpr_workitem_id"] = r(0, 2);
    d[".amdhsa_next_free_vgpr"] = r(1, 200);
    d[".amdhsa_next_free_sgpr"] = r(0, 100);
    d[".amdhsa_reserve_vcc"] = r(0, 1);
    for (const char* f : {".amdhsa_float_round_mode_32", ".amdhsa_float_round_mode_16_64",
                          ".amdhsa_float_denorm_mode_32", ".amdhsa_float_denorm_mode_16_64"})
      d[f] = r(0, 3);
    for (const char* f :
         {".amdhsa_dx10_clamp", ".amdhsa_ieee_mode", ".amdhsa_fp16_overflow", ".amdhsa_workgroup_processor_mode",
          ".amdhsa_memory_ordered", ".amdhsa_forward_progress", ".amdhsa_exception_fp_ieee_invalid_op",
          ".amdhsa_exception_fp_denorm_src", ".amdhsa_exception_fp_ieee_div_zero", ".amdhsa_exception_fp_ieee_overflow",
          ".amdhsa_exception_fp_ieee_underflow", ".amdhsa_exception_fp_ieee_inexact", ".amdhsa_exception_int_div_zero"})
      d[f] = r(0, 1);
    if (!d[".amdhsa_wavefront_size32"]) d[".amdhsa_shared_vgpr_count"] = r(0, 3);
    d[".amdhsa_group_segment_fixed_size"] = r(0, 65536);
    d[".amdhsa_private_segment_fixed_size"] = r(0, 4096);
    // Arguments: a few explicit ones, then hidden kinds in turn so every kind appears.
    int offset = 0;
    for (int a = 0, n = r(1, 6); a < n; ++a) {
      std::string kind = kinds[next_kind++ % kinds.size()];
      int size = kind == "by_value" ? 4
                 : kind.find("_size_") != std::string::npos || kind.find("remainder") != std::string::npos ||
                         kind == "hidden_grid_dims"
                     ? 2
                 : kind.find("block_count") != std::string::npos || kind == "hidden_dynamic_lds_size" ? 4
                                                                                                      : 8;
      offset = (offset + size - 1) / size * size;
      sp.args.emplace_back(kind, size);
      meta += std::string(a == 0 ? "  - .args:\n" : "") + "      - .offset: " + std::to_string(offset) +
              "\n        .size: " + std::to_string(size) + "\n        .value_kind: " + kind + "\n";
      if (kind == "global_buffer" || kind == "dynamic_shared_pointer")
        meta += std::string("        .address_space: ") + (kind == "global_buffer" ? "global" : "local") + "\n";
      offset += size;
    }
    int kernarg = (offset + 7) / 8 * 8;
    d[".amdhsa_kernarg_size"] = kernarg;
    int wave = d[".amdhsa_wavefront_size32"] ? 32 : 64;
    meta += "    .group_segment_fixed_size: " + std::to_string(d[".amdhsa_group_segment_fixed_size"]) +
            "\n    .kernarg_segment_align: 8\n    .kernarg_segment_size: " + std::to_string(kernarg) +
            "\n    .max_flat_workgroup_size: 256\n    .name: " + sp.name +
            "\n    .private_segment_fixed_size: " + std::to_string(d[".amdhsa_private_segment_fixed_size"]) +
            "\n    .sgpr_count: " + std::to_string(d[".amdhsa_next_free_sgpr"]) + "\n    .symbol: " + sp.name +
            ".kd\n    .vgpr_count: " + std::to_string(d[".amdhsa_next_free_vgpr"]) +
            "\n    .wavefront_size: " + std::to_string(wave) + "\n";
    text += "\t.text\n\t.globl " + sp.name + "\n\t.p2align 8\n\t.type " + sp.name + ",@function\n" + sp.name +
            ":\n\ts_endpgm\n\t.rodata\n\t.p2align 6\n\t.amdhsa_kernel " + sp.name + "\n";
    for (const auto& [k, v] : d) text += "\t\t" + k + " " + std::to_string(v) + "\n";
    text += "\t.end_amdhsa_kernel\n";
    specs.push_back(sp);
  }
  meta += "amdhsa.target: amdgcn-amd-amdhsa--gfx1100\namdhsa.version:\n  - 1\n  - 2\n...\n";
  text += "\t.text\n\t.amdgpu_metadata\n" + meta + "\t.end_amdgpu_metadata\n";
  REQUIRE(next_kind >= kinds.size());  // every value kind is in the metadata

  TempDir tmp;
  std::string s = (tmp.path / "mc.s").string(), o = (tmp.path / "mc.o").string(),
              co_path = (tmp.path / "mc.co").string();
  write_bytes(s, std::vector<uint8_t>(text.begin(), text.end()));
  RunResult mc =
      run(std::string(SPORK_LLVM_MC) + " -triple=amdgcn-amd-amdhsa -mcpu=gfx1100 -filetype=obj " + q(s) + " -o " + q(o),
          true);
  INFO("llvm-mc: " << mc.out);
  REQUIRE(mc.status == 0);
  REQUIRE(run(std::string(SPORK_LLD) + " -shared " + q(o) + " -o " + q(co_path), true).status == 0);
  CodeObject co = CodeObject::from_file(co_path);
  REQUIRE(co.kernels().size() == specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const Spec& sp = specs[i];
    const Kernel& k = co.kernel(sp.name);
    for (const auto& [dname, v] : sp.d) {
      INFO("kernel " << sp.name << " " << dname);
      if (dname == ".amdhsa_next_free_sgpr" || dname == ".amdhsa_reserve_vcc") continue;  // gfx10+: not encoded
      CHECK(check_directive(k, dname, v, "llvm-mc input"));
    }
    REQUIRE(k.metadata.args.size() == sp.args.size());
    for (size_t a = 0; a < sp.args.size(); ++a) {
      CHECK(k.metadata.args[a].value_kind == sp.args[a].first);
      CHECK(k.metadata.args[a].size == uint32_t(sp.args[a].second));
    }
  }
  // And llvm-objdump's reading of the same bytes.
  std::string syms;
  for (const Spec& sp : specs) syms += (syms.empty() ? "" : ",") + sp.name + ".kd";
  RunResult od = run(std::string(SPORK_LLVM_OBJDUMP) + " -D --disassemble-symbols=" + syms + " " + q(co_path), true);
  REQUIRE(od.status == 0);
  CHECK(od.out.find("error decoding") == std::string::npos);
  check_directives(co, amdhsa_directives(od.out), "llvm-objdump (llvm-mc object)");
}

TEST_CASE("target features from e_flags") {
  std::vector<uint8_t> b = read_bytes(built_objects().front().path);
  uint32_t flags;
  std::memcpy(&flags, &b[48], 4);  // e_flags
  REQUIRE((flags & 0xff) == 0x41);
  CHECK(spork::amdgpu_mach_name(0x41) == "gfx1100");
  CHECK(spork::amdgpu_mach_name(0x36) == "gfx1030");
  CHECK(spork::amdgpu_mach_name(0x48) == "gfx1200");
  CHECK(spork::amdgpu_mach_name(0x4e) == "gfx1201");
  CHECK(spork::amdgpu_mach_name(0x3f) == "gfx90a");
  CHECK(spork::amdgpu_mach_name(0).empty());
  struct Case {
    uint32_t bits;
    const char *xnack, *sramecc, *id;
  };
  for (Case c :
       {Case{0x000, "unsupported", "unsupported", "gfx1100"}, Case{0x100, "any", "unsupported", "gfx1100"},
        Case{0x300, "on", "unsupported", "gfx1100:xnack+"}, Case{0x200, "off", "unsupported", "gfx1100:xnack-"},
        Case{0xe00, "off", "on", "gfx1100:sramecc+:xnack-"}, Case{0x900, "any", "off", "gfx1100:sramecc-"}}) {
    uint32_t f = 0x41 | c.bits;
    std::memcpy(&b[48], &f, 4);
    CodeObject co = CodeObject::from_memory(b);
    INFO(c.id);
    CHECK(co.target() == "gfx1100");
    CHECK(co.xnack_setting() == c.xnack);
    CHECK(co.sramecc_setting() == c.sramecc);
    CHECK(co.target_id() == c.id);
    CHECK(co.xnack_on() == (std::string(c.xnack) == "on"));
    CHECK(co.sramecc_on() == (std::string(c.sramecc) == "on"));
  }
}
