// Winsys over libdrm_amdgpu: thin on purpose (no logic worth testing lives here).
// Facts from libdrm amdgpu.h / amdgpu_drm.h and Mesa's radv amdgpu winsys.
#include <amdgpu.h>
#include <amdgpu_drm.h>
#include <fcntl.h>
#include <unistd.h>
#include <xf86drm.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include "runtime/winsys.h"

namespace spork::winsys {
namespace {

constexpr uint32_t kVendorAmd = 0x1002;
constexpr uint64_t kPage = 4096;
// Family ids of gfx11 (kernel amdgpu_drm.h; older libdrm headers lack the names).
constexpr uint32_t kFamilyGc11_0_0 = 145;  // Navi3x dGPU
constexpr uint32_t kFamilyGc11_0_1 = 148;  // Phoenix APU (gfx1103)
constexpr uint32_t kFamilyGc11_5_0 = 150;  // gfx1150
constexpr uint32_t kFamilyNv = 143, kFamilyVgh = 144, kFamilyYc = 146;

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

[[noreturn]] void fail(const std::string& what, int r) {
  throw DeviceError(what + " failed: " + errno_text(r) + " (" + std::to_string(r) + ")");
}

// gfx target from the family and the external revision id (Mesa amdgpu_asic_addr.h ranges).
}  // namespace

std::string amdgpu_gfx_target(uint32_t family, uint32_t ext_rev) {
  switch (family) {
    case kFamilyGc11_0_0:
      if (ext_rev >= 0x01 && ext_rev < 0x10) return "gfx1100";
      if (ext_rev >= 0x10 && ext_rev < 0x20) return "gfx1102";
      if (ext_rev >= 0x20 && ext_rev < 0xFF) return "gfx1101";
      return "";
    case kFamilyGc11_0_1:
      return "gfx1103";
    case kFamilyGc11_5_0:
      return "gfx1150";
    case kFamilyNv:
      return "gfx10 (Navi)";
    case kFamilyVgh:
      return "gfx1033";
    case kFamilyYc:
      return "gfx1035";
    default:
      return "";
  }
}

namespace {

std::string open_error(const std::string& path, int err) {
  if (err == EACCES || err == EPERM)
    return "permission denied on " + path +
           ": add your user to the 'render' group (sudo usermod -aG render $USER, "
           "then log in again), or use --device sim";
  if (err == ENOENT || err == ENXIO || err == ENODEV)
    return path +
           ": no such render node (`spork info` lists the amdgpu render nodes present; --device sim runs the "
           "simulator)";
  return path + ": cannot open: " + errno_text(err);
}

class AmdgpuWinsys final : public Winsys {
 public:
  AmdgpuWinsys(const std::string& path, bool require_supported) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) throw DeviceError(open_error(path, errno));
    try {
      init(path, require_supported);
    } catch (...) {
      teardown();
      throw;
    }
  }
  ~AmdgpuWinsys() override { teardown(); }

  const DeviceInfo& info() const override { return info_; }

  BoHandle alloc_bo(uint64_t size, Domain domain, uint32_t flags) override {
    amdgpu_bo_alloc_request req{};
    req.alloc_size = std::max<uint64_t>(kPage, (size + kPage - 1) & ~(kPage - 1));
    req.phys_alignment = kPage;
    req.preferred_heap = domain == Domain::VRAM ? AMDGPU_GEM_DOMAIN_VRAM : AMDGPU_GEM_DOMAIN_GTT;
    if (flags & BO_CPU_ACCESS) req.flags |= AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED;
    if ((flags & BO_NO_CPU_ACCESS) && domain == Domain::VRAM) req.flags |= AMDGPU_GEM_CREATE_NO_CPU_ACCESS;
    amdgpu_bo_handle bo = nullptr;
    int r = amdgpu_bo_alloc(dev_, &req, &bo);
    if (r)
      throw DeviceError("allocating " + std::to_string(size) + " bytes of " +
                        (domain == Domain::VRAM ? "VRAM" : "GTT") + " failed: " + errno_text(r) +
                        " (is the memory heap full? `spork info` shows heap sizes)");
    uint32_t kms = 0;
    r = amdgpu_bo_export(bo, amdgpu_bo_handle_type_kms, &kms);
    if (r) {
      amdgpu_bo_free(bo);
      fail("amdgpu_bo_export", r);
    }
    std::lock_guard lk(mu_);
    BoHandle h = next_++;
    bos_[h] = Bo{bo, req.alloc_size, kms};
    return h;
  }

