// Malformed code objects: targeted corruptions with the message each must produce, every
// truncation of a real object, and many randomly mutated copies. Whatever the input, the
// loader either loads it or throws CodeObjectError with a message; it never crashes, reads
// out of bounds (the suite runs under ASan in CI) or throws anything else.
#include <doctest/doctest.h>
#include <elf.h>

#include <cstring>
#include <functional>
#include <random>

#include "codeobj_test_util.h"
#include "runtime/codeobj.h"

using namespace cotest;
using spork::CodeObject;
using spork::CodeObjectError;
using Bytes = std::vector<uint8_t>;

namespace {

std::string load_error(const Bytes& b) {
  try {
    CodeObject co = CodeObject::from_memory(b, "test.co");
    (void)co.load_image(0x100000000ull);
    return "";
  } catch (const CodeObjectError& e) {
    return e.what();
  }
}

// Throws CodeObjectError whose message contains every one of `parts`.
void check_rejected(const Bytes& b, std::initializer_list<std::string> parts) {
  std::string msg = load_error(b);
  INFO("message: " << msg);
  REQUIRE(!msg.empty());
  for (const std::string& p : parts) CHECK(msg.find(p) != std::string::npos);
}

std::string object_path(const std::string& tail) {
  for (const BuiltObject& b : built_objects())
    if (b.path.size() >= tail.size() && b.path.compare(b.path.size() - tail.size(), tail.size(), tail) == 0)
      return b.path;
  throw std::runtime_error("no built code object ends in " + tail);
}

// Minimal ELF64 access for building corrupt copies (the test's own, independent of the loader).
Elf64_Ehdr ehdr(const Bytes& b) {
  Elf64_Ehdr h;
  std::memcpy(&h, b.data(), sizeof h);
  return h;
}
std::vector<Elf64_Shdr> shdrs(const Bytes& b) {
  Elf64_Ehdr h = ehdr(b);
  std::vector<Elf64_Shdr> v(h.e_shnum);
  std::memcpy(v.data(), b.data() + h.e_shoff, v.size() * sizeof(Elf64_Shdr));
  return v;
}
std::string section_name(const Bytes& b, const Elf64_Shdr& s) {
  Elf64_Ehdr h = ehdr(b);
  const Elf64_Shdr str = shdrs(b)[h.e_shstrndx];
  return reinterpret_cast<const char*>(b.data() + str.sh_offset + s.sh_name);
}
Elf64_Shdr section(const Bytes& b, const std::string& name) {
  for (const Elf64_Shdr& s : shdrs(b))
    if (section_name(b, s) == name) return s;
  throw std::runtime_error("no section " + name);
}
// Calls f(symbol entry file offset, name) for every symbol of .dynsym and .symtab.
void for_each_symbol(const Bytes& b, const std::function<void(size_t, const std::string&)>& f) {
  std::vector<Elf64_Shdr> ss = shdrs(b);
  for (const Elf64_Shdr& s : ss) {
    if (s.sh_type != SHT_DYNSYM && s.sh_type != SHT_SYMTAB) continue;
    const Elf64_Shdr& str = ss[s.sh_link];
    for (size_t off = s.sh_offset; off + sizeof(Elf64_Sym) <= s.sh_offset + s.sh_size; off += sizeof(Elf64_Sym)) {
      Elf64_Sym sym;
      std::memcpy(&sym, b.data() + off, sizeof sym);
      f(off, reinterpret_cast<const char*>(b.data() + str.sh_offset + sym.st_name));
    }
  }
}
size_t descriptor_file_offset(const Bytes& b, const std::string& kernel) {
  CodeObject co = CodeObject::from_memory(b);
  const spork::Kernel& k = co.kernel(kernel);
  for (const spork::Segment& s : co.segments())
    if (k.descriptor_vaddr >= s.vaddr && k.descriptor_vaddr < s.vaddr + s.filesz)
      return s.offset + (k.descriptor_vaddr - s.vaddr);
  throw std::runtime_error("descriptor not in file");
}
// File offset of the NT_AMDGPU_METADATA payload (the msgpack bytes) and its size.
std::pair<size_t, size_t> metadata_payload(const Bytes& b) {
  Elf64_Shdr s = section(b, ".note");
  size_t off = s.sh_offset;
  while (off + 12 <= s.sh_offset + s.sh_size) {
    uint32_t namesz, descsz, type;
    std::memcpy(&namesz, &b[off], 4);
    std::memcpy(&descsz, &b[off + 4], 4);
    std::memcpy(&type, &b[off + 8], 4);
    size_t name_at = off + 12, desc_at = name_at + ((namesz + 3) & ~3u);
    if (type == 32) return {desc_at, descsz};
    off = desc_at + ((descsz + 3) & ~3u);
  }
  throw std::runtime_error("no metadata note");
}

}  // namespace

