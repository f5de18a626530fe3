// Device / Buffer / Module / Queue / Fence over the winsys interface.
#include "runtime/device.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>

#include "runtime/device_internal.h"
#include "runtime/sim_winsys.h"
#include "spork_kernels.h"

namespace spork {

using namespace std::chrono_literals;

const char* to_string(Placement p) {
  switch (p) {
    case Placement::VRAM:
      return "VRAM";
    case Placement::VRAM_CPU_VISIBLE:
      return "VRAM (CPU-visible)";
    case Placement::GTT:
      return "GTT";
  }
  return "?";
}

Placement parse_placement(std::string_view s) {
  std::string l(s);
  for (char& c : l) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (l == "vram") return Placement::VRAM;
  if (l == "vram-visible" || l == "vram_cpu_visible" || l == "visible") return Placement::VRAM_CPU_VISIBLE;
  if (l == "gtt") return Placement::GTT;
  throw std::invalid_argument("unknown placement '" + std::string(s) + "' (use vram, vram-visible or gtt)");
}

const char* to_string(ArgKind k) {
  switch (k) {
    case ArgKind::Pointer:
      return "buffer";
    case ArgKind::I8:
      return "i8";
    case ArgKind::U8:
      return "u8";
    case ArgKind::I16:
      return "i16";
    case ArgKind::U16:
      return "u16";
    case ArgKind::I32:
      return "i32";
    case ArgKind::U32:
      return "u32";
    case ArgKind::I64:
      return "i64";
    case ArgKind::U64:
      return "u64";
    case ArgKind::F32:
      return "f32";
    case ArgKind::F64:
      return "f64";
  }
  return "?";
}

namespace detail {

BoState::~BoState() {
  if (handle) dev->ws->free_bo(handle);
}

std::shared_ptr<BoState> DeviceCore::alloc_bo(uint64_t bytes, Placement p, uint32_t perms, bool internal) {
  winsys::Domain d = p == Placement::GTT ? winsys::Domain::GTT : winsys::Domain::VRAM;
  uint32_t flags = p == Placement::VRAM ? winsys::BO_NO_CPU_ACCESS : winsys::BO_CPU_ACCESS;
  uint64_t alloc = std::max<uint64_t>(4096, (bytes + 4095) & ~uint64_t(4095));
  winsys::BoHandle h = ws->alloc_bo(alloc, d, flags);
  auto bo = std::make_shared<BoState>();
  bo->dev = this;
  if (!internal) bo->keep = shared_from_this();
  bo->handle = h;  // from here the BoState frees it
  bo->size = bytes;
  bo->alloc_size = alloc;
  bo->placement = p;
  bo->va = ws->map_gpu(h, perms);
  if (p != Placement::VRAM) bo->cpu = static_cast<uint8_t*>(ws->map_cpu(h));
  return bo;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Buffer

uint64_t Buffer::size() const { return bo_ ? bo_->size : 0; }
uint64_t Buffer::gpu_address() const { return bo_ ? bo_->va : 0; }
Placement Buffer::placement() const { return bo_ ? bo_->placement : Placement::GTT; }
bool Buffer::cpu_visible() const { return bo_ && bo_->cpu; }

void* Buffer::map() {
  if (!bo_) throw DeviceError("map() on an empty Buffer");
  if (!bo_->cpu)
    throw DeviceError(
        "this buffer is in CPU-invisible VRAM: use upload()/download(), or allocate it with "
        "Placement::VRAM_CPU_VISIBLE or Placement::GTT");
  return bo_->cpu;
}

static void check_range(const char* what, uint64_t bytes, uint64_t offset, uint64_t size) {
  if (offset > size || bytes > size - offset)
    throw std::out_of_range(std::string(what) + " of " + std::to_string(bytes) + " bytes at offset " +
                            std::to_string(offset) + " runs past the end of a " + std::to_string(size) +
                            "-byte buffer");
}

void Buffer::upload(const void* src, uint64_t bytes, uint64_t offset) {
  if (!bo_) throw DeviceError("upload() to an empty Buffer");
  check_range("upload", bytes, offset, bo_->size);
  if (bytes == 0) return;
  if (bo_->cpu) {
    std::memcpy(bo_->cpu + offset, src, bytes);
    return;
  }
  bo_->dev->staged_upload(*bo_, src, bytes, offset);
}

void Buffer::download(void* dst, uint64_t bytes, uint64_t offset) const {
  if (!bo_) throw DeviceError("download() from an empty Buffer");
  check_range("download", bytes, offset, bo_->size);
  if (bytes == 0) return;
  if (bo_->cpu) {
    std::memcpy(dst, bo_->cpu + offset, bytes);
    return;
  }
  bo_->dev->staged_download(*bo_, dst, bytes, offset);
}

void Buffer::fill(uint8_t byte) {
  if (!bo_) throw DeviceError("fill() on an empty Buffer");
  if (bo_->cpu) {
    std::memset(bo_->cpu, byte, bo_->alloc_size);
    return;
  }
  bo_->dev->gpu_fill(*bo_, byte);
}

// ---------------------------------------------------------------------------------------------
// Module / Function

uint64_t Function::descriptor_address() const { return module_->bo->va + kernel_->descriptor_vaddr; }

const CodeObject& Module::code_object() const { return m_->co; }
uint64_t Module::gpu_address() const { return m_->bo->va; }
Function Module::function(std::string_view name) const {
  Function f;
  f.module_ = m_;
  f.kernel_ = &m_->co.kernel(name);  // throws naming the kernels present
  return f;
}

// ---------------------------------------------------------------------------------------------
// Args

uint32_t Args::Arg::size() const {
  switch (kind) {
    case ArgKind::I8:
    case ArgKind::U8:
      return 1;
    case ArgKind::I16:
    case ArgKind::U16:
      return 2;
    case ArgKind::I32:
    case ArgKind::U32:
    case ArgKind::F32:
      return 4;
    default:
      return 8;
  }
}

Args& Args::push(ArgKind k, uint64_t bits) {
  Arg a;
  a.kind = k;
  a.bits = bits;
  args_.push_back(std::move(a));
  return *this;
}
Args& Args::f32(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return push(ArgKind::F32, b);
}
Args& Args::f64(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return push(ArgKind::F64, b);
}
Args& Args::buffer(const Buffer& b, uint64_t offset) {
  if (!b.bo_) throw std::invalid_argument("Args::buffer: empty Buffer (argument " + std::to_string(args_.size()) + ")");
  if (offset > b.bo_->alloc_size) throw std::out_of_range("Args::buffer: offset past the end of the buffer");
  Arg a;
  a.kind = ArgKind::Pointer;
  a.bits = b.bo_->va + offset;
  a.bo = b.bo_;
  args_.push_back(std::move(a));
  return *this;
}
Args& Args::address(uint64_t va) { return push(ArgKind::Pointer, va); }

// ---------------------------------------------------------------------------------------------
// Fence

bool Fence::wait(std::chrono::nanoseconds timeout) {
  if (!s_) throw DeviceError("wait() on an empty Fence");
  return s_->wait(timeout);
}
void Fence::wait() {
  if (!s_) throw DeviceError("wait() on an empty Fence");
  auto t = s_->dev->timeout;
  if (!s_->wait(t))
    throw TimeoutError("submission " + std::to_string(s_->seq) + " (" + s_->summary() + ") did not finish within " +
                       std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t).count()) +
                       " ms: the kernel may hang (Device::set_default_timeout / --timeout allow longer)");
}
bool Fence::ready() { return wait(0ns); }
uint64_t Fence::sequence() const { return s_ ? s_->seq : 0; }
size_t Fence::dispatch_count() const { return s_ ? s_->dispatches.size() : 0; }
DispatchTiming Fence::timing(size_t i) const {
  if (!s_ || i >= s_->dispatches.size()) throw std::out_of_range("Fence::timing: no dispatch " + std::to_string(i));
  if (!s_->done) throw DeviceError("Fence::timing before the submission finished (wait() first)");
  return s_->timings[i];
}
double Fence::gpu_ms() const {
  if (!s_ || s_->dispatches.empty()) return 0;
  if (!s_->done) throw DeviceError("Fence::gpu_ms before the submission finished (wait() first)");
  const auto& a = s_->timings.front();
  const auto& b = s_->timings.back();
  return double(b.end_ticks - a.begin_ticks) / double(s_->dev->ws->info().timestamp_hz) * 1e3;
}
const std::vector<uint32_t>& Fence::ib() const {
  static const std::vector<uint32_t> empty;
  return s_ ? s_->ib : empty;
}
std::optional<SimStats> Fence::sim_stats(size_t i) const {
  if (!s_ || i >= s_->stats.size()) return std::nullopt;
  return s_->stats[i];
}

// ---------------------------------------------------------------------------------------------
// Queue

void Queue::dispatch(const Function& f, Dim3 grid, Dim3 block, const Args& args) {
  if (!q_) throw DeviceError("dispatch() on an empty Queue (use Device::queue())");
  if (!f.kernel_) throw DeviceError("dispatch() of an empty Function (use Module::function())");
  q_->record(f.module_, *f.kernel_, grid, block, args);
}
size_t Queue::recorded() const { return q_ ? q_->pending.size() : 0; }
Fence Queue::submit() {
  if (!q_) throw DeviceError("submit() on an empty Queue");
  Fence f;
  f.s_ = q_->submit();
  return f;
}
Fence Queue::launch(const Function& f, Dim3 grid, Dim3 block, const Args& args) {
  dispatch(f, grid, block, args);
  return submit();
}
void Queue::finish() {
  if (q_) q_->finish();
}

// ---------------------------------------------------------------------------------------------
// Device

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

void announce(const DeviceOptions& opt, const std::string& line) {
  if (opt.announce) std::fprintf(stderr, "spork: device: %s\n", line.c_str());
}

}  // namespace

