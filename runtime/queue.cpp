// Queue: argument checking, kernarg packing, IB encoding, submission, fences; staging copies.
#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "runtime/device_internal.h"
#include "runtime/kernargs.h"
#include "runtime/sim_winsys.h"
#include "runtime/submit_encode.h"
#include "spork_kernels.h"

namespace spork::detail {

using namespace std::chrono_literals;

namespace {

std::string dim_str(Dim3 d) {
  return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," + std::to_string(d.z) + ")";
}

std::string describe_arg(const KernelArg& a, size_t i) {
  std::string s = "argument " + std::to_string(i);
  if (!a.name.empty()) s += " '" + a.name + "'";
  if (!a.type_name.empty()) s += " (" + a.type_name + ")";
  return s;
}

bool is_pointer_kind(const std::string& vk) {
  return vk == "global_buffer" || vk == "dynamic_shared_pointer" || vk == "image" || vk == "sampler" || vk == "pipe" ||
         vk == "queue";
}

std::string signature(const Kernel& k) {
  std::string s;
  size_t i = 0;
  for (const auto& a : k.metadata.args) {
    if (a.hidden()) continue;
    if (i++) s += ", ";
    s += a.type_name.empty() ? a.value_kind : a.type_name;
    if (!a.name.empty()) s += " " + a.name;
  }
  return k.name + "(" + s + ")";
}

}  // namespace

void QueueState::record(const std::shared_ptr<ModuleState>& module, const Kernel& k, Dim3 grid, Dim3 block,
                        const Args& args, const std::vector<std::shared_ptr<BoState>>& extra_bos) {
  const std::string kn = "kernel '" + k.name + "'";
  if (grid.x == 0 || grid.y == 0 || grid.z == 0)
    throw std::invalid_argument(kn + ": grid " + dim_str(grid) + " has a zero dimension");
  if (block.x == 0 || block.y == 0 || block.z == 0)
    throw std::invalid_argument(kn + ": block " + dim_str(block) + " has a zero dimension");
  if (block.x > 1024 || block.y > 1024 || block.z > 1024)
    throw std::invalid_argument(kn + ": block " + dim_str(block) + ": at most 1024 work-items per dimension");
  const auto& md = k.metadata;
  uint32_t max_wg = md.max_flat_workgroup_size ? md.max_flat_workgroup_size : 1024;
  if (block.count() > max_wg)
    throw std::invalid_argument(kn + ": block " + dim_str(block) + " has " + std::to_string(block.count()) +
                                " work-items; the kernel allows at most " + std::to_string(max_wg));
  if (md.reqd_workgroup_size) {
    auto r = *md.reqd_workgroup_size;
    if (block.x != r[0] || block.y != r[1] || block.z != r[2])
      throw std::invalid_argument(kn + " requires block (" + std::to_string(r[0]) + "," + std::to_string(r[1]) + "," +
                                  std::to_string(r[2]) + ") (reqd_work_group_size), got " + dim_str(block));
  }
  for (int d = 0; d < 3; ++d) {
    uint64_t g = d == 0 ? grid.x : d == 1 ? grid.y : grid.z;
    uint64_t b = d == 0 ? block.x : d == 1 ? block.y : block.z;
    if (g * b > 0xFFFFFFFFull)
      throw std::invalid_argument(kn + ": grid " + dim_str(grid) + " x block " + dim_str(block) +
                                  " exceeds 2^32 work-items in one dimension");
  }

  std::vector<const KernelArg*> explicit_args;
  for (const auto& a : md.args)
    if (!a.hidden()) explicit_args.push_back(&a);
  const auto& given = args.items();
  if (given.size() != explicit_args.size())
    throw std::invalid_argument(kn + " takes " + std::to_string(explicit_args.size()) + " argument" +
                                (explicit_args.size() == 1 ? "" : "s") + ", got " + std::to_string(given.size()) +
                                ": " + signature(k));

  PendingDispatch p;
  p.module = module;
  p.bos = extra_bos;
  p.kernel = &k;
  p.grid = grid;
  p.block = block;
  std::vector<ArgValue> values;
  for (size_t i = 0; i < given.size(); ++i) {
    const KernelArg& a = *explicit_args[i];
    const Args::Arg& g = given[i];
    bool want_ptr = is_pointer_kind(a.value_kind);
    if (want_ptr && g.kind != ArgKind::Pointer)
      throw std::invalid_argument(kn + ": " + describe_arg(a, i) + " is a pointer (" + a.value_kind +
                                  "): pass a buffer, got " + to_string(g.kind));
    if (!want_ptr && g.kind == ArgKind::Pointer)
      throw std::invalid_argument(kn + ": " + describe_arg(a, i) + " is a " + std::to_string(a.size) + "-byte value (" +
                                  a.value_kind + "), got a buffer");
    if (!want_ptr && a.size != g.size())
      throw std::invalid_argument(kn + ": " + describe_arg(a, i) + " is " + std::to_string(a.size) + " bytes, got " +
                                  to_string(g.kind) + " (" + std::to_string(g.size()) + " bytes)");
    if (a.value_kind != "global_buffer" && want_ptr)
      throw std::invalid_argument(kn + ": " + describe_arg(a, i) + " has kind " + a.value_kind +
                                  ", which spork run does not support");
    ArgValue v;
    if (want_ptr) {
      v = ArgValue::buffer(g.bits);
    } else {
      v.kind = ArgValue::Kind::Scalar;
      v.size = g.size();
      std::memcpy(v.bytes.data(), &g.bits, v.size);  // little-endian host, like the GPU
    }
    values.push_back(v);
    if (g.bo) p.bos.push_back(g.bo);
  }
  p.geometry.grid = {grid.x, grid.y, grid.z};
  p.geometry.workgroup = {block.x, block.y, block.z};
  p.kernarg = pack_kernargs(k, values, p.geometry);
  check_encodable(p);
  pending.push_back(std::move(p));
}

