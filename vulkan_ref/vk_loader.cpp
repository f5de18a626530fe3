#include "vulkan_ref/vk_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "vulkan_ref/vulkan_ref.h"

namespace spork::vk::detail {
namespace {

PFN_vkGetInstanceProcAddr open_loader() {
  static std::once_flag once;
  static PFN_vkGetInstanceProcAddr gipa = nullptr;
  static std::string why;
  std::call_once(once, [] {
    void* lib = nullptr;
    // SPORK_VULKAN_LOADER names the loader library to use instead (a path, or /nonexistent in tests).
    const char* env = std::getenv("SPORK_VULKAN_LOADER");
    std::vector<const char*> names = {"libvulkan.so.1", "libvulkan.so"};
    if (env && *env) names = {env};
    for (const char* name : names) {
      lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);  // never closed: drivers keep pointers into it
      if (lib) break;
      const char* e = dlerror();
      if (why.empty()) why = e ? e : name;
    }
    if (!lib) return;
    gipa = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(lib, "vkGetInstanceProcAddr"));
    if (!gipa) why = "libvulkan.so.1 has no vkGetInstanceProcAddr";
  });
  if (!gipa)
    throw Error("no Vulkan loader: " + why + " (install libvulkan1 and a Vulkan driver, e.g. mesa-vulkan-drivers)");
  return gipa;
}

}  // namespace

void load_global(Funcs& f) {
  f.vkGetInstanceProcAddr = open_loader();
#define SPORK_VK_LOAD_GLOBAL(name) f.name = reinterpret_cast<PFN_##name>(f.vkGetInstanceProcAddr(nullptr, #name));
  SPORK_VK_GLOBAL_FUNCS(SPORK_VK_LOAD_GLOBAL)
  if (!f.vkCreateInstance) throw Error("the Vulkan loader does not provide vkCreateInstance");
}

void load_instance(Funcs& f, VkInstance instance) {
#define SPORK_VK_LOAD_INSTANCE(name)                                               \
  f.name = reinterpret_cast<PFN_##name>(f.vkGetInstanceProcAddr(instance, #name)); \
  if (!f.name) throw Error("the Vulkan loader does not provide " #name);
  SPORK_VK_INSTANCE_FUNCS(SPORK_VK_LOAD_INSTANCE)
}

void load_device(Funcs& f, VkDevice device) {
#define SPORK_VK_LOAD_DEVICE(name)                                             \
  f.name = reinterpret_cast<PFN_##name>(f.vkGetDeviceProcAddr(device, #name)); \
  if (!f.name) throw Error("the Vulkan driver does not provide " #name);
  SPORK_VK_DEVICE_FUNCS(SPORK_VK_LOAD_DEVICE)
}

const char* result_name(VkResult r) {
  switch (r) {
#define SPORK_VK_RESULT(x) \
  case x:                  \
    return #x;
    SPORK_VK_RESULT(VK_SUCCESS)
    SPORK_VK_RESULT(VK_NOT_READY)
    SPORK_VK_RESULT(VK_TIMEOUT)
    SPORK_VK_RESULT(VK_INCOMPLETE)
    SPORK_VK_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
    SPORK_VK_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    SPORK_VK_RESULT(VK_ERROR_INITIALIZATION_FAILED)
    SPORK_VK_RESULT(VK_ERROR_DEVICE_LOST)
    SPORK_VK_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
    SPORK_VK_RESULT(VK_ERROR_LAYER_NOT_PRESENT)
    SPORK_VK_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT)
    SPORK_VK_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
    SPORK_VK_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER)
    SPORK_VK_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
    SPORK_VK_RESULT(VK_ERROR_FORMAT_NOT_SUPPORTED)
    SPORK_VK_RESULT(VK_ERROR_FRAGMENTED_POOL)
    SPORK_VK_RESULT(VK_ERROR_UNKNOWN)
    SPORK_VK_RESULT(VK_ERROR_OUT_OF_POOL_MEMORY)
    SPORK_VK_RESULT(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    SPORK_VK_RESULT(VK_ERROR_FRAGMENTATION)
    SPORK_VK_RESULT(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
    SPORK_VK_RESULT(VK_ERROR_INVALID_SHADER_NV)
#undef SPORK_VK_RESULT
    default:
      return "VkResult (unknown)";
  }
}

void check(VkResult r, const std::string& what) {
  if (r == VK_SUCCESS) return;
  std::string msg = what + ": " + result_name(r) + " (" + std::to_string(int(r)) + ")";
  switch (r) {
    case VK_ERROR_INCOMPATIBLE_DRIVER:
      msg +=
          " -- no Vulkan driver (ICD) found; install one (mesa-vulkan-drivers for lavapipe) or point VK_DRIVER_FILES "
          "at its JSON";
      break;
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
      msg += " -- out of device memory; use smaller sizes or another memory type";
      break;
    case VK_ERROR_OUT_OF_HOST_MEMORY:
      msg += " -- out of host memory";
      break;
    case VK_ERROR_DEVICE_LOST:
      msg += " -- the GPU was lost (hang or reset); results of this run are void";
      break;
    default:
      break;
  }
  throw Error(msg);
}

}  // namespace spork::vk::detail
