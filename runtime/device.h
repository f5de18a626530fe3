// spork's public API: open a device (amdgpu render node or the simulator), allocate
// buffers, load code objects, launch kernels, wait on fences, read GPU timestamps.
//
//   spork::Device dev = spork::Device::open();              // $SPORK_DEVICE, else amdgpu, else sim
//   spork::Buffer a = dev.alloc(bytes, spork::Placement::VRAM);
//   a.upload(host.data(), bytes);                            // staged through GTT when needed
//   spork::Module m = dev.load(spork::kernels::find("gfx1100/gemm"));
//   spork::Queue q = dev.queue();
//   spork::Fence f = q.launch(m.function("gemm"), {gx, gy}, {16, 16},
//                             spork::Args().buffer(A).buffer(B).buffer(C).u32(M).u32(N).u32(K));
//   f.wait();  f.gpu_ms();
//
// Several dispatches recorded with Queue::dispatch() go into one IB at Queue::submit();
// submissions are asynchronous and any number may be in flight. Every handle is RAII and
// shares ownership of what the GPU may still be using: a Buffer or Module destroyed while a
// submission that uses it is in flight is freed when that submission is done. Objects of
// one Device may be used from one thread at a time.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "runtime/codeobj.h"
#include "runtime/winsys.h"

namespace spork {

namespace detail {
struct DeviceCore;
struct BoState;
struct ModuleState;
struct Submission;
struct QueueState;
}  // namespace detail

// Where a buffer lives.
enum class Placement {
  VRAM,              // device memory, not CPU-visible (uploads/downloads staged through GTT)
  VRAM_CPU_VISIBLE,  // device memory in the CPU-visible window (large BAR / 256 MiB window)
  GTT,               // system memory mapped for the GPU
};
const char* to_string(Placement p);
// "vram", "vram-visible", "gtt" (case-insensitive); throws std::invalid_argument.
Placement parse_placement(std::string_view s);

struct Dim3 {
  uint32_t x = 1, y = 1, z = 1;
  Dim3() = default;
  Dim3(uint32_t x_, uint32_t y_ = 1, uint32_t z_ = 1) : x(x_), y(y_), z(z_) {}
  uint64_t count() const { return uint64_t(x) * y * z; }
};

struct DeviceOptions {
  // "sim", "amdgpu" (first render node), or a render node path. Empty: $SPORK_DEVICE,
  // and when that is unset too, the first usable amdgpu node, else the simulator.
  std::string selector;
  bool announce = true;  // one stderr line saying which device was picked and why
  // Simulator only:
  bool sim_collect_stats = false;  // per-dispatch instruction statistics (Fence::sim_stats)
  unsigned sim_threads = 0;        // shader threads (0: one per hardware thread)
  // Wave-instructions one dispatch may run before it is reported as a hang (0: the default,
  // 4e9, a few minutes of the model; the simulator cannot abandon a running dispatch sooner).
  uint64_t sim_instruction_budget = 0;
};

// Statistics of one simulated dispatch (a copy of sim::DispatchStats without the sim header).
struct SimStats {
  uint64_t waves = 0, workgroups = 0;
  uint64_t salu = 0, valu = 0, vopd = 0, smem = 0, vmem = 0, lds = 0, branch = 0, waitcnt = 0, other = 0;
  uint64_t valu_active_lanes = 0, fma_lanes = 0;
  uint64_t bytes_read = 0, bytes_written = 0, lds_bytes = 0;
  uint64_t bytes_read_gtt = 0, bytes_written_gtt = 0;  // the GTT part of bytes_read/written (rest: VRAM)
  uint64_t instructions() const { return salu + valu + vopd + smem + vmem + lds + branch + waitcnt + other; }
  // Active lanes per (non-VOPD) VALU issue over the 32 of a wave32.
  double valu_util() const { return valu ? double(valu_active_lanes) / (32.0 * double(valu)) : 0; }
  // Lane-FMAs per wave instruction issued (all kinds).
  double fma_per_inst() const { return instructions() ? double(fma_lanes) / double(instructions()) : 0; }
  // Share of vector ALU issues that are dual-issued (VOPD).
  double vopd_share() const { return valu + vopd ? double(vopd) / double(valu + vopd) : 0; }
};

class Buffer {
 public:
  Buffer() = default;
  explicit operator bool() const { return bool(bo_); }
  uint64_t size() const;  // bytes requested
  uint64_t gpu_address() const;
  Placement placement() const;
  bool cpu_visible() const;  // VRAM_CPU_VISIBLE or GTT
  // CPU pointer to the buffer (throws DeviceError for Placement::VRAM).
  void* map();
  template <class T>
  std::span<T> map_as() {
    return {static_cast<T*>(map()), size_t(size() / sizeof(T))};
  }
  // Copies to/from the buffer; staged through GTT and the GPU when not CPU-visible (waits).
  // The caller makes sure no in-flight dispatch writes the range.
  void upload(const void* src, uint64_t bytes, uint64_t offset = 0);
  void download(void* dst, uint64_t bytes, uint64_t offset = 0) const;
  template <class T>
  void upload(std::span<const T> v, uint64_t offset = 0) {
    upload(v.data(), v.size_bytes(), offset);
  }
  template <class T>
  void upload(const std::vector<T>& v, uint64_t offset = 0) {
    upload(v.data(), v.size() * sizeof(T), offset);
  }
  template <class T>
  std::vector<T> download_as(size_t count, uint64_t offset = 0) const {
    std::vector<T> v(count);
    download(v.data(), count * sizeof(T), offset);
    return v;
  }
  void fill(uint8_t byte);  // whole buffer