  void free_bo(BoHandle h) noexcept override {
    std::lock_guard lk(mu_);
    auto it = bos_.find(h);
    if (it == bos_.end()) return;
    release(it->second);
    bos_.erase(it);
  }

  uint64_t map_gpu(BoHandle h, uint32_t perms) override {
    std::lock_guard lk(mu_);
    Bo& b = get(h);
    if (b.va) return b.va;
    uint64_t va = 0;
    amdgpu_va_handle vah = nullptr;
    // The low general range (below 2^47): no sign-extended "high" addresses, which the
    // 48-bit COMPUTE_PGM_LO/HI and our address checks would not take.
    int r = amdgpu_va_range_alloc(dev_, amdgpu_gpu_va_range_general, b.size, kPage, 0, &va, &vah, 0);
    if (r) fail("amdgpu_va_range_alloc", r);
    uint64_t vmflags = 0;
    if (perms & VM_READ) vmflags |= AMDGPU_VM_PAGE_READABLE;
    if (perms & VM_WRITE) vmflags |= AMDGPU_VM_PAGE_WRITEABLE;
    if (perms & VM_EXEC) vmflags |= AMDGPU_VM_PAGE_EXECUTABLE;
    // Sizes are page-aligned already (alloc_size); the _raw variant does not align for us.
    r = amdgpu_bo_va_op_raw(dev_, b.bo, 0, b.size, va, vmflags, AMDGPU_VA_OP_MAP);
    if (r) {
      amdgpu_va_range_free(vah);
      fail("amdgpu_bo_va_op_raw(MAP)", r);
    }
    b.va = va;
    b.va_handle = vah;
    return va;
  }

  void* map_cpu(BoHandle h) override {
    std::lock_guard lk(mu_);
    Bo& b = get(h);
    if (b.cpu) return b.cpu;
    void* p = nullptr;
    int r = amdgpu_bo_cpu_map(b.bo, &p);
    if (r) throw DeviceError("mapping a BO for the CPU failed: " + errno_text(r) + " (is it in CPU-invisible VRAM?)");
    b.cpu = p;
    return p;
  }

  uint64_t submit(std::span<const IbRef> ibs, std::span<const BoHandle> handles) override {
    std::vector<drm_amdgpu_bo_list_entry> list;
    {
      std::lock_guard lk(mu_);
      for (BoHandle h : handles) list.push_back({get(h).kms, 0});
    }
    std::sort(list.begin(), list.end(), [](auto& a, auto& b) { return a.bo_handle < b.bo_handle; });
    list.erase(std::unique(list.begin(), list.end(), [](auto& a, auto& b) { return a.bo_handle == b.bo_handle; }),
               list.end());
    uint32_t bo_list = 0;
    int r = amdgpu_bo_list_create_raw(dev_, uint32_t(list.size()), list.data(), &bo_list);
    if (r) fail("amdgpu_bo_list_create_raw", r);
    std::vector<drm_amdgpu_cs_chunk_ib> ib_data(ibs.size());
    std::vector<drm_amdgpu_cs_chunk> chunks(ibs.size());
    for (size_t i = 0; i < ibs.size(); ++i) {
      ib_data[i] = {};
      ib_data[i].va_start = ibs[i].va;
      ib_data[i].ib_bytes = ibs[i].bytes;  // bytes here (amdgpu_cs_ib_info.size counts dwords)
      ib_data[i].ip_type = AMDGPU_HW_IP_COMPUTE;
      ib_data[i].ip_instance = 0;
      ib_data[i].ring = ring_;
      chunks[i].chunk_id = AMDGPU_CHUNK_ID_IB;
      chunks[i].length_dw = sizeof(drm_amdgpu_cs_chunk_ib) / 4;
      chunks[i].chunk_data = uint64_t(uintptr_t(&ib_data[i]));
    }
    uint64_t seq = 0;
    r = amdgpu_cs_submit_raw2(dev_, ctx_, bo_list, int(chunks.size()), chunks.data(), &seq);
    amdgpu_bo_list_destroy_raw(dev_, bo_list);
    if (r == -ECANCELED)
      throw GpuFaultError("the GPU context was lost after an earlier fault or reset (" + reset_state() +
                          "); open the device again");
    if (r) fail("amdgpu_cs_submit_raw2", r);
    return seq;
  }

