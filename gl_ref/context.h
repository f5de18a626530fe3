// Headless OpenGL 4.3+ core context through EGL, without a window system:
// EGL_EXT_platform_device (device chosen by index or by name), falling back to
// EGL_MESA_platform_surfaceless. GL functions are loaded through libepoxy.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "gl_ref/gl.h"

namespace spork::gl {

// One EGL device as EGL_EXT_device_enumeration lists it.
struct EglDevice {
  int index = 0;
  std::string name;        // EGL_EXT_device_query_name renderer, else DRM node / "software"
  std::string drm_file;    // EGL_DRM_DEVICE_FILE_EXT or render node, when the device has one
  std::string extensions;  // the device extension string
  bool software = false;   // EGL_MESA_device_software
};

// What `spork info` shows for OpenGL. Never thrown: absent + reason when there is no GL 4.3.
struct RendererInfo {
  bool present = false;
  std::string reason;      // why absent
  std::string platform;    // "EGL_EXT_platform_device (device 0)" or "EGL_MESA_platform_surfaceless"
  std::string egl_vendor;  // EGL_VENDOR of the display
  std::string egl_version;
  std::string vendor, renderer, version,
      glsl_version;                // GL_VENDOR, GL_RENDERER, GL_VERSION, GL_SHADING_LANGUAGE_VERSION
  int gl_version = 0;              // 43, 45, 46
  bool software = false;           // llvmpipe/softpipe or a software EGL device
  bool buffer_storage = false;     // glBufferStorage (GL 4.4 or ARB_buffer_storage)
  std::vector<EglDevice> devices;  // every EGL device seen (empty without EGL_EXT_device_enumeration)
};

// Lists EGL devices (empty when the EGL implementation cannot enumerate them). Throws Error without EGL.
std::vector<EglDevice> list_devices();

// Opens a context on the selected device, reports it and closes it again. Never throws.
// selector: "" (best: first hardware device, else software, else surfaceless), a device index
// ("0"), "surfaceless", or a case-insensitive substring of the device name, DRM file or GL renderer.
RendererInfo query_renderer(const std::string& selector = "") noexcept;

// A headless OpenGL 4.3+ core profile context, current on the creating thread.
class Context {
 public:
  explicit Context(const std::string& selector = "");
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Makes the context current on the calling thread (cheap when it already is).
  void make_current() const;
  const RendererInfo& info() const { return info_; }
  // "llvmpipe (LLVM 15.0.6, 256 bits)" or "NVIDIA H100 80GB HBM3/PCIe/SSE2".
  const std::string& device_name() const { return info_.renderer; }
  bool has_extension(const char* name) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  RendererInfo info_;
};

}  // namespace spork::gl
