// `spork codeobj` end to end: the built binary's text and JSON output against
// llvm-readelf-19 (metadata: register counts, LDS, kernarg layout), llvm-objdump-19
// (TGID enables) and clang -S (USER_SGPR), and its errors for bad input.
#include <doctest/doctest.h>
#include <elf.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "codeobj_test_util.h"
#include "runtime/codeobj.h"

using namespace cotest;
using nlohmann::json;

namespace {

const std::string kSpork = SPORK_BIN;

std::string q(const std::string& s) { return "'" + s + "'"; }

BuiltObject gemm_object() {
  for (const BuiltObject& b : built_objects())
    if (b.path.size() > 20 && b.path.compare(b.path.size() - 20, 20, "/kernels/gfx1100/gemm.co") == 0) return b;
  for (const BuiltObject& b : built_objects())
    if (b.path.find("/gemm.co") != std::string::npos) return b;
  throw std::runtime_error("gemm.co is not among the built code objects");
}

// The value after `label` on the first output line that contains it, as a number.
long long after(const std::string& out, const std::string& label) {
  for (const std::string& l : lines(out)) {
    size_t p = l.find(label);
    if (p == std::string::npos) continue;
    std::istringstream in(l.substr(p + label.size()));
    std::string v;
    in >> v;
    while (!v.empty() && (v.back() == ',' || v.back() == ')')) v.pop_back();
    return std::stoll(v, nullptr, 0);
  }
  throw std::runtime_error("no '" + label + "' in the output");
}

}  // namespace

