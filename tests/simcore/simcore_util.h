// Test helpers for the shader core: a tiny amdhsa ELF reader (program headers and symbols
// only; the project's real loader is runtime/codeobj), GPU buffers in a sim::Memory, and
// a DispatchState built from a kernel descriptor the way the command processor would.
#pragma once
#include <elf.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/memory.h"
#include "sim/shader.h"

namespace simcore_test {

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

struct KernelDesc {
  uint32_t group_segment_fixed_size, private_segment_fixed_size, kernarg_size;
  int64_t entry_offset;
  uint32_t rsrc3, rsrc1, rsrc2;
  uint16_t props;
  uint64_t kd_offset;  // in the load image
};

// The load image of an amdhsa code object (PT_LOAD segments at their p_vaddr) and its
// kernel descriptors by kernel name.
struct CodeObject {
  std::vector<uint8_t> image;
  std::map<std::string, KernelDesc> kernels;
  std::vector<std::pair<uint64_t, uint64_t>> text;  // [begin, end) of executable segments

  explicit CodeObject(const std::vector<uint8_t>& elf) {
    if (elf.size() < sizeof(Elf64_Ehdr) || std::memcmp(elf.data(), ELFMAG, SELFMAG) != 0)
      throw std::runtime_error("not an ELF file");
    Elf64_Ehdr eh;
    std::memcpy(&eh, elf.data(), sizeof eh);
    uint64_t end = 0;
    std::vector<Elf64_Phdr> ph(eh.e_phnum);
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
      std::memcpy(&ph[i], elf.data() + eh.e_phoff + i * eh.e_phentsize, sizeof(Elf64_Phdr));
      if (ph[i].p_type == PT_LOAD) end = std::max<uint64_t>(end, ph[i].p_vaddr + ph[i].p_memsz);
    }
    image.assign(end, 0);
    for (const auto& p : ph)
      if (p.p_type == PT_LOAD) {
        std::memcpy(image.data() + p.p_vaddr, elf.data() + p.p_offset, p.p_filesz);
        if (p.p_flags & PF_X) text.emplace_back(p.p_vaddr, p.p_vaddr + p.p_memsz);
      }
    std::vector<Elf64_Shdr> sh(eh.e_shnum);
    for (unsigned i = 0; i < eh.e_shnum; ++i)
      std::memcpy(&sh[i], elf.data() + eh.e_shoff + i * eh.e_shentsize, sizeof(Elf64_Shdr));
    for (const auto& s : sh) {
      if (s.sh_type != SHT_SYMTAB && s.sh_type != SHT_DYNSYM) continue;
      const auto& strs = sh[s.sh_link];
      for (uint64_t o = 0; o + sizeof(Elf64_Sym) <= s.sh_size; o += sizeof(Elf64_Sym)) {
        Elf64_Sym sym;
        std::memcpy(&sym, elf.data() + s.sh_offset + o, sizeof sym);
        std::string name = reinterpret_cast<const char*>(elf.data() + strs.sh_offset + sym.st_name);
        if (name.size() > 3 && name.compare(name.size() - 3, 3, ".kd") == 0 && sym.st_value + 64 <= image.size()) {
          const uint8_t* kd = image.data() + sym.st_value;
          KernelDesc k{};
          std::memcpy(&k.group_segment_fixed_size, kd + 0, 4);
          std::memcpy(&k.private_segment_fixed_size, kd + 4, 4);
          std::memcpy(&k.kernarg_size, kd + 8, 4);
          std::memcpy(&k.entry_offset, kd + 16, 8);
          std::memcpy(&k.rsrc3, kd + 44, 4);
          std::memcpy(&k.rsrc1, kd + 48, 4);
          std::memcpy(&k.rsrc2, kd + 52, 4);
          std::memcpy(&k.props, kd + 56, 2);
          k.kd_offset = sym.st_value;
          kernels[name.substr(0, name.size() - 3)] = k;
        }
      }
    }
  }
};

// A sim::Memory with helpers to allocate mapped buffers.
struct Gpu {
  spork::sim::Memory mem;
  spork::sim::ShaderCore core{mem};

  std::map<uint64_t, std::pair<spork::sim::Memory::BoHandle, uint64_t>> bos;  // va -> (bo, size)

