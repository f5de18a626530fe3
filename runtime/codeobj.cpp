// amdhsa code-object loader (see codeobj.h). libelf walks the ELF structures; every
// offset and size taken from the file is checked against the file (or the image) before
// it is used, because a code object is untrusted input: a bad one must end in a
// CodeObjectError that names the problem, never in a crash or an out-of-bounds read.
#include "runtime/codeobj.h"

#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <msgpack.hpp>
#include <set>

namespace spork {
namespace {

constexpr uint16_t kEmAmdgpu = 224;
constexpr uint8_t kOsAbiAmdgpuHsa = 64;
constexpr uint32_t kNtAmdgpuMetadata = 32;
constexpr uint32_t kRAmdgpuNone = 0;
constexpr uint32_t kRAmdgpuRelative64 = 13;
constexpr uint64_t kMaxImageSize = 256ull << 20;  // far above any kernel; stops absurd p_memsz
constexpr size_t kDescriptorSize = 64;

[[noreturn]] void fail(const std::string& origin, const std::string& msg) {
  throw CodeObjectError(origin + ": " + msg);
}

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

uint32_t bits(uint32_t v, unsigned shift, unsigned width) { return (v >> shift) & ((1u << width) - 1); }

template <typename T>
T read_le(const uint8_t* p) {
  T v{};
  std::memcpy(&v, p, sizeof v);  // little-endian host (x86-64, aarch64), as is the file
  return v;
}

struct MachName {
  uint32_t mach;
  const char* name;
};
// EF_AMDGPU_MACH values (AMDGPUUsage "AMDGPU EF_AMDGPU_MACH Values").
constexpr MachName kMachNames[] = {
    {0x020, "gfx600"},         {0x021, "gfx601"},       {0x022, "gfx700"},          {0x023, "gfx701"},
    {0x024, "gfx702"},         {0x025, "gfx703"},       {0x026, "gfx704"},          {0x028, "gfx801"},
    {0x029, "gfx802"},         {0x02a, "gfx803"},       {0x02b, "gfx810"},          {0x02c, "gfx900"},
    {0x02d, "gfx902"},         {0x02e, "gfx904"},       {0x02f, "gfx906"},          {0x030, "gfx908"},
    {0x031, "gfx909"},         {0x032, "gfx90c"},       {0x033, "gfx1010"},         {0x034, "gfx1011"},
    {0x035, "gfx1012"},        {0x036, "gfx1030"},      {0x037, "gfx1031"},         {0x038, "gfx1032"},
    {0x039, "gfx1033"},        {0x03a, "gfx602"},       {0x03b, "gfx705"},          {0x03c, "gfx805"},
    {0x03d, "gfx1035"},        {0x03e, "gfx1034"},      {0x03f, "gfx90a"},          {0x040, "gfx940"},
    {0x041, "gfx1100"},        {0x042, "gfx1013"},      {0x043, "gfx1150"},         {0x044, "gfx1103"},
    {0x045, "gfx1036"},        {0x046, "gfx1101"},      {0x047, "gfx1102"},         {0x048, "gfx1200"},
    {0x04a, "gfx1151"},        {0x04b, "gfx941"},       {0x04c, "gfx942"},          {0x04e, "gfx1201"},
    {0x04f, "gfx950"},         {0x051, "gfx9-generic"}, {0x052, "gfx10-1-generic"}, {0x053, "gfx10-3-generic"},
    {0x054, "gfx11-generic"},  {0x055, "gfx1152"},      {0x058, "gfx1153"},         {0x059, "gfx12-generic"},
    {0x05f, "gfx9-4-generic"},
};

const char* feature_setting(uint32_t v2bits) {
  switch (v2bits) {
    case 0:
      return "unsupported";
    case 1:
      return "any";
    case 2:
      return "off";
    default:
      return "on";
  }
}

// Kernel-argument value kinds of code object v4/v5 (AMDGPUUsage, "Code Object V5 Metadata").
// The runtime must fill every hidden one it is given, so an unknown kind is an error rather
// than an argument silently left zero.
const std::set<std::string, std::less<>>& known_value_kinds() {
  static const std::set<std::string, std::less<>> k = {"by_value",
                                                       "global_buffer",
                                                       "dynamic_shared_pointer",
                                                       "sampler",
                                                       "image",
                                                       "pipe",
                                                       "queue",
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
  return k;
}

// ---- msgpack helpers: every access checks the type and says which field was wrong ----
struct MsgMap {
  const msgpack::object* obj;
  std::string where;  // "kernel 'gemm'", for messages

  const msgpack::object* find(std::string_view key) const {
    const msgpack::object_map& m = obj->via.map;
    for (uint32_t i = 0; i < m.size; ++i) {
      const msgpack::object& k = m.ptr[i].key;
      if (k.type == msgpack::type::STR && std::string_view(k.via.str.ptr, k.via.str.size) == key) return &m.ptr[i].val;
    }
    return nullptr;
  }
};

struct MetaReader {
  const std::string& origin;

  [[noreturn]] void bad(const std::string& where, std::string_view key, const char* want) const {
    fail(origin, "NT_AMDGPU_METADATA: " + where + ": " + std::string(key) + " is not " + want);
  }
  MsgMap as_map(const msgpack::object& o, const std::string& where, std::string_view what) const {
    if (o.type != msgpack::type::MAP) fail(origin, "NT_AMDGPU_METADATA: " + std::string(what) + " is not a map");
    return MsgMap{&o, where};
  }
  const msgpack::object& need(const MsgMap& m, std::string_view key) const {
    const msgpack::object* o = m.find(key);
    if (!o) fail(origin, "NT_AMDGPU_METADATA: " + m.where + " has no " + std::string(key));
    return *o;
  }
  uint32_t u32(const MsgMap& m, const msgpack::object& o, std::string_view key) const {
    if (o.type != msgpack::type::POSITIVE_INTEGER || o.via.u64 > std::numeric_limits<uint32_t>::max())
      bad(m.where, key, "an unsigned 32-bit integer");
    return uint32_t(o.via.u64);
  }
  uint32_t u32(const MsgMap& m, std::string_view key) const { return u32(m, need(m, key), key); }
  std::optional<uint32_t> opt_u32(const MsgMap& m, std::string_view key) const {
    const msgpack::object* o = m.find(key);
    return o ? std::optional<uint32_t>(u32(m, *o, key)) : std::nullopt;
  }
  std::string str(const MsgMap& m, const msgpack::object& o, std::string_view key) const {
    if (o.type != msgpack::type::STR) bad(m.where, key, "a string");
    return std::string(o.via.str.ptr, o.via.str.size);
  }
  std::string str(const MsgMap& m, std::string_view key) const { return str(m, need(m, key), key); }
  std::string opt_str(const MsgMap& m, std::string_view key) const {
    const msgpack::object* o = m.find(key);
    return o ? str(m, *o, key) : std::string();
  }
  std::optional<bool> opt_bool(const MsgMap& m, std::string_view key) const {
    const msgpack::object* o = m.find(key);
    if (!o) return std::nullopt;
    // LLVM writes booleans, but .workgroup_processor_mode appears as 0/1 in some versions.
    if (o->type == msgpack::type::BOOLEAN) return o->via.boolean;
    if (o->type == msgpack::type::POSITIVE_INTEGER && o->via.u64 <= 1) return o->via.u64 == 1;
    bad(m.where, key, "a boolean");
  }
  std::vector<uint32_t> u32_array(const MsgMap& m, const msgpack::object& o, std::string_view key) const {
    if (o.type != msgpack::type::ARRAY) bad(m.where, key, "an array of integers");
    std::vector<uint32_t> v;
    for (uint32_t i = 0; i < o.via.array.size; ++i) v.push_back(u32(m, o.via.array.ptr[i], key));
    return v;
  }
  std::optional<std::array<uint32_t, 3>> opt_dim3(const MsgMap& m, std::string_view key) const {
    const msgpack::object* o = m.find(key);
    if (!o) return std::nullopt;
    std::vector<uint32_t> v = u32_array(m, *o, key);
    if (v.size() != 3) bad(m.where, key, "an array of 3 integers");
    return std::array<uint32_t, 3>{v[0], v[1], v[2]};
  }
};

}  // namespace

std::string_view amdgpu_mach_name(uint32_t mach) {
  for (const MachName& m : kMachNames)
    if (m.mach == mach) return m.name;
  return {};
}

KernelDescriptor decode_kernel_descriptor(std::span<const uint8_t> b) {
  if (b.size() != kDescriptorSize)
    throw CodeObjectError("kernel descriptor must be 64 bytes, got " + std::to_string(b.size()));
  KernelDescriptor d;
  d.raw.assign(b.begin(), b.end());
  const uint8_t* p = b.data();
  d.group_segment_fixed_size = read_le<uint32_t>(p + 0);
  d.private_segment_fixed_size = read_le<uint32_t>(p + 4);
  d.kernarg_size = read_le<uint32_t>(p + 8);
  d.kernel_code_entry_byte_offset = read_le<int64_t>(p + 16);

  uint32_t r3 = read_le<uint32_t>(p + 44);
  d.rsrc3.raw = r3;
  d.rsrc3.SHARED_VGPR_COUNT = bits(r3, 0, 4);
  d.rsrc3.INST_PREF_SIZE = bits(r3, 4, 6);
  d.rsrc3.TRAP_ON_START = bits(r3, 10, 1);
  d.rsrc3.TRAP_ON_END = bits(r3, 11, 1);
  d.rsrc3.IMAGE_OP = bits(r3, 31, 1);

  uint32_t r1 = read_le<uint32_t>(p + 48);
  PgmRsrc1& s1 = d.rsrc1;
  s1.raw = r1;
  s1.GRANULATED_WORKITEM_VGPR_COUNT = bits(r1, 0, 6);
  s1.GRANULATED_WAVEFRONT_SGPR_COUNT = bits(r1, 6, 4);
  s1.PRIORITY = bits(r1, 10, 2);
  s1.FLOAT_ROUND_MODE_32 = bits(r1, 12, 2);
  s1.FLOAT_ROUND_MODE_16_64 = bits(r1, 14, 2);
  s1.FLOAT_DENORM_MODE_32 = bits(r1, 16, 2);
  s1.FLOAT_DENORM_MODE_16_64 = bits(r1, 18, 2);
  s1.PRIV = bits(r1, 20, 1);
  s1.ENABLE_DX10_CLAMP = bits(r1, 21, 1);
  s1.DEBUG_MODE = bits(r1, 22, 1);
  s1.ENABLE_IEEE_MODE = bits(r1, 23, 1);
  s1.BULKY = bits(r1, 24, 1);
  s1.CDBG_USER = bits(r1, 25, 1);
  s1.FP16_OVFL = bits(r1, 26, 1);
  s1.WGP_MODE = bits(r1, 29, 1);
  s1.MEM_ORDERED = bits(r1, 30, 1);
  s1.FWD_PROGRESS = bits(r1, 31, 1);

  uint32_t r2 = read_le<uint32_t>(p + 52);
  PgmRsrc2& s2 = d.rsrc2;
  s2.raw = r2;
  s2.ENABLE_PRIVATE_SEGMENT = bits(r2, 0, 1);
  s2.USER_SGPR_COUNT = bits(r2, 1, 5);
  s2.ENABLE_TRAP_HANDLER = bits(r2, 6, 1);
  s2.ENABLE_SGPR_WORKGROUP_ID_X = bits(r2, 7, 1);
  s2.ENABLE_SGPR_WORKGROUP_ID_Y = bits(r2, 8, 1);
  s2.ENABLE_SGPR_WORKGROUP_ID_Z = bits(r2, 9, 1);
  s2.ENABLE_SGPR_WORKGROUP_INFO = bits(r2, 10, 1);
  s2.ENABLE_VGPR_WORKITEM_ID = bits(r2, 11, 2);
  s2.ENABLE_EXCEPTION_ADDRESS_WATCH = bits(r2, 13, 1);
  s2.ENABLE_EXCEPTION_MEMORY = bits(r2, 14, 1);
  s2.GRANULATED_LDS_SIZE = bits(r2, 15, 9);
  s2.ENABLE_EXCEPTION_IEEE_754_FP_INVALID_OPERATION = bits(r2, 24, 1);
  s2.ENABLE_EXCEPTION_FP_DENORMAL_SOURCE = bits(r2, 25, 1);
  s2.ENABLE_EXCEPTION_IEEE_754_FP_DIVISION_BY_ZERO = bits(r2, 26, 1);
  s2.ENABLE_EXCEPTION_IEEE_754_FP_OVERFLOW = bits(r2, 27, 1);
  s2.ENABLE_EXCEPTION_IEEE_754_FP_UNDERFLOW = bits(r2, 28, 1);
  s2.ENABLE_EXCEPTION_IEEE_754_FP_INEXACT = bits(r2, 29, 1);
  s2.ENABLE_EXCEPTION_INT_DIVIDE_BY_ZERO = bits(r2, 30, 1);

  uint16_t kcp = read_le<uint16_t>(p + 56);
  d.kernel_code_properties = kcp;
  d.enable_sgpr_private_segment_buffer = bits(kcp, 0, 1);
  d.enable_sgpr_dispatch_ptr = bits(kcp, 1, 1);
  d.enable_sgpr_queue_ptr = bits(kcp, 2, 1);
  d.enable_sgpr_kernarg_segment_ptr = bits(kcp, 3, 1);
  d.enable_sgpr_dispatch_id = bits(kcp, 4, 1);
  d.enable_sgpr_flat_scratch_init = bits(kcp, 5, 1);
  d.enable_sgpr_private_segment_size = bits(kcp, 6, 1);
  d.enable_wavefront_size32 = bits(kcp, 10, 1);
  d.uses_dynamic_stack = bits(kcp, 11, 1);

  uint16_t preload = read_le<uint16_t>(p + 58);
  d.kernarg_preload_spec_length = uint8_t(bits(preload, 0, 7));
  d.kernarg_preload_spec_offset = uint16_t(bits(preload, 7, 9));
  return d;
}

std::string CodeObject::target_id() const {
  std::string id = target_;
  // Clang orders features alphabetically in target IDs: sramecc before xnack.
  if (sramecc_setting_ == "on" || sramecc_setting_ == "off") id += sramecc_setting_ == "on" ? ":sramecc+" : ":sramecc-";
  if (xnack_setting_ == "on" || xnack_setting_ == "off") id += xnack_setting_ == "on" ? ":xnack+" : ":xnack-";
  return id;
}

const Kernel* CodeObject::find(std::string_view name) const {
  for (const Kernel& k : kernels_)
    if (k.name == name) return &k;
  return nullptr;
}

const Kernel& CodeObject::kernel(std::string_view name) const {
  if (const Kernel* k = find(name)) return *k;
  std::string have;
  for (const Kernel& k : kernels_) have += (have.empty() ? "" : ", ") + k.name;
  throw CodeObjectError(origin_ + ": no kernel named '" + std::string(name) +
                        "'; it has: " + (have.empty() ? "(no kernels)" : have));
}

std::vector<uint8_t> CodeObject::load_image(uint64_t base) const {
  std::vector<uint8_t> image(image_size_, 0);
  for (const Segment& s : segments_)  // bounds were checked when the object was parsed
    if (s.filesz) std::memcpy(image.data() + s.vaddr, bytes_.data() + s.offset, s.filesz);
  for (const auto& [offset, addend] : relocations_) {
    uint64_t v = base + uint64_t(addend);
    std::memcpy(image.data() + offset, &v, sizeof v);
  }
  return image;
}

CodeObject CodeObject::from_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw CodeObjectError(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw CodeObjectError(path + ": read error");
  return from_memory(bytes, path);
}

struct CodeObjectParser {
  CodeObject& co;
  const std::string& origin;
  Elf* elf = nullptr;