std::shared_ptr<Submission> QueueState::submit() {
  reap();
  auto s = std::make_shared<Submission>();
  s->dev = dev;
  if (pending.empty()) throw DeviceError("submit() with no recorded dispatch");
  std::vector<PendingDispatch> batch = std::move(pending);
  pending.clear();
  s->fence_value = next_fence++;
  for (const auto& p : batch) {
    s->dispatches.push_back({p.kernel->name, p.grid, p.block});
    s->modules.push_back(p.module);
    for (const auto& b : p.bos) s->refs.push_back(b);
  }
  encode_and_submit(*dev, *s, batch);  // fills cmd, ib, offsets, seq
  inflight.push_back(s);
  return s;
}

void QueueState::reap() {
  while (!inflight.empty()) {
    auto& s = inflight.front();
    if (!s->done) {
      try {
        if (!s->wait(0ns)) break;
      } catch (const DeviceError&) {
        // kept in the Submission; reported by its Fence
      }
    }
    inflight.pop_front();
  }
}

void QueueState::finish() {
  while (!inflight.empty()) {
    auto s = inflight.front();
    inflight.pop_front();
    if (!s->wait(dev->timeout))
      throw TimeoutError("submission " + std::to_string(s->seq) + " (" + s->summary() + ") did not finish in time");
  }
}

QueueState::~QueueState() {
  // The GPU may still use BOs these submissions keep alive: wait before letting go.
  for (auto& s : inflight) {
    try {
      s->wait(dev->timeout);
    } catch (...) {
    }
  }
}

void Submission::retire() {
  refs.clear();
  modules.clear();
  cmd.reset();
  for (auto& b : pooled) dev->release_gtt(std::move(b));
  pooled.clear();
}

