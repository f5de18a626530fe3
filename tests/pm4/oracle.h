// Independent readings of a code object for the dispatch tests: llvm-readelf-19 (metadata note,
// symbols) and llvm-objdump-19 (descriptor bytes). Nothing here uses spork's loader.
#pragma once
#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace oracle {

inline std::string run(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) throw std::runtime_error("cannot run " + cmd);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
  return out;
}

struct Arg {
  uint32_t offset = 0, size = 0;
  std::string value_kind, name, type_name;
};
struct KernelMeta {
  std::string name;
  std::map<std::string, std::string> keys;  // kernel-level scalar keys (".group_segment_fixed_size" -> "8192")
  std::vector<Arg> args;
  uint64_t get(const std::string& k) const { return std::stoull(keys.at(k)); }
};

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\'')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\'')) ++i;
  return s.substr(i);
}

// The amdhsa.kernels list of `llvm-readelf-19 --notes` (YAML), read line by line.
inline std::vector<KernelMeta> read_metadata(const std::string& co) {
  std::istringstream in(run(std::string(SPORK_LLVM_READELF) + " --notes '" + co + "'"));
  std::vector<KernelMeta> ks;
  std::string line;
  bool in_kernels = false;
  while (std::getline(in, line)) {
    if (line.rfind("amdhsa.kernels:", 0) == 0) {
      in_kernels = true;
      continue;
    }
    if (!in_kernels) continue;
    if (!line.empty() && line[0] != ' ') {
      in_kernels = false;
      continue;
    }
    const size_t dot = line.find('.');
    const size_t colon = line.find(':', dot == std::string::npos ? 0 : dot);
    if (dot == std::string::npos || colon == std::string::npos) continue;
    const std::string key = line.substr(dot, colon - dot), value = trim(line.substr(colon + 1));
    if (line.rfind("  - .", 0) == 0) ks.emplace_back();  // new kernel
    if (ks.empty()) continue;
    KernelMeta& k = ks.back();
    if (line.rfind("      - .", 0) == 0) k.args.emplace_back();  // new argument
    const bool arg_level = dot >= 8;
    if (arg_level && !k.args.empty()) {
      Arg& a = k.args.back();
      if (key == ".offset") a.offset = uint32_t(std::stoul(value));
      if (key == ".size") a.size = uint32_t(std::stoul(value));
      if (key == ".value_kind") a.value_kind = value;
      if (key == ".name") a.name = value;
      if (key == ".type_name") a.type_name = value;
    } else if (dot == 4 || line.rfind("  - .", 0) == 0) {
      if (key == ".name") k.name = value;
      if (!value.empty()) k.keys[key] = value;
    }
  }
  return ks;
}

inline const KernelMeta& kernel(const std::vector<KernelMeta>& ks, const std::string& name) {
  for (const auto& k : ks)
    if (k.name == name) return k;
  throw std::runtime_error("llvm-readelf: no kernel " + name);
}

// Symbol value from `llvm-readelf-19 -s`.
inline uint64_t symbol(const std::string& co, const std::string& name) {
  std::istringstream in(run(std::string(SPORK_LLVM_READELF) + " -s '" + co + "'"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string num, value, size, type, bind, vis, ndx, sym;
    if (ls >> num >> value >> size >> type >> bind >> vis >> ndx >> sym && sym == name)
      return std::stoull(value, nullptr, 16);
  }
  throw std::runtime_error("llvm-readelf: no symbol " + name);
}

// 64 bytes at `vaddr` from `llvm-objdump-19 -s -j .rodata` (the descriptor lives there).
inline std::array<uint8_t, 64> descriptor_bytes(const std::string& co, uint64_t vaddr) {
  std::istringstream in(run(std::string(SPORK_LLVM_OBJDUMP) + " -s -j .rodata '" + co + "'"));
  std::map<uint64_t, uint8_t> bytes;
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 2 || line[0] != ' ') continue;
    line = line.substr(0, line.find("  ", 1));  // drop the ASCII column
    std::istringstream ls(line);
    std::string addr;
    ls >> addr;
    uint64_t a;
    try {
      a = std::stoull(addr, nullptr, 16);
    } catch (...) {
      continue;
    }
    for (int w = 0; w < 4; ++w) {
      std::string word;
      if (!(ls >> word) || word.size() % 2 || word.size() > 8 ||
          word.find_first_not_of("0123456789abcdef") != std::string::npos)
        break;
      for (size_t i = 0; i < word.size(); i += 2) bytes[a++] = uint8_t(std::stoul(word.substr(i, 2), nullptr, 16));
    }
  }
  std::array<uint8_t, 64> d{};
  for (int i = 0; i < 64; ++i) d[i] = bytes.at(vaddr + i);
  return d;
}

inline uint32_t u32(const std::array<uint8_t, 64>& d, size_t off) {
  return uint32_t(d[off]) | uint32_t(d[off + 1]) << 8 | uint32_t(d[off + 2]) << 16 | uint32_t(d[off + 3]) << 24;
}

}  // namespace oracle
