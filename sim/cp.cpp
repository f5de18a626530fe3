#include "sim/cp.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

#include "pm4/packet.h"

namespace spork::sim {

using namespace spork::pm4;

namespace {
std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}
uint64_t addr64(uint32_t lo, uint32_t hi) { return uint64_t(lo) | (uint64_t(hi) << 32); }

std::string packet_name(const Header& h) {
  if (h.type != 3) return "TYPE" + std::to_string(h.type);
  if (const char* n = opcode_name(h.opcode)) return n;
  return "opcode " + hex(h.opcode);
}

// Dword register address ranges of the two spaces a compute queue writes.
constexpr uint32_t kShDwordBase = kShRegByteBase / 4, kShDwordEnd = kShRegByteEnd / 4;
constexpr uint32_t kUconfigDwordBase = kUconfigRegByteBase / 4, kUconfigDwordEnd = kUconfigRegByteEnd / 4;

const std::chrono::steady_clock::time_point kEpoch = std::chrono::steady_clock::now();
}  // namespace

uint64_t CommandProcessor::timestamp() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - kEpoch).count();
  return uint64_t(ns) / (1'000'000'000 / kTimestampHz);
}

CommandProcessor::CommandProcessor(Memory& mem, ShaderCore& core)
    : mem_(mem), core_(core), sh_(space_dwords(RegSpace::SH)), uconfig_(space_dwords(RegSpace::UCONFIG)) {}

uint32_t CommandProcessor::reg(RegSpace space, uint32_t offset) const {
  const auto& f = space == RegSpace::SH ? sh_ : uconfig_;
  if (offset >= f.size())
    throw std::out_of_range(std::string(space_name(space)) + " register offset " + hex(offset) + " is out of range");
  return f[offset];
}

void CommandProcessor::set_reg(RegSpace space, uint32_t offset, uint32_t value) {
  auto& f = space == RegSpace::SH ? sh_ : uconfig_;
  if (offset >= f.size())
    throw std::out_of_range(std::string(space_name(space)) + " register offset " + hex(offset) + " is out of range");
  f[offset] = value;
}

void CommandProcessor::error(const std::string& what) const {
  throw CpError(loc_.ib_address, loc_.dword_offset, loc_.packet,
                "CP error: " + loc_.packet + " at dword " + std::to_string(loc_.dword_offset) + " of the IB at " +
                    hex(loc_.ib_address) + (loc_.depth ? " (nesting depth " + std::to_string(loc_.depth) + ")" : "") +
                    ": " + what);
}

uint32_t& CommandProcessor::reg_by_dword_address(uint32_t a) {
  if (a >= kShDwordBase && a < kShDwordEnd) return sh_[a - kShDwordBase];
  if (a >= kUconfigDwordBase && a < kUconfigDwordEnd) return uconfig_[a - kUconfigDwordBase];
  error("register dword address " + hex(a) + " (byte " + hex(uint64_t(a) * 4) +
        ") is neither an SH nor a UCONFIG register; the simulator models only those");
}

DispatchState CommandProcessor::latch() const {
  DispatchState s;
  s.pgm_addr = (uint64_t(reg<COMPUTE_PGM_LO>()) << 8) | (uint64_t(reg<COMPUTE_PGM_HI>()) << 40);
  s.pgm_rsrc1 = reg<COMPUTE_PGM_RSRC1>();
  s.pgm_rsrc2 = reg<COMPUTE_PGM_RSRC2>();
  s.pgm_rsrc3 = reg<COMPUTE_PGM_RSRC3>();
  for (unsigned i = 0; i < kNumComputeUserData; ++i)
    s.user_data[i] = reg(RegSpace::SH, COMPUTE_USER_DATA_0::kOffset + i);
  s.num_thread = {COMPUTE_NUM_THREAD_X::decode(reg<COMPUTE_NUM_THREAD_X>()).NUM_THREAD_FULL,
                  COMPUTE_NUM_THREAD_Y::decode(reg<COMPUTE_NUM_THREAD_Y>()).NUM_THREAD_FULL,
                  COMPUTE_NUM_THREAD_Z::decode(reg<COMPUTE_NUM_THREAD_Z>()).NUM_THREAD_FULL};
  s.start = {reg<COMPUTE_START_X>(), reg<COMPUTE_START_Y>(), reg<COMPUTE_START_Z>()};
  s.dispatch_initiator = reg<COMPUTE_DISPATCH_INITIATOR>();
  s.tmpring_size = reg<COMPUTE_TMPRING_SIZE>();
  s.scratch_base = (uint64_t(reg<COMPUTE_DISPATCH_SCRATCH_BASE_LO>()) << 8) |
                   (uint64_t(reg<COMPUTE_DISPATCH_SCRATCH_BASE_HI>()) << 40);
  s.resource_limits = reg<COMPUTE_RESOURCE_LIMITS>();
  return s;
}

