#include "pm4/writer.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace spork::pm4 {
namespace {

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}
void check_aligned(uint64_t addr, uint64_t align, const char* what) {
  if (addr % align != 0)
    throw std::invalid_argument(std::string(what) + " address " + hex(addr) + " is not " + std::to_string(align) +
                                "-byte aligned");
}
uint32_t lo32(uint64_t v) { return uint32_t(v); }
uint32_t hi32(uint64_t v) { return uint32_t(v >> 32); }

}  // namespace

uint32_t GcrCntl::encode() const {
  namespace F = ACQUIRE_MEM_;
  return F::GCR_CNTL_GLI_INV.put(GLI_INV) | F::GCR_CNTL_GL1_RANGE.put(GL1_RANGE) | F::GCR_CNTL_GLM_WB.put(GLM_WB) |
         F::GCR_CNTL_GLM_INV.put(GLM_INV) | F::GCR_CNTL_GLK_WB.put(GLK_WB) | F::GCR_CNTL_GLK_INV.put(GLK_INV) |
         F::GCR_CNTL_GLV_INV.put(GLV_INV) | F::GCR_CNTL_GL1_INV.put(GL1_INV) | F::GCR_CNTL_GL2_US.put(GL2_US) |
         F::GCR_CNTL_GL2_RANGE.put(GL2_RANGE) | F::GCR_CNTL_GL2_DISCARD.put(GL2_DISCARD) |
         F::GCR_CNTL_GL2_INV.put(GL2_INV) | F::GCR_CNTL_GL2_WB.put(GL2_WB) | F::GCR_CNTL_SEQ.put(SEQ) |
         F::GCR_RANGE_IS_PA.put(RANGE_IS_PA);
}

GcrCntl GcrCntl::decode(uint32_t v) {
  namespace F = ACQUIRE_MEM_;
  GcrCntl g;
  g.GLI_INV = F::GCR_CNTL_GLI_INV.get(v);
  g.GL1_RANGE = F::GCR_CNTL_GL1_RANGE.get(v);
  g.GLM_WB = F::GCR_CNTL_GLM_WB.get(v);
  g.GLM_INV = F::GCR_CNTL_GLM_INV.get(v);
  g.GLK_WB = F::GCR_CNTL_GLK_WB.get(v);
  g.GLK_INV = F::GCR_CNTL_GLK_INV.get(v);
  g.GLV_INV = F::GCR_CNTL_GLV_INV.get(v);
  g.GL1_INV = F::GCR_CNTL_GL1_INV.get(v);
  g.GL2_US = F::GCR_CNTL_GL2_US.get(v);
  g.GL2_RANGE = F::GCR_CNTL_GL2_RANGE.get(v);
  g.GL2_DISCARD = F::GCR_CNTL_GL2_DISCARD.get(v);
  g.GL2_INV = F::GCR_CNTL_GL2_INV.get(v);
  g.GL2_WB = F::GCR_CNTL_GL2_WB.get(v);
  g.SEQ = F::GCR_CNTL_SEQ.get(v);
  g.RANGE_IS_PA = F::GCR_RANGE_IS_PA.get(v);
  return g;
}

Writer& Writer::packet(Opcode op, std::span<const uint32_t> payload) {
  if (payload.empty() || payload.size() > kMaxPayloadDwords)
    throw std::invalid_argument(std::string("PM4 ") + (opcode_name(uint8_t(op)) ? opcode_name(uint8_t(op)) : "?") +
                                " packet needs 1.." + std::to_string(kMaxPayloadDwords) + " payload dwords, got " +
                                std::to_string(payload.size()));
  d_.push_back(make_type3_header(op, uint32_t(payload.size()), shader_type_));
  d_.insert(d_.end(), payload.begin(), payload.end());
  return *this;
}