  WaitResult wait(uint64_t seq, std::chrono::nanoseconds timeout) override {
    amdgpu_cs_fence f{};
    f.context = ctx_;
    f.ip_type = AMDGPU_HW_IP_COMPUTE;
    f.ip_instance = 0;
    f.ring = ring_;
    f.fence = seq;
    // Relative timeout: libdrm turns it into the absolute CLOCK_MONOTONIC deadline the kernel
    // expects (no AMDGPU_QUERY_FENCE_TIMEOUT_IS_ABSOLUTE flag).
    uint64_t ns = timeout.count() < 0 ? 0 : uint64_t(timeout.count());
    if (timeout == std::chrono::nanoseconds::max()) ns = AMDGPU_TIMEOUT_INFINITE;
    uint32_t expired = 0;
    int r = amdgpu_cs_query_fence_status(&f, ns, 0, &expired);
    // The wait ioctl returns the fence's error once it signalled with one: -ETIME for the job
    // the kernel's lockup timer killed (a hang), -ECANCELED for jobs dropped by a reset.
    if (r == -ETIME)
      throw GpuFaultError("submission " + std::to_string(seq) +
                          " hung: the kernel driver's job timeout (amdgpu.lockup_timeout) fired and reset the GPU (" +
                          reset_state() + "); dmesg shows the fault");
    if (r == -ECANCELED || r == -ENODEV)
      throw GpuFaultError("submission " + std::to_string(seq) + " failed: the GPU reset (" + reset_state() +
                          "); dmesg shows the fault");
    std::string rs = reset_state();
    if (r && !rs.empty())
      throw GpuFaultError("submission " + std::to_string(seq) + " failed: " + rs + " (fence wait: " + errno_text(r) +
                          "; dmesg shows the fault)");
    if (r) fail("amdgpu_cs_query_fence_status", r);
    // The RESET flag is sticky and also set by resets other processes caused: on its own it does
    // not fail this submission (a job a reset killed comes back as -ECANCELED above).
    if (reset_flags() & (AMDGPU_CTX_QUERY2_FLAGS_GUILTY | AMDGPU_CTX_QUERY2_FLAGS_VRAMLOST))
      throw GpuFaultError("submission " + std::to_string(seq) + " failed: " + rs + " (dmesg shows the fault)");
    // gfx11 does not stop on a VM fault (the access is dropped and the fence still signals): the
    // last fault of our VM, where the kernel reports it, is the only sign of one.
    GpuvmFault vf{};
    if (expired && vm_fault_query_ && query_vm_fault(vf) &&
        (vf.addr != last_vm_fault_.addr || vf.status != last_vm_fault_.status)) {
      last_vm_fault_ = vf;
      char buf[160];
      std::snprintf(buf, sizeof buf, "GPU VM fault at 0x%llx (status 0x%x, vmhub 0x%x)", (unsigned long long)vf.addr,
                    vf.status, vf.vmhub);
      throw GpuFaultError(std::string(buf) + " during submission " + std::to_string(seq) +
                          " or one still running before it: an access outside every buffer (a buffer too small for "
                          "the kernel's accesses?); dmesg shows the fault");
    }
    return expired ? WaitResult::Signaled : WaitResult::Timeout;
  }

 private:
  struct Bo {
    amdgpu_bo_handle bo = nullptr;
    uint64_t size = 0;
    uint32_t kms = 0;
    uint64_t va = 0;
    amdgpu_va_handle va_handle = nullptr;
    void* cpu = nullptr;
  };

