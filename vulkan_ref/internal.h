// Internal to vulkan_ref/: the Context's Vulkan objects and shared helpers.
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "vulkan_ref/vk_loader.h"
#include "vulkan_ref/vulkan_ref.h"

namespace spork::vk {

// Runs a cleanup at scope exit (Vulkan objects made inside one operation).
struct Defer {
  std::function<void()> fn;
  ~Defer() {
    if (fn) fn();
  }
};

struct Pipeline {
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkPipeline pipeline = VK_NULL_HANDLE;
};

struct Context::Impl {
  detail::Funcs f;
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice phys = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  uint32_t queue_family = 0;
  VkCommandPool cmd_pool = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  DeviceInfo info;
  VkPhysicalDeviceMemoryProperties mem{};
  VkPhysicalDeviceLimits limits{};
  uint32_t buffer_types = 0;                          // memory types a storage buffer may live in
  uint64_t timeout_ns = 300ull * 1000 * 1000 * 1000;  // a GPU job longer than this is a hang

  ~Impl();
  static VkBuffer vkbuf(const Buffer& b) { return reinterpret_cast<VkBuffer>(b.buffer_); }

  VkCommandBuffer begin();
  // Ends, submits and waits for cb (then frees it); returns host milliseconds from submit to fence.
  double submit_wait(VkCommandBuffer cb, const std::string& what);
  void wait_fence(const std::string& what);

  // Compute pipeline from an embedded SPIR-V blob, with `bindings` storage buffers, push constants
  // of push_bytes and specialisation constants 0..spec.size()-1.
  Pipeline make_pipeline(const std::string& spirv_name, uint32_t bindings, uint32_t push_bytes,
                         const std::vector<uint32_t>& spec);
  void destroy(Pipeline& p);
  VkDescriptorPool make_descriptor_pool(uint32_t sets, uint32_t buffers_per_set);
  // offsets: per binding, bytes from the start of the buffer (default 0; the rest of it is bound).
  VkDescriptorSet make_set(VkDescriptorPool pool, const Pipeline& p, const std::vector<const Buffer*>& bufs,
                           const std::vector<uint64_t>& offsets = {});

  VkQueryPool make_timestamps(uint32_t count);
  // Ticks -> milliseconds for pairs (2i, 2i+1) of a timestamp query pool.
  std::vector<double> read_intervals_ms(VkQueryPool pool, uint32_t pairs);
  bool has_timestamps() const { return info.timestamp_valid_bits > 0; }

  // Full pipeline barrier between compute/transfer work and the next compute/transfer/host work.
  void barrier(VkCommandBuffer cb);

  uint32_t resolve_memory_type(Placement p, const std::optional<uint32_t>& explicit_type) const;
  std::unique_ptr<Buffer> create_buffer(uint64_t bytes, uint32_t type);
  std::string describe(uint32_t type) const;
};

// Median, min, max of the runs.
void summarise(Timing& t);
std::string format_bytes(uint64_t bytes);  // "64 MiB", "1.5 GiB", "4 KiB", "100 B"

}  // namespace spork::vk
