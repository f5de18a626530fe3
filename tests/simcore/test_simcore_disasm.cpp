// Differential test of the gfx11 decoder: every instruction of every code object the
// build produced (build/**/*.co) is decoded by sim/isa and printed, and the text must
// match llvm-objdump-19 -d (the oracle) after whitespace normalisation.
#include <doctest/doctest.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/isa.h"
#include "sim/shader.h"
#include "sim/shader_impl.h"  // handler registry (test of the core's coverage)

namespace fs = std::filesystem;
using namespace spork::sim;

namespace {
std::string run(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return {};
  std::string out;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  return out;
}
std::string norm(std::string s) {
  std::string r;
  bool sp = false;
  for (char c : s) {
    if (c == ' ' || c == '\t') {
      sp = true;
      continue;
    }
    if (sp && !r.empty()) r += ' ';
    sp = false;
    r += c;
  }
  return r;
}
// Only gfx11 ELF objects: the build also holds code objects for other targets (runtime tests
// build gfx1030 ones) and deliberately broken files, which this decoder is not for.
bool is_gfx11_elf(const fs::path& p) {
  unsigned char h[52] = {};
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(p.c_str(), "rb"), std::fclose);
  if (!f || std::fread(h, 1, sizeof h, f.get()) != sizeof h) return false;
  if (h[0] != 0x7F || h[1] != 'E' || h[2] != 'L' || h[3] != 'F' || h[4] != 2 || h[5] != 1) return false;
  const unsigned machine = h[18] | (h[19] << 8);  // e_machine
  const unsigned mach = h[48];                    // low byte of e_flags: EF_AMDGPU_MACH
  // EM_AMDGPU; gfx1100 0x41, gfx1150 0x43, gfx1103 0x44, gfx1101 0x46, gfx1102 0x47, gfx1151 0x4a.
  return machine == 224 &&
         (mach == 0x41 || mach == 0x43 || mach == 0x44 || mach == 0x46 || mach == 0x47 || mach == 0x4a);
}
std::vector<fs::path> code_objects() {
  std::vector<fs::path> r;
  const fs::path root = SPORK_BINARY_DIR;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec)) continue;
    // Code objects, plus the assembled ISA conformance programs (tests/isa/*.o).
    if (it->path().extension() == ".co" ||
        (it->path().extension() == ".o" && it->path().parent_path().filename() == "isa" &&
         it->path().stem() != "errors"))  // errors.s holds deliberately bad instructions
      if (is_gfx11_elf(it->path())) r.push_back(it->path());
  }
  return r;
}
}  // namespace

TEST_CASE("decoder and disassembler agree with llvm-objdump-19 on every built code object and ISA program") {
  const auto cos = code_objects();
  REQUIRE_MESSAGE(!cos.empty(), "no code objects under " SPORK_BINARY_DIR " (build spork_code_objects first)");

  size_t total = 0, bad = 0, missing = 0;
  spork::sim::Memory mem;
  spork::sim::ShaderCore core(mem);  // registers the handlers
  std::set<std::string> unhandled;
  for (const auto& co : cos) {
    const std::string dis = run(std::string(SPORK_LLVM_OBJDUMP) + " -d '" + co.string() + "' 2>/dev/null");
    std::istringstream in(dis);
    std::string l;
    while (std::getline(in, l)) {
      // "\t<text>  // <address>: <hex words>" (std::regex trips -Wmaybe-uninitialized in libstdc++ 12).
      if (l.empty() || l[0] != '\t') continue;
      const size_t c = l.rfind("// ");
      if (c == std::string::npos) continue;
      const size_t colon = l.find(": ", c);
      if (colon == std::string::npos) continue;
      const std::string addr = l.substr(c + 3, colon - c - 3), words = l.substr(colon + 2);
      if (addr.empty() || addr.find_first_not_of("0123456789ABCDEF") != std::string::npos) continue;
      if (words.find_first_not_of("0123456789ABCDEF \r") != std::string::npos) continue;
      const std::string text = norm(l.substr(1, c - 1));
      if (text == "s_code_end") continue;  // padding, checked once below
      std::vector<uint8_t> bytes;
      std::istringstream ws(words);
      std::string w;
      while (ws >> w) {
        const uint32_t v = static_cast<uint32_t>(std::stoul(w, nullptr, 16));
        for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
      }
      const uint64_t pc = std::stoull(addr, nullptr, 16);
      isa::Inst inst;
      std::string err;
      ++total;
      const bool ok = isa::decode(bytes.data(), bytes.size(), pc, inst, &err);
      std::string mine = ok ? norm(isa::disassemble(inst)) : "<decode error: " + err + ">";
      // In relocatable objects llvm-objdump names branch targets by their label.
      const auto sp = text.find(' ');
      if (ok && (text.rfind("s_branch ", 0) == 0 || text.rfind("s_cbranch_", 0) == 0) && sp != std::string::npos &&
          !(std::isdigit(static_cast<unsigned char>(text[sp + 1])) || text[sp + 1] == '-'))
        mine = mine.substr(0, mine.find(' ')) + text.substr(sp);
      if (ok) {
        // The core must have a handler for every instruction clang emitted.
        for (const char* n : {inst.info ? inst.info->name : nullptr,
                              inst.enc == isa::Enc::VOPD && inst.infoy ? inst.infoy->name : nullptr}) {
          if (!n) continue;
          std::string name = n;
          if (name.rfind("v_dual_", 0) == 0) name = "v_" + name.substr(7);
          if (name.size() > 4 && (name.ends_with("_e32") || name.ends_with("_e64"))) name.resize(name.size() - 4);
          if (!spork::sim::detail::find_handler(name) && unhandled.insert(name).second) {
            ++missing;
            MESSAGE(co.filename().string() << ": no shader-core handler for " << name);
          }
        }
      }
      if (!ok || mine != text || inst.size != bytes.size()) {
        if (++bad <= 40)
          MESSAGE(co.filename().string() << " @" << addr << ": objdump '" << text << "' vs ours '" << mine << "' (size "
                                         << int(inst.size) << " vs " << bytes.size() << ")");
      }
    }
  }
  MESSAGE("compared " << total << " instructions from " << cos.size() << " code objects");
  CHECK(total > 100);
  CHECK(bad == 0);
  CHECK(missing == 0);
  // s_code_end itself.
  const uint8_t code_end[4] = {0x00, 0x00, 0x9F, 0xBF};
  isa::Inst inst;
  REQUIRE(isa::decode(code_end, 4, 0, inst));
  CHECK(isa::disassemble(inst) == "s_code_end");
}
