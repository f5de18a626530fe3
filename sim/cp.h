// The simulator's command processor (the compute micro-engine): fetches indirect buffers
// from GPU memory, interprets PM4 type-3 packets into a register file (offsets and fields
// from pm4/'s one register table), and hands DISPATCH_DIRECT/INDIRECT to the shader core
// with the latched compute registers. Packets execute strictly in order; a dispatch is
// complete before the next packet, so cache and synchronisation packets have nothing to do.
//
// Supported: NOP (and the one-dword filler), SET_SH_REG, SET_UCONFIG_REG, DISPATCH_DIRECT,
// DISPATCH_INDIRECT (compute-queue form), ACQUIRE_MEM, RELEASE_MEM, EVENT_WRITE, WRITE_DATA,
// WAIT_REG_MEM, COPY_DATA, INDIRECT_BUFFER (call and chain). Anything else is a CpError.
//
// GPU timestamp: a 64-bit counter at 100 MHz (10 ns per tick, like gfx11's GPU clock
// counter) derived from the host's steady_clock, so simulated durations are host time.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <span>
#include <string>
#include <vector>

#include "pm4/registers.h"
#include "sim/memory.h"
#include "sim/shader.h"

namespace spork::sim {

// A packet the command processor cannot execute: unknown opcode, truncated or malformed
// packet, register outside its space, IB nesting too deep. Names the packet and where it is.
struct CpError : std::runtime_error {
  uint64_t ib_address;  // GPU address of the IB holding the packet
  size_t dword_offset;  // of the packet header within that IB
  std::string packet;   // opcode name, or "opcode 0x.." / "TYPE0" ...
  CpError(uint64_t ib, size_t off, std::string pkt, const std::string& what)
      : std::runtime_error(what), ib_address(ib), dword_offset(off), packet(std::move(pkt)) {}
};

// Where an error (of any kind) was raised while executing a packet.
struct CpLocation {
  uint64_t ib_address = 0;
  size_t dword_offset = 0;
  std::string packet;
  unsigned depth = 0;  // 0 = a submitted IB, 1 = called from it, ...
};

struct CpOptions {
  DispatchOptions dispatch{};
  // WAIT_REG_MEM gives up (HangError) when its condition is not met within this time.
  std::chrono::milliseconds wait_timeout{5000};
  // Nested INDIRECT_BUFFER calls allowed below a submitted IB (hardware has IB1 -> IB2).
  unsigned max_ib_depth = 4;
  // Packets executed per submitted IB before a chain loop is reported as a hang.
  uint64_t max_packets = 1ull << 26;
  // When set (and true), a waiting WAIT_REG_MEM gives up at once (the GPU is being destroyed).
  const std::atomic<bool>* cancel = nullptr;
};

class CommandProcessor {
 public:
  static constexpr uint64_t kTimestampHz = 100'000'000;  // GPU clock counter frequency
  static uint64_t timestamp();                           // now, in 10 ns ticks

  CommandProcessor(Memory& mem, ShaderCore& core);

  // Executes the IB of `dwords` dwords at GPU address `va` and everything it calls.
  // Register state persists between calls (as on hardware). Statistics of each dispatch
  // are appended to *stats when options.dispatch.collect_stats. Throws CpError, VmFault,
  // HangError, UnimplementedError or ShaderError; last_location() then says where.
  void execute(uint64_t va, uint32_t dwords, const CpOptions& options, std::vector<DispatchStats>* stats = nullptr);

  const CpLocation& last_location() const { return loc_; }

  // Register file access (packet offsets of each space).
  uint32_t reg(pm4::RegSpace space, uint32_t offset) const;
  void set_reg(pm4::RegSpace space, uint32_t offset, uint32_t value);
  template <class R>
  uint32_t reg() const {
    return reg(R::kSpace, R::kOffset);
  }
  // The compute registers as DISPATCH_DIRECT would latch them (dims left 0).
  DispatchState latch() const;

 private:
  void run_ib(uint64_t va, uint32_t dwords, unsigned depth);
  [[noreturn]] void error(const std::string& what) const;
  void dispatch(uint32_t x, uint32_t y, uint32_t z, uint32_t initiator);
  // Register by dword register address (as WRITE_DATA / COPY_DATA / WAIT_REG_MEM name them).
  uint32_t& reg_by_dword_address(uint32_t addr);
  uint64_t read_source(uint32_t sel, uint64_t addr, bool is64);
  void wait_reg_mem(std::span<const uint32_t> p);

  Memory& mem_;
  ShaderCore& core_;
  std::vector<uint32_t> sh_, uconfig_;
  CpOptions opt_;
  std::vector<DispatchStats>* stats_ = nullptr;
  uint64_t packets_ = 0;
  CpLocation loc_;
};

}  // namespace spork::sim