TEST_CASE("spork codeobj prints what llvm-readelf, llvm-objdump and clang say (gemm)") {
  BuiltObject b = gemm_object();
  RunResult r = run(kSpork + " codeobj " + q(b.path));
  INFO("spork codeobj output:\n" << r.out);
  REQUIRE(r.status == 0);
  const std::string& out = r.out;

  Yaml md = readelf_metadata(run(std::string(SPORK_LLVM_READELF) + " --notes " + q(b.path)).out);
  const Yaml& k = md.get("amdhsa.kernels")->list.at(0);
  CHECK(out.find("kernel " + k.str(".name")) != std::string::npos);
  // The metadata line, then the summary line (which also states the granulated allocation).
  CHECK(after(out, "    .sgpr_count ") == std::stoll(k.str(".sgpr_count")));
  CHECK(after(out, ", .vgpr_count ") == std::stoll(k.str(".vgpr_count")));
  CHECK(after(out, ", .sgpr_count ") == std::stoll(k.str(".sgpr_count")));
  CHECK(after(out, "(.vgpr_count ") == std::stoll(k.str(".vgpr_count")));
  CHECK(after(out, "group_segment_fixed_size ") == std::stoll(k.str(".group_segment_fixed_size")));
  CHECK(after(out, "private_segment_fixed_size ") == std::stoll(k.str(".private_segment_fixed_size")));
  CHECK(after(out, "kernarg_size ") == std::stoll(k.str(".kernarg_segment_size")));
  CHECK(after(out, ".kernarg_segment_size ") == std::stoll(k.str(".kernarg_segment_size")));
  CHECK(after(out, ", LDS ") == std::stoll(k.str(".group_segment_fixed_size")));

  // Kernarg table rows: offset, size, value_kind (and type) in readelf's order.
  std::vector<std::vector<std::string>> rows;
  bool in_table = false;
  for (const std::string& l : lines(out)) {
    std::istringstream in(l);
    std::vector<std::string> w;
    for (std::string s; in >> s;) w.push_back(s);
    if (!w.empty() && w[0] == "offset") {
      in_table = true;
      continue;
    }
    if (in_table && w.size() >= 3 && std::isdigit(static_cast<unsigned char>(w[0][0]))) rows.push_back(w);
  }
  const Yaml* args = k.get(".args");
  REQUIRE(args);
  REQUIRE(rows.size() == args->list.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    INFO("argument " << i);
    CHECK(rows[i][0] == args->list[i].str(".offset"));
    CHECK(rows[i][1] == args->list[i].str(".size"));
    CHECK(rows[i][2] == args->list[i].str(".value_kind"));
    CHECK(rows[i][3] == args->list[i].str(".type_name"));
  }

  // TGID enables and the VGPR work-item id from llvm-objdump's decode of the descriptor
  // (the SGPR granule LLVM 19's disassembler refuses is cleared in a copy first).
  spork::CodeObject co = spork::CodeObject::from_file(b.path);
  std::vector<uint8_t> bytes = read_bytes(b.path);
  const spork::Kernel& kern = co.kernels().at(0);
  for (const spork::Segment& s : co.segments())
    if (kern.descriptor_vaddr >= s.vaddr && kern.descriptor_vaddr + 64 <= s.vaddr + s.filesz) {
      size_t rsrc1 = s.offset + (kern.descriptor_vaddr - s.vaddr) + 48;  // bits 9:6
      bytes[rsrc1] &= 0x3f;
      bytes[rsrc1 + 1] &= 0xfc;
    }
  std::string patched =
      (std::filesystem::temp_directory_path() / ("spork_cli_gemm_" + std::to_string(getpid()) + ".co")).string();
  write_bytes(patched, bytes);
  RunResult od =
      run(std::string(SPORK_LLVM_OBJDUMP) + " -D --disassemble-symbols=" + kern.metadata.symbol + " " + q(patched));
  std::filesystem::remove(patched);
  Directives d = amdhsa_directives(od.out);
  REQUIRE(d.count(kern.name));
  auto& dk = d[kern.name];
  CHECK(after(out, "ENABLE_SGPR_WORKGROUP_ID_X ") == dk.at(".amdhsa_system_sgpr_workgroup_id_x"));
  CHECK(after(out, "ENABLE_SGPR_WORKGROUP_ID_Y ") == dk.at(".amdhsa_system_sgpr_workgroup_id_y"));
  CHECK(after(out, "ENABLE_SGPR_WORKGROUP_ID_Z ") == dk.at(".amdhsa_system_sgpr_workgroup_id_z"));
  CHECK(after(out, "ENABLE_SGPR_WORKGROUP_INFO ") == dk.at(".amdhsa_system_sgpr_workgroup_info"));
  CHECK(after(out, "ENABLE_VGPR_WORKITEM_ID ") == dk.at(".amdhsa_system_vgpr_workitem_id"));
  CHECK(after(out, "ENABLE_WAVEFRONT_SIZE32 ") == dk.at(".amdhsa_wavefront_size32"));
  CHECK(after(out, "ENABLE_SGPR_KERNARG_SEGMENT_PTR ") == dk.at(".amdhsa_user_sgpr_kernarg_segment_ptr"));
  CHECK(after(out, "FLOAT_DENORM_MODE_32 ") == dk.at(".amdhsa_float_denorm_mode_32"));
  CHECK(after(out, "WGP_MODE ") == dk.at(".amdhsa_workgroup_processor_mode"));
  // Allocated VGPRs (granule count) as objdump states them.
  CHECK(out.find(std::to_string(dk.at(".amdhsa_next_free_vgpr")) + " VGPRs") != std::string::npos);

  // USER_SGPR count from the compiler's own directives.
  REQUIRE(!b.source.empty());
  RunResult cs = run(std::string(SPORK_CLANG) + " -x cl -cl-std=CL2.0 --target=amdgcn-amd-amdhsa -nogpulib " + b.flags +
                     " -S " + q(b.source) + " -o -");
  REQUIRE(cs.status == 0);
  Directives cd = amdhsa_directives(cs.out);
  CHECK(after(out, "USER_SGPR_COUNT ") == cd.at(kern.name).at(".amdhsa_user_sgpr_count"));
  CHECK(after(out, "USER_SGPR ") == cd.at(kern.name).at(".amdhsa_user_sgpr_count"));
  CHECK(out.find("target gfx1100") != std::string::npos);
  CHECK(out.find("code object v5") != std::string::npos);
}

