// One submission: a data BO (kernargs, dispatch packets, timestamps, fence), scratch where a
// kernel needs it, and the IB built by DispatchBuilder in its own BO.
#include "runtime/submit_encode.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "runtime/dispatch.h"

namespace spork::detail {

namespace {
uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// Scratch the kernel needs for this launch (address left 0), or nothing.
std::optional<ScratchArea> scratch_need(const Kernel& k, const LaunchGeometry& g, uint32_t shader_engines) {
  uint32_t priv = std::max(k.descriptor.private_segment_fixed_size, k.metadata.private_segment_fixed_size);
  if (priv == 0 && !k.descriptor.uses_dynamic_stack) return std::nullopt;
  if (k.descriptor.uses_dynamic_stack) priv = std::max<uint32_t>(priv, 16384);  // generous default stack
  ScratchArea sa;
  uint32_t wave = k.descriptor.wavefront_size();
  uint64_t waves_per_wg = (g.workgroup.product() + wave - 1) / wave;
  sa.bytes_per_wave = uint32_t(align_up(uint64_t(priv) * wave, 1024));
  // WAVES is per shader engine on gfx11, so the area holds a whole number of waves per SE.
  sa.shader_engines = std::max(1u, shader_engines);
  uint64_t per_se = (waves_per_wg * g.grid.product() + sa.shader_engines - 1) / sa.shader_engines;
  sa.waves = uint32_t(std::min<uint64_t>(per_se, 4095) * sa.shader_engines);
  return sa;
}
}  // namespace

void check_encodable(const PendingDispatch& p) {
  const Kernel& k = *p.kernel;
  constexpr uint64_t kPlaceholder = 1ull << 40;  // any aligned address
  DispatchParams dp;
  dp.geometry = p.geometry;
  dp.code_address = p.module->bo->va + k.code_vaddr();
  dp.kernarg_address = kPlaceholder;
  dp.kernarg_bytes = uint32_t(p.kernarg.bytes.size());
  dp.dynamic_lds_bytes = p.kernarg.dynamic_lds_bytes;
  dp.dispatch_packet_address = kPlaceholder + 0x10000;
  dp.timestamp_begin = kPlaceholder + 0x20000;
  dp.timestamp_end = dp.timestamp_begin + 8;
  dp.scratch = scratch_need(k, p.geometry, p.module->bo->dev->ws->info().num_shader_engines);
  if (dp.scratch) dp.scratch->address = kPlaceholder + 0x100000;
  dispatch_registers(k, dp);
}

void encode_and_submit(DeviceCore& dev, Submission& s, std::vector<PendingDispatch>& batch) {
  const auto& info = dev.ws->info();
  // Data layout: [kernarg_i (256-aligned)] [dispatch packet_i (64 B)] [timestamps 16 B each] [fence 8 B].
  std::vector<uint64_t> ka_off(batch.size()), pkt_off(batch.size());
  uint64_t off = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    ka_off[i] = off;
    off = align_up(off + std::max<size_t>(batch[i].kernarg.bytes.size(), 1), 256);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    pkt_off[i] = off;
    off += DispatchPacketFields::kSize;
  }
  s.ts_offset = off;
  off += 16 * batch.size();
  s.fence_offset = off;
  off += 8;
  auto data = dev.acquire_gtt(off);
  s.pooled.push_back(data);
  std::memset(data->cpu, 0, off);
  s.cmd = data;

  DispatchBuilder b;
  for (size_t i = 0; i < batch.size(); ++i) {
    PendingDispatch& p = batch[i];
    const Kernel& k = *p.kernel;
    DispatchParams dp;
    dp.geometry = p.geometry;
    dp.code_address = p.module->bo->va + k.code_vaddr();
    dp.kernarg_address = data->va + ka_off[i];
    dp.kernarg_bytes = uint32_t(p.kernarg.bytes.size());
    dp.dynamic_lds_bytes = p.kernarg.dynamic_lds_bytes;
    dp.dispatch_packet_address = data->va + pkt_off[i];
    dp.dispatch_id = s.fence_value * 1024 + i;
    dp.timestamp_begin = data->va + s.ts_offset + 16 * i;
    dp.timestamp_end = dp.timestamp_begin + 8;
    if (auto sa = scratch_need(k, p.geometry, info.num_shader_engines)) {
      auto scratch = dev.alloc_bo(sa->size(), Placement::VRAM, winsys::VM_READ | winsys::VM_WRITE);
      sa->address = scratch->va;
      dp.scratch = sa;
      s.refs.push_back(scratch);
    }
    std::memcpy(data->cpu + ka_off[i], p.kernarg.bytes.data(), p.kernarg.bytes.size());
    auto pkt = make_dispatch_packet(k, p.geometry, p.module->bo->va + k.descriptor_vaddr, dp.kernarg_address,
                                    dp.dynamic_lds_bytes);
    std::memcpy(data->cpu + pkt_off[i], pkt.data(), pkt.size());
    b.add(k, dp);
  }
  // Pad to the ring's IB size alignment (bytes, from AMDGPU_INFO_HW_IP_INFO), at least 8 dwords.
  uint32_t align_dw = std::max<uint32_t>(8, info.ib_size_alignment / 4);
  s.ib = b.finish({.address = data->va + s.fence_offset, .value = s.fence_value}, align_dw);
  uint64_t ib_bytes = s.ib.size() * 4;
  if (ib_bytes > 0xFFFFFFF0ull)
    throw DeviceError("IB too large (" + std::to_string(ib_bytes) + " bytes): submit fewer dispatches at once");
  auto ibbo = dev.acquire_gtt(std::max<uint64_t>(ib_bytes, info.ib_start_alignment));
  s.pooled.push_back(ibbo);
  std::memcpy(ibbo->cpu, s.ib.data(), ib_bytes);

  std::vector<winsys::BoHandle> bos{data->handle, ibbo->handle};
  for (const auto& r : s.refs) bos.push_back(r->handle);
  for (const auto& m : s.modules) bos.push_back(m->bo->handle);
  std::sort(bos.begin(), bos.end());
  bos.erase(std::unique(bos.begin(), bos.end()), bos.end());
  winsys::IbRef ib{ibbo->va, uint32_t(ib_bytes)};
  s.seq = dev.ws->submit({&ib, 1}, bos);
}

}  // namespace spork::detail