  Bo& get(BoHandle h) {
    auto it = bos_.find(h);
    if (it == bos_.end()) throw DeviceError("invalid BO handle " + std::to_string(h));
    return it->second;
  }

  void release(Bo& b) noexcept {
    if (b.cpu) amdgpu_bo_cpu_unmap(b.bo);
    if (b.va) {
      amdgpu_bo_va_op_raw(dev_, b.bo, 0, b.size, b.va, 0, AMDGPU_VA_OP_UNMAP);
      amdgpu_va_range_free(b.va_handle);
    }
    amdgpu_bo_free(b.bo);
  }

  // drm_amdgpu_info_gpuvm_fault / AMDGPU_INFO_GPUVM_FAULT (kernel 6.10, amdgpu 3.55): older
  // headers lack them, older kernels answer -EINVAL (then faults show only in dmesg).
  struct GpuvmFault {
    uint64_t addr;
    uint32_t status;
    uint32_t vmhub;
  };
  static constexpr unsigned kInfoGpuvmFault = 0x23;
  bool query_vm_fault(GpuvmFault& f) { return amdgpu_query_info(dev_, kInfoGpuvmFault, sizeof f, &f) == 0; }

  uint64_t reset_flags() {
    uint64_t flags = 0;
    return amdgpu_cs_query_reset_state2(ctx_, &flags) == 0 ? flags : 0;
  }
  // "" when the context is healthy, otherwise what happened.
  std::string reset_state() {
    uint64_t flags = reset_flags();
    std::string s;
    if (flags & AMDGPU_CTX_QUERY2_FLAGS_GUILTY)
      s += "this context caused a GPU hang or fault";
    else if (flags & AMDGPU_CTX_QUERY2_FLAGS_RESET)
      s += "the GPU was reset";
    if (flags & AMDGPU_CTX_QUERY2_FLAGS_VRAMLOST) s += s.empty() ? "VRAM contents were lost" : ", VRAM contents lost";
    return s;
  }

  void init(const std::string& path, bool require_supported) {
    drmVersionPtr v = drmGetVersion(fd_);
    if (!v)
      throw DeviceError(path +
                        " is not a DRM device: a device is sim, amdgpu or a render node such as "
                        "/dev/dri/renderD128 (`spork info` lists them)");
    std::string driver = v && v->name ? v->name : "";
    if (v) drmFreeVersion(v);
    if (driver != "amdgpu")
      throw DeviceError(path + " is driven by '" + (driver.empty() ? "unknown" : driver) +
                        "', not amdgpu (spork needs an AMD GPU on the amdgpu kernel driver)");
    uint32_t major = 0, minor = 0;
    int r = amdgpu_device_initialize(fd_, &major, &minor, &dev_);
    if (r) fail("amdgpu_device_initialize(" + path + ")", r);

    amdgpu_gpu_info gi{};
    r = amdgpu_query_gpu_info(dev_, &gi);
    if (r) fail("amdgpu_query_gpu_info", r);
    drm_amdgpu_info_hw_ip ip{};
    r = amdgpu_query_hw_ip_info(dev_, AMDGPU_HW_IP_COMPUTE, 0, &ip);
    if (r) fail("amdgpu_query_hw_ip_info(AMDGPU_HW_IP_COMPUTE)", r);

    info_.node = path;
    const char* mn = amdgpu_get_marketing_name(dev_);
    info_.name = mn ? mn : "AMD GPU";
    info_.family_id = gi.family_id;
    info_.chip_external_rev = gi.chip_external_rev;
    info_.device_id = gi.asic_id;
    info_.gfx_major = ip.hw_ip_version_major;
    info_.gfx_minor = ip.hw_ip_version_minor;
    info_.gfx_target = amdgpu_gfx_target(gi.family_id, gi.chip_external_rev);
    info_.num_cus = gi.cu_active_number;
    info_.num_shader_engines = std::max(1u, gi.num_shader_engines);
    info_.compute_rings = ip.available_rings;
    info_.timestamp_hz = uint64_t(gi.gpu_counter_freq) * 1000;  // reported in kHz
    info_.ib_start_alignment = std::max(4u, ip.ib_start_alignment);
    info_.ib_size_alignment = std::max(4u, ip.ib_size_alignment);
    amdgpu_heap_info h{};
    if (amdgpu_query_heap_info(dev_, AMDGPU_GEM_DOMAIN_VRAM, 0, &h) == 0) info_.vram_size = h.heap_size;
    if (amdgpu_query_heap_info(dev_, AMDGPU_GEM_DOMAIN_VRAM, AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED, &h) == 0)
      info_.vram_cpu_visible_size = h.heap_size;
    if (amdgpu_query_heap_info(dev_, AMDGPU_GEM_DOMAIN_GTT, 0, &h) == 0) info_.gtt_size = h.heap_size;

    if (ip.available_rings == 0)
      throw DeviceError(path + " (" + info_.name + ") has no compute ring available (available_rings = 0)");
    ring_ = uint32_t(std::countr_zero(ip.available_rings));
    if (require_supported) {
      auto t = supported_targets();
      if (std::find(t.begin(), t.end(), info_.gfx_target) == t.end()) {
        std::string list;
        for (auto& s : t) list += (list.empty() ? "" : ",") + s;
        throw DeviceError(path + " is " + info_.name + " (" +
                          (info_.gfx_target.empty() ? "family " + std::to_string(gi.family_id) : info_.gfx_target) +
                          "); spork's kernels are built for " + list +
                          " only: reconfigure with -DSPORK_GPU_TARGETS=\"" + list + ";<your gfx target>\"");
      }
    }
    r = amdgpu_cs_ctx_create(dev_, &ctx_);
    if (r) fail("amdgpu_cs_ctx_create", r);
    vm_fault_query_ = query_vm_fault(last_vm_fault_);  // a fault from before we started is not ours
  }

