// Instance, physical-device selection, compute queue, buffers in chosen memory types, helpers.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <sstream>

#include "spork_spirv.h"
#include "vulkan_ref/internal.h"

namespace spork::vk {
using detail::check;

std::string memory_flags_string(uint32_t flags) {
  static const std::pair<uint32_t, const char*> names[] = {
      {kDeviceLocal, "DEVICE_LOCAL"}, {kHostVisible, "HOST_VISIBLE"},         {kHostCoherent, "HOST_COHERENT"},
      {kHostCached, "HOST_CACHED"},   {kLazilyAllocated, "LAZILY_ALLOCATED"}, {kProtected, "PROTECTED"},
      {0x40, "DEVICE_COHERENT_AMD"},  {0x80, "DEVICE_UNCACHED_AMD"},          {0x100, "RDMA_CAPABLE_NV"}};
  std::string s;
  for (auto& [bit, name] : names)
    if (flags & bit) s += (s.empty() ? "" : "|") + std::string(name);
  return s.empty() ? "none" : s;
}

const char* placement_name(Placement p) {
  switch (p) {
    case Placement::DeviceLocal:
      return "device-local";
    case Placement::HostVisible:
      return "host-visible";
    case Placement::DeviceLocalHostVisible:
      return "device-local+host-visible";
  }
  return "?";
}

std::string format_bytes(uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  double v = double(b);
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[32];
  if (v == std::floor(v))
    std::snprintf(buf, sizeof buf, "%.0f %s", v, units[u]);
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

void summarise(Timing& t) {
  if (t.gpu_ms.empty()) return;
  std::vector<double> v = t.gpu_ms;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  t.median_ms = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  t.min_ms = v.front();
  t.max_ms = v.back();
}

namespace {

std::string version_string(uint32_t v) {
  return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) + "." +
         std::to_string(VK_API_VERSION_PATCH(v));
}

const char* type_name(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return "CPU";
    default:
      return "other";
  }
}

int type_rank(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return 3;
    default:
      return 4;
  }
}

VkInstance create_instance(detail::Funcs& f) {
  detail::load_global(f);
  uint32_t api = VK_API_VERSION_1_0;
  if (f.vkEnumerateInstanceVersion) f.vkEnumerateInstanceVersion(&api);
  if (api < VK_API_VERSION_1_1)
    throw Error("the Vulkan loader only offers API " + version_string(api) + "; spork needs Vulkan 1.1");
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "spork";
  app.apiVersion = VK_API_VERSION_1_1;
  VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  ci.pApplicationInfo = &app;
  VkInstance instance = VK_NULL_HANDLE;
  check(f.vkCreateInstance(&ci, nullptr, &instance), "vkCreateInstance");
  try {
    detail::load_instance(f, instance);
  } catch (...) {
    auto destroy = reinterpret_cast<PFN_vkDestroyInstance>(f.vkGetInstanceProcAddr(instance, "vkDestroyInstance"));
    if (destroy) destroy(instance, nullptr);
    throw;
  }
  return instance;
}

std::vector<VkPhysicalDevice> physical_devices(detail::Funcs& f, VkInstance instance) {
  uint32_t n = 0;
  check(f.vkEnumeratePhysicalDevices(instance, &n, nullptr), "vkEnumeratePhysicalDevices");
  std::vector<VkPhysicalDevice> v(n);
  VkResult r = f.vkEnumeratePhysicalDevices(instance, &n, v.data());
  if (r != VK_INCOMPLETE) check(r, "vkEnumeratePhysicalDevices");
  v.resize(n);
  return v;
}