TEST_CASE("the test's base objects load") {
  for (const BuiltObject& b : built_objects()) {
    INFO(b.path);
    CHECK(load_error(read_bytes(b.path)) == "");
  }
}

TEST_CASE("targeted corruptions give messages that name the problem") {
  const Bytes gemm = read_bytes(object_path("kernels/gfx1100/gemm.co"));

  SUBCASE("empty") { check_rejected({}, {"empty"}); }
  SUBCASE("not ELF") {
    Bytes b = gemm;
    b[1] = 'X';
    check_rejected(b, {"not an ELF"});
  }
  SUBCASE("truncated header") { check_rejected(Bytes(gemm.begin(), gemm.begin() + 40), {"truncated"}); }
  SUBCASE("wrong class") {
    Bytes b = gemm;
    b[EI_CLASS] = ELFCLASS32;
    check_rejected(b, {"ELFCLASS32"});
  }
  SUBCASE("big endian") {
    Bytes b = gemm;
    b[EI_DATA] = ELFDATA2MSB;
    check_rejected(b, {"endian"});
  }
  SUBCASE("wrong OS ABI") {
    Bytes b = gemm;
    b[EI_OSABI] = 65;
    check_rejected(b, {"OS/ABI 65", "PAL"});
  }
  SUBCASE("code object versions other than v4 and v5 name the version") {
    for (auto [abi, name] : {std::pair{0, "v2"}, {1, "v3"}, {4, "v6"}}) {
      Bytes b = gemm;
      b[EI_ABIVERSION] = uint8_t(abi);
      check_rejected(b, {std::string("code object ") + name, "EI_ABIVERSION " + std::to_string(abi)});
    }
    Bytes b = gemm;
    b[EI_ABIVERSION] = 200;
    check_rejected(b, {"unknown code object version"});
  }
  SUBCASE("wrong e_machine") {
    Bytes b = gemm;
    uint16_t x86 = EM_X86_64;
    std::memcpy(&b[offsetof(Elf64_Ehdr, e_machine)], &x86, 2);
    check_rejected(b, {"e_machine 62", "EM_AMDGPU"});
  }
  SUBCASE("relocatable object") {
    Bytes b = gemm;
    uint16_t rel = ET_REL;
    std::memcpy(&b[offsetof(Elf64_Ehdr, e_type)], &rel, 2);
    check_rejected(b, {"ET_REL", "ld.lld"});
  }
  SUBCASE("unknown GPU") {
    Bytes b = gemm;
    b[offsetof(Elf64_Ehdr, e_flags)] = 0xfe;
    check_rejected(b, {"EF_AMDGPU_MACH 0xfe"});
  }
  SUBCASE("section headers past the end") {
    Bytes b = gemm;
    uint64_t off = b.size() - 10;
    std::memcpy(&b[offsetof(Elf64_Ehdr, e_shoff)], &off, 8);
    check_rejected(b, {"section headers"});
  }
  SUBCASE("corrupted note: bad msgpack") {
    Bytes b = gemm;
    auto [at, size] = metadata_payload(b);
    REQUIRE(size > 16);
    b[at] = 0xc1;  // a byte msgpack never uses
    check_rejected(b, {"NT_AMDGPU_METADATA", "bad msgpack"});
  }
  SUBCASE("corrupted note: huge array length") {
    Bytes b = gemm;
    auto [at, size] = metadata_payload(b);
    const uint8_t huge[] = {0xdd, 0xff, 0xff, 0xff, 0xf0};  // array32 of 4 billion entries
    std::memcpy(&b[at], huge, sizeof huge);
    check_rejected(b, {"bad msgpack"});
  }
  SUBCASE("corrupted note: not a map") {
    Bytes b = gemm;
    auto [at, size] = metadata_payload(b);
    b[at] = 0x90;  // an empty array
    check_rejected(b, {"not a map"});
  }
  SUBCASE("corrupted note: wrong type of a field") {
    Bytes b = gemm;
    auto [at, size] = metadata_payload(b);
    // ".sgpr_count" followed by a positive fixint: make the value a string of length 0.
    std::string key = ".sgpr_count";
    auto it = std::search(b.begin() + at, b.begin() + at + size, key.begin(), key.end());
    REQUIRE(it != b.begin() + at + size);
    size_t v = size_t(it - b.begin()) + key.size();
    REQUIRE(b[v] < 0x80);
    b[v] = 0xa0;
    check_rejected(b, {"kernel 'gemm'", ".sgpr_count", "unsigned"});
  }
  SUBCASE("no metadata note") {
    Bytes b = gemm;
    auto [at, size] = metadata_payload(b);
    uint32_t type = 7;
    std::memcpy(&b[at - 8 - 4], &type, 4);  // n_type sits before the 8-byte "AMDGPU\0\0" name
    check_rejected(b, {"no NT_AMDGPU_METADATA"});
  }
  SUBCASE("kernel without .kd symbol") {
    Bytes b = gemm;
    for (const char* sec : {".dynstr", ".strtab"}) {
      Elf64_Shdr s = section(b, sec);
      std::string want = "gemm.kd";
      auto it = std::search(b.begin() + s.sh_offset, b.begin() + s.sh_offset + s.sh_size, want.begin(), want.end());
      REQUIRE(it != b.begin() + s.sh_offset + s.sh_size);
      it[6] = 'x';  // gemm.kx
    }
    check_rejected(b, {"kernel 'gemm'", "gemm.kd", "missing"});
  }
  SUBCASE("descriptor symbol without metadata") {
    Bytes b = gemm;
    auto [at, size] = metadata_payload(b);
    std::string want = "gemm.kd";
    auto it = std::search(b.begin() + at, b.begin() + at + size, want.begin(), want.end());
    REQUIRE(it != b.begin() + at + size);
    it[6] = 'x';  // the metadata now names gemm.kx
    check_rejected(b, {"gemm.kx", "missing"});
  }
  SUBCASE("descriptor out of bounds") {
    Bytes b = gemm;
    for_each_symbol(b, [&](size_t off, const std::string& name) {
      if (name != "gemm.kd") return;
      uint64_t far = 0x7fffffc0;
      std::memcpy(&b[off + offsetof(Elf64_Sym, st_value)], &far, 8);
    });
    check_rejected(b, {"gemm.kd", "outside"});
  }
  SUBCASE("descriptor of the wrong size") {
    Bytes b = gemm;
    for_each_symbol(b, [&](size_t off, const std::string& name) {
      if (name != "gemm.kd") return;
      uint64_t sz = 32;
      std::memcpy(&b[off + offsetof(Elf64_Sym, st_size)], &sz, 8);
    });
    check_rejected(b, {"gemm.kd", "32 bytes"});
  }
  SUBCASE("code entry outside the code") {
    for (int64_t bad : {int64_t(1) << 40, -(int64_t(1) << 40), INT64_MIN, int64_t(0), int64_t(8)}) {
      Bytes b = gemm;
      size_t kd = descriptor_file_offset(b, "gemm");
      std::memcpy(&b[kd + 16], &bad, 8);
      check_rejected(b, {"gemm", "code entry"});
    }
  }
  SUBCASE("metadata and descriptor disagree") {
    Bytes b = gemm;
    size_t kd = descriptor_file_offset(b, "gemm");
    b[kd + 8] ^= 0x10;  // kernarg_size
    check_rejected(b, {"kernarg_size"});
  }
  SUBCASE("segment beyond the file") {
    Bytes b = gemm;
    Elf64_Ehdr h = ehdr(b);
    for (int i = 0; i < h.e_phnum; ++i) {
      Elf64_Phdr ph;
      size_t at = h.e_phoff + i * sizeof ph;
      std::memcpy(&ph, &b[at], sizeof ph);
      if (ph.p_type != PT_LOAD) continue;
      ph.p_filesz = b.size() + 1;
      ph.p_memsz = b.size() + 1;
      std::memcpy(&b[at], &ph, sizeof ph);
      break;
    }
    check_rejected(b, {"PT_LOAD", "outside the file"});
  }
  SUBCASE("huge segment") {
    Bytes b = gemm;
    Elf64_Ehdr h = ehdr(b);
    for (int i = 0; i < h.e_phnum; ++i) {
      Elf64_Phdr ph;
      size_t at = h.e_phoff + i * sizeof ph;
      std::memcpy(&ph, &b[at], sizeof ph);
      if (ph.p_type != PT_LOAD) continue;
      ph.p_memsz = uint64_t(1) << 40;
      std::memcpy(&b[at], &ph, sizeof ph);
      break;
    }
    check_rejected(b, {"PT_LOAD", "MiB"});
  }
  SUBCASE("unsupported relocation type") {
    Bytes b = read_bytes(object_path("test/gfx1100/reloc.co"));
    Elf64_Shdr s = section(b, ".rela.dyn");
    Elf64_Rela r;
    std::memcpy(&r, &b[s.sh_offset], sizeof r);
    REQUIRE(ELF64_R_TYPE(r.r_info) == 13);
    r.r_info = ELF64_R_INFO(0, 3);  // R_AMDGPU_ABS64
    std::memcpy(&b[s.sh_offset], &r, sizeof r);
    check_rejected(b, {"relocation", "type 3", "R_AMDGPU_RELATIVE64"});
  }
  SUBCASE("relocation outside the image") {
    Bytes b = read_bytes(object_path("test/gfx1100/reloc.co"));
    Elf64_Shdr s = section(b, ".rela.dyn");
    uint64_t far = uint64_t(1) << 33;
    std::memcpy(&b[s.sh_offset + offsetof(Elf64_Rela, r_offset)], &far, 8);
    check_rejected(b, {"relocation", "outside"});
  }
  SUBCASE("file that does not exist") {
    try {
      CodeObject::from_file("/nonexistent/x.co");
      FAIL("no exception");
    } catch (const CodeObjectError& e) {
      CHECK(std::string(e.what()).find("/nonexistent/x.co") != std::string::npos);
    }
  }
}