void CommandProcessor::dispatch(uint32_t x, uint32_t y, uint32_t z, uint32_t initiator) {
  // The CP writes the dimensions and the initiator into the registers before launching.
  set_reg(RegSpace::SH, COMPUTE_DIM_X::kOffset, x);
  set_reg(RegSpace::SH, COMPUTE_DIM_Y::kOffset, y);
  set_reg(RegSpace::SH, COMPUTE_DIM_Z::kOffset, z);
  set_reg(RegSpace::SH, COMPUTE_DISPATCH_INITIATOR::kOffset, initiator);
  auto init = COMPUTE_DISPATCH_INITIATOR::decode(initiator);
  if (!init.COMPUTE_SHADER_EN) error("DISPATCH_INITIATOR.COMPUTE_SHADER_EN is 0, so nothing would run");
  if (init.USE_THREAD_DIMENSIONS)
    throw UnimplementedError("DISPATCH_INITIATOR.USE_THREAD_DIMENSIONS (grid given in threads) is not modelled");
  DispatchState s = latch();
  s.dim = {x, y, z};
  if (init.FORCE_START_AT_000) s.start = {0, 0, 0};
  if (init.PARTIAL_TG_EN) {
    const uint32_t partial[] = {COMPUTE_NUM_THREAD_X::decode(reg<COMPUTE_NUM_THREAD_X>()).NUM_THREAD_PARTIAL,
                                COMPUTE_NUM_THREAD_Y::decode(reg<COMPUTE_NUM_THREAD_Y>()).NUM_THREAD_PARTIAL,
                                COMPUTE_NUM_THREAD_Z::decode(reg<COMPUTE_NUM_THREAD_Z>()).NUM_THREAD_PARTIAL};
    if (partial[0] || partial[1] || partial[2])
      throw UnimplementedError(
          "partial workgroups (PARTIAL_TG_EN with COMPUTE_NUM_THREAD_*.NUM_THREAD_PARTIAL) are not modelled");
  }
  if (x == 0 || y == 0 || z == 0) return;  // an empty grid launches nothing
  DispatchStats st = core_.dispatch(s, opt_.dispatch);
  if (stats_ && opt_.dispatch.collect_stats) stats_->push_back(st);
}

uint64_t CommandProcessor::read_source(uint32_t sel, uint64_t addr, bool is64) {
  switch (CopySrcSel(sel)) {
    case CopySrcSel::REGISTER: {
      uint64_t v = reg_by_dword_address(uint32_t(addr));
      if (is64) v |= uint64_t(reg_by_dword_address(uint32_t(addr) + 1)) << 32;
      return v;
    }
    case CopySrcSel::MEMORY:
    case CopySrcSel::TC_L2: {
      if (addr % (is64 ? 8 : 4))
        error("source address " + hex(addr) + " is not " + (is64 ? "8" : "4") + "-byte aligned");
      uint64_t v = 0;
      mem_.read(addr, &v, is64 ? 8 : 4);
      return v;
    }
    case CopySrcSel::IMMEDIATE:
      return is64 ? addr : uint32_t(addr);
    case CopySrcSel::TIMESTAMP: {
      uint64_t t = timestamp();
      return is64 ? t : uint32_t(t);
    }
    default:
      error("SRC_SEL " + std::to_string(sel) +
            " is not modelled (supported: 0 register, 1/2 memory, 5 immediate, 9 GPU clock counter)");
  }
}