  ~CodeObjectParser() {
    if (elf) elf_end(elf);
  }
  [[noreturn]] void error(const std::string& msg) const { fail(origin, msg); }
  [[noreturn]] void elf_error(const std::string& what) const { error(what + ": " + elf_errmsg(-1)); }

  uint64_t size() const { return co.bytes_.size(); }
  bool in_file(uint64_t off, uint64_t len) const { return off <= size() && len <= size() - off; }

  void check_ident() {
    const auto& b = co.bytes_;
    if (b.empty()) error("empty file, not a code object");
    if (b.size() < 4 || std::memcmp(b.data(),
                                    "\x7f"
                                    "ELF",
                                    4) != 0)
      error("not an ELF file (bad magic)");
    if (b.size() < sizeof(Elf64_Ehdr))
      error("truncated ELF header (" + std::to_string(b.size()) + " bytes, need " + std::to_string(sizeof(Elf64_Ehdr)) +
            ")");
    if (b[EI_CLASS] != ELFCLASS64)
      error(b[EI_CLASS] == ELFCLASS32 ? "32-bit ELF (ELFCLASS32); amdhsa code objects are ELF64"
                                      : "bad ELF class " + std::to_string(b[EI_CLASS]));
    if (b[EI_DATA] != ELFDATA2LSB)
      error("big-endian or unknown ELF data encoding; amdhsa code objects are little-endian");
    if (b[EI_OSABI] != kOsAbiAmdgpuHsa) {
      std::string abi = b[EI_OSABI] == 65 ? " (AMDGPU PAL)" : b[EI_OSABI] == 66 ? " (Mesa3D)" : "";
      error("ELF OS/ABI " + std::to_string(b[EI_OSABI]) + abi +
            " is not ELFOSABI_AMDGPU_HSA (64); compile with --target=amdgcn-amd-amdhsa");
    }
    uint8_t abiv = b[EI_ABIVERSION];
    co.abi_version_ = abiv;
    switch (abiv) {
      case 2:
        co.version_ = 4;
        break;
      case 3:
        co.version_ = 5;
        break;
      default: {
        std::string v = abiv <= 4 ? "code object v" + std::to_string(abiv + 2) : "unknown code object version";
        error(v + " (EI_ABIVERSION " + std::to_string(abiv) +
              ") is not supported; spork loads code object v4 and v5 (clang -mcode-object-version=5)");
      }
    }
    Elf64_Ehdr eh;
    std::memcpy(&eh, b.data(), sizeof eh);
    if (eh.e_machine != kEmAmdgpu)
      error("e_machine " + std::to_string(eh.e_machine) + " is not EM_AMDGPU (224): not an AMD GPU code object");
    if (eh.e_type == ET_REL)
      error("relocatable object (ET_REL), not a loadable code object; link it with ld.lld -shared");
    if (eh.e_type != ET_DYN) error("ELF type " + std::to_string(eh.e_type) + " is not ET_DYN (shared object)");
    if (eh.e_phnum && eh.e_phentsize != sizeof(Elf64_Phdr))
      error("e_phentsize " + std::to_string(eh.e_phentsize) + " is not 56");
    if (eh.e_shnum && eh.e_shentsize != sizeof(Elf64_Shdr))
      error("e_shentsize " + std::to_string(eh.e_shentsize) + " is not 64");
    if (eh.e_phnum && !in_file(eh.e_phoff, uint64_t(eh.e_phnum) * sizeof(Elf64_Phdr)))
      error("program headers (offset " + hex(eh.e_phoff) + ", " + std::to_string(eh.e_phnum) +
            " entries) lie outside the file");
    if (eh.e_shnum && !in_file(eh.e_shoff, uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr)))
      error("section headers (offset " + hex(eh.e_shoff) + ", " + std::to_string(eh.e_shnum) +
            " entries) lie outside the file");
  }

