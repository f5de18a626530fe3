// Test harness for end-to-end simulator tests: real code objects, real dispatch IBs from
// runtime/dispatch + runtime/kernargs, submitted to a sim::Gpu exactly as the runtime would.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/codeobj.h"
#include "runtime/dispatch.h"
#include "runtime/kernargs.h"
#include "sim/gpu.h"

namespace simtest {

using namespace spork;

inline std::string kernel_path(const std::string& name) {
  return std::string(SPORK_SIM_KERNEL_DIR) + "/gfx1100/" + name + ".co";
}
inline std::string spork_kernel_path(const std::string& name) {
  return std::string(SPORK_BINARY_DIR) + "/kernels/gfx1100/" + name + ".co";
}

struct Buffer {
  sim::Memory::BoHandle bo = 0;
  uint64_t va = 0, size = 0;
  uint8_t* host = nullptr;
  template <class T>
  T* as() const {
    return reinterpret_cast<T*>(host);
  }
  template <class T>
  void upload(const std::vector<T>& v) const {
    if (v.size() * sizeof(T) > size) throw std::out_of_range("upload larger than the buffer");
    std::memcpy(host, v.data(), v.size() * sizeof(T));
  }
  template <class T>
  std::vector<T> download(size_t n) const {
    std::vector<T> v(n);
    std::memcpy(v.data(), host, n * sizeof(T));
    return v;
  }
  void poison(uint8_t byte = 0xCD) const { std::memset(host, byte, size); }
};

struct Program {
  CodeObject co;
  Buffer image;
  const Kernel& kernel(const std::string& name) const { return co.kernel(name); }
};

struct Launch {
  const Kernel* kernel = nullptr;
  uint64_t image_base = 0;
  std::vector<ArgValue> args;
  LaunchGeometry geometry;
};

class SimEnv {
 public:
  explicit SimEnv(sim::GpuOptions opt = default_options()) : gpu(opt) {}
  static sim::GpuOptions default_options() {
    sim::GpuOptions o;
    o.instruction_budget = 2'000'000'000ull;
    o.wait_timeout = std::chrono::milliseconds(3000);
    return o;
  }

  sim::Gpu gpu;

  Buffer alloc(uint64_t size, sim::Domain domain = sim::Domain::VRAM,
               uint32_t perms = sim::PERM_READ | sim::PERM_WRITE) {
    auto& m = gpu.memory();
    uint64_t rounded = (size + 4095) / 4096 * 4096;
    if (rounded == 0) rounded = 4096;
    Buffer b;
    b.bo = m.create_bo(rounded, domain);
    // Fresh addresses only, with an unmapped guard page after every buffer, so that an
    // access one past the end faults and a stale address never hits a newer buffer.
    b.va = next_va_;
    next_va_ += rounded + 4096;
    m.map(b.bo, b.va, 0, rounded, perms);
    b.size = size;
    b.host = m.bo_cpu_ptr(b.bo);
    return b;
  }
  template <class T>
  Buffer upload(const std::vector<T>& v, sim::Domain domain = sim::Domain::VRAM) {
    Buffer b = alloc(v.size() * sizeof(T), domain);
    b.upload(v);
    return b;
  }

  Program load(const std::string& path) {
    Program p{CodeObject::from_file(path), {}};
    uint64_t size = (p.co.image_size() + 4095) / 4096 * 4096;
    auto& m = gpu.memory();
    p.image.bo = m.create_bo(size, sim::Domain::VRAM);
    next_va_ = (next_va_ + 0xFFFF) & ~uint64_t(0xFFFF);
    p.image.va = next_va_;
    next_va_ += size + 4096;
    std::vector<uint8_t> img = p.co.load_image(p.image.va);
    std::memcpy(m.bo_cpu_ptr(p.image.bo), img.data(), img.size());
    m.map(p.image.bo, p.image.va, 0, size, sim::PERM_READ | sim::PERM_EXEC);
    p.image.size = size;
    p.image.host = m.bo_cpu_ptr(p.image.bo);
    return p;
  }