  void teardown() noexcept {
    std::lock_guard lk(mu_);
    for (auto& [h, b] : bos_) release(b);
    bos_.clear();
    if (ctx_) amdgpu_cs_ctx_free(ctx_);
    ctx_ = nullptr;
    if (dev_) amdgpu_device_deinitialize(dev_);
    dev_ = nullptr;
    if (fd_ >= 0) ::close(fd_);  // amdgpu_device_initialize dup()s the fd
    fd_ = -1;
  }

  int fd_ = -1;
  amdgpu_device_handle dev_ = nullptr;
  amdgpu_context_handle ctx_ = nullptr;
  uint32_t ring_ = 0;
  bool vm_fault_query_ = false;
  GpuvmFault last_vm_fault_{};
  DeviceInfo info_;
  std::mutex mu_;
  std::map<BoHandle, Bo> bos_;
  BoHandle next_ = 1;
};

}  // namespace

std::vector<AmdgpuNode> amdgpu_enumerate() {
  std::vector<AmdgpuNode> out;
  int n = drmGetDevices2(0, nullptr, 0);
  if (n <= 0) return out;
  std::vector<drmDevicePtr> devs(size_t(n), nullptr);
  n = drmGetDevices2(0, devs.data(), n);
  for (int i = 0; i < n; ++i) {
    drmDevicePtr d = devs[size_t(i)];
    if (d->bustype != DRM_BUS_PCI || !d->deviceinfo.pci || d->deviceinfo.pci->vendor_id != kVendorAmd) continue;
    if (!(d->available_nodes & (1 << DRM_NODE_RENDER))) continue;
    AmdgpuNode node;
    node.path = d->nodes[DRM_NODE_RENDER];
    node.device_id = d->deviceinfo.pci->device_id;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", d->businfo.pci->domain, d->businfo.pci->bus,
                  d->businfo.pci->dev, d->businfo.pci->func);
    node.pci = buf;
    out.push_back(node);
  }
  drmFreeDevices(devs.data(), n < 0 ? 0 : n);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.path < b.path; });
  return out;
}

std::unique_ptr<Winsys> amdgpu_open(const std::string& path, bool require_supported_target) {
  return std::make_unique<AmdgpuWinsys>(path, require_supported_target);
}

}  // namespace spork::winsys