  void parse_target(uint32_t flags) {
    co.e_flags_ = flags;
    uint32_t mach = flags & 0xff;
    std::string_view name = amdgpu_mach_name(mach);
    if (name.empty()) error("unknown GPU (EF_AMDGPU_MACH " + hex(mach) + " in e_flags " + hex(flags) + ")");
    co.target_ = std::string(name);
    co.xnack_setting_ = feature_setting((flags >> 8) & 3);
    co.sramecc_setting_ = feature_setting((flags >> 10) & 3);
    co.xnack_ = co.xnack_setting_ == "on";
    co.sramecc_ = co.sramecc_setting_ == "on";
  }

  void parse_segments() {
    size_t phnum = 0;
    if (elf_getphdrnum(elf, &phnum) != 0) elf_error("bad program header table");
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr ph;
      if (!gelf_getphdr(elf, int(i), &ph)) elf_error("program header " + std::to_string(i));
      if (ph.p_type != PT_LOAD) continue;
      std::string what = "PT_LOAD segment " + std::to_string(i);
      if (!in_file(ph.p_offset, ph.p_filesz))
        error(what + " (offset " + hex(ph.p_offset) + ", size " + hex(ph.p_filesz) + ") lies outside the file");
      if (ph.p_filesz > ph.p_memsz) error(what + ": p_filesz > p_memsz");
      if (ph.p_vaddr > kMaxImageSize || ph.p_memsz > kMaxImageSize - ph.p_vaddr)
        error(what + " ends at " + hex(ph.p_vaddr + ph.p_memsz) + ", beyond the " +
              std::to_string(kMaxImageSize >> 20) + " MiB a code object may span");
      co.segments_.push_back({ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz, ph.p_flags});
      co.image_size_ = std::max(co.image_size_, ph.p_vaddr + ph.p_memsz);
    }
    if (co.segments_.empty()) error("no PT_LOAD segment: nothing to load");
  }