std::shared_ptr<BoState> DeviceCore::acquire_gtt(uint64_t bytes) {
  {
    std::lock_guard lk(pool_mu);
    size_t best = pool.size();
    for (size_t i = 0; i < pool.size(); ++i)
      if (pool[i]->alloc_size >= bytes && (best == pool.size() || pool[i]->alloc_size < pool[best]->alloc_size))
        best = i;
    if (best != pool.size() && pool[best]->alloc_size <= std::max<uint64_t>(4 * bytes, 64 << 10)) {
      auto bo = std::move(pool[best]);
      pool.erase(pool.begin() + ptrdiff_t(best));
      return bo;
    }
  }
  uint64_t size = std::max<uint64_t>(64 << 10, bytes);
  return alloc_bo(size, Placement::GTT, winsys::VM_READ | winsys::VM_WRITE, /*internal=*/true);
}

void DeviceCore::release_gtt(std::shared_ptr<BoState> bo) {
  std::lock_guard lk(pool_mu);
  if (pool.size() < 32) pool.push_back(std::move(bo));
}

std::string Submission::summary() const {
  if (dispatches.size() == 1)
    return dispatches[0].kernel + " grid " + dim_str(dispatches[0].grid) + " block " + dim_str(dispatches[0].block);
  return std::to_string(dispatches.size()) + " dispatches";
}

