// The compute dispatch sequence: turns a Kernel (descriptor + metadata) and a launch into the PM4
// packets of a compute IB. Several dispatches can go into one IB, each with its own timestamps,
// followed by one fence.
//
//   DispatchBuilder b;
//   b.add(kernel, params);          // ACQUIRE_MEM, registers, timestamp, DISPATCH_DIRECT, flush, timestamp
//   b.add(kernel2, params2);        // waits for the previous dispatch (CS_PARTIAL_FLUSH) first
//   std::vector<uint32_t> ib = b.finish({.address = fence_va, .value = 7});
//
// Per dispatch:
//   ACQUIRE_MEM (invalidate I$/K$/V$/GL1, write back + invalidate L2)
//   SET_SH_REG COMPUTE_PGM_LO .. COMPUTE_PGM_RSRC2 (one run): code address >> 8 (256-byte aligned),
//              dispatch packet address (0: the kernel reads its SGPRs), scratch base >> 8 (0 without), RSRC1, RSRC2
//              from the descriptor with LDS_SIZE filled from the LDS need (512-byte granules)
//   SET_SH_REG COMPUTE_RESOURCE_LIMITS .. STATIC_THREAD_MGMT_SE3: limits, CU masks (all), TMPRING_SIZE
//              (WAVES, WAVESIZE in 256-byte units; 0 without scratch)
//   SET_SH_REG COMPUTE_PGM_RSRC3, then STATIC_THREAD_MGMT_SE4..7 (all CUs)
//   SET_SH_REG COMPUTE_USER_DATA_0..n-1     the ABI's user SGPRs, n = RSRC2.USER_SGPR exactly
//   SET_SH_REG COMPUTE_START_X..NUM_THREAD_Z
//   COPY_DATA  GPU timestamp -> timestamp_begin (when given)
//   DISPATCH_DIRECT                         COMPUTE_SHADER_EN, FORCE_START_AT_000 (no start offset),
//                                           ORDER_MODE, CS_W32_EN from the descriptor's wave32 bit
//   EVENT_WRITE CS_PARTIAL_FLUSH
//   RELEASE_MEM bottom-of-pipe timestamp -> timestamp_end (when given)
// finish(): RELEASE_MEM end of pipe with L2 write-back, 64-bit fence value; NOP padding.
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "pm4/writer.h"
#include "runtime/codeobj.h"
#include "runtime/kernargs.h"

namespace spork {

struct DispatchError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Scratch (private segment) backing store for one dispatch.
struct ScratchArea {
  uint64_t address = 0;         // 256-byte aligned GPU address
  uint32_t bytes_per_wave = 0;  // >= private_segment_fixed_size * wave size, multiple of 256
  uint32_t waves = 0;           // waves the whole area holds
  // gfx11 counts COMPUTE_TMPRING_SIZE.WAVES per shader engine (Mesa radv divides by num_se):
  // WAVES = waves / shader_engines (<= 4095). gfx1100 has 6; the simulator may say 1.
  uint32_t shader_engines = 1;
  uint64_t size() const { return uint64_t(bytes_per_wave) * waves; }
};

struct DispatchParams {
  LaunchGeometry geometry{};             // grid (workgroups), workgroup size, start, global offset
  uint64_t code_address = 0;             // image base + kernel.code_vaddr()
  uint64_t kernarg_address = 0;          // GPU address of the packed kernarg segment
  uint32_t kernarg_bytes = 0;            // size of that buffer (checked against the kernel's need)
  uint32_t dynamic_lds_bytes = 0;        // PackedKernargs::dynamic_lds_bytes
  std::optional<ScratchArea> scratch;    // required when the kernel uses a private segment
  uint64_t dispatch_packet_address = 0;  // 64-byte dispatch packet; required with the dispatch pointer
  uint64_t queue_address = 0;            // queue pointer SGPRs (spork has no AQL queue: 0)
  uint64_t dispatch_id = 0;              // dispatch id SGPRs
  uint64_t timestamp_begin = 0;          // 8-byte aligned address for the begin timestamp; 0 = none
  uint64_t timestamp_end = 0;            // ... end timestamp; 0 = none
};

struct FenceWrite {
  uint64_t address = 0;  // 8-byte aligned
  uint64_t value = 0;    // written as 64 bits once every dispatch before it has finished
};

// The user SGPR values the kernel's descriptor asks for, in ABI order, padded with zeros to
// RSRC2.USER_SGPR. Each entry names what it holds (for show-dispatch and the tests).
struct UserSgpr {
  uint32_t value;
  const char* what;  // "dispatch_ptr lo", "kernarg_segment_ptr hi", "(padding)"...
};
std::vector<UserSgpr> user_sgprs(const Kernel& k, const DispatchParams& p);

// The register values of one dispatch (what the SET_SH_REG packets carry).
struct DispatchRegisters {
  pm4::COMPUTE_PGM_RSRC1 rsrc1;
  pm4::COMPUTE_PGM_RSRC2 rsrc2;
  pm4::COMPUTE_PGM_RSRC3 rsrc3;
  pm4::COMPUTE_TMPRING_SIZE tmpring;
  pm4::COMPUTE_RESOURCE_LIMITS limits;
  pm4::COMPUTE_DISPATCH_INITIATOR initiator;
  std::vector<UserSgpr> user_data;
};
// Validates the launch against the kernel and computes the registers (throws DispatchError).
DispatchRegisters dispatch_registers(const Kernel& k, const DispatchParams& p);

class DispatchBuilder {
 public:
  // Appends one dispatch; throws DispatchError (nothing appended) when the launch does not suit the kernel.
  DispatchBuilder& add(const Kernel& k, const DispatchParams& p);
  // Appends the fence, pads the IB to `align_dwords` with NOPs and returns it (the builder is then empty).
  std::vector<uint32_t> finish(const FenceWrite& fence, uint32_t align_dwords = 8);
  size_t dispatch_count() const { return count_; }
  const std::vector<uint32_t>& dwords() const { return w_.dwords(); }

 private:
  pm4::Writer w_;
  size_t count_ = 0;
};

// One dispatch + fence.
std::vector<uint32_t> build_dispatch_ib(const Kernel& k, const DispatchParams& p, const FenceWrite& fence);

}  // namespace spork