Device Device::open(const DeviceOptions& opt_in) {
  DeviceOptions opt = opt_in;
  std::string sel = opt.selector, why;
  if (sel.empty()) {
    sel = env("SPORK_DEVICE");
    if (!sel.empty()) why = "from SPORK_DEVICE";
  } else {
    why = "as asked";
  }
  if (sel == "sim" || sel == "simulator") {
    Device d(make_sim_winsys(opt), opt);
    announce(opt, d.description() + " (" + why + ")");
    return d;
  }
  if (sel == "amdgpu") {
    auto nodes = winsys::amdgpu_enumerate();
    if (nodes.empty())
      throw DeviceError(
          "no amdgpu render node found (is the amdgpu kernel driver loaded? `ls /dev/dri`); "
          "--device sim runs the simulator");
    // The first node spork can use (an APU's node may come before a supported dGPU's).
    std::string reasons;
    for (const auto& n : nodes) {
      try {
        Device d(winsys::amdgpu_open(n.path), opt);
        announce(opt, d.description() + " (" + why + ")");
        return d;
      } catch (const DeviceError& e) {
        reasons += std::string(reasons.empty() ? "" : "; ") + e.what();
      }
    }
    throw DeviceError("no usable amdgpu render node: " + reasons);
  }
  if (!sel.empty()) {
    if (sel.find('/') == std::string::npos)
      throw DeviceError("unknown device '" + sel + "': use sim, amdgpu or a render node path like /dev/dri/renderD128");
    Device d(winsys::amdgpu_open(sel), opt);
    announce(opt, d.description() + " (" + why + ")");
    return d;
  }
  // Automatic: the first usable amdgpu node, else the simulator, saying why.
  std::string skipped;
  for (const auto& n : winsys::amdgpu_enumerate()) {
    try {
      Device d(winsys::amdgpu_open(n.path), opt);
      announce(opt, d.description() + " (first usable amdgpu render node; --device sim for the simulator)");
      return d;
    } catch (const DeviceError& e) {
      skipped += std::string(skipped.empty() ? "" : "; ") + e.what();
    }
  }
  Device d(make_sim_winsys(opt), opt);
  announce(opt, d.description() + (skipped.empty() ? " (no amdgpu render node found)"
                                                   : " (no usable amdgpu render node: " + skipped + ")"));
  return d;
}

