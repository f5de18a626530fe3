// PM4 packet writer: a builder over a std::vector<uint32_t>, one typed method per packet kind.
//
//   pm4::Writer w;
//   w.set_regs(COMPUTE_PGM_LO{.DATA = uint32_t(va >> 8)}, COMPUTE_PGM_HI{.DATA = uint32_t(va >> 40)});
//   w.dispatch_direct(4, 2, 1, COMPUTE_DISPATCH_INITIATOR{.COMPUTE_SHADER_EN = 1, .CS_W32_EN = 1});
//
// Every argument that does not fit its field throws std::out_of_range / std::invalid_argument with
// the field's name; nothing is truncated silently.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "pm4/packet.h"
#include "pm4/registers.h"

namespace spork::pm4 {

// GCR_CNTL of ACQUIRE_MEM (gfx10+ cache control): which caches to write back / invalidate.
struct GcrCntl {
  uint32_t GLI_INV = 0, GL1_RANGE = 0, GLM_WB = 0, GLM_INV = 0, GLK_WB = 0, GLK_INV = 0, GLV_INV = 0, GL1_INV = 0,
           GL2_US = 0, GL2_RANGE = 0, GL2_DISCARD = 0, GL2_INV = 0, GL2_WB = 0, SEQ = 0, RANGE_IS_PA = 0;
  uint32_t encode() const;
  static GcrCntl decode(uint32_t v);
  // Invalidate every shader-visible cache and write back L2 (what the kernel driver's mem_sync does).
  static GcrCntl invalidate_all() {
    return {
        .GLI_INV = 1, .GLM_WB = 1, .GLM_INV = 1, .GLK_INV = 1, .GLV_INV = 1, .GL1_INV = 1, .GL2_INV = 1, .GL2_WB = 1};
  }
};

struct AcquireMem {
  GcrCntl gcr = GcrCntl::invalidate_all();
  // Range in 256-byte units; the defaults mean "all memory" (as the kernel driver writes them).
  uint32_t coher_size = 0xFFFFFFFFu, coher_size_hi = 0xFFFFFF;
  uint32_t coher_base = 0, coher_base_hi = 0;
  uint32_t poll_interval = 10;
};

// The cache actions a RELEASE_MEM performs before writing its data.
struct ReleaseGcr {
  uint32_t GLM_WB = 0, GLM_INV = 0, GLV_INV = 0, GL1_INV = 0, GL2_US = 0, GL2_RANGE = 0, GL2_DISCARD = 0, GL2_INV = 0,
           GL2_WB = 0, SEQ = 0;
  // Write back L2 and the metadata cache so the CPU sees the kernel's stores (kernel driver's fence).
  static ReleaseGcr writeback() { return {.GLM_WB = 1, .GLM_INV = 1, .GL2_WB = 1, .SEQ = 1}; }
};

struct ReleaseMem {
  EventType event = EventType::BOTTOM_OF_PIPE_TS;
  ReleaseGcr gcr{};
  uint32_t cache_policy = 0;
  ReleaseDataSel data_sel = ReleaseDataSel::VALUE_32BIT;
  ReleaseIntSel int_sel = ReleaseIntSel::NONE;
  ReleaseDstSel dst_sel = ReleaseDstSel::MEMORY;
  uint64_t address = 0;  // 4-byte aligned for 32-bit data, 8-byte for 64-bit data / timestamp
  uint64_t data = 0;
  uint32_t int_ctxid = 0;
};

struct WaitRegMem {
  WaitFunction function = WaitFunction::EQUAL;
  WaitMemSpace mem_space = WaitMemSpace::MEMORY;
  EngineSel engine = EngineSel::ME;
  uint64_t address = 0;  // memory: 4-byte aligned; register: dword register address in the low bits
  uint32_t reference = 0, mask = 0xFFFFFFFFu;
  uint32_t poll_interval = 10;
};

struct CopyData {
  CopySrcSel src_sel = CopySrcSel::TIMESTAMP;
  uint64_t src_address = 0;  // memory address, register dword address, or the immediate value
  CopyDstSel dst_sel = CopyDstSel::MEMORY;
  uint64_t dst_address = 0;
  bool count_64bit = true;  // COUNT_SEL: copy 64 bits (timestamps are 64-bit)
  bool wr_confirm = true;
  EngineSel engine = EngineSel::ME;
};

class Writer {
 public:
  explicit Writer(ShaderType shader_type = ShaderType::Compute) : shader_type_(shader_type) {}