// Fills info and returns the first queue family with compute (preferring compute without graphics:
// on many GPUs that is the dedicated compute engine).
DeviceInfo describe_device(detail::Funcs& f, VkPhysicalDevice pd, uint32_t index, uint32_t* family) {
  DeviceInfo d;
  d.index = index;
  VkPhysicalDeviceProperties p{};
  f.vkGetPhysicalDeviceProperties(pd, &p);
  d.name = p.deviceName;
  d.type = type_name(p.deviceType);
  d.vendor_id = p.vendorID;
  d.device_id = p.deviceID;
  d.api_version = version_string(p.apiVersion);
  char drv[32];
  std::snprintf(drv, sizeof drv, "0x%x", p.driverVersion);
  d.driver_version = drv;
  d.timestamp_period_ns = p.limits.timestampPeriod;
  d.max_storage_buffer_range = p.limits.maxStorageBufferRange;
  d.max_shared_memory = p.limits.maxComputeSharedMemorySize;
  d.min_storage_offset_alignment = p.limits.minStorageBufferOffsetAlignment;
  d.max_workgroup_invocations = p.limits.maxComputeWorkGroupInvocations;
  VkPhysicalDeviceMemoryProperties m{};
  f.vkGetPhysicalDeviceMemoryProperties(pd, &m);
  for (uint32_t i = 0; i < m.memoryHeapCount; ++i)
    d.heaps.push_back({i, m.memoryHeaps[i].size, bool(m.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)});
  for (uint32_t i = 0; i < m.memoryTypeCount; ++i)
    d.types.push_back({i, m.memoryTypes[i].heapIndex, m.memoryTypes[i].propertyFlags});
  uint32_t nq = 0;
  f.vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, nullptr);
  std::vector<VkQueueFamilyProperties> q(nq);
  f.vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, q.data());
  int best = -1;
  for (uint32_t i = 0; i < nq; ++i) {
    if (!(q[i].queueFlags & VK_QUEUE_COMPUTE_BIT) || q[i].queueCount == 0) continue;
    bool dedicated = !(q[i].queueFlags & VK_QUEUE_GRAPHICS_BIT);
    // A dedicated compute family only if it has timestamps; otherwise the first with compute.
    if (best < 0 || (dedicated && q[i].timestampValidBits > 0 && (q[best].queueFlags & VK_QUEUE_GRAPHICS_BIT)))
      best = int(i);
  }
  if (best >= 0) {
    d.compute_queue = true;
    d.timestamp_valid_bits = q[best].timestampValidBits;
    if (family) *family = uint32_t(best);
  }
  return d;
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