Device::Device(std::unique_ptr<winsys::Winsys> ws, const DeviceOptions& opt) {
  if (!ws) throw DeviceError("Device: null winsys");
  core_ = std::make_shared<detail::DeviceCore>();
  core_->opt = opt;
  core_->timeout = ws->info().simulated ? std::chrono::nanoseconds(600s) : std::chrono::nanoseconds(10s);
  core_->ws = std::move(ws);
}

const winsys::DeviceInfo& Device::info() const {
  if (!core_) throw DeviceError("empty Device");
  return core_->ws->info();
}
std::string Device::description() const {
  const auto& i = info();
  if (i.simulated) return i.name + " (" + i.gfx_target + ")";
  return i.name + " (" + (i.gfx_target.empty() ? "unknown gfx" : i.gfx_target) + ", " + i.node + ")";
}
winsys::Winsys& Device::winsys() {
  if (!core_) throw DeviceError("empty Device");
  return *core_->ws;
}

Buffer Device::alloc(uint64_t bytes, Placement p) {
  if (!core_) throw DeviceError("alloc() on an empty Device");
  if (bytes == 0) throw std::invalid_argument("Device::alloc: size 0");
  Buffer b;
  b.bo_ = core_->alloc_bo(bytes, p, winsys::VM_READ | winsys::VM_WRITE);
  return b;
}

Module Device::load(const CodeObject& co) {
  if (!core_) throw DeviceError("load() on an empty Device");
  Module m;
  m.m_ = core_->load_module(co);
  return m;
}
Module Device::load(std::span<const uint8_t> bytes, std::string origin) {
  if (bytes.empty()) throw CodeObjectError(origin + ": empty code object (not found?)");
  return load(CodeObject::from_memory(bytes, std::move(origin)));
}
Module Device::load_file(const std::string& path) { return load(CodeObject::from_file(path)); }

Queue Device::queue() {
  if (!core_) throw DeviceError("queue() on an empty Device");
  Queue q;
  q.q_ = std::make_shared<detail::QueueState>(core_);
  return q;
}

std::chrono::nanoseconds Device::default_timeout() const { return core_ ? core_->timeout : 0ns; }
void Device::set_default_timeout(std::chrono::nanoseconds t) {
  if (core_) core_->timeout = t;
}

}  // namespace spork