  // File bytes backing [vaddr, vaddr + len) of the image, or nullptr when some of it is not
  // in one segment's file part.
  const uint8_t* file_bytes_at(uint64_t vaddr, uint64_t len) const {
    for (const Segment& s : co.segments_)
      if (vaddr >= s.vaddr && vaddr - s.vaddr <= s.filesz && len <= s.filesz - (vaddr - s.vaddr))
        return co.bytes_.data() + s.offset + (vaddr - s.vaddr);
    return nullptr;
  }
  bool in_exec_segment(uint64_t vaddr) const {
    for (const Segment& s : co.segments_)
      if ((s.flags & PF_X) && vaddr >= s.vaddr && vaddr - s.vaddr < s.memsz) return true;
    return false;
  }

  struct Sections {
    Elf_Scn* dynsym = nullptr;
    Elf_Scn* symtab = nullptr;
    std::vector<Elf_Scn*> notes, relas;
  };

  Sections scan_sections() {
    Sections s;
    size_t shstrndx = 0;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0) elf_error("bad section header string table index");
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh)) elf_error("section header " + std::to_string(elf_ndxscn(scn)));
      const char* nm = elf_strptr(elf, shstrndx, sh.sh_name);
      std::string name = nm ? nm : "";
      if (sh.sh_type != SHT_NOBITS && !in_file(sh.sh_offset, sh.sh_size))
        error("section " + std::to_string(elf_ndxscn(scn)) + " '" + name + "' (offset " + hex(sh.sh_offset) +
              ", size " + hex(sh.sh_size) + ") lies outside the file");
      switch (sh.sh_type) {
        case SHT_DYNSYM:
          s.dynsym = scn;
          break;
        case SHT_SYMTAB:
          s.symtab = scn;
          break;
        case SHT_NOTE:
          s.notes.push_back(scn);
          break;
        case SHT_RELA:
          if (name == ".rela.dyn" || (sh.sh_flags & SHF_ALLOC)) s.relas.push_back(scn);
          break;
        case SHT_REL:
          if (sh.sh_flags & SHF_ALLOC)
            error("section '" + name + "': SHT_REL relocations are not supported (amdhsa uses RELA)");
          break;
        default:
          break;
      }
    }
    return s;
  }

  Elf_Data* section_data(Elf_Scn* scn, const char* what) {
    Elf_Data* d = elf_getdata(scn, nullptr);
    if (!d) elf_error(std::string("cannot read ") + what);
    if (d->d_size && !d->d_buf) error(std::string(what) + " has no data");
    return d;
  }

  // <name>.kd symbol -> its address in the image.
  std::map<std::string, uint64_t> kd_symbols(const Sections& s) {
    Elf_Scn* scn = s.dynsym ? s.dynsym : s.symtab;
    if (!scn) error("no symbol table (.dynsym or .symtab): cannot find the kernel descriptors");
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) elf_error("symbol table header");
    if (sh.sh_entsize != sizeof(Elf64_Sym))
      error("symbol table entry size " + std::to_string(sh.sh_entsize) + " is not 24");
    Elf_Data* d = section_data(scn, "symbol table");
    std::map<std::string, uint64_t> kds;
    size_t n = d->d_size / sizeof(Elf64_Sym);
    for (size_t i = 1; i < n; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(d, int(i), &sym)) elf_error("symbol " + std::to_string(i));
      if (GELF_ST_TYPE(sym.st_info) != STT_OBJECT) continue;
      const char* nm = elf_strptr(elf, sh.sh_link, sym.st_name);
      if (!nm) error("symbol " + std::to_string(i) + " has a name outside the string table");
      std::string name = nm;
      if (name.size() <= 3 || name.compare(name.size() - 3, 3, ".kd") != 0) continue;
      if (sym.st_size != kDescriptorSize)
        error("kernel descriptor " + name + " is " + std::to_string(sym.st_size) + " bytes, not 64");
      if (!kds.emplace(name, sym.st_value).second) error("kernel descriptor symbol " + name + " appears twice");
    }
    return kds;
  }

  void parse_relocations(const Sections& s) {
    for (Elf_Scn* scn : s.relas) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh)) elf_error("relocation section header");
      if (sh.sh_entsize != sizeof(Elf64_Rela))
        error("relocation entry size " + std::to_string(sh.sh_entsize) + " is not 24");
      Elf_Data* d = section_data(scn, "relocation section");
      size_t n = d->d_size / sizeof(Elf64_Rela);
      for (size_t i = 0; i < n; ++i) {
        GElf_Rela r;
        if (!gelf_getrela(d, int(i), &r)) elf_error("relocation " + std::to_string(i));
        uint32_t type = uint32_t(GELF_R_TYPE(r.r_info));
        if (type == kRAmdgpuNone) continue;
        if (type != kRAmdgpuRelative64)
          error("relocation " + std::to_string(i) + " at " + hex(r.r_offset) + " has type " + std::to_string(type) +
                "; only R_AMDGPU_RELATIVE64 (13) is supported: spork loads self-contained code objects "
                "(no undefined symbols, no external globals)");
        if (r.r_offset > co.image_size_ || co.image_size_ - r.r_offset < 8)
          error("relocation " + std::to_string(i) + " at " + hex(r.r_offset) + " lies outside the loaded image");
        co.relocations_.emplace_back(r.r_offset, r.r_addend);
      }
    }
  }

  // The NT_AMDGPU_METADATA note's msgpack bytes.
  std::span<const uint8_t> metadata_note(const Sections& s) {
    for (Elf_Scn* scn : s.notes) {
      Elf_Data* d = section_data(scn, "note section");
      size_t off = 0, name_off = 0, desc_off = 0;
      GElf_Nhdr nh;
      while (off < d->d_size && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
        if (nh.n_type != kNtAmdgpuMetadata) continue;
        if (name_off > d->d_size || nh.n_namesz > d->d_size - name_off || desc_off > d->d_size ||
            nh.n_descsz > d->d_size - desc_off)
          error("note extends past its section");
        const char* nm = static_cast<const char*>(d->d_buf) + name_off;
        if (std::string_view(nm, strnlen(nm, nh.n_namesz)) != "AMDGPU") continue;
        return {static_cast<const uint8_t*>(d->d_buf) + desc_off, nh.n_descsz};
      }
    }
    error("no NT_AMDGPU_METADATA note (owner \"AMDGPU\", type 32): not a code object v3+ or its notes were stripped");
  }

  std::vector<KernelMetadata> parse_metadata(std::span<const uint8_t> note) {
    msgpack::object_handle h;
    // Limits keep a corrupt length from allocating more than the note could hold.
    msgpack::unpack_limit limit(note.size(), note.size(), note.size(), note.size(), note.size(), 32);
    try {
      h = msgpack::unpack(reinterpret_cast<const char*>(note.data()), note.size(), nullptr, nullptr, limit);
    } catch (const std::exception& e) {
      error(std::string("NT_AMDGPU_METADATA: bad msgpack (") + e.what() + ")");
    }
    MetaReader r{origin};
    MsgMap root = r.as_map(h.get(), "the metadata", "the metadata root");
    std::vector<uint32_t> ver = r.u32_array(root, r.need(root, "amdhsa.version"), "amdhsa.version");
    if (ver.size() != 2 || ver[0] != 1)
      error("NT_AMDGPU_METADATA: amdhsa.version is not [1, x]; unknown metadata format");
    co.metadata_version_ = ver;
    co.metadata_target_ = r.opt_str(root, "amdhsa.target");
    if (!co.metadata_target_.empty()) {
      // "amdgcn-amd-amdhsa--gfx1100[:feature...]" must name the GPU e_flags names.
      size_t dd = co.metadata_target_.find("--");
      std::string gpu = dd == std::string::npos ? "" : co.metadata_target_.substr(dd + 2);
      gpu = gpu.substr(0, gpu.find(':'));
      if (gpu != co.target_)
        error("metadata target '" + co.metadata_target_ + "' disagrees with e_flags target " + co.target_);
    }
    const msgpack::object* kobj = root.find("amdhsa.kernels");
    if (!kobj) error("NT_AMDGPU_METADATA has no amdhsa.kernels");
    if (kobj->type != msgpack::type::ARRAY) error("NT_AMDGPU_METADATA: amdhsa.kernels is not an array");
    std::vector<KernelMetadata> out;
    for (uint32_t i = 0; i < kobj->via.array.size; ++i) out.push_back(parse_kernel(r, kobj->via.array.ptr[i], i));
    return out;
  }

  KernelMetadata parse_kernel(const MetaReader& r, const msgpack::object& o, uint32_t index) {
    MsgMap m =
        r.as_map(o, "amdhsa.kernels[" + std::to_string(index) + "]", "amdhsa.kernels[" + std::to_string(index) + "]");
    KernelMetadata k;
    k.name = r.str(m, ".name");
    m.where = "kernel '" + k.name + "'";
    k.symbol = r.str(m, ".symbol");
    k.kernarg_segment_size = r.u32(m, ".kernarg_segment_size");
    k.kernarg_segment_align = r.u32(m, ".kernarg_segment_align");
    k.group_segment_fixed_size = r.u32(m, ".group_segment_fixed_size");
    k.private_segment_fixed_size = r.u32(m, ".private_segment_fixed_size");
    k.wavefront_size = r.u32(m, ".wavefront_size");
    k.sgpr_count = r.u32(m, ".sgpr_count");
    k.vgpr_count = r.u32(m, ".vgpr_count");
    k.max_flat_workgroup_size = r.u32(m, ".max_flat_workgroup_size");
    k.agpr_count = r.opt_u32(m, ".agpr_count").value_or(0);
    k.sgpr_spill_count = r.opt_u32(m, ".sgpr_spill_count").value_or(0);
    k.vgpr_spill_count = r.opt_u32(m, ".vgpr_spill_count").value_or(0);
    k.reqd_workgroup_size = r.opt_dim3(m, ".reqd_workgroup_size");
    k.workgroup_size_hint = r.opt_dim3(m, ".workgroup_size_hint");
    k.uses_dynamic_stack = r.opt_bool(m, ".uses_dynamic_stack").value_or(false);
    k.language = r.opt_str(m, ".language");
    if (const msgpack::object* lv = m.find(".language_version"))
      k.language_version = r.u32_array(m, *lv, ".language_version");
    k.workgroup_processor_mode = r.opt_bool(m, ".workgroup_processor_mode");
    k.uniform_work_group_size = r.opt_bool(m, ".uniform_work_group_size");
    k.kind = r.opt_str(m, ".kind");
    k.vec_type_hint = r.opt_str(m, ".vec_type_hint");
    k.device_enqueue_symbol = r.opt_str(m, ".device_enqueue_symbol");
    k.max_num_workgroups_x = r.opt_u32(m, ".max_num_workgroups_x").value_or(0);
    k.max_num_workgroups_y = r.opt_u32(m, ".max_num_workgroups_y").value_or(0);
    k.max_num_workgroups_z = r.opt_u32(m, ".max_num_workgroups_z").value_or(0);
    if (k.kernarg_segment_align == 0 || (k.kernarg_segment_align & (k.kernarg_segment_align - 1)))
      error(m.where + ": .kernarg_segment_align " + std::to_string(k.kernarg_segment_align) + " is not a power of two");
    if (const msgpack::object* args = m.find(".args")) {
      if (args->type != msgpack::type::ARRAY) r.bad(m.where, ".args", "an array");
      for (uint32_t i = 0; i < args->via.array.size; ++i) {
        MsgMap a = r.as_map(args->via.array.ptr[i], m.where + " argument " + std::to_string(i),
                            m.where + " .args[" + std::to_string(i) + "]");
        KernelArg arg;
        arg.name = r.opt_str(a, ".name");
        arg.type_name = r.opt_str(a, ".type_name");
        arg.offset = r.u32(a, ".offset");
        arg.size = r.u32(a, ".size");
        arg.value_kind = r.str(a, ".value_kind");
        arg.address_space = r.opt_str(a, ".address_space");
        arg.access = r.opt_str(a, ".access");
        arg.actual_access = r.opt_str(a, ".actual_access");
        arg.is_const = r.opt_bool(a, ".is_const").value_or(false);
        arg.is_restrict = r.opt_bool(a, ".is_restrict").value_or(false);
        arg.is_volatile = r.opt_bool(a, ".is_volatile").value_or(false);
        arg.is_pipe = r.opt_bool(a, ".is_pipe").value_or(false);
        arg.pointee_align = r.opt_u32(a, ".pointee_align");
        if (!known_value_kinds().count(arg.value_kind))
          error(a.where + ": unknown .value_kind '" + arg.value_kind + "' (the runtime would not know how to fill it)");
        if (uint64_t(arg.offset) + arg.size > k.kernarg_segment_size)
          error(a.where + " (offset " + std::to_string(arg.offset) + ", size " + std::to_string(arg.size) +
                ") ends past .kernarg_segment_size " + std::to_string(k.kernarg_segment_size));
        k.args.push_back(std::move(arg));
      }
    }
    return k;
  }

  void parse() {
    check_ident();
    elf = elf_memory(reinterpret_cast<char*>(co.bytes_.data()), co.bytes_.size());
    if (!elf) elf_error("libelf cannot read the file");
    if (elf_kind(elf) != ELF_K_ELF) error("not an ELF file");
    GElf_Ehdr eh;
    if (!gelf_getehdr(elf, &eh)) elf_error("bad ELF header");
    parse_target(eh.e_flags);
    parse_segments();
    Sections secs = scan_sections();
    parse_relocations(secs);
    std::map<std::string, uint64_t> kds = kd_symbols(secs);
    std::vector<KernelMetadata> metas = parse_metadata(metadata_note(secs));

    std::set<std::string> used;
    for (KernelMetadata& md : metas) {
      auto it = kds.find(md.symbol);
      if (it == kds.end())
        error("kernel '" + md.name + "' is in the metadata but its descriptor symbol '" + md.symbol + "' is missing");
      if (!used.insert(md.symbol).second) error("two kernels in the metadata share the descriptor symbol " + md.symbol);
      Kernel k;
      k.name = md.name;
      k.descriptor_vaddr = it->second;
      if (k.descriptor_vaddr % 64)
        error("kernel descriptor " + md.symbol + " at " + hex(k.descriptor_vaddr) + " is not 64-byte aligned");
      const uint8_t* kd = file_bytes_at(k.descriptor_vaddr, kDescriptorSize);
      if (!kd)
        error("kernel descriptor " + md.symbol + " at " + hex(k.descriptor_vaddr) +
              " lies outside the loaded file bytes");
      k.descriptor = decode_kernel_descriptor({kd, kDescriptorSize});
      const KernelDescriptor& d = k.descriptor;
      // The code entry must land on 256-byte aligned, executable bytes of the image
      // (COMPUTE_PGM_LO holds the address >> 8).
      int64_t off = d.kernel_code_entry_byte_offset;
      bool ok = off >= 0 ? uint64_t(off) <= co.image_size_ - k.descriptor_vaddr
                         : uint64_t(-(off + 1)) < k.descriptor_vaddr;  // -(off+1) avoids INT64_MIN overflow
      uint64_t entry = ok ? k.descriptor_vaddr + uint64_t(off) : 0;
      if (!ok || !in_exec_segment(entry))
        error("kernel '" + md.name + "': code entry (descriptor + " + std::to_string(off) +
              ") is not in an executable segment");
      if (entry % 256) error("kernel '" + md.name + "': code entry " + hex(entry) + " is not 256-byte aligned");
      if (md.kernarg_segment_size != d.kernarg_size)
        error("kernel '" + md.name + "': metadata .kernarg_segment_size " + std::to_string(md.kernarg_segment_size) +
              " disagrees with the descriptor's kernarg_size " + std::to_string(d.kernarg_size));
      if (md.group_segment_fixed_size != d.group_segment_fixed_size)
        error("kernel '" + md.name + "': metadata .group_segment_fixed_size " +
              std::to_string(md.group_segment_fixed_size) + " disagrees with the descriptor's " +
              std::to_string(d.group_segment_fixed_size));
      k.metadata = std::move(md);
      co.kernels_.push_back(std::move(k));
    }
    for (const auto& [sym, addr] : kds)
      if (!used.count(sym)) error("descriptor symbol " + sym + " has no kernel in the metadata");
  }
};

CodeObject CodeObject::from_memory(std::span<const uint8_t> bytes, std::string origin) {
  static const bool elf_ok = elf_version(EV_CURRENT) != EV_NONE;
  CodeObject co;
  co.origin_ = std::move(origin);
  if (!elf_ok) throw CodeObjectError("libelf initialisation failed (elf_version)");
  co.bytes_.assign(bytes.begin(), bytes.end());
  CodeObjectParser{co, co.origin_}.parse();
  return co;
}

}  // namespace spork