DeviceList list_devices() {
  DeviceList out;
  detail::Funcs f;
  VkInstance instance = VK_NULL_HANDLE;
  try {
    instance = create_instance(f);
    auto pds = physical_devices(f, instance);
    for (uint32_t i = 0; i < pds.size(); ++i) out.devices.push_back(describe_device(f, pds[i], i, nullptr));
    if (pds.empty()) out.error = "the Vulkan loader found no physical device (no driver for this machine's GPU)";
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  if (instance) f.vkDestroyInstance(instance, nullptr);
  return out;
}

// ---------------------------------------------------------------------------------------------
Context::Context(const std::string& selector) : impl_(std::make_unique<Impl>()) {
  Impl& c = *impl_;
  c.instance = create_instance(c.f);
  auto pds = physical_devices(c.f, c.instance);
  if (pds.empty()) throw Error("no Vulkan device: the loader found no physical device (is a driver installed?)");
  std::vector<DeviceInfo> infos;
  std::vector<uint32_t> families(pds.size(), 0);
  for (uint32_t i = 0; i < pds.size(); ++i) infos.push_back(describe_device(c.f, pds[i], i, &families[i]));
  auto list = [&] {
    std::string s;
    for (auto& d : infos) s += "\n  " + std::to_string(d.index) + ": " + d.name + " (" + d.type + ")";
    return s;
  };
  int chosen = -1;
  if (selector.empty()) {
    int best_rank = 99;
    for (uint32_t i = 0; i < pds.size(); ++i) {
      VkPhysicalDeviceProperties p{};
      c.f.vkGetPhysicalDeviceProperties(pds[i], &p);
      if (infos[i].compute_queue && type_rank(p.deviceType) < best_rank)
        best_rank = type_rank(p.deviceType), chosen = int(i);
    }
    if (chosen < 0) throw Error("no Vulkan device with a compute queue; devices:" + list());
  } else if (std::all_of(selector.begin(), selector.end(),
                         [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); })) {
    unsigned long idx = std::stoul(selector);
    if (idx >= pds.size())
      throw Error("no Vulkan device " + selector + " (there are " + std::to_string(pds.size()) + "):" + list());
    chosen = int(idx);
  } else {
    for (uint32_t i = 0; i < pds.size() && chosen < 0; ++i)
      if (lower(infos[i].name).find(lower(selector)) != std::string::npos) chosen = int(i);
    if (chosen < 0) throw Error("no Vulkan device whose name contains \"" + selector + "\"; devices:" + list());
  }
  c.phys = pds[chosen];
  c.info = infos[chosen];
  c.queue_family = families[chosen];
  if (!c.info.compute_queue) throw Error("Vulkan device " + c.info.name + " has no compute queue");
  VkPhysicalDeviceProperties props{};
  c.f.vkGetPhysicalDeviceProperties(c.phys, &props);
  if (props.apiVersion < VK_API_VERSION_1_1)
    throw Error("Vulkan device " + c.info.name + " supports only API " + c.info.api_version + "; spork needs 1.1");
  c.limits = props.limits;
  c.f.vkGetPhysicalDeviceMemoryProperties(c.phys, &c.mem);

  float prio = 1.0f;
  VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  qci.queueFamilyIndex = c.queue_family;
  qci.queueCount = 1;
  qci.pQueuePriorities = &prio;
  VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  dci.queueCreateInfoCount = 1;
  dci.pQueueCreateInfos = &qci;
  check(c.f.vkCreateDevice(c.phys, &dci, nullptr, &c.device), "vkCreateDevice(" + c.info.name + ")");
  detail::load_device(c.f, c.device);
  c.f.vkGetDeviceQueue(c.device, c.queue_family, 0, &c.queue);
  VkCommandPoolCreateInfo pci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pci.queueFamilyIndex = c.queue_family;
  check(c.f.vkCreateCommandPool(c.device, &pci, nullptr, &c.cmd_pool), "vkCreateCommandPool");
  VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  check(c.f.vkCreateFence(c.device, &fci, nullptr, &c.fence), "vkCreateFence");

  // Which memory types can back a storage buffer: ask a small probe buffer.
  VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bci.size = 65536;
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  VkBuffer probe = VK_NULL_HANDLE;
  check(c.f.vkCreateBuffer(c.device, &bci, nullptr, &probe), "vkCreateBuffer(probe)");
  VkMemoryRequirements req{};
  c.f.vkGetBufferMemoryRequirements(c.device, probe, &req);
  c.f.vkDestroyBuffer(c.device, probe, nullptr);
  c.buffer_types = req.memoryTypeBits;
}

Context::~Context() = default;

Context::Impl::~Impl() {
  if (device) {
    // The device functions may be only partly loaded when load_device threw.
    if (f.vkDeviceWaitIdle) f.vkDeviceWaitIdle(device);
    if (fence) f.vkDestroyFence(device, fence, nullptr);
    if (cmd_pool) f.vkDestroyCommandPool(device, cmd_pool, nullptr);
    if (f.vkDestroyDevice) f.vkDestroyDevice(device, nullptr);
  }
  if (instance) f.vkDestroyInstance(instance, nullptr);
}

const DeviceInfo& Context::info() const { return impl_->info; }
bool Context::is_cpu() const { return impl_->info.type == "CPU"; }
uint32_t Context::buffer_memory_types() const { return impl_->buffer_types; }
std::string Context::describe_memory_type(uint32_t index) const { return impl_->describe(index); }

std::string Context::Impl::describe(uint32_t type) const {
  if (type >= mem.memoryTypeCount) return "type " + std::to_string(type) + " (no such memory type)";
  const auto& t = mem.memoryTypes[type];
  const auto& h = mem.memoryHeaps[t.heapIndex];
  return "type " + std::to_string(type) + " " + memory_flags_string(t.propertyFlags) + " (heap " +
         std::to_string(t.heapIndex) + ": " + format_bytes(h.size) +
         ((h.flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) ? ", DEVICE_LOCAL)" : ")");
}

