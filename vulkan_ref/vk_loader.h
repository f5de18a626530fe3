// Internal: the Vulkan loader is opened with dlopen at run time (no link-time dependency), so a
// machine without libvulkan.so.1 still runs spork and gets a clear message from this backend.
#pragma once
#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include <string>

namespace spork::vk::detail {

#define SPORK_VK_GLOBAL_FUNCS(X) \
  X(vkCreateInstance)            \
  X(vkEnumerateInstanceVersion)  \
  X(vkEnumerateInstanceExtensionProperties)

#define SPORK_VK_INSTANCE_FUNCS(X)            \
  X(vkDestroyInstance)                        \
  X(vkEnumeratePhysicalDevices)               \
  X(vkGetPhysicalDeviceProperties)            \
  X(vkGetPhysicalDeviceMemoryProperties)      \
  X(vkGetPhysicalDeviceQueueFamilyProperties) \
  X(vkGetPhysicalDeviceProperties2)           \
  X(vkCreateDevice)                           \
  X(vkGetDeviceProcAddr)

#define SPORK_VK_DEVICE_FUNCS(X)   \
  X(vkDestroyDevice)               \
  X(vkGetDeviceQueue)              \
  X(vkDeviceWaitIdle)              \
  X(vkCreateBuffer)                \
  X(vkDestroyBuffer)               \
  X(vkGetBufferMemoryRequirements) \
  X(vkAllocateMemory)              \
  X(vkFreeMemory)                  \
  X(vkBindBufferMemory)            \
  X(vkMapMemory)                   \
  X(vkUnmapMemory)                 \
  X(vkCreateShaderModule)          \
  X(vkDestroyShaderModule)         \
  X(vkCreateDescriptorSetLayout)   \
  X(vkDestroyDescriptorSetLayout)  \
  X(vkCreatePipelineLayout)        \
  X(vkDestroyPipelineLayout)       \
  X(vkCreateComputePipelines)      \
  X(vkDestroyPipeline)             \
  X(vkCreateDescriptorPool)        \
  X(vkDestroyDescriptorPool)       \
  X(vkAllocateDescriptorSets)      \
  X(vkUpdateDescriptorSets)        \
  X(vkCreateCommandPool)           \
  X(vkDestroyCommandPool)          \
  X(vkResetCommandPool)            \
  X(vkAllocateCommandBuffers)      \
  X(vkFreeCommandBuffers)          \
  X(vkBeginCommandBuffer)          \
  X(vkEndCommandBuffer)            \
  X(vkCmdBindPipeline)             \
  X(vkCmdBindDescriptorSets)       \
  X(vkCmdPushConstants)            \
  X(vkCmdDispatch)                 \
  X(vkCmdPipelineBarrier)          \
  X(vkCmdCopyBuffer)               \
  X(vkCmdFillBuffer)               \
  X(vkCmdWriteTimestamp)           \
  X(vkCmdResetQueryPool)           \
  X(vkCreateQueryPool)             \
  X(vkDestroyQueryPool)            \
  X(vkGetQueryPoolResults)         \
  X(vkCreateFence)                 \
  X(vkDestroyFence)                \
  X(vkResetFences)                 \
  X(vkWaitForFences)               \
  X(vkQueueSubmit)

#define SPORK_VK_DECLARE(name) PFN_##name name = nullptr;

struct Funcs {
  PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr = nullptr;
  SPORK_VK_GLOBAL_FUNCS(SPORK_VK_DECLARE)
  SPORK_VK_INSTANCE_FUNCS(SPORK_VK_DECLARE)
  SPORK_VK_DEVICE_FUNCS(SPORK_VK_DECLARE)
};

// Opens libvulkan.so.1 (once per process) and fills the global functions; throws spork::vk::Error
// naming the library and dlerror() when there is no loader.
void load_global(Funcs& f);
void load_instance(Funcs& f, VkInstance instance);
void load_device(Funcs& f, VkDevice device);

// "VK_ERROR_OUT_OF_DEVICE_MEMORY" and friends.
const char* result_name(VkResult r);
// Throws spork::vk::Error("<what>: <result name>[, hint]") unless r is VK_SUCCESS.
void check(VkResult r, const std::string& what);

}  // namespace spork::vk::detail
