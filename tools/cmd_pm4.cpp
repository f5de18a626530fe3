// spork pm4 decode FILE [--hex]: decodes a PM4 command stream (little-endian dwords, or
// whitespace-separated hex with --hex; "-" reads stdin). Exits 1 after printing what it could
// when the stream is malformed.
// spork pm4 show-dispatch CODEOBJ KERNEL --grid X[,Y,Z] --block X[,Y,Z]: the IB spork would
// submit for that dispatch, decoded, with placeholder addresses. CODEOBJ may name an embedded
// kernel ("gfx1100/gemm") when no such file exists.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "command.h"
#include "pm4/decoder.h"
#include "runtime/codeobj.h"
#include "runtime/dispatch.h"
#include "runtime/kernargs.h"
#include "spork_kernels.h"

namespace spork::cli {
namespace {

std::vector<uint8_t> read_all(const std::string& path) {
  if (path == "-") {
    std::vector<uint8_t> b((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return b;
  }
  if (std::filesystem::is_directory(path)) throw Exit(2, path + " is a directory, not a PM4 stream file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Exit(2, "cannot open " + path + ": " + std::strerror(errno));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<uint32_t> parse_hex(const std::vector<uint8_t>& text) {
  std::vector<uint32_t> out;
  std::istringstream is(std::string(text.begin(), text.end()));
  std::string tok;
  size_t n = 0;
  while (is >> tok) {
    ++n;
    std::string t = tok;
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) t = t.substr(2);
    if (t.empty() || t.size() > 8 || t.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
      throw Exit(2, "--hex: word " + std::to_string(n) + " '" + tok + "' is not a 32-bit hex number");
    out.push_back(uint32_t(std::stoul(t, nullptr, 16)));
  }
  return out;
}

Dim3u parse_dim(const std::string& s, const char* what, uint32_t fill = 1) {
  Dim3u d;
  uint32_t v[3] = {fill, fill, fill};
  std::stringstream ss(s);
  std::string part;
  int i = 0;
  while (std::getline(ss, part, ',')) {
    if (i == 3) throw Exit(2, std::string(what) + " takes at most 3 numbers: " + s);
    try {
      size_t used = 0;
      const unsigned long x = std::stoul(part, &used, 0);
      if (used != part.size() || x > 0xFFFFFFFFul) throw std::invalid_argument("");
      v[i++] = uint32_t(x);
    } catch (const std::exception&) {
      throw Exit(2, std::string(what) + ": '" + part + "' is not a number (expected X[,Y[,Z]])");
    }
  }
  if (i == 0) throw Exit(2, std::string(what) + " is empty");
  d.x = v[0], d.y = v[1], d.z = v[2];
  return d;
}

CodeObject load_code_object(const std::string& name) {
  if (std::filesystem::exists(name)) return CodeObject::from_file(name);
  const auto blob = spork::kernels::find(name);
  if (!blob.empty()) return CodeObject::from_memory(blob, "embedded:" + name);
  std::string names;
  for (const auto& b : spork::kernels::all()) names += " " + std::string(b.name);
  throw Exit(2, "no file or embedded code object named '" + name + "' (embedded:" + names + ")");
}

void decode_cmd(const std::string& path, bool hex) {
  const std::vector<uint8_t> bytes = read_all(path);
  std::vector<uint32_t> dw;
  if (hex) {
    dw = parse_hex(bytes);
  } else {
    if (bytes.size() % 4)
      std::fprintf(stderr, "spork pm4 decode: %zu trailing byte(s) after the last whole dword ignored\n",
                   bytes.size() % 4);
    dw.resize(bytes.size() / 4);
    for (size_t i = 0; i < dw.size(); ++i)
      dw[i] = uint32_t(bytes[4 * i]) | uint32_t(bytes[4 * i + 1]) << 8 | uint32_t(bytes[4 * i + 2]) << 16 |
              uint32_t(bytes[4 * i + 3]) << 24;
  }
  const pm4::Decoding d = pm4::decode(dw);
  std::fputs(pm4::format(d).c_str(), stdout);
  std::printf("%zu dwords, %zu packets\n", dw.size(), d.packets.size());
  if (!d.ok() || (!hex && bytes.size() % 4))
    throw Exit(1, "malformed PM4 stream (" + std::to_string(d.error_count) + " error(s))");
}

struct ShowOptions {
  std::string codeobj, kernel, grid = "1", block = "", start = "0";
  uint32_t scratch_waves = 32;
};

void show_dispatch(const ShowOptions& o) {
  const CodeObject co = load_code_object(o.codeobj);
  const Kernel& k = co.kernel(o.kernel);
  // Placeholder GPU addresses (a real run places these in BOs it allocates).
  const uint64_t kImageBase = 0x100000000ull, kKernarg = 0x200000000ull, kPacket = 0x200001000ull,
                 kScratch = 0x300000000ull, kTimestamps = 0x400000000ull, kFence = 0x400000010ull;
  LaunchGeometry g;
  g.grid = parse_dim(o.grid, "--grid");
  if (!o.block.empty()) {
    g.workgroup = parse_dim(o.block, "--block");
  } else if (k.metadata.reqd_workgroup_size) {
    g.workgroup = {(*k.metadata.reqd_workgroup_size)[0], (*k.metadata.reqd_workgroup_size)[1],
                   (*k.metadata.reqd_workgroup_size)[2]};
  } else {
    throw Exit(2, k.name + " has no reqd_work_group_size: give --block X[,Y,Z]");
  }
  g.start = parse_dim(o.start, "--start", 0);

  DispatchParams p;
  p.geometry = g;
  p.code_address = kImageBase + k.code_vaddr();
  p.kernarg_address = kKernarg;
  p.kernarg_bytes = std::max(k.metadata.kernarg_segment_size, k.descriptor.kernarg_size);
  if (k.descriptor.enable_sgpr_dispatch_ptr) p.dispatch_packet_address = kPacket;
  const uint32_t wave = k.descriptor.enable_wavefront_size32 ? 32 : 64;
  if (k.descriptor.private_segment_fixed_size || k.descriptor.rsrc2.ENABLE_PRIVATE_SEGMENT ||
      k.descriptor.uses_dynamic_stack) {
    const uint32_t per_wave =
        std::max<uint32_t>(256, (k.descriptor.private_segment_fixed_size * wave + 255) / 256 * 256);
    p.scratch = ScratchArea{kScratch, per_wave, o.scratch_waves};
  }
  p.timestamp_begin = kTimestamps;
  p.timestamp_end = kTimestamps + 8;
  const std::vector<uint32_t> ib = build_dispatch_ib(k, p, {.address = kFence, .value = 1});

  std::printf("# %s kernel %s, grid (%u,%u,%u) workgroups of (%u,%u,%u), start (%u,%u,%u)\n", co.origin().c_str(),
              k.name.c_str(), g.grid.x, g.grid.y, g.grid.z, g.workgroup.x, g.workgroup.y, g.workgroup.z, g.start.x,
              g.start.y, g.start.z);
  std::printf(
      "# PLACEHOLDER addresses: image 0x%llx (code at +0x%llx), kernarg 0x%llx%s%s, timestamps 0x%llx, "
      "fence 0x%llx\n",
      (unsigned long long)kImageBase, (unsigned long long)k.code_vaddr(), (unsigned long long)kKernarg,
      p.dispatch_packet_address ? ", dispatch packet 0x200001000" : "", p.scratch ? ", scratch 0x300000000" : "",
      (unsigned long long)kTimestamps, (unsigned long long)kFence);
  std::printf("# user SGPRs:");
  const auto us = user_sgprs(k, p);
  for (size_t i = 0; i < us.size(); ++i) std::printf("%s s%zu=%s", i ? "," : "", i, us[i].what);
  if (us.empty()) std::printf(" none");
  std::printf("\n# hidden arguments:");
  std::vector<uint8_t> ka(p.kernarg_bytes, 0);
  fill_hidden_args(k, ka, g);
  bool any = false;
  for (const KernelArg& a : k.metadata.args) {
    if (!a.hidden() || a.offset + a.size > ka.size() || a.size > 8) continue;
    uint64_t v = 0;
    std::memcpy(&v, ka.data() + a.offset, a.size);
    std::printf(" %s@%u=%llu", a.value_kind.c_str() + 7, a.offset, (unsigned long long)v);
    any = true;
  }
  std::printf("%s\n", any ? "" : " none");
  const pm4::Decoding d = pm4::decode(ib);
  std::fputs(pm4::format(d).c_str(), stdout);
  std::printf("%zu dwords, %zu packets\n", ib.size(), d.packets.size());
}

const Registrar reg(40, [](CLI::App& app) {
  CLI::App* pm4 = app.add_subcommand("pm4", "PM4 command streams: decode one, or show the IB of a dispatch");
  pm4->require_subcommand(1);

  auto path = std::make_shared<std::string>();
  auto hex = std::make_shared<bool>(false);
  CLI::App* dec = pm4->add_subcommand("decode", "Decode a PM4 stream (little-endian dwords; '-' = stdin)");
  dec->add_option("FILE", *path, "binary file of little-endian dwords, or '-' for stdin")->required();
  dec->add_flag("--hex", *hex, "input is whitespace-separated hex dwords (0x prefix optional)");
  dec->callback([path, hex] { decode_cmd(*path, *hex); });

  auto so = std::make_shared<ShowOptions>();
  CLI::App* show = pm4->add_subcommand(
      "show-dispatch", "Print the decoded IB spork would submit for one dispatch (placeholder addresses)");
  show->add_option("CODEOBJ", so->codeobj, "code object file, or an embedded name such as gfx1100/gemm")->required();
  show->add_option("KERNEL", so->kernel, "kernel name")->required();
  show->add_option("--grid", so->grid, "workgroups X[,Y,Z]")->capture_default_str();
  show->add_option("--block", so->block, "work-items per workgroup X[,Y,Z] (default: reqd_work_group_size)");
  show->add_option("--start", so->start, "first workgroup id X[,Y,Z] (COMPUTE_START_*)")->capture_default_str();
  show->add_option("--scratch-waves", so->scratch_waves, "waves the placeholder scratch area holds")
      ->capture_default_str()
      ->check(CLI::Range(1, 4095));
  show->callback([so] { show_dispatch(*so); });
});

}  // namespace
}  // namespace spork::cli