  // Builds one IB with every launch (in order) and a fence, submits it and waits. Each
  // dispatch records begin/end GPU timestamps (see timestamps()). `edit` may rewrite the IB.
  sim::SubmissionResult run(const std::vector<Launch>& launches,
                            std::chrono::milliseconds timeout = std::chrono::minutes(10),
                            const std::function<void(std::vector<uint32_t>&)>& edit = {}) {
    DispatchBuilder b;
    std::vector<Buffer> temps;
    Buffer ts = alloc(16 * launches.size() + 16, sim::Domain::GTT);
    ts.poison(0);
    temps.push_back(ts);
    size_t li = 0;
    for (const Launch& l : launches) {
      const Kernel& k = *l.kernel;
      PackedKernargs ka = pack_kernargs(k, l.args, l.geometry);
      Buffer kb = alloc(std::max<size_t>(ka.bytes.size(), 256), sim::Domain::GTT, sim::PERM_READ);
      std::memcpy(kb.host, ka.bytes.data(), ka.bytes.size());
      temps.push_back(kb);
      DispatchParams p;
      p.geometry = l.geometry;
      p.code_address = l.image_base + k.code_vaddr();
      p.kernarg_address = kb.va;
      p.kernarg_bytes = uint32_t(std::max<size_t>(ka.bytes.size(), 256));
      p.dynamic_lds_bytes = ka.dynamic_lds_bytes;
      if (k.descriptor.enable_sgpr_dispatch_ptr) {
        auto pkt = make_dispatch_packet(k, l.geometry, l.image_base + k.descriptor_vaddr, kb.va, ka.dynamic_lds_bytes);
        Buffer db = alloc(64, sim::Domain::GTT, sim::PERM_READ);
        std::memcpy(db.host, pkt.data(), pkt.size());
        temps.push_back(db);
        p.dispatch_packet_address = db.va;
      }
      uint32_t priv = std::max(k.descriptor.private_segment_fixed_size, k.metadata.private_segment_fixed_size);
      if (priv > 0) {
        ScratchArea s;
        s.bytes_per_wave = (priv * 32 + 255) / 256 * 256;
        s.waves = 1024;
        Buffer sb = alloc(s.size(), sim::Domain::VRAM);
        temps.push_back(sb);
        s.address = sb.va;
        p.scratch = s;
      }
      p.timestamp_begin = ts.va + 16 * li;
      p.timestamp_end = ts.va + 16 * li + 8;
      ++li;
      b.add(k, p);
    }
    Buffer fence = alloc(8, sim::Domain::GTT);
    temps.push_back(fence);
    const uint64_t fence_value = 0x5EC0DE00000000ull + (++fence_counter_);
    std::vector<uint32_t> ib = b.finish({fence.va, fence_value});
    if (edit) edit(ib);
    Buffer ibb = alloc(ib.size() * 4, sim::Domain::GTT, sim::PERM_READ);
    std::memcpy(ibb.host, ib.data(), ib.size() * 4);
    temps.push_back(ibb);
    uint64_t seq = gpu.submit({{ibb.va, uint32_t(ib.size())}});
    sim::SubmissionResult r = gpu.wait(seq, timeout);
    if (r.ok()) {
      uint64_t f;
      std::memcpy(&f, fence.host, 8);
      if (f != fence_value) throw std::runtime_error("submission completed but the fence was not written");
    }
    timestamps_.assign(launches.size() * 2, 0);
    std::memcpy(timestamps_.data(), ts.host, timestamps_.size() * 8);
    for (const Buffer& t : temps) free(t);
    return r;
  }

  sim::SubmissionResult run1(const Program& prog, const std::string& kernel, std::vector<ArgValue> args, Dim3u grid,
                             Dim3u wg) {
    Launch l;
    l.kernel = &prog.kernel(kernel);
    l.image_base = prog.image.va;
    l.args = std::move(args);
    l.geometry.grid = grid;
    l.geometry.workgroup = wg;
    return run({l});
  }

  // Submits raw IB dwords (for CP tests) and waits.
  sim::SubmissionResult submit_ib(const std::vector<uint32_t>& ib,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    Buffer ibb = alloc(ib.size() * 4, sim::Domain::GTT, sim::PERM_READ);
    std::memcpy(ibb.host, ib.data(), ib.size() * 4);
    uint64_t seq = gpu.submit({{ibb.va, uint32_t(ib.size())}});
    auto r = gpu.wait(seq, timeout);
    free(ibb);
    return r;
  }

  void free(const Buffer& b) { gpu.memory().destroy_bo(b.bo); }

  // Begin/end GPU timestamps of each dispatch of the last run() (100 MHz ticks).
  const std::vector<uint64_t>& timestamps() const { return timestamps_; }

 private:
  uint64_t fence_counter_ = 0;
  std::vector<uint64_t> timestamps_;
  uint64_t next_va_ = sim::Memory::kVaStart + (1ull << 20);
};

inline ArgValue buf(const Buffer& b) { return ArgValue::buffer(b.va); }
template <class T>
inline ArgValue val(T v) {
  return ArgValue::scalar(v);
}

// Deterministic random inputs.
inline std::mt19937_64& rng() {
  static std::mt19937_64 r(0x5107C0DEull);
  return r;
}
inline std::vector<float> random_floats(size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng());
  return v;
}
template <class T>
inline std::vector<T> random_ints(size_t n, T lo, T hi) {
  std::uniform_int_distribution<T> d(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = d(rng());
  return v;
}

inline std::string describe(const sim::SubmissionResult& r) {
  return std::string(sim::to_string(r.status)) + (r.ok() ? "" : ": " + r.error.message);
}

inline uint32_t div_up(uint32_t a, uint32_t b) { return (a + b - 1) / b; }

}  // namespace simtest
