// Turning a batch of recorded dispatches into one IB (pm4 dispatch builder) and submitting it.
#pragma once
#include <vector>

#include "runtime/device_internal.h"

namespace spork::detail {

// Allocates the submission's command BO (IB, kernargs + hidden args + dispatch packets,
// timestamps, fence), encodes the IB, submits it with every BO of the batch and fills
// s.cmd, s.ib, s.ts_offset, s.fence_offset and s.seq.
void encode_and_submit(DeviceCore& dev, Submission& s, std::vector<PendingDispatch>& batch);

// Checks at record time what the IB builder would refuse at submit time (LDS, scratch,
// descriptor bits, user SGPRs), with placeholder addresses. Throws DispatchError.
void check_encodable(const PendingDispatch& p);

}  // namespace spork::detail