  uint64_t alloc(uint64_t size, uint32_t perms = spork::sim::PERM_READ | spork::sim::PERM_WRITE,
                 spork::sim::Domain d = spork::sim::Domain::VRAM) {
    const uint64_t rounded = (std::max<uint64_t>(size, 1) + 4095) / 4096 * 4096;
    auto bo = mem.create_bo(rounded, d);
    const uint64_t va = mem.find_free_va(rounded + 4096);  // leave a guard page unmapped
    mem.map(bo, va, 0, rounded, perms);
    bos[va] = {bo, rounded};
    return va;
  }
  // CPU view of a GPU address (through the owning BO, whatever the GPU permissions).
  uint8_t* host(uint64_t va, uint64_t size) {
    auto it = bos.upper_bound(va);
    if (it == bos.begin()) throw std::runtime_error("host(): unknown address");
    --it;
    if (va + size > it->first + it->second.second) throw std::runtime_error("host(): range outside its buffer");
    return mem.bo_cpu_ptr(it->second.first) + (va - it->first);
  }
  template <class T>
  void put(uint64_t va, const std::vector<T>& v) {
    std::memcpy(host(va, v.size() * sizeof(T)), v.data(), v.size() * sizeof(T));
  }
  template <class T>
  std::vector<T> get(uint64_t va, size_t n) {
    std::vector<T> v(n);
    std::memcpy(v.data(), host(va, n * sizeof(T)), n * sizeof(T));
    return v;
  }
  // Loads a code object image (read + execute) and returns its GPU base address.
  uint64_t load(const CodeObject& co) {
    const uint64_t va = alloc(co.image.size(), spork::sim::PERM_READ | spork::sim::PERM_EXEC);
    std::memcpy(host(va, co.image.size()), co.image.data(), co.image.size());
    return va;
  }
};

// Compute registers for a kernel dispatch, set as the command processor does.
inline spork::sim::DispatchState make_state(uint64_t code_va, const KernelDesc& k, uint64_t kernarg_va,
                                            std::array<uint32_t, 3> groups, std::array<uint32_t, 3> block,
                                            uint64_t scratch_va = 0, uint32_t scratch_waves = 0) {
  spork::sim::DispatchState st;
  st.pgm_addr = code_va + k.kd_offset + k.entry_offset;
  st.pgm_rsrc1 = k.rsrc1;
  const uint32_t lds_granules = (k.group_segment_fixed_size + 511) / 512;
  st.pgm_rsrc2 = (k.rsrc2 & ~(0x1FFu << 15)) | (lds_granules << 15);
  st.pgm_rsrc3 = k.rsrc3;
  unsigned u = 0;
  if (k.props & (1u << 0)) u += 4;  // private segment buffer (not used on gfx11)
  if (k.props & (1u << 1)) u += 2;  // dispatch ptr
  if (k.props & (1u << 2)) u += 2;  // queue ptr
  if (k.props & (1u << 3)) {        // kernarg segment ptr
    st.user_data[u] = static_cast<uint32_t>(kernarg_va);
    st.user_data[u + 1] = static_cast<uint32_t>(kernarg_va >> 32);
  }
  st.num_thread = block;
  st.dim = groups;
  st.dispatch_initiator = 1u | (1u << 15);  // COMPUTE_SHADER_EN | CS_W32_EN
  if (scratch_va) {
    const uint32_t per_wave = (k.private_segment_fixed_size * 32 + 255) / 256;  // 256-byte units
    st.tmpring_size = scratch_waves | (per_wave << 12);
    st.scratch_base = scratch_va;
  }
  return st;
}

// Packs kernel arguments (8-byte pointers, 4-byte scalars) at their natural alignment.
struct Args {
  std::vector<uint8_t> bytes;
  template <class T>
  Args& add(T v) {
    const size_t a = sizeof(T);
    bytes.resize((bytes.size() + a - 1) / a * a);
    const size_t o = bytes.size();
    bytes.resize(o + a);
    std::memcpy(bytes.data() + o, &v, a);
    return *this;
  }
};

// Runs kernel `name` of a loaded code object: kernarg buffer, scratch if the kernel needs it.
inline spork::sim::DispatchStats run_kernel(Gpu& gpu, const CodeObject& co, uint64_t code_va, const std::string& name,
                                            const Args& args, std::array<uint32_t, 3> groups,
                                            std::array<uint32_t, 3> block, spork::sim::DispatchOptions opt = {}) {
  const KernelDesc& k = co.kernels.at(name);
  std::vector<uint8_t> ka(std::max<size_t>(k.kernarg_size, args.bytes.size()) + 64, 0);
  std::memcpy(ka.data(), args.bytes.data(), args.bytes.size());
  // Code object v5 hidden arguments right after the explicit ones (8-byte aligned).
  const size_t h = (args.bytes.size() + 7) / 8 * 8;
  for (int d = 0; d < 3; ++d) {
    std::memcpy(&ka[h + 4 * d], &groups[d], 4);
    const uint16_t gs = static_cast<uint16_t>(block[d]);
    std::memcpy(&ka[h + 12 + 2 * d], &gs, 2);
  }
  const uint64_t kva = gpu.alloc(ka.size(), spork::sim::PERM_READ);
  gpu.put(kva, ka);
  uint64_t scratch = 0;
  uint32_t slots = 0;
  if (k.private_segment_fixed_size) {
    slots = 64;
    const uint64_t per_wave = (k.private_segment_fixed_size * 32 + 255) / 256 * 256;
    scratch = gpu.alloc(per_wave * slots);
  }
  auto st = make_state(code_va, k, kva, groups, block, scratch, slots);
  if (scratch) st.pgm_rsrc2 |= 1;  // SCRATCH_EN as the descriptor asks
  return gpu.core.dispatch(st, opt);
}

}  // namespace simcore_test