void CommandProcessor::wait_reg_mem(std::span<const uint32_t> p) {
  namespace F = WAIT_REG_MEM_;
  uint32_t func = F::FUNCTION.get(p[0]), space = F::MEM_SPACE.get(p[0]), op = F::OPERATION.get(p[0]);
  if (op != 0) error("OPERATION " + std::to_string(op) + " is not modelled (only 0, wait on a register or memory)");
  if (func > 6) error("FUNCTION " + std::to_string(func) + " is reserved");
  if (space > 1) error("MEM_SPACE " + std::to_string(space) + " is not modelled (0 register, 1 memory)");
  uint64_t addr = addr64(F::POLL_ADDR_LO.get(p[1]), F::POLL_ADDR_HI.get(p[2]));
  uint32_t ref = p[3], mask = p[4];
  if (space == 1 && addr % 4) error("poll address " + hex(addr) + " is not 4-byte aligned");
  auto sample = [&]() -> uint32_t {
    if (space == 0) return reg_by_dword_address(uint32_t(addr));
    // The host (or another queue) writes this word concurrently: read it atomically.
    auto* p = reinterpret_cast<uint32_t*>(mem_.translate(addr, 4, Access::Read));
    return std::atomic_ref<uint32_t>(*p).load(std::memory_order_acquire);
  };
  auto met = [&](uint32_t v) {
    v &= mask;
    switch (WaitFunction(func)) {
      case WaitFunction::ALWAYS:
        return true;
      case WaitFunction::LESS:
        return v < ref;
      case WaitFunction::LESS_EQUAL:
        return v <= ref;
      case WaitFunction::EQUAL:
        return v == ref;
      case WaitFunction::NOT_EQUAL:
        return v != ref;
      case WaitFunction::GREATER_EQUAL:
        return v >= ref;
      case WaitFunction::GREATER:
        return v > ref;
    }
    return false;
  };
  static const char* kFunc[] = {"always", "<", "<=", "==", "!=", ">=", ">"};
  auto deadline = std::chrono::steady_clock::now() + opt_.wait_timeout;
  auto nap = std::chrono::microseconds(1);
  for (;;) {
    uint32_t v = sample();
    if (met(v)) return;
    if (opt_.cancel && opt_.cancel->load(std::memory_order_relaxed))
      throw HangError("WAIT_REG_MEM at dword " + std::to_string(loc_.dword_offset) + " of the IB at " +
                      hex(loc_.ib_address) + " abandoned: the GPU is being destroyed");
    if (std::chrono::steady_clock::now() >= deadline) {
      throw HangError("GPU hang: WAIT_REG_MEM at dword " + std::to_string(loc_.dword_offset) + " of the IB at " +
                      hex(loc_.ib_address) + " waited " + std::to_string(opt_.wait_timeout.count()) + " ms for " +
                      (space ? "memory " + hex(addr) : "register " + hex(addr)) + " & " + hex(mask) + " " +
                      kFunc[func] + " " + hex(ref) + "; last value " + hex(v) + " (masked " + hex(v & mask) + ")");
    }
    std::this_thread::sleep_for(nap);
    if (nap < std::chrono::milliseconds(1)) nap *= 2;
  }
}

void CommandProcessor::execute(uint64_t va, uint32_t dwords, const CpOptions& options,
                               std::vector<DispatchStats>* stats) {
  opt_ = options;
  stats_ = stats;
  packets_ = 0;
  loc_ = CpLocation{va, 0, "IB fetch", 0};
  run_ib(va, dwords, 0);
}

