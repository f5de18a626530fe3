#include "runtime/dispatch.h"

#include <algorithm>
#include <cstdio>

namespace spork {
namespace {

using namespace pm4;

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

constexpr uint32_t kLdsGranuleBytes = 512;      // gfx11 RSRC2.LDS_SIZE unit
constexpr uint32_t kMaxLdsBytes = 64 * 1024;    // LDS one workgroup can allocate on gfx11
constexpr uint32_t kScratchWaveGranule = 256;   // gfx11 TMPRING_SIZE.WAVESIZE unit (bytes)
constexpr uint64_t kAddressLimit = 1ull << 48;  // PGM_HI / SCRATCH_BASE_HI hold 8 bits above bit 40

bool needs_scratch(const Kernel& k) {
  const auto& d = k.descriptor;
  return d.rsrc2.ENABLE_PRIVATE_SEGMENT || d.private_segment_fixed_size > 0 || d.uses_dynamic_stack;
}

void check_aligned(const Kernel& k, uint64_t addr, uint64_t align, const char* what) {
  if (addr % align != 0)
    throw DispatchError(k.name + ": " + what + " " + hex(addr) + " is not " + std::to_string(align) + "-byte aligned");
  if (addr >= kAddressLimit) throw DispatchError(k.name + ": " + what + " " + hex(addr) + " is beyond 48 bits");
}

}  // namespace

std::vector<UserSgpr> user_sgprs(const Kernel& k, const DispatchParams& p) {
  const KernelDescriptor& d = k.descriptor;
  std::vector<UserSgpr> s;
  auto pair = [&s](uint64_t v, const char* lo, const char* hi) {
    s.push_back({uint32_t(v), lo});
    s.push_back({uint32_t(v >> 32), hi});
  };
  // AMDGPUUsage "Initial Kernel Execution State": the order in which enabled user SGPRs are set up.
  if (d.enable_sgpr_private_segment_buffer)
    throw DispatchError(k.name +
                        ": the kernel asks for a private segment buffer (4 SGPRs, gfx6-gfx9 style scratch "
                        "resource); spork sets up gfx11 flat scratch only");
  if (d.enable_sgpr_dispatch_ptr) {
    if (!p.dispatch_packet_address)
      throw DispatchError(k.name +
                          ": the kernel reads the dispatch packet (enable_sgpr_dispatch_ptr) but no "
                          "dispatch_packet_address was given");
    check_aligned(k, p.dispatch_packet_address, 16, "dispatch packet address");
    pair(p.dispatch_packet_address, "dispatch_ptr lo", "dispatch_ptr hi");
  }
  if (d.enable_sgpr_queue_ptr) pair(p.queue_address, "queue_ptr lo", "queue_ptr hi");
  if (d.enable_sgpr_kernarg_segment_ptr) pair(p.kernarg_address, "kernarg_segment_ptr lo", "kernarg_segment_ptr hi");
  if (d.enable_sgpr_dispatch_id) pair(p.dispatch_id, "dispatch_id lo", "dispatch_id hi");
  if (d.enable_sgpr_flat_scratch_init)
    pair(p.scratch ? p.scratch->address : 0, "flat_scratch_init lo", "flat_scratch_init hi");
  if (d.enable_sgpr_private_segment_size) s.push_back({d.private_segment_fixed_size, "private_segment_size"});

  const uint32_t n = d.rsrc2.USER_SGPR_COUNT;
  if (s.size() > n)
    throw DispatchError(k.name + ": the descriptor enables " + std::to_string(s.size()) +
                        " user SGPRs but COMPUTE_PGM_RSRC2.USER_SGPR is " + std::to_string(n) +
                        " (inconsistent code object)");
  if (n > kNumComputeUserData)
    throw DispatchError(k.name + ": COMPUTE_PGM_RSRC2.USER_SGPR = " + std::to_string(n) + " exceeds the " +
                        std::to_string(kNumComputeUserData) + " COMPUTE_USER_DATA registers");
  // gfx11 code objects pad USER_SGPR (to 15/16): the system SGPRs (workgroup ids...) follow the
  // padded count, so every padding register is written too (as 0).
  while (s.size() < n) s.push_back({0, "(padding)"});
  return s;
}

DispatchRegisters dispatch_registers(const Kernel& k, const DispatchParams& p) {
  const KernelDescriptor& d = k.descriptor;
  const LaunchGeometry& g = p.geometry;
  try {
    validate_geometry(k, g);
  } catch (const KernargError& e) {
    throw DispatchError(e.what());
  }
  const uint32_t wave = d.enable_wavefront_size32 ? 32 : 64;
  if (k.metadata.wavefront_size && k.metadata.wavefront_size != wave)
    throw DispatchError(k.name + ": metadata wavefront_size " + std::to_string(k.metadata.wavefront_size) +
                        " disagrees with the descriptor (wave" + std::to_string(wave) + ")");

  if (!p.code_address) throw DispatchError(k.name + ": code_address is 0");
  check_aligned(k, p.code_address, 256, "code address (COMPUTE_PGM_LO holds address >> 8)");

  const uint32_t kernarg_need = std::max(k.metadata.kernarg_segment_size, d.kernarg_size);
  if (kernarg_need > 0 || d.enable_sgpr_kernarg_segment_ptr) {
    if (kernarg_need > 0 && !p.kernarg_address)
      throw DispatchError(k.name + ": the kernel takes " + std::to_string(kernarg_need) +
                          " bytes of kernel arguments but kernarg_address is 0");
    if (p.kernarg_bytes < kernarg_need)
      throw DispatchError(k.name + ": kernarg buffer of " + std::to_string(p.kernarg_bytes) +
                          " bytes is smaller than the kernel's kernarg segment (" + std::to_string(kernarg_need) +
                          " bytes)");
    const uint32_t align = std::max<uint32_t>(16, k.metadata.kernarg_segment_align);
    check_aligned(k, p.kernarg_address, align, "kernarg address");
  }

  // Bits the gfx11 registers do not define would be dropped by the typed values: refuse them.
  auto known = [&k](const RegisterInfo& reg, uint32_t raw) {
    uint32_t mask = 0;
    for (const FieldInfo& f : reg.fields) mask |= f.mask();
    if (raw & ~mask)
      throw DispatchError(k.name + ": the descriptor's " + reg.name + " = " + hex(raw) + " sets bits " +
                          hex(raw & ~mask) + " that gfx11 does not define");
    return raw;
  };
  DispatchRegisters r;
  r.rsrc1 = COMPUTE_PGM_RSRC1::decode(known(COMPUTE_PGM_RSRC1::info(), d.rsrc1.raw));
  r.rsrc2 = COMPUTE_PGM_RSRC2::decode(known(COMPUTE_PGM_RSRC2::info(), d.rsrc2.raw));
  r.rsrc3 = COMPUTE_PGM_RSRC3::decode(known(COMPUTE_PGM_RSRC3::info(), d.rsrc3.raw));
  // LLVM leaves LDS_SIZE 0; the runtime fills it from the static + dynamic LDS need.
  const uint64_t lds_bytes = uint64_t(d.group_segment_fixed_size) + p.dynamic_lds_bytes;
  if (lds_bytes > kMaxLdsBytes)
    throw DispatchError(k.name + ": needs " + std::to_string(lds_bytes) + " bytes of LDS (" +
                        std::to_string(d.group_segment_fixed_size) + " static + " +
                        std::to_string(p.dynamic_lds_bytes) + " dynamic); a workgroup can have " +
                        std::to_string(kMaxLdsBytes));
  r.rsrc2.LDS_SIZE =
      std::max<uint32_t>(r.rsrc2.LDS_SIZE, uint32_t((lds_bytes + kLdsGranuleBytes - 1) / kLdsGranuleBytes));

  if (needs_scratch(k)) {
    if (!p.scratch || !p.scratch->address || !p.scratch->waves)
      throw DispatchError(k.name + ": the kernel uses " + std::to_string(d.private_segment_fixed_size) +
                          " bytes of private (scratch) memory per work-item but no scratch area was given");
    const ScratchArea& s = *p.scratch;
    check_aligned(k, s.address, 256, "scratch address");
    const uint64_t need = (uint64_t(d.private_segment_fixed_size) * wave + kScratchWaveGranule - 1) /
                          kScratchWaveGranule * kScratchWaveGranule;
    if (s.bytes_per_wave < need || s.bytes_per_wave % kScratchWaveGranule)
      throw DispatchError(k.name + ": scratch bytes_per_wave " + std::to_string(s.bytes_per_wave) +
                          " must be a multiple of 256 and >= " + std::to_string(need) + " (" +
                          std::to_string(d.private_segment_fixed_size) + " bytes x wave" + std::to_string(wave) + ")");
    if (s.shader_engines == 0 || s.waves < s.shader_engines || s.waves / s.shader_engines > 4095)
      throw DispatchError(k.name + ": scratch area of " + std::to_string(s.waves) + " waves over " +
                          std::to_string(s.shader_engines) + " shader engines gives no valid " +
                          "COMPUTE_TMPRING_SIZE.WAVES (1..4095 per engine)");
    if (s.bytes_per_wave / kScratchWaveGranule > 0x7FFF)
      throw DispatchError(k.name + ": scratch bytes_per_wave " + std::to_string(s.bytes_per_wave) + " is too large");
    r.tmpring = {.WAVES = s.waves / s.shader_engines, .WAVESIZE = s.bytes_per_wave / kScratchWaveGranule};
  }

  const uint64_t waves_per_group = (g.workgroup.product() + wave - 1) / wave;
  // No per-SH wave or per-CU workgroup limit; SIMD_DEST_CNTL spreads 4n-wave groups evenly (as Mesa does).
  r.limits = {.SIMD_DEST_CNTL = waves_per_group % 4 == 0 ? 1u : 0u};

  const bool has_start = g.start.x || g.start.y || g.start.z;
  r.initiator = {.COMPUTE_SHADER_EN = 1,
                 .FORCE_START_AT_000 = has_start ? 0u : 1u,
                 .ORDER_MODE = 1,
                 .CS_W32_EN = d.enable_wavefront_size32 ? 1u : 0u};
  r.user_data = user_sgprs(k, p);
  if (p.timestamp_begin) check_aligned(k, p.timestamp_begin, 8, "timestamp_begin address");
  if (p.timestamp_end) check_aligned(k, p.timestamp_end, 8, "timestamp_end address");
  return r;
}

DispatchBuilder& DispatchBuilder::add(const Kernel& k, const DispatchParams& p) {
  const DispatchRegisters r = dispatch_registers(k, p);  // validates everything before a dword is written
  const LaunchGeometry& g = p.geometry;
  Writer& w = w_;

  // Invalidate the caches the kernel reads through (instructions, scalar, vector, GL1) and write back
  // + invalidate L2 so it sees what the host and earlier dispatches wrote.
  w.acquire_mem({});
  // 0x20C..0x213 in one run: program address, dispatch packet address, scratch base, RSRC1/2.
  // COMPUTE_DISPATCH_PKT_ADDR is the CP's own AQL bookkeeping (HSA mode); the kernel gets the
  // dispatch pointer through its user SGPRs, so spork writes 0 there.
  const uint64_t scratch = r.tmpring.WAVES ? p.scratch->address : 0;
  w.set_regs(COMPUTE_PGM_LO{.DATA = uint32_t(p.code_address >> 8)},
             COMPUTE_PGM_HI{.DATA = uint32_t(p.code_address >> 40)}, COMPUTE_DISPATCH_PKT_ADDR_LO{},
             COMPUTE_DISPATCH_PKT_ADDR_HI{}, COMPUTE_DISPATCH_SCRATCH_BASE_LO{.DATA = uint32_t(scratch >> 8)},
             COMPUTE_DISPATCH_SCRATCH_BASE_HI{.DATA = uint32_t(scratch >> 40)}, r.rsrc1, r.rsrc2);
  // 0x215..0x21A: limits, CU masks of SE0-3 (every CU), scratch ring size.
  const uint32_t all = 0xFFFF;
  w.set_regs(r.limits, COMPUTE_STATIC_THREAD_MGMT_SE0{.SA0_CU_EN = all, .SA1_CU_EN = all},
             COMPUTE_STATIC_THREAD_MGMT_SE1{.SA0_CU_EN = all, .SA1_CU_EN = all}, r.tmpring,
             COMPUTE_STATIC_THREAD_MGMT_SE2{.SA0_CU_EN = all, .SA1_CU_EN = all},
             COMPUTE_STATIC_THREAD_MGMT_SE3{.SA0_CU_EN = all, .SA1_CU_EN = all});
  w.set_regs(r.rsrc3);
  w.set_regs(COMPUTE_STATIC_THREAD_MGMT_SE4{.SA0_CU_EN = all, .SA1_CU_EN = all},
             COMPUTE_STATIC_THREAD_MGMT_SE5{.SA0_CU_EN = all, .SA1_CU_EN = all},
             COMPUTE_STATIC_THREAD_MGMT_SE6{.SA0_CU_EN = all, .SA1_CU_EN = all},
             COMPUTE_STATIC_THREAD_MGMT_SE7{.SA0_CU_EN = all, .SA1_CU_EN = all});
  if (!r.user_data.empty()) {
    std::vector<uint32_t> v;
    for (const UserSgpr& s : r.user_data) v.push_back(s.value);
    w.set_sh_regs(COMPUTE_USER_DATA_0::kByteAddress, v);
  }
  w.set_regs(COMPUTE_START_X{.START = g.start.x}, COMPUTE_START_Y{.START = g.start.y},
             COMPUTE_START_Z{.START = g.start.z}, COMPUTE_NUM_THREAD_X{.NUM_THREAD_FULL = g.workgroup.x},
             COMPUTE_NUM_THREAD_Y{.NUM_THREAD_FULL = g.workgroup.y},
             COMPUTE_NUM_THREAD_Z{.NUM_THREAD_FULL = g.workgroup.z});
  if (p.timestamp_begin) w.copy_data({.src_sel = CopySrcSel::TIMESTAMP, .dst_address = p.timestamp_begin});
  // With a start offset DISPATCH_DIRECT carries end values (start + count), not counts (as Mesa does).
  const Dim3u end = g.block_count();
  w.dispatch_direct(end.x, end.y, end.z, r.initiator);
  w.event_write(EventType::CS_PARTIAL_FLUSH);
  if (p.timestamp_end)
    w.release_mem(
        {.event = EventType::BOTTOM_OF_PIPE_TS, .data_sel = ReleaseDataSel::TIMESTAMP, .address = p.timestamp_end});
  ++count_;
  return *this;
}

std::vector<uint32_t> DispatchBuilder::finish(const FenceWrite& fence, uint32_t align_dwords) {
  if (fence.address % 8 != 0 || !fence.address)
    throw DispatchError("fence address " + hex(fence.address) + " must be non-zero and 8-byte aligned");
  // End of pipe: waits for every earlier dispatch, writes L2 back so the CPU sees the results, then the value.
  w_.release_mem({.event = EventType::CACHE_FLUSH_AND_INV_TS_EVENT,
                  .gcr = ReleaseGcr::writeback(),
                  .data_sel = ReleaseDataSel::VALUE_64BIT,
                  .address = fence.address,
                  .data = fence.value});
  w_.pad_to(align_dwords);
  count_ = 0;
  return w_.take();
}

std::vector<uint32_t> build_dispatch_ib(const Kernel& k, const DispatchParams& p, const FenceWrite& fence) {
  DispatchBuilder b;
  b.add(k, p);
  return b.finish(fence);
}

}  // namespace spork