TEST_CASE("spork codeobj --json agrees with the loader and llvm-readelf for every built object") {
  for (const BuiltObject& b : built_objects()) {
    INFO(b.path);
    RunResult r = run(kSpork + " codeobj --json " + q(b.path));
    REQUIRE(r.status == 0);
    json j = json::parse(r.out);
    spork::CodeObject co = spork::CodeObject::from_file(b.path);
    CHECK(j["code_object_version"] == co.code_object_version());
    CHECK(j["target"] == co.target());
    CHECK(j["e_flags"] == co.e_flags());
    REQUIRE(j["kernels"].size() == co.kernels().size());
    Yaml md = readelf_metadata(run(std::string(SPORK_LLVM_READELF) + " --notes " + q(b.path)).out);
    const Yaml* ks = md.get("amdhsa.kernels");
    REQUIRE(ks);
    for (size_t i = 0; i < co.kernels().size(); ++i) {
      const json& jk = j["kernels"][i];
      const Yaml& yk = ks->list.at(i);
      const spork::Kernel& k = co.kernels()[i];
      CHECK(jk["name"] == yk.str(".name"));
      CHECK(jk["metadata"]["sgpr_count"] == std::stoull(yk.str(".sgpr_count")));
      CHECK(jk["metadata"]["vgpr_count"] == std::stoull(yk.str(".vgpr_count")));
      CHECK(jk["descriptor"]["group_segment_fixed_size"] == std::stoull(yk.str(".group_segment_fixed_size")));
      CHECK(jk["descriptor"]["private_segment_fixed_size"] == std::stoull(yk.str(".private_segment_fixed_size")));
      CHECK(jk["descriptor"]["kernarg_size"] == std::stoull(yk.str(".kernarg_segment_size")));
      CHECK(jk["descriptor"]["compute_pgm_rsrc1"]["raw"] == k.descriptor.rsrc1.raw);
      CHECK(jk["descriptor"]["compute_pgm_rsrc2"]["raw"] == k.descriptor.rsrc2.raw);
      CHECK(jk["descriptor"]["compute_pgm_rsrc2"]["USER_SGPR_COUNT"] == k.descriptor.rsrc2.USER_SGPR_COUNT);
      CHECK(jk["descriptor"]["compute_pgm_rsrc2"]["ENABLE_SGPR_WORKGROUP_ID_X"] ==
            k.descriptor.rsrc2.ENABLE_SGPR_WORKGROUP_ID_X);
      CHECK(jk["descriptor"]["kernel_code_properties"]["raw"] == k.descriptor.kernel_code_properties);
      CHECK(jk["code_vaddr"] == k.code_vaddr());
      const Yaml* args = yk.get(".args");
      size_t n = args ? args->list.size() : 0;
      REQUIRE(jk["metadata"]["args"].size() == n);
      for (size_t a = 0; a < n; ++a) {
        const json& ja = jk["metadata"]["args"][a];
        CHECK(ja["offset"] == std::stoull(args->list[a].str(".offset")));
        CHECK(ja["size"] == std::stoull(args->list[a].str(".size")));
        CHECK(ja["value_kind"] == args->list[a].str(".value_kind"));
        CHECK(ja["address_space"] == args->list[a].str(".address_space"));
      }
    }
  }
}

TEST_CASE("spork codeobj: embedded kernels, help and errors") {
  BuiltObject b = gemm_object();
  SUBCASE("an embedded kernel by name gives the same kernels as the file") {
    RunResult file = run(kSpork + " codeobj --json " + q(b.path));
    RunResult emb = run(kSpork + " codeobj --json gfx1100/gemm");
    REQUIRE(file.status == 0);
    REQUIRE(emb.status == 0);
    CHECK(json::parse(file.out)["kernels"] == json::parse(emb.out)["kernels"]);
  }
  SUBCASE("a bad file exits non-zero with the loader's message") {
    std::vector<uint8_t> bytes = read_bytes(b.path);
    bytes[EI_ABIVERSION] = 4;  // code object v6
    std::string path =
        (std::filesystem::temp_directory_path() / ("spork_cli_bad_" + std::to_string(getpid()) + ".co")).string();
    write_bytes(path, bytes);
    std::string want;
    try {
      spork::CodeObject::from_file(path);
    } catch (const spork::CodeObjectError& e) {
      want = e.what();
    }
    RunResult r = run(kSpork + " codeobj " + q(path), true);
    std::filesystem::remove(path);
    INFO(r.out);
    CHECK(r.status != 0);
    REQUIRE(!want.empty());
    CHECK(r.out.find(want) != std::string::npos);
    CHECK(r.out.find("v6") != std::string::npos);
  }
  SUBCASE("a missing file exits non-zero and says so") {
    RunResult r = run(kSpork + " codeobj /nonexistent/none.co", true);
    CHECK(r.status != 0);
    CHECK(r.out.find("/nonexistent/none.co") != std::string::npos);
    CHECK(r.out.find("no such file") != std::string::npos);
  }
  SUBCASE("--help and bad flags") {
    RunResult h = run(kSpork + " codeobj --help", true);
    CHECK(h.status == 0);
    CHECK(h.out.find("--json") != std::string::npos);
    RunResult bad = run(kSpork + " codeobj --bogus " + q(b.path), true);
    CHECK(bad.status != 0);
    RunResult none = run(kSpork + " codeobj", true);
    CHECK(none.status != 0);
  }
}