std::optional<uint32_t> Context::memory_type_for(Placement p) const {
  const Impl& c = *impl_;
  // Among the types that can hold a storage buffer, the first matching one (the spec orders types so
  // that the first match is the best for the asked properties).
  for (uint32_t i = 0; i < c.mem.memoryTypeCount; ++i) {
    if (!(c.buffer_types & (1u << i))) continue;
    uint32_t fl = c.mem.memoryTypes[i].propertyFlags;
    if (fl & (kProtected | kLazilyAllocated)) continue;
    bool dl = fl & kDeviceLocal, hv = fl & kHostVisible, hc = fl & kHostCoherent;
    switch (p) {
      case Placement::DeviceLocal:
        if (dl && !hv) return i;
        break;
      case Placement::HostVisible:
        if (hv && hc && !dl) return i;
        break;
      case Placement::DeviceLocalHostVisible:
        if (dl && hv && hc) return i;
        break;
    }
  }
  return std::nullopt;
}

uint32_t Context::Impl::resolve_memory_type(Placement p, const std::optional<uint32_t>& explicit_type) const {
  if (explicit_type) {
    if (*explicit_type >= mem.memoryTypeCount || !(buffer_types & (1u << *explicit_type)))
      throw Error("memory type " + std::to_string(*explicit_type) + " cannot hold a storage buffer on " + info.name);
    return *explicit_type;
  }
  // The Context's public method has the search; reach it through a temporary view of this Impl.
  for (uint32_t i = 0; i < mem.memoryTypeCount; ++i) {
    if (!(buffer_types & (1u << i))) continue;
    uint32_t fl = mem.memoryTypes[i].propertyFlags;
    if (fl & (kProtected | kLazilyAllocated)) continue;
    bool dl = fl & kDeviceLocal, hv = fl & kHostVisible, hc = fl & kHostCoherent;
    if (p == Placement::DeviceLocal && dl && !hv) return i;
    if (p == Placement::HostVisible && hv && hc && !dl) return i;
    if (p == Placement::DeviceLocalHostVisible && dl && hv && hc) return i;
  }
  // Unified-memory devices (lavapipe, integrated GPUs) have no DEVICE_LOCAL-only type: use the
  // device-local host-visible one for "device-local".
  if (p == Placement::DeviceLocal) return resolve_memory_type(Placement::DeviceLocalHostVisible, std::nullopt);
  throw Error(std::string("no ") + placement_name(p) + " memory type for storage buffers on " + info.name);
}

// ---------------------------------------------------------------------------------------------
Buffer::~Buffer() {
  if (!ctx_) return;
  auto& f = ctx_->f;
  if (mapped_) f.vkUnmapMemory(ctx_->device, reinterpret_cast<VkDeviceMemory>(memory_));
  if (buffer_) f.vkDestroyBuffer(ctx_->device, reinterpret_cast<VkBuffer>(buffer_), nullptr);
  if (memory_) f.vkFreeMemory(ctx_->device, reinterpret_cast<VkDeviceMemory>(memory_), nullptr);
}

std::unique_ptr<Buffer> Context::create_buffer(uint64_t bytes, uint32_t type) {
  return impl_->create_buffer(bytes, type);
}