  const std::vector<uint32_t>& dwords() const { return d_; }
  std::vector<uint32_t> take() { return std::move(d_); }
  size_t size() const { return d_.size(); }
  void clear() { d_.clear(); }

  // Any type-3 packet with the given payload (the typed methods below build on this).
  Writer& packet(Opcode op, std::span<const uint32_t> payload);
  Writer& packet(Opcode op, std::initializer_list<uint32_t> payload) {
    return packet(op, std::span<const uint32_t>(payload.begin(), payload.size()));
  }

  // SET_SH_REG / SET_UCONFIG_REG writing values to consecutive registers from first_byte_address.
  Writer& set_sh_regs(uint32_t first_byte_address, std::span<const uint32_t> values);
  Writer& set_uconfig_regs(uint32_t first_byte_address, std::span<const uint32_t> values);
  Writer& set_regs(RegSpace space, uint32_t first_byte_address, std::span<const uint32_t> values);

  // One packet for a run of typed registers; they must be consecutive and in one space.
  template <class R0, class... Rs>
  requires requires {
    R0::kSpace;
    R0::kOffset;
  }
  Writer& set_regs(const R0& r0, const Rs&... rs) {
    static_assert(((Rs::kSpace == R0::kSpace) && ...), "registers of one SET_*_REG packet share a space");
    constexpr uint32_t offsets[] = {R0::kOffset, Rs::kOffset...};
    static_assert(consecutive(offsets), "registers of one SET_*_REG packet must be consecutive");
    const uint32_t values[] = {r0.encode(), rs.encode()...};
    return set_regs(R0::kSpace, R0::kByteAddress, values);
  }

  Writer& dispatch_direct(uint32_t dim_x, uint32_t dim_y, uint32_t dim_z, const COMPUTE_DISPATCH_INITIATOR& init);
  // Compute-queue form: reads {x, y, z} workgroup counts from memory (4-byte aligned).
  Writer& dispatch_indirect(uint64_t address, const COMPUTE_DISPATCH_INITIATOR& init);
  Writer& acquire_mem(const AcquireMem& a);
  Writer& release_mem(const ReleaseMem& r);
  Writer& event_write(EventType e);
  Writer& write_data(uint64_t dst_address, std::span<const uint32_t> data, WriteDstSel dst_sel = WriteDstSel::MEMORY,
                     bool wr_confirm = true, EngineSel engine = EngineSel::ME);
  Writer& wait_reg_mem(const WaitRegMem& w);
  Writer& copy_data(const CopyData& c);
  // Calls (chain=false) or continues in (chain=true) another IB of size_dwords at address (4-byte aligned).
  Writer& indirect_buffer(uint64_t address, uint32_t size_dwords, bool chain = false, uint32_t vmid = 0);
  // A NOP packet occupying exactly `total_dwords` dwords (1 = the one-dword filler).
  Writer& nop(uint32_t total_dwords = 1);
  // NOPs until size() is a multiple of alignment_dwords.
  Writer& pad_to(uint32_t alignment_dwords);

 private:
  template <size_t N>
  static constexpr bool consecutive(const uint32_t (&o)[N]) {
    for (size_t i = 1; i < N; ++i)
      if (o[i] != o[0] + i) return false;
    return true;
  }
  ShaderType shader_type_;
  std::vector<uint32_t> d_;
};

}  // namespace spork::pm4