TEST_CASE("every truncation of a real code object is rejected") {
  for (const char* name : {"kernels/gfx1100/gemm.co", "test/gfx1100/reloc_v4.co"}) {
    const Bytes full = read_bytes(object_path(name));
    size_t rejected = 0;
    for (size_t n = 0; n < full.size(); ++n) {
      std::string msg = load_error(Bytes(full.begin(), full.begin() + n));
      rejected += !msg.empty();
    }
    INFO(name);
    CHECK(rejected == full.size());  // section headers sit at the end: every prefix lacks them
  }
}

TEST_CASE("randomly mutated code objects load or throw CodeObjectError, never anything else") {
  std::vector<Bytes> bases;
  std::vector<std::vector<std::pair<size_t, size_t>>> regions;  // structural byte ranges
  for (const BuiltObject& b : built_objects()) {
    Bytes bytes = read_bytes(b.path);
    std::vector<std::pair<size_t, size_t>> r;
    Elf64_Ehdr h = ehdr(bytes);
    r.emplace_back(0, h.e_phoff + h.e_phnum * sizeof(Elf64_Phdr));
    r.emplace_back(h.e_shoff, h.e_shnum * sizeof(Elf64_Shdr));
    for (const Elf64_Shdr& s : shdrs(bytes)) {
      std::string n = section_name(bytes, s);
      if (s.sh_type != SHT_NOBITS && s.sh_size && n != ".text" && n != ".comment")
        r.emplace_back(s.sh_offset, s.sh_size);
    }
    bases.push_back(std::move(bytes));
    regions.push_back(std::move(r));
  }
  REQUIRE(!bases.empty());

  std::mt19937_64 rng(0x5b0c0de);
  auto pick = [&](uint64_t n) { return n ? std::uniform_int_distribution<uint64_t>(0, n - 1)(rng) : 0; };
  const uint64_t interesting[] = {0,
                                  1,
                                  2,
                                  0x7f,
                                  0x80,
                                  0xff,
                                  0xffff,
                                  0x7fffffff,
                                  0x80000000ull,
                                  0xffffffffull,
                                  0x40,
                                  0x1000,
                                  0xffffffffffffffffull,
                                  0x8000000000000000ull};
  const int kIterations = 40000;
  int loaded = 0, rejected = 0;
  std::vector<std::string> unexpected;
  for (int it = 0; it < kIterations; ++it) {
    size_t bi = pick(bases.size());
    Bytes b = bases[bi];
    const auto& reg = regions[bi];
    auto structural = [&] {  // a random offset inside the ELF structures (not code)
      auto [off, len] = reg[pick(reg.size())];
      return std::min<size_t>(off + pick(std::max<size_t>(len, 1)), b.size() - 1);
    };
    int kind = int(pick(6));
    switch (kind) {
      case 0:  // bit flips anywhere
        for (int i = 0, n = 1 + int(pick(4)); i < n; ++i) b[pick(b.size())] ^= uint8_t(1u << pick(8));
        break;
      case 1:  // random bytes in the structures
        for (int i = 0, n = 1 + int(pick(8)); i < n; ++i) b[structural()] = uint8_t(pick(256));
        break;
      case 2:  // truncation, sometimes also a corrupt byte
        b.resize(pick(b.size()));
        if (!b.empty() && pick(2)) b[pick(b.size())] ^= 0xff;
        break;
      case 3: {  // splice: a chunk of another object over a random place
        const Bytes& other = bases[pick(bases.size())];
        size_t len = 1 + pick(256), from = pick(other.size()), to = pick(b.size());
        len = std::min({len, other.size() - from, b.size() - to});
        std::memcpy(&b[to], &other[from], len);
        if (pick(4) == 0) b.insert(b.begin() + pick(b.size()), other.begin() + from, other.begin() + from + len);
        break;
      }
      case 4: {  // an interesting 1/2/4/8-byte value over a structural field
        size_t w = size_t(1) << pick(4), at = structural() & ~(w - 1);
        uint64_t v = interesting[pick(std::size(interesting))];
        if (pick(3) == 0) v = b.size() + pick(16) - 8;
        if (at + w <= b.size()) std::memcpy(&b[at], &v, w);
        break;
      }
      default: {  // bytes inside the msgpack metadata
        auto [at, size] = metadata_payload(bases[bi]);
        for (int i = 0, n = 1 + int(pick(3)); i < n; ++i) b[at + pick(size)] = uint8_t(pick(256));
        break;
      }
    }
    try {
      CodeObject co = CodeObject::from_memory(b, "mutant");
      std::vector<uint8_t> img = co.load_image(0xffff800000000000ull);
      if (img.size() != co.image_size()) unexpected.push_back("image size mismatch");
      for (const spork::Kernel& k : co.kernels()) {
        if (&co.kernel(k.name) != &k) unexpected.push_back("kernel() lookup mismatch");
        if (k.code_vaddr() >= co.image_size()) unexpected.push_back("code entry outside the image");
        if (k.descriptor_vaddr + 64 > co.image_size()) unexpected.push_back("descriptor outside the image");
      }
      ++loaded;
    } catch (const CodeObjectError& e) {
      if (std::string(e.what()).empty()) unexpected.push_back("empty CodeObjectError message");
      ++rejected;
    } catch (const std::exception& e) {
      unexpected.push_back(std::string("iteration ") + std::to_string(it) + " kind " + std::to_string(kind) +
                           ": unexpected exception: " + e.what());
    }
  }
  for (const std::string& u : unexpected) FAIL_CHECK(u);
  MESSAGE("mutants: " << loaded << " loaded, " << rejected << " rejected with a message");
  CHECK(loaded + rejected == kIterations);
  CHECK(rejected > kIterations / 4);  // the mutations reach the parser's checks
  CHECK(loaded > kIterations / 20);   // and are not all trivially fatal
}