 private:
  friend class Device;
  friend class Args;
  friend class Queue;
  std::shared_ptr<detail::BoState> bo_;
};

// A kernel of a loaded Module, ready to launch.
class Function {
 public:
  const Kernel& kernel() const { return *kernel_; }
  const std::string& name() const { return kernel_->name; }
  uint64_t descriptor_address() const;  // GPU address of <name>.kd

 private:
  friend class Module;
  friend class Queue;
  std::shared_ptr<detail::ModuleState> module_;
  const Kernel* kernel_ = nullptr;
};

// A code object loaded into an executable BO (load_image at the BO's GPU address).
class Module {
 public:
  const CodeObject& code_object() const;
  uint64_t gpu_address() const;
  // Throws CodeObjectError naming the kernels there are.
  Function function(std::string_view kernel_name) const;

 private:
  friend class Device;
  std::shared_ptr<detail::ModuleState> m_;
};

enum class ArgKind { Pointer, I8, U8, I16, U16, I32, U32, I64, U64, F32, F64 };
const char* to_string(ArgKind k);

// Explicit kernel arguments, in order. Hidden arguments are filled by the runtime.
class Args {
 public:
  struct Arg {
    ArgKind kind = ArgKind::U32;
    uint64_t bits = 0;                    // value (little-endian bytes of the scalar) or GPU address
    std::shared_ptr<detail::BoState> bo;  // buffer the pointer points into (kept alive, put in the BO list)
    uint32_t size() const;
  };
  Args& buffer(const Buffer& b, uint64_t offset = 0);
  Args& address(uint64_t gpu_address);  // raw pointer into memory the caller keeps alive/resident
  Args& i8(int8_t v) { return push(ArgKind::I8, uint8_t(v)); }
  Args& u8(uint8_t v) { return push(ArgKind::U8, v); }
  Args& i16(int16_t v) { return push(ArgKind::I16, uint16_t(v)); }
  Args& u16(uint16_t v) { return push(ArgKind::U16, v); }
  Args& i32(int32_t v) { return push(ArgKind::I32, uint32_t(v)); }
  Args& u32(uint32_t v) { return push(ArgKind::U32, v); }
  Args& i64(int64_t v) { return push(ArgKind::I64, uint64_t(v)); }
  Args& u64(uint64_t v) { return push(ArgKind::U64, v); }
  Args& f32(float v);
  Args& f64(double v);
  const std::vector<Arg>& items() const { return args_; }
  size_t size() const { return args_.size(); }