Writer& Writer::set_regs(RegSpace space, uint32_t first_byte_address, std::span<const uint32_t> values) {
  const uint32_t base = space_byte_base(space), end = space_byte_end(space);
  if (first_byte_address % 4 != 0 || first_byte_address < base ||
      uint64_t(first_byte_address) + 4 * uint64_t(values.size()) > end)
    throw std::invalid_argument(std::string("registers ") + hex(first_byte_address) + " .. +" +
                                std::to_string(values.size()) + " dwords are outside the " + space_name(space) +
                                " register space [" + hex(base) + ", " + hex(end) + ")");
  if (values.empty()) throw std::invalid_argument("SET_*_REG with no register values");
  if (values.size() + 1 > kMaxPayloadDwords) throw std::invalid_argument("SET_*_REG run too long");
  std::vector<uint32_t> p;
  p.reserve(values.size() + 1);
  p.push_back(packet_offset(space, first_byte_address));
  p.insert(p.end(), values.begin(), values.end());
  return packet(space == RegSpace::SH ? Opcode::SET_SH_REG : Opcode::SET_UCONFIG_REG, p);
}

Writer& Writer::set_sh_regs(uint32_t first_byte_address, std::span<const uint32_t> values) {
  return set_regs(RegSpace::SH, first_byte_address, values);
}
Writer& Writer::set_uconfig_regs(uint32_t first_byte_address, std::span<const uint32_t> values) {
  return set_regs(RegSpace::UCONFIG, first_byte_address, values);
}

Writer& Writer::dispatch_direct(uint32_t x, uint32_t y, uint32_t z, const COMPUTE_DISPATCH_INITIATOR& init) {
  return packet(Opcode::DISPATCH_DIRECT, {x, y, z, init.encode()});
}

Writer& Writer::dispatch_indirect(uint64_t address, const COMPUTE_DISPATCH_INITIATOR& init) {
  check_aligned(address, 4, "DISPATCH_INDIRECT");
  return packet(Opcode::DISPATCH_INDIRECT, {lo32(address), hi32(address), init.encode()});
}

Writer& Writer::acquire_mem(const AcquireMem& a) {
  return packet(Opcode::ACQUIRE_MEM,
                {0 /* COHER_CNTL: unused on gfx10+ */, a.coher_size, a.coher_size_hi, a.coher_base, a.coher_base_hi,
                 ACQUIRE_MEM_::POLL_INTERVAL.put(a.poll_interval), a.gcr.encode()});
}

Writer& Writer::release_mem(const ReleaseMem& r) {
  namespace F = RELEASE_MEM_;
  const auto ev = r.event;
  const uint32_t dw0 =
      F::EVENT_TYPE.put(uint32_t(ev)) | F::EVENT_INDEX.put(event_index(ev)) | F::GCR_GLM_WB.put(r.gcr.GLM_WB) |
      F::GCR_GLM_INV.put(r.gcr.GLM_INV) | F::GCR_GLV_INV.put(r.gcr.GLV_INV) | F::GCR_GL1_INV.put(r.gcr.GL1_INV) |
      F::GCR_GL2_US.put(r.gcr.GL2_US) | F::GCR_GL2_RANGE.put(r.gcr.GL2_RANGE) |
      F::GCR_GL2_DISCARD.put(r.gcr.GL2_DISCARD) | F::GCR_GL2_INV.put(r.gcr.GL2_INV) | F::GCR_GL2_WB.put(r.gcr.GL2_WB) |
      F::GCR_SEQ.put(r.gcr.SEQ) | F::CACHE_POLICY.put(r.cache_policy);
  const uint32_t dw1 =
      F::DST_SEL.put(uint32_t(r.dst_sel)) | F::INT_SEL.put(uint32_t(r.int_sel)) | F::DATA_SEL.put(uint32_t(r.data_sel));
  if (r.data_sel != ReleaseDataSel::NONE)
    check_aligned(r.address, r.data_sel == ReleaseDataSel::VALUE_32BIT ? 4 : 8, "RELEASE_MEM");
  if (r.data_sel == ReleaseDataSel::VALUE_32BIT && hi32(r.data) != 0)
    throw std::invalid_argument("RELEASE_MEM: 32-bit data " + hex(r.data) + " does not fit in 32 bits");
  return packet(Opcode::RELEASE_MEM,
                {dw0, dw1, lo32(r.address), hi32(r.address), lo32(r.data), hi32(r.data), r.int_ctxid});
}

Writer& Writer::event_write(EventType e) {
  namespace F = EVENT_WRITE_;
  return packet(Opcode::EVENT_WRITE, {F::EVENT_TYPE.put(uint32_t(e)) | F::EVENT_INDEX.put(event_index(e))});
}

