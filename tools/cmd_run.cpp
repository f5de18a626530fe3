// `spork run CODEOBJ KERNEL --grid X[,Y[,Z]] --block X[,Y[,Z]] [--arg SPEC]... [--out N:FILE]...`:
// runs any kernel of any code object with arguments given on the command line.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "command.h"
#include "runtime/device.h"
#include "spork_kernels.h"

namespace spork::cli {
namespace {

const char* kArgHelp =
    "One per explicit kernel argument, in order: buf:SIZE (zero-filled), buf:SIZE:0xBB (byte fill), "
    "buf@FILE (file contents), i8:N, i16:N, i32:N, u32:N, i64:N, u64:N, f32:X, f64:X. "
    "SIZE takes K/M/G suffixes (KiB, MiB, GiB).";

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

Dim3 parse_dim(const std::string& s, const char* what) {
  uint32_t v[3] = {1, 1, 1};
  size_t pos = 0;
  int n = 0;
  while (true) {
    if (n == 3) throw std::invalid_argument(std::string(what) + " '" + s + "': at most 3 dimensions (X[,Y[,Z]])");
    size_t comma = s.find(',', pos);
    std::string part = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    char* end = nullptr;
    errno = 0;
    unsigned long long x = std::strtoull(part.c_str(), &end, 0);
    if (part.empty() || *end || errno || x == 0 || x > 0xFFFFFFFFull || part[0] == '-')
      throw std::invalid_argument(std::string(what) + " '" + s + "': '" + part +
                                  "' is not a positive whole number (X[,Y[,Z]])");
    v[n++] = uint32_t(x);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return Dim3(v[0], v[1], v[2]);
}

uint64_t parse_size(const std::string& s, const std::string& spec) {
  char* end = nullptr;
  errno = 0;
  if (s.empty() || s[0] == '-') throw std::invalid_argument("--arg " + spec + ": bad size '" + s + "'");
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  uint64_t mul = 1;
  std::string suf = end;
  if (suf == "K" || suf == "k" || suf == "KiB")
    mul = 1ull << 10;
  else if (suf == "M" || suf == "MiB")
    mul = 1ull << 20;
  else if (suf == "G" || suf == "GiB")
    mul = 1ull << 30;
  else if (!suf.empty())
    throw std::invalid_argument("--arg " + spec + ": bad size '" + s + "' (use N, NK, NM or NG)");
  if (errno || v == 0) throw std::invalid_argument("--arg " + spec + ": size must be at least 1 byte");
  if (v > (uint64_t(1) << 40) / mul) throw std::invalid_argument("--arg " + spec + ": size too large");
  return v * mul;
}

// One parsed --arg.
struct ArgSpec {
  std::string text;
  bool is_buffer = false;
  uint64_t size = 0;
  uint8_t fill = 0;
  std::vector<uint8_t> contents;  // buf@FILE
  ArgKind kind = ArgKind::U32;
  uint64_t bits = 0;
};

template <class T>
T parse_int(const std::string& v, const std::string& spec) {
  char* end = nullptr;
  errno = 0;
  if (v.empty()) throw std::invalid_argument("--arg " + spec + ": missing value");
  if constexpr (std::is_signed_v<T>) {
    long long x = std::strtoll(v.c_str(), &end, 0);
    if (*end || errno || x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max())
      throw std::invalid_argument("--arg " + spec + ": '" + v + "' is not a whole number in [" +
                                  std::to_string(std::numeric_limits<T>::min()) + ", " +
                                  std::to_string(std::numeric_limits<T>::max()) + "]");
    return T(x);
  } else {
    unsigned long long x = std::strtoull(v.c_str(), &end, 0);
    if (*end || errno || v[0] == '-' || x > std::numeric_limits<T>::max())
      throw std::invalid_argument("--arg " + spec + ": '" + v + "' is not a whole number in [0, " +
                                  std::to_string(std::numeric_limits<T>::max()) + "]");
    return T(x);
  }
}

ArgSpec parse_arg(const std::string& spec) {
  ArgSpec a;
  a.text = spec;
  if (spec.rfind("buf@", 0) == 0) {
    a.is_buffer = true;
    a.contents = read_file(spec.substr(4));
    if (a.contents.empty()) throw std::invalid_argument("--arg " + spec + ": the file is empty");
    a.size = a.contents.size();
    return a;
  }
  size_t colon = spec.find(':');
  if (colon == std::string::npos) throw std::invalid_argument("--arg '" + spec + "': expected TYPE:VALUE. " + kArgHelp);
  std::string type = spec.substr(0, colon), v = spec.substr(colon + 1);
  if (type == "buf") {
    a.is_buffer = true;
    size_t c2 = v.find(':');
    a.size = parse_size(v.substr(0, c2), spec);
    if (c2 != std::string::npos) a.fill = parse_int<uint8_t>(v.substr(c2 + 1), spec);
    return a;
  }
  auto set = [&](ArgKind k, uint64_t bits) {
    a.kind = k;
    a.bits = bits;
  };
  if (type == "i8")
    set(ArgKind::I8, uint8_t(parse_int<int8_t>(v, spec)));
  else if (type == "u8")
    set(ArgKind::U8, parse_int<uint8_t>(v, spec));
  else if (type == "i16")
    set(ArgKind::I16, uint16_t(parse_int<int16_t>(v, spec)));
  else if (type == "u16")
    set(ArgKind::U16, parse_int<uint16_t>(v, spec));
  else if (type == "i32")
    set(ArgKind::I32, uint32_t(parse_int<int32_t>(v, spec)));
  else if (type == "u32")
    set(ArgKind::U32, parse_int<uint32_t>(v, spec));
  else if (type == "i64")
    set(ArgKind::I64, uint64_t(parse_int<int64_t>(v, spec)));
  else if (type == "u64")
    set(ArgKind::U64, parse_int<uint64_t>(v, spec));
  else if (type == "f32" || type == "f64") {
    char* end = nullptr;
    errno = 0;
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || *end || errno == EINVAL)
      throw std::invalid_argument("--arg " + spec + ": '" + v + "' is not a number");
    if (type == "f32") {
      float f = float(d);
      uint32_t b;
      std::memcpy(&b, &f, 4);
      set(ArgKind::F32, b);
    } else {
      uint64_t b;
      std::memcpy(&b, &d, 8);
      set(ArgKind::F64, b);
    }
  } else {
    throw std::invalid_argument("--arg '" + spec + "': unknown type '" + type + "'. " + kArgHelp);
  }
  return a;
}

struct RunOptions {
  std::string codeobj, kernel, grid, block, device, dump_ib, placement = "vram";
  std::vector<std::string> args, outs;
  bool time = false, stats = false;
  double timeout_s = 0;
  uint64_t sim_budget = 0;
};

void run(const RunOptions& o) {
  Dim3 grid = parse_dim(o.grid, "--grid"), block = parse_dim(o.block, "--block");
  Placement placement = parse_placement(o.placement);
  std::vector<ArgSpec> specs;
  for (const auto& s : o.args) specs.push_back(parse_arg(s));
  std::map<size_t, std::string> outs;
  for (const auto& s : o.outs) {
    size_t c = s.find(':');
    if (c == std::string::npos || c == 0 || c + 1 == s.size())
      throw std::invalid_argument("--out '" + s + "': expected N:FILE (N = 0-based argument index)");
    size_t n = parse_int<uint32_t>(s.substr(0, c), "--out " + s);
    if (n >= specs.size())
      throw std::invalid_argument("--out " + s + ": there is no argument " + std::to_string(n) + " (" +
                                  std::to_string(specs.size()) + " --arg given)");
    if (!specs[n].is_buffer)
      throw std::invalid_argument("--out " + s + ": argument " + std::to_string(n) + " (" + specs[n].text +
                                  ") is not a buffer");
    outs[n] = s.substr(c + 1);
  }

  DeviceOptions dopt;
  dopt.selector = o.device;
  dopt.sim_collect_stats = o.stats;
  dopt.sim_instruction_budget = o.sim_budget;
  Device dev = Device::open(dopt);
  if (o.timeout_s > 0) dev.set_default_timeout(std::chrono::nanoseconds(int64_t(o.timeout_s * 1e9)));

  // CODEOBJ: a file, else an embedded code object ("gfx1100/gemm", or "gemm" for the device's target).
  Module mod;
  if (std::filesystem::is_directory(o.codeobj)) {
    throw std::invalid_argument("'" + o.codeobj + "' is a directory, not a code object file");
  } else if (std::filesystem::exists(o.codeobj)) {
    mod = dev.load_file(o.codeobj);
  } else {
    auto bytes = kernels::find(o.codeobj);
    std::string name = o.codeobj;
    if (bytes.empty() && o.codeobj.find('/') == std::string::npos) {
      name = dev.info().gfx_target + "/" + o.codeobj;
      bytes = kernels::find(name);
    }
    if (bytes.empty()) {
      std::string list;
      for (const auto& b : kernels::all()) list += (list.empty() ? "" : ", ") + std::string(b.name);
      throw std::invalid_argument("'" + o.codeobj +
                                  "' is neither a file nor an embedded code object (embedded: " + list + ")");
    }
    mod = dev.load(bytes, "embedded " + name);
  }
  Function fn = mod.function(o.kernel);

  std::vector<Buffer> bufs(specs.size());
  Args args;
  for (size_t i = 0; i < specs.size(); ++i) {
    const ArgSpec& s = specs[i];
    if (s.is_buffer) {
      bufs[i] = dev.alloc(s.size, placement);
      if (!s.contents.empty())
        bufs[i].upload(s.contents.data(), s.contents.size());
      else
        bufs[i].fill(s.fill);
      args.buffer(bufs[i]);
    } else {
      switch (s.kind) {
        case ArgKind::I8:
          args.i8(int8_t(s.bits));
          break;
        case ArgKind::U8:
          args.u8(uint8_t(s.bits));
          break;
        case ArgKind::I16:
          args.i16(int16_t(s.bits));
          break;
        case ArgKind::U16:
          args.u16(uint16_t(s.bits));
          break;
        case ArgKind::I32:
          args.i32(int32_t(s.bits));
          break;
        case ArgKind::U32:
          args.u32(uint32_t(s.bits));
          break;
        case ArgKind::I64:
          args.i64(int64_t(s.bits));
          break;
        case ArgKind::U64:
          args.u64(s.bits);
          break;
        case ArgKind::F32: {
          float f;
          uint32_t b = uint32_t(s.bits);
          std::memcpy(&f, &b, 4);
          args.f32(f);
          break;
        }
        case ArgKind::F64: {
          double d;
          std::memcpy(&d, &s.bits, 8);
          args.f64(d);
          break;
        }
        case ArgKind::Pointer:
          break;
      }
    }
  }

  Queue q = dev.queue();
  auto t0 = std::chrono::steady_clock::now();
  Fence f = q.launch(fn, grid, block, args);
  auto write_ib = [&] {
    if (o.dump_ib.empty()) return;
    std::ofstream out(o.dump_ib, std::ios::binary);
    const auto& ib = f.ib();
    out.write(reinterpret_cast<const char*>(ib.data()), std::streamsize(ib.size() * 4));
    if (!out) throw std::runtime_error("cannot write '" + o.dump_ib + "'");
  };
  try {
    f.wait();
  } catch (...) {
    write_ib();  // the IB helps most when the dispatch failed
    throw;
  }
  auto t1 = std::chrono::steady_clock::now();
  write_ib();

  for (const auto& [n, path] : outs) {
    std::vector<uint8_t> data(bufs[n].size());
    bufs[n].download(data.data(), data.size());
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
    if (!out) throw std::runtime_error("cannot write '" + path + "'");
  }

  if (o.time) {
    auto t = f.timing(0);
    double host_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    std::printf("gpu time: %.6f ms (%llu ticks at %.3f MHz)%s; host time (submit..fence): %.3f ms\n", t.ms,
                (unsigned long long)(t.end_ticks - t.begin_ticks), double(dev.info().timestamp_hz) / 1e6,
                dev.simulated() ? " [simulated: host time, not hardware speed]" : "", host_ms);
  }
  if (o.stats) {
    auto s = f.sim_stats(0);
    if (!s) {
      std::fprintf(stderr, "spork: --stats: only the simulator collects statistics (device: %s)\n",
                   dev.description().c_str());
    } else {
      std::printf("stats: %llu workgroups, %llu waves, %llu instructions\n", (unsigned long long)s->workgroups,
                  (unsigned long long)s->waves, (unsigned long long)s->instructions());
      std::printf(
          "  salu %llu  valu %llu  vopd %llu  smem %llu  vmem %llu  lds %llu  branch %llu  waitcnt %llu  other %llu\n",
          (unsigned long long)s->salu, (unsigned long long)s->valu, (unsigned long long)s->vopd,
          (unsigned long long)s->smem, (unsigned long long)s->vmem, (unsigned long long)s->lds,
          (unsigned long long)s->branch, (unsigned long long)s->waitcnt, (unsigned long long)s->other);
      std::printf("  valu_util %.3f  lane_fmas %llu  fma_per_inst %.3f  vopd_share %.3f\n", s->valu_util(),
                  (unsigned long long)s->fma_lanes, s->fma_per_inst(), s->vopd_share());
      std::printf("  bytes read vram %llu gtt %llu  written vram %llu gtt %llu  lds %llu\n",
                  (unsigned long long)(s->bytes_read - s->bytes_read_gtt), (unsigned long long)s->bytes_read_gtt,
                  (unsigned long long)(s->bytes_written - s->bytes_written_gtt),
                  (unsigned long long)s->bytes_written_gtt, (unsigned long long)s->lds_bytes);
    }
  }
}

Registrar reg(40, [](CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run any kernel of any code object with arguments from the command line");
  cmd->add_option("CODEOBJ", o->codeobj, "Code object file, or an embedded one (gfx1100/gemm)")->required();
  cmd->add_option("KERNEL", o->kernel, "Kernel name")->required();
  cmd->add_option("--grid", o->grid, "Workgroups: X[,Y[,Z]]")->required();
  cmd->add_option("--block", o->block, "Work-items per workgroup: X[,Y[,Z]]")->required();
  cmd->add_option("--device", o->device,
                  "sim, amdgpu or a render node path (default: $SPORK_DEVICE, else amdgpu if present, else sim)");
  cmd->add_option("--arg", o->args, kArgHelp);
  cmd->add_option("--out", o->outs, "N:FILE: write buffer argument N (0-based argument index) to FILE after the run");
  cmd->add_option("--placement", o->placement, "Where buffer arguments live: vram, vram-visible, gtt")
      ->capture_default_str();
  cmd->add_flag("--time", o->time, "Print the GPU-timestamped duration of the dispatch");
  cmd->add_option("--dump-ib", o->dump_ib, "Write the submitted IB to FILE (decode with `spork pm4 decode`)");
  cmd->add_flag("--stats", o->stats, "Print simulator instruction statistics");
  cmd->add_option("--timeout", o->timeout_s, "Seconds to wait for the dispatch before reporting a hang");
  cmd->add_option("--sim-budget", o->sim_budget,
                  "Simulator: wave-instructions the dispatch may run before it is reported as a hang (default 4e9)");
  cmd->callback([o] { run(*o); });
});

}  // namespace
}  // namespace spork::cli
