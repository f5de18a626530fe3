// The simulator behind the winsys interface: sim::Gpu (memory + command processor + shader
// core) driven exactly like a kernel driver would drive real hardware, so the runtime above
// runs unchanged in CI.
#pragma once
#include <memory>
#include <vector>

#include "runtime/device.h"
#include "runtime/winsys.h"

namespace spork {

// The gfx target the simulator models.
inline constexpr const char* kSimTarget = "gfx1100";

// A simulator winsys configured from the options (threads, statistics, instruction budget).
std::unique_ptr<winsys::Winsys> make_sim_winsys(const DeviceOptions& opt = {});

namespace detail {
struct DeviceCore;
// Per-dispatch statistics of submission `seq` when the device is the simulator and
// statistics were collected; empty otherwise.
std::vector<SimStats> collect_sim_stats(DeviceCore& dev, uint64_t seq);
}  // namespace detail

}  // namespace spork