void CommandProcessor::run_ib(uint64_t va, uint32_t dwords, unsigned depth) {
  for (;;) {  // one iteration per IB of a chain
    loc_ = CpLocation{va, 0, "IB fetch", depth};
    if (dwords == 0) error("IB of 0 dwords");
    if (va % 4) error("IB address " + hex(va) + " is not 4-byte aligned");
    // The CP reads IBs as data: read permission is what it needs.
    const uint32_t* base = reinterpret_cast<const uint32_t*>(mem_.translate(va, uint64_t(dwords) * 4, Access::Read));
    std::span<const uint32_t> ib(base, dwords);
    bool chained = false;
    uint64_t next_va = 0;
    uint32_t next_dwords = 0;
    for (size_t off = 0; off < ib.size() && !chained;) {
      RawPacket p = next_packet(ib, off);
      loc_ = CpLocation{va, off, packet_name(p.header), depth};
      if (++packets_ > opt_.max_packets)
        throw HangError("GPU hang: the CP executed " + std::to_string(opt_.max_packets) +
                        " packets for one submission (an INDIRECT_BUFFER chain that loops?); last at dword " +
                        std::to_string(off) + " of the IB at " + hex(va));
      if (p.header.type != 3)
        error("type-" + std::to_string(p.header.type) + " packet (header " + hex(p.header.raw) +
              "); a compute queue takes type-3 packets only");
      if (p.truncated)
        error("header " + hex(p.header.raw) + " announces " + std::to_string(p.header.payload_dwords()) +
              " payload dwords but only " + std::to_string(ib.size() - off - 1) + " remain in the " +
              std::to_string(ib.size()) + "-dword IB (truncated packet)");
      if (p.header.predicate) error("predicated packets (SET_PREDICATION) are not modelled");
      auto pl = p.payload;
      auto need = [&](size_t n) {
        if (pl.size() != n)
          error("has " + std::to_string(pl.size()) + " payload dwords, expected " + std::to_string(n) +
                " (malformed packet)");
      };
      const uint8_t op = p.header.opcode;
      switch (Opcode(op)) {
        case Opcode::NOP:
          break;
        case Opcode::SET_SH_REG:
        case Opcode::SET_UCONFIG_REG: {
          RegSpace space = Opcode(op) == Opcode::SET_SH_REG ? RegSpace::SH : RegSpace::UCONFIG;
          if (pl.size() < 2) error("needs a register offset and at least one value (malformed packet)");
          uint32_t first = SET_SH_REG_::REG_OFFSET.get(pl[0]);
          uint32_t n = uint32_t(pl.size() - 1);
          if (first + n > space_dwords(space))
            error(std::to_string(n) + " registers from offset " + hex(first) + " run past the end of the " +
                  space_name(space) + " space (" + hex(space_dwords(space)) + " registers)");
          for (uint32_t i = 0; i < n; ++i) set_reg(space, first + i, pl[1 + i]);
          break;
        }
        case Opcode::DISPATCH_DIRECT:
          need(4);
          dispatch(pl[0], pl[1], pl[2], pl[3]);
          break;
        case Opcode::DISPATCH_INDIRECT: {
          need(3);  // compute-queue form: address of {x, y, z}
          uint64_t a = addr64(DISPATCH_INDIRECT_::ADDR_LO.get(pl[0]), DISPATCH_INDIRECT_::ADDR_HI.get(pl[1]));
          if (a % 4) error("dimension address " + hex(a) + " is not 4-byte aligned");
          uint32_t d[3];
          mem_.read(a, d, sizeof d);
          dispatch(d[0], d[1], d[2], pl[2]);
          break;
        }
        case Opcode::ACQUIRE_MEM:
          // Dispatches finish before the next packet and memory is coherent: nothing to do.
          need(7);
          break;
        case Opcode::EVENT_WRITE:
          if (pl.size() != 1 && pl.size() != 3)
            error("has " + std::to_string(pl.size()) + " payload dwords, expected 1 or 3 (malformed packet)");
          break;  // CS_PARTIAL_FLUSH and friends: everything before is already done
        case Opcode::RELEASE_MEM: {
          namespace F = RELEASE_MEM_;
          need(7);
          uint32_t data_sel = F::DATA_SEL.get(pl[1]), dst_sel = F::DST_SEL.get(pl[1]);
          if (dst_sel > 1) error("DST_SEL " + std::to_string(dst_sel) + " is not modelled (0 memory, 1 TC_L2)");
          uint64_t a = addr64(F::ADDR_LO.get(pl[2]), F::ADDR_HI.get(pl[3]));
          switch (ReleaseDataSel(data_sel)) {
            case ReleaseDataSel::NONE:
              break;
            case ReleaseDataSel::VALUE_32BIT:
              if (a % 4) error("address " + hex(a) + " is not 4-byte aligned for 32-bit data");
              mem_.write(a, &pl[4], 4);
              break;
            case ReleaseDataSel::VALUE_64BIT:
            case ReleaseDataSel::TIMESTAMP: {
              if (a % 8) error("address " + hex(a) + " is not 8-byte aligned for 64-bit data");
              uint64_t v = ReleaseDataSel(data_sel) == ReleaseDataSel::TIMESTAMP ? timestamp() : addr64(pl[4], pl[5]);
              mem_.write(a, &v, 8);
              break;
            }
            default:
              error("DATA_SEL " + std::to_string(data_sel) +
                    " is not modelled (0 none, 1 32-bit value, 2 64-bit value, 3 GPU clock counter)");
          }
          break;
        }
        case Opcode::WRITE_DATA: {
          namespace F = WRITE_DATA_;
          if (pl.size() < 4) error("needs control, address and at least one data dword (malformed packet)");
          uint32_t dst = F::DST_SEL.get(pl[0]);
          bool one = F::WR_ONE_ADDR.get(pl[0]);
          uint64_t a = addr64(F::DST_ADDR_LO.get(pl[1]), F::DST_ADDR_HI.get(pl[2]));
          auto data = pl.subspan(3);
          if (dst == uint32_t(WriteDstSel::REGISTER)) {
            for (size_t i = 0; i < data.size(); ++i)
              reg_by_dword_address(uint32_t(a) + (one ? 0 : uint32_t(i))) = data[i];
          } else if (dst == uint32_t(WriteDstSel::MEMORY) || dst == 2 /* TC_L2 */) {
            if (a % 4) error("address " + hex(a) + " is not 4-byte aligned");
            if (one) {
              for (uint32_t d : data) mem_.write(a, &d, 4);
            } else {
              mem_.write(a, data.data(), data.size() * 4);
            }
          } else {
            error("DST_SEL " + std::to_string(dst) + " is not modelled (0 register, 2 TC_L2, 5 memory)");
          }
          break;
        }
        case Opcode::WAIT_REG_MEM:
          need(6);
          wait_reg_mem(pl);
          break;
        case Opcode::COPY_DATA: {
          namespace F = COPY_DATA_;
          need(5);
          bool is64 = F::COUNT_SEL.get(pl[0]);
          uint32_t src = F::SRC_SEL.get(pl[0]), dst = F::DST_SEL.get(pl[0]);
          uint64_t v = read_source(src, addr64(pl[1], pl[2]), is64);
          uint64_t d = addr64(pl[3], pl[4]);
          if (dst == uint32_t(CopyDstSel::REGISTER)) {
            reg_by_dword_address(uint32_t(d)) = uint32_t(v);
            if (is64) reg_by_dword_address(uint32_t(d) + 1) = uint32_t(v >> 32);
          } else if (dst == uint32_t(CopyDstSel::MEMORY) || dst == uint32_t(CopyDstSel::TC_L2)) {
            if (d % (is64 ? 8 : 4))
              error("destination address " + hex(d) + " is not " + (is64 ? "8" : "4") + "-byte aligned");
            mem_.write(d, &v, is64 ? 8 : 4);
          } else {
            error("DST_SEL " + std::to_string(dst) + " is not modelled (0 register, 2 TC_L2, 5 memory)");
          }
          break;
        }
        case Opcode::INDIRECT_BUFFER: {
          namespace F = INDIRECT_BUFFER_;
          need(3);
          uint64_t a = addr64(F::IB_BASE_LO.get(pl[0]), F::IB_BASE_HI.get(pl[1]));
          uint32_t n = F::IB_SIZE.get(pl[2]);
          if (!F::VALID.get(pl[2])) error("VALID is 0");
          if (F::CHAIN.get(pl[2])) {
            // The rest of this IB is skipped; execution continues in the new one at this level.
            chained = true;
            next_va = a;
            next_dwords = n;
          } else {
            if (depth + 1 > opt_.max_ib_depth)
              error("INDIRECT_BUFFER calls nested deeper than " + std::to_string(opt_.max_ib_depth) +
                    " levels (IB chain too deep; calling " + hex(a) + ")");
            run_ib(a, n, depth + 1);
          }
          break;
        }
        default:
          if (opcode_name(op)) error("packet is not modelled by the simulator's command processor");
          error("unknown opcode " + hex(op) + " (header " + hex(p.header.raw) + ")");
      }
      off += p.size_dwords();
    }
    if (!chained) return;
    va = next_va;
    dwords = next_dwords;
  }
}

}  // namespace spork::sim