std::unique_ptr<Buffer> Context::Impl::create_buffer(uint64_t bytes, uint32_t type) {
  if (bytes == 0) bytes = 16;
  if (type >= mem.memoryTypeCount) throw Error("no memory type " + std::to_string(type) + " on " + info.name);
  const uint64_t heap = mem.memoryHeaps[mem.memoryTypes[type].heapIndex].size;
  if (bytes > heap) throw Error("out of device memory: " + format_bytes(bytes) + " does not fit in " + describe(type));
  std::unique_ptr<Buffer> b(new Buffer());
  b->ctx_ = this;
  b->size_ = bytes;
  b->type_ = type;
  VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bci.size = bytes;
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  VkBuffer buf = VK_NULL_HANDLE;
  check(f.vkCreateBuffer(device, &bci, nullptr, &buf), "vkCreateBuffer(" + format_bytes(bytes) + ")");
  b->buffer_ = reinterpret_cast<uint64_t>(buf);
  VkMemoryRequirements req{};
  f.vkGetBufferMemoryRequirements(device, buf, &req);
  if (!(req.memoryTypeBits & (1u << type)))
    throw Error("memory type " + std::to_string(type) + " cannot back a storage buffer on " + info.name);
  VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  ai.allocationSize = req.size;
  ai.memoryTypeIndex = type;
  VkDeviceMemory m = VK_NULL_HANDLE;
  VkResult r = f.vkAllocateMemory(device, &ai, nullptr, &m);
  if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY)
    throw Error("out of memory allocating " + format_bytes(bytes) + " in " + describe(type) + " (" +
                detail::result_name(r) + "); use smaller sizes");
  check(r, "vkAllocateMemory(" + format_bytes(bytes) + ", " + describe(type) + ")");
  b->memory_ = reinterpret_cast<uint64_t>(m);
  check(f.vkBindBufferMemory(device, buf, m, 0), "vkBindBufferMemory");
  if (mem.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
    void* p = nullptr;
    check(f.vkMapMemory(device, m, 0, VK_WHOLE_SIZE, 0, &p), "vkMapMemory(" + describe(type) + ")");
    b->mapped_ = p;
  }
  return b;
}

namespace {
// A host-visible, coherent type for staging (prefer system memory; any host-visible coherent one).
uint32_t staging_type(const Context::Impl& c) {
  int any = -1;
  for (uint32_t i = 0; i < c.mem.memoryTypeCount; ++i) {
    if (!(c.buffer_types & (1u << i))) continue;
    uint32_t fl = c.mem.memoryTypes[i].propertyFlags;
    if ((fl & kHostVisible) && (fl & kHostCoherent)) {
      if (!(fl & kDeviceLocal)) return i;
      if (any < 0) any = int(i);
    }
  }
  if (any < 0) throw Error("no host-visible coherent memory type for staging on " + c.info.name);
  return uint32_t(any);
}
}  // namespace

void Context::upload(Buffer& dst, const void* src, uint64_t bytes, bool via_staging) {
  Impl& c = *impl_;
  if (bytes > dst.size())
    throw Error("upload of " + format_bytes(bytes) + " into a " + format_bytes(dst.size()) + " buffer");
  if (dst.mapped() && !via_staging) {
    std::memcpy(dst.mapped(), src, bytes);
    return;
  }
  auto staging = c.create_buffer(bytes, staging_type(c));
  std::memcpy(staging->mapped(), src, bytes);
  VkCommandBuffer cb = c.begin();
  VkBufferCopy region{0, 0, bytes};
  c.f.vkCmdCopyBuffer(cb, Impl::vkbuf(*staging), Impl::vkbuf(dst), 1, &region);
  c.barrier(cb);
  c.submit_wait(cb, "staging upload");
}

void Context::download(Buffer& src, void* dst, uint64_t bytes, bool via_staging) {
  Impl& c = *impl_;
  if (bytes > src.size())
    throw Error("download of " + format_bytes(bytes) + " from a " + format_bytes(src.size()) + " buffer");
  if (src.mapped() && !via_staging) {
    std::memcpy(dst, src.mapped(), bytes);
    return;
  }
  auto staging = c.create_buffer(bytes, staging_type(c));
  VkCommandBuffer cb = c.begin();
  c.barrier(cb);
  VkBufferCopy region{0, 0, bytes};
  c.f.vkCmdCopyBuffer(cb, Impl::vkbuf(src), Impl::vkbuf(*staging), 1, &region);
  c.barrier(cb);
  c.submit_wait(cb, "staging download");
  std::memcpy(dst, staging->mapped(), bytes);
}

// ---------------------------------------------------------------------------------------------
VkCommandBuffer Context::Impl::begin() {
  VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  ai.commandPool = cmd_pool;
  ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  VkCommandBuffer cb = VK_NULL_HANDLE;
  check(f.vkAllocateCommandBuffers(device, &ai, &cb), "vkAllocateCommandBuffers");
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  VkResult r = f.vkBeginCommandBuffer(cb, &bi);
  if (r != VK_SUCCESS) f.vkFreeCommandBuffers(device, cmd_pool, 1, &cb);
  check(r, "vkBeginCommandBuffer");
  return cb;
}