Writer& Writer::write_data(uint64_t dst, std::span<const uint32_t> data, WriteDstSel dst_sel, bool wr_confirm,
                           EngineSel engine) {
  namespace F = WRITE_DATA_;
  if (data.empty()) throw std::invalid_argument("WRITE_DATA with no data");
  if (dst_sel == WriteDstSel::MEMORY) check_aligned(dst, 4, "WRITE_DATA");
  std::vector<uint32_t> p;
  p.reserve(3 + data.size());
  p.push_back(F::DST_SEL.put(uint32_t(dst_sel)) | F::WR_CONFIRM.put(wr_confirm) | F::ENGINE_SEL.put(uint32_t(engine)));
  p.push_back(lo32(dst));
  p.push_back(hi32(dst));
  p.insert(p.end(), data.begin(), data.end());
  return packet(Opcode::WRITE_DATA, p);
}

Writer& Writer::wait_reg_mem(const WaitRegMem& w) {
  namespace F = WAIT_REG_MEM_;
  if (w.mem_space == WaitMemSpace::MEMORY) check_aligned(w.address, 4, "WAIT_REG_MEM");
  return packet(Opcode::WAIT_REG_MEM,
                {F::FUNCTION.put(uint32_t(w.function)) | F::MEM_SPACE.put(uint32_t(w.mem_space)) | F::OPERATION.put(0) |
                     F::ENGINE.put(uint32_t(w.engine)),
                 lo32(w.address), hi32(w.address), w.reference, w.mask, F::POLL_INTERVAL.put(w.poll_interval)});
}

Writer& Writer::copy_data(const CopyData& c) {
  namespace F = COPY_DATA_;
  const uint64_t align = c.count_64bit ? 8 : 4;
  if (c.src_sel == CopySrcSel::MEMORY || c.src_sel == CopySrcSel::TC_L2)
    check_aligned(c.src_address, align, "COPY_DATA source");
  if (c.dst_sel == CopyDstSel::MEMORY || c.dst_sel == CopyDstSel::TC_L2)
    check_aligned(c.dst_address, align, "COPY_DATA destination");
  return packet(
      Opcode::COPY_DATA,
      {F::SRC_SEL.put(uint32_t(c.src_sel)) | F::DST_SEL.put(uint32_t(c.dst_sel)) | F::COUNT_SEL.put(c.count_64bit) |
           F::WR_CONFIRM.put(c.wr_confirm) | F::ENGINE_SEL.put(uint32_t(c.engine)),
       lo32(c.src_address), hi32(c.src_address), lo32(c.dst_address), hi32(c.dst_address)});
}

Writer& Writer::indirect_buffer(uint64_t address, uint32_t size_dwords, bool chain, uint32_t vmid) {
  namespace F = INDIRECT_BUFFER_;
  check_aligned(address, 4, "INDIRECT_BUFFER");
  if (size_dwords == 0) throw std::invalid_argument("INDIRECT_BUFFER of 0 dwords");
  return packet(Opcode::INDIRECT_BUFFER,
                {lo32(address), hi32(address),
                 F::IB_SIZE.put(size_dwords) | F::CHAIN.put(chain) | F::VALID.put(1) | F::VMID.put(vmid)});
}

Writer& Writer::nop(uint32_t total_dwords) {
  if (total_dwords == 0) return *this;
  if (total_dwords == 1) {
    d_.push_back(kNopFiller);
    return *this;
  }
  while (total_dwords > 0) {
    // The longest NOP is 1 + kMaxPayloadDwords - 1 dwords (count 0x3FFF is the filler); keep >= 2 for the rest.
    uint32_t n = std::min<uint32_t>(total_dwords, kMaxPayloadDwords);
    if (total_dwords - n == 1) --n;
    if (n == 1) {
      d_.push_back(kNopFiller);
    } else {
      d_.push_back(make_type3_header(Opcode::NOP, n - 1, shader_type_));
      d_.insert(d_.end(), n - 1, 0u);
    }
    total_dwords -= n;
  }
  return *this;
}

Writer& Writer::pad_to(uint32_t alignment_dwords) {
  if (alignment_dwords == 0) throw std::invalid_argument("pad_to(0)");
  return nop(uint32_t((alignment_dwords - d_.size() % alignment_dwords) % alignment_dwords));
}

}  // namespace spork::pm4