 private:
  Args& push(ArgKind k, uint64_t bits);
  std::vector<Arg> args_;
};

// GPU timestamps of one dispatch (RELEASE_MEM/EVENT timestamps before and after it).
struct DispatchTiming {
  uint64_t begin_ticks = 0, end_ticks = 0;
  double ms = 0;  // (end - begin) / timestamp_hz
};

class Fence {
 public:
  Fence() = default;
  explicit operator bool() const { return bool(s_); }
  // True when the submission is done; false when `timeout` passed first.
  // Throws GpuFaultError (VM fault, hang, reset) naming the dispatch where known.
  bool wait(std::chrono::nanoseconds timeout);
  // Waits with the device's default timeout (10 s on hardware, longer on the simulator);
  // throws TimeoutError when it passes.
  void wait();
  bool ready();  // wait(0)
  uint64_t sequence() const;
  size_t dispatch_count() const;
  // After a successful wait: GPU timestamps of dispatch i, and of the whole submission.
  DispatchTiming timing(size_t i) const;
  double gpu_ms() const;  // first dispatch begin .. last dispatch end
  // The IB as submitted (dwords), decodable with `spork pm4 decode`.
  const std::vector<uint32_t>& ib() const;
  // Simulator statistics of dispatch i (empty when not simulated or not collected).
  std::optional<SimStats> sim_stats(size_t i) const;

 private:
  friend class Queue;
  std::shared_ptr<detail::Submission> s_;
};

class Queue {
 public:
  Queue() = default;
  // Records one dispatch: `grid` counts workgroups, `block` work-items per workgroup.
  // Arguments are checked against the kernel's metadata (count, kind, size); a mismatch
  // throws std::invalid_argument naming the argument.
  void dispatch(const Function& f, Dim3 grid, Dim3 block, const Args& args);
  size_t recorded() const;  // dispatches recorded since the last submit
  // Submits every recorded dispatch in one IB (in order, each waiting for the previous one).
  // If it throws, the recorded dispatches are discarded.
  Fence submit();
  // dispatch() + submit().
  Fence launch(const Function& f, Dim3 grid, Dim3 block, const Args& args);
  // Waits for every submission of this queue (default timeout each).
  void finish();

 private:
  friend class Device;
  std::shared_ptr<detail::QueueState> q_;
};

class Device {
 public:
  // See DeviceOptions::selector. Throws DeviceError with an actionable message.
  static Device open(const DeviceOptions& opt = {});
  static Device open(const std::string& selector) {
    DeviceOptions o;
    o.selector = selector;
    return open(o);
  }
  // A device over any winsys (tests, custom backends).
  explicit Device(std::unique_ptr<winsys::Winsys> ws, const DeviceOptions& opt = {});
  Device() = default;
  explicit operator bool() const { return bool(core_); }

  const winsys::DeviceInfo& info() const;
  bool simulated() const { return info().simulated; }
  // "AMD Radeon RX 7900 XTX (gfx1100, /dev/dri/renderD128)", "spork simulator (gfx1100)".
  std::string description() const;
  winsys::Winsys& winsys();

  Buffer alloc(uint64_t bytes, Placement placement = Placement::VRAM);
  Module load(const CodeObject& co);
  Module load(std::span<const uint8_t> code_object_bytes, std::string origin = "<memory>");
  Module load_file(const std::string& path);
  Queue queue();
  // Default wait timeout used by Fence::wait().
  std::chrono::nanoseconds default_timeout() const;
  void set_default_timeout(std::chrono::nanoseconds t);

 private:
  std::shared_ptr<detail::DeviceCore> core_;
};

}  // namespace spork