void Context::Impl::wait_fence(const std::string& what) {
  VkResult r = f.vkWaitForFences(device, 1, &fence, VK_TRUE, timeout_ns);
  if (r == VK_TIMEOUT)
    throw Error(what + ": the GPU did not finish within " + std::to_string(timeout_ns / 1000000000) +
                " s (hang, or sizes too large for this device)");
  check(r, what + ": vkWaitForFences");
  check(f.vkResetFences(device, 1, &fence), "vkResetFences");
}

double Context::Impl::submit_wait(VkCommandBuffer cb, const std::string& what) {
  Defer free_cb{[&] { f.vkFreeCommandBuffers(device, cmd_pool, 1, &cb); }};
  check(f.vkEndCommandBuffer(cb), what + ": vkEndCommandBuffer");
  VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  si.commandBufferCount = 1;
  si.pCommandBuffers = &cb;
  auto t0 = std::chrono::steady_clock::now();
  check(f.vkQueueSubmit(queue, 1, &si, fence), what + ": vkQueueSubmit");
  wait_fence(what);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void Context::Impl::barrier(VkCommandBuffer cb) {
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                     VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_READ_BIT;
  f.vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT | VK_PIPELINE_STAGE_HOST_BIT,
                         VK_PIPELINE_STAGE_ALL_COMMANDS_BIT | VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0,
                         nullptr);
}