bool Submission::wait(std::chrono::nanoseconds timeout) {
  if (done) {
    if (!error.empty()) throw GpuFaultError(error);
    return true;
  }
  winsys::WaitResult r;
  try {
    r = dev->ws->wait(seq, timeout);
  } catch (const GpuFaultError& e) {
    done = true;
    error = std::string(e.what());
    if (dispatches.size() == 1) {
      error += " [kernel " + summary() + "]";
    } else {
      std::string names;
      for (const auto& d : dispatches) names += (names.empty() ? "" : ", ") + d.kernel;
      error += " [one of " + std::to_string(dispatches.size()) + " dispatches: " + names + "]";
    }
    retire();
    throw GpuFaultError(error);
  }
  if (r == winsys::WaitResult::Timeout) return false;
  done = true;
  const uint8_t* base = cmd->cpu;
  uint64_t fence = 0;
  std::memcpy(&fence, base + fence_offset, 8);
  timings.resize(dispatches.size());
  double hz = double(dev->ws->info().timestamp_hz);
  for (size_t i = 0; i < dispatches.size(); ++i) {
    uint64_t t[2];
    std::memcpy(t, base + ts_offset + 16 * i, 16);
    timings[i].begin_ticks = t[0];
    timings[i].end_ticks = t[1];
    timings[i].ms = t[1] >= t[0] && hz > 0 ? double(t[1] - t[0]) / hz * 1e3 : 0;
  }
  stats = collect_sim_stats(*dev, seq);
  retire();
  if (fence != fence_value) {
    error = "submission " + std::to_string(seq) + " (" + summary() +
            ") finished without writing its end-of-IB fence (read " + std::to_string(fence) + ", expected " +
            std::to_string(fence_value) + "): the command stream did not run to its end";
    throw GpuFaultError(error);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Module loading and staging helpers.

std::shared_ptr<ModuleState> DeviceCore::load_module(const CodeObject& co, bool internal) {
  const auto& info = ws->info();
  if (!info.gfx_target.empty() && co.target() != info.gfx_target)
    throw CodeObjectError(co.origin() + " is built for " + co.target() + ", but the device is " + info.gfx_target +
                          " (recompile with -mcpu=" + info.gfx_target + ")");
  if (co.kernels().empty()) throw CodeObjectError(co.origin() + " has no kernels");
  auto m = std::make_shared<ModuleState>();
  m->co = co;
  uint64_t size = std::max<uint64_t>(co.image_size(), 256);
  // Code lives in GTT so the CPU can write it directly; instruction fetch goes through L2 anyway.
  m->bo = alloc_bo(size, Placement::GTT, winsys::VM_READ | winsys::VM_EXEC, internal);
  std::vector<uint8_t> image = co.load_image(m->bo->va);
  if (image.size() > m->bo->alloc_size) throw CodeObjectError(co.origin() + ": load image larger than image_size()");
  std::memcpy(m->bo->cpu, image.data(), image.size());
  return m;
}

std::shared_ptr<ModuleState> DeviceCore::helper(const char* name) {
  std::lock_guard lk(mu);
  auto& slot = std::string(name) == "copy" ? copy_module : fill_module;
  if (!slot) {
    std::string key = ws->info().gfx_target + "/" + name;
    auto bytes = spork::kernels::find(key);
    if (bytes.empty())
      throw DeviceError("no embedded '" + key + "' kernel for staging copies (spork was built for other targets)");
    slot = load_module(CodeObject::from_memory(bytes, "embedded " + key), /*internal=*/true);
  }
  return slot;
}

void DeviceCore::gpu_copy(const std::shared_ptr<BoState>& src, uint64_t src_off, const std::shared_ptr<BoState>& dst,
                          uint64_t dst_off, uint64_t dwords) {
  auto m = helper("copy");
  const Kernel& k = m->co.kernel("copy_u32");
  QueueState q(shared_from_this());
  Args a;
  a.address(src->va + src_off).address(dst->va + dst_off).u32(uint32_t(dwords));
  uint32_t groups = uint32_t(std::min<uint64_t>((dwords + 255) / 256, ws->info().simulated ? 16 : 1024));
  q.record(m, k, {groups}, {256}, a, {src, dst});
  auto s = q.submit();
  if (!s->wait(timeout)) throw TimeoutError("staging copy did not finish in time");
}

void DeviceCore::staged_upload(BoState& dst, const void* src, uint64_t bytes, uint64_t offset) {
  uint64_t a0 = offset & ~uint64_t(3), a1 = (offset + bytes + 3) & ~uint64_t(3);
  auto dst_sp = std::shared_ptr<BoState>(std::shared_ptr<BoState>{}, &dst);  // non-owning: caller holds it
  auto stage = alloc_bo(a1 - a0, Placement::GTT, winsys::VM_READ | winsys::VM_WRITE);
  if (a0 != offset || a1 != offset + bytes) gpu_copy(dst_sp, a0, stage, 0, (a1 - a0) / 4);  // keep edge bytes
  std::memcpy(stage->cpu + (offset - a0), src, bytes);
  gpu_copy(stage, 0, dst_sp, a0, (a1 - a0) / 4);
}

void DeviceCore::staged_download(BoState& src, void* dst, uint64_t bytes, uint64_t offset) {
  uint64_t a0 = offset & ~uint64_t(3), a1 = (offset + bytes + 3) & ~uint64_t(3);
  auto src_sp = std::shared_ptr<BoState>(std::shared_ptr<BoState>{}, &src);
  auto stage = alloc_bo(a1 - a0, Placement::GTT, winsys::VM_READ | winsys::VM_WRITE);
  gpu_copy(src_sp, a0, stage, 0, (a1 - a0) / 4);
  std::memcpy(dst, stage->cpu + (offset - a0), bytes);
}

void DeviceCore::gpu_fill(BoState& dst, uint8_t byte) {
  auto m = helper("fill");
  const Kernel& k = m->co.kernel("fill_u32");
  auto dst_sp = std::shared_ptr<BoState>(std::shared_ptr<BoState>{}, &dst);
  uint64_t dwords = dst.alloc_size / 4;
  QueueState q(shared_from_this());
  Args a;
  a.address(dst.va).u32(uint32_t(byte) * 0x01010101u).u32(uint32_t(dwords));
  uint32_t groups = uint32_t(std::min<uint64_t>((dwords + 255) / 256, ws->info().simulated ? 16 : 1024));
  q.record(m, k, {groups}, {256}, a, {dst_sp});
  auto s = q.submit();
  if (!s->wait(timeout)) throw TimeoutError("GPU fill did not finish in time");
}

}  // namespace spork::detail