Pipeline Context::Impl::make_pipeline(const std::string& spirv_name, uint32_t bindings, uint32_t push_bytes,
                                      const std::vector<uint32_t>& spec) {
  auto code = spork::spirv::find(spirv_name);
  if (code.empty() || code.size() % 4) throw Error("embedded SPIR-V \"" + spirv_name + "\" is missing");
  Pipeline p;
  Defer cleanup{[&] {
    if (!p.pipeline) destroy(p);
  }};
  std::vector<VkDescriptorSetLayoutBinding> b(bindings);
  for (uint32_t i = 0; i < bindings; ++i)
    b[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  VkDescriptorSetLayoutCreateInfo dl{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  dl.bindingCount = bindings;
  dl.pBindings = b.data();
  check(f.vkCreateDescriptorSetLayout(device, &dl, nullptr, &p.set_layout), "vkCreateDescriptorSetLayout");
  VkPushConstantRange pr{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes};
  VkPipelineLayoutCreateInfo pl{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  pl.setLayoutCount = 1;
  pl.pSetLayouts = &p.set_layout;
  pl.pushConstantRangeCount = push_bytes ? 1 : 0;
  pl.pPushConstantRanges = &pr;
  check(f.vkCreatePipelineLayout(device, &pl, nullptr, &p.layout), "vkCreatePipelineLayout");
  // The embedded blob is 16-byte aligned (spork_embed), so it can be passed as uint32_t words.
  VkShaderModuleCreateInfo sm{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  sm.codeSize = code.size();
  sm.pCode = reinterpret_cast<const uint32_t*>(code.data());
  VkShaderModule module = VK_NULL_HANDLE;
  check(f.vkCreateShaderModule(device, &sm, nullptr, &module), "vkCreateShaderModule(" + spirv_name + ")");
  Defer free_module{[&] { f.vkDestroyShaderModule(device, module, nullptr); }};
  std::vector<VkSpecializationMapEntry> entries(spec.size());
  for (uint32_t i = 0; i < spec.size(); ++i) entries[i] = {i, uint32_t(i * 4), 4};
  VkSpecializationInfo si{uint32_t(spec.size()), entries.data(), spec.size() * 4, spec.data()};
  VkComputePipelineCreateInfo ci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  ci.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  ci.stage.module = module;
  ci.stage.pName = "main";
  ci.stage.pSpecializationInfo = spec.empty() ? nullptr : &si;
  ci.layout = p.layout;
  VkPipeline pipe = VK_NULL_HANDLE;
  check(f.vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &ci, nullptr, &pipe),
        "vkCreateComputePipelines(" + spirv_name + ")");
  p.pipeline = pipe;
  return p;
}

void Context::Impl::destroy(Pipeline& p) {
  if (p.pipeline) f.vkDestroyPipeline(device, p.pipeline, nullptr);
  if (p.layout) f.vkDestroyPipelineLayout(device, p.layout, nullptr);
  if (p.set_layout) f.vkDestroyDescriptorSetLayout(device, p.set_layout, nullptr);
  p = {};
}

VkDescriptorPool Context::Impl::make_descriptor_pool(uint32_t sets, uint32_t buffers_per_set) {
  VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, sets * buffers_per_set};
  VkDescriptorPoolCreateInfo ci{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  ci.maxSets = sets;
  ci.poolSizeCount = 1;
  ci.pPoolSizes = &size;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  check(f.vkCreateDescriptorPool(device, &ci, nullptr, &pool), "vkCreateDescriptorPool");
  return pool;
}

VkDescriptorSet Context::Impl::make_set(VkDescriptorPool pool, const Pipeline& p,
                                        const std::vector<const Buffer*>& bufs, const std::vector<uint64_t>& offsets) {
  VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  ai.descriptorPool = pool;
  ai.descriptorSetCount = 1;
  ai.pSetLayouts = &p.set_layout;
  VkDescriptorSet set = VK_NULL_HANDLE;
  check(f.vkAllocateDescriptorSets(device, &ai, &set), "vkAllocateDescriptorSets");
  std::vector<VkDescriptorBufferInfo> infos(bufs.size());
  std::vector<VkWriteDescriptorSet> writes(bufs.size());
  for (uint32_t i = 0; i < bufs.size(); ++i) {
    infos[i] = {vkbuf(*bufs[i]), i < offsets.size() ? offsets[i] : 0, VK_WHOLE_SIZE};
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  f.vkUpdateDescriptorSets(device, uint32_t(writes.size()), writes.data(), 0, nullptr);
  return set;
}

VkQueryPool Context::Impl::make_timestamps(uint32_t count) {
  VkQueryPoolCreateInfo ci{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
  ci.queryType = VK_QUERY_TYPE_TIMESTAMP;
  ci.queryCount = count;
  VkQueryPool pool = VK_NULL_HANDLE;
  check(f.vkCreateQueryPool(device, &ci, nullptr, &pool), "vkCreateQueryPool(timestamps)");
  return pool;
}

std::vector<double> Context::Impl::read_intervals_ms(VkQueryPool pool, uint32_t pairs) {
  std::vector<uint64_t> ticks(2 * pairs);
  check(f.vkGetQueryPoolResults(device, pool, 0, 2 * pairs, ticks.size() * 8, ticks.data(), 8,
                                VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
        "vkGetQueryPoolResults");
  const uint64_t mask = info.timestamp_valid_bits >= 64 ? ~0ull : ((1ull << info.timestamp_valid_bits) - 1);
  std::vector<double> ms(pairs);
  for (uint32_t i = 0; i < pairs; ++i) {
    uint64_t d = (ticks[2 * i + 1] - ticks[2 * i]) & mask;  // masked difference survives one wrap
    ms[i] = double(d) * info.timestamp_period_ns * 1e-6;
  }
  return ms;
}

// ---------------------------------------------------------------------------------------------
std::string GemmConfig::str() const {
  char b[96];
  std::snprintf(b, sizeof b, "%ux%ux%u/%ux%u/%u v%u", BM, BN, BK, TM, TN, STAGES, VEC);
  return b;
}

GemmConfig GemmConfig::parse(const std::string& s) {
  GemmConfig c;
  unsigned v[7] = {0, 0, 0, 0, 0, 2, 0};
  int n = std::sscanf(s.c_str(), "%ux%ux%u/%ux%u/%u/%u", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]);
  if (n < 5) throw Error("bad GEMM config \"" + s + "\": expected BMxBNxBK/TMxTN[/STAGES[/VEC]], e.g. 128x128x8/8x8/2");
  c.BM = v[0], c.BN = v[1], c.BK = v[2], c.TM = v[3], c.TN = v[4], c.STAGES = v[5], c.VEC = v[6];
  return c;
}

}  // namespace spork::vk
