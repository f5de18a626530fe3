#include "gl_ref/context.h"

#include <dlfcn.h>
#include <epoxy/egl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>

// Newer than libepoxy 1.5.10's headers.
#ifndef EGL_RENDERER_EXT
#define EGL_RENDERER_EXT 0x335F
#endif
#ifndef EGL_DRM_RENDER_NODE_FILE_EXT
#define EGL_DRM_RENDER_NODE_FILE_EXT 0x3377
#endif

namespace spork::gl {

const char* gl_error_name(GLenum err) {
  switch (err) {
    case GL_NO_ERROR:
      return "GL_NO_ERROR";
    case GL_INVALID_ENUM:
      return "GL_INVALID_ENUM";
    case GL_INVALID_VALUE:
      return "GL_INVALID_VALUE";
    case GL_INVALID_OPERATION:
      return "GL_INVALID_OPERATION";
    case GL_INVALID_FRAMEBUFFER_OPERATION:
      return "GL_INVALID_FRAMEBUFFER_OPERATION";
    case GL_OUT_OF_MEMORY:
      return "GL_OUT_OF_MEMORY";
    case GL_STACK_UNDERFLOW:
      return "GL_STACK_UNDERFLOW";
    case GL_STACK_OVERFLOW:
      return "GL_STACK_OVERFLOW";
    case GL_CONTEXT_LOST:
      return "GL_CONTEXT_LOST";
    default:
      return "unknown GL error";
  }
}

void check_gl(const char* what) {
  GLenum first = glGetError();
  if (first == GL_NO_ERROR) return;
  // Drain the other flags so the next check starts clean (bounded: a lost context repeats forever).
  for (int i = 0; i < 16 && glGetError() != GL_NO_ERROR; ++i) {
  }
  std::ostringstream os;
  os << what << ": " << gl_error_name(first) << " (0x" << std::hex << first << ")";
  if (first == GL_OUT_OF_MEMORY) os << " - the GL driver could not allocate the buffers; try a smaller size";
  throw Error(os.str());
}

namespace {

const char* egl_error_name(EGLint e) {
  switch (e) {
    case EGL_SUCCESS:
      return "EGL_SUCCESS";
    case EGL_NOT_INITIALIZED:
      return "EGL_NOT_INITIALIZED";
    case EGL_BAD_ACCESS:
      return "EGL_BAD_ACCESS";
    case EGL_BAD_ALLOC:
      return "EGL_BAD_ALLOC";
    case EGL_BAD_ATTRIBUTE:
      return "EGL_BAD_ATTRIBUTE";
    case EGL_BAD_CONFIG:
      return "EGL_BAD_CONFIG";
    case EGL_BAD_CONTEXT:
      return "EGL_BAD_CONTEXT";
    case EGL_BAD_CURRENT_SURFACE:
      return "EGL_BAD_CURRENT_SURFACE";
    case EGL_BAD_DISPLAY:
      return "EGL_BAD_DISPLAY";
    case EGL_BAD_MATCH:
      return "EGL_BAD_MATCH";
    case EGL_BAD_NATIVE_PIXMAP:
      return "EGL_BAD_NATIVE_PIXMAP";
    case EGL_BAD_NATIVE_WINDOW:
      return "EGL_BAD_NATIVE_WINDOW";
    case EGL_BAD_PARAMETER:
      return "EGL_BAD_PARAMETER";
    case EGL_BAD_SURFACE:
      return "EGL_BAD_SURFACE";
    case EGL_CONTEXT_LOST:
      return "EGL_CONTEXT_LOST";
    default:
      return "unknown EGL error";
  }
}

std::string egl_error() {
  EGLint e = eglGetError();
  std::ostringstream os;
  os << egl_error_name(e) << " (0x" << std::hex << e << ")";
  return os.str();
}

bool has_word(const char* list, std::string_view word) {
  if (!list) return false;
  std::string_view s(list);
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(' ', pos);
    if (end == std::string_view::npos) end = s.size();
    if (s.substr(pos, end - pos) == word) return true;
    pos = end + 1;
  }
  return false;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

bool contains_ci(const std::string& hay, const std::string& needle) {
  return !needle.empty() && lower(hay).find(lower(needle)) != std::string::npos;
}

// libepoxy ends the process when it cannot dlopen libEGL / libOpenGL, so look for them first.
void require_libraries() {
  static std::once_flag once;
  static std::string missing;
  std::call_once(once, [] {
    // dlerror() clears the message it returns: read it once, right after the failing dlopen.
    auto error = [] {
      const char* e = dlerror();
      return std::string(e ? e : "");
    };
    // SPORK_EGL_LIBRARY: only for tests of this path (=/nonexistent); libepoxy still opens libEGL.so.1.
    const char* egl = std::getenv("SPORK_EGL_LIBRARY");
    if (!dlopen(egl && *egl ? egl : "libEGL.so.1", RTLD_LAZY | RTLD_GLOBAL))
      missing = "libEGL.so.1 not found (install libegl1 and a GL driver such as libegl-mesa0): " + error();
    else if (!dlopen("libOpenGL.so.0", RTLD_LAZY | RTLD_GLOBAL) && !dlopen("libGL.so.1", RTLD_LAZY | RTLD_GLOBAL))
      missing = "neither libOpenGL.so.0 nor libGL.so.1 found (install libopengl0 or libgl1): " + error();
  });
  if (!missing.empty()) throw Error(missing);
}

// eglInitialize/eglTerminate are not reference counted and a device's EGLDisplay is shared by
// every Context on it, so the last Context on a display terminates it.
std::mutex g_display_mutex;
std::map<EGLDisplay, int> g_display_refs;

bool display_acquire(EGLDisplay d, std::string& why) {
  std::lock_guard lock(g_display_mutex);
  if (g_display_refs[d]++ > 0) return true;
  EGLint major = 0, minor = 0;
  if (!eglInitialize(d, &major, &minor)) {
    g_display_refs.erase(d);
    why = "eglInitialize failed: " + egl_error();
    return false;
  }
  return true;
}

void display_release(EGLDisplay d) {
  std::lock_guard lock(g_display_mutex);
  auto it = g_display_refs.find(d);
  if (it == g_display_refs.end()) return;
  if (--it->second == 0) {
    eglTerminate(d);
    g_display_refs.erase(it);
  }
}

std::vector<EGLDeviceEXT> egl_devices() {
  const char* client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  if (!has_word(client, "EGL_EXT_device_enumeration") && !has_word(client, "EGL_EXT_device_base")) return {};
  if (!has_word(client, "EGL_EXT_platform_device")) return {};
  EGLint n = 0;
  if (!eglQueryDevicesEXT(0, nullptr, &n) || n <= 0) return {};
  std::vector<EGLDeviceEXT> devs(static_cast<size_t>(n));
  if (!eglQueryDevicesEXT(n, devs.data(), &n)) return {};
  devs.resize(size_t(std::max(n, 0)));
  return devs;
}

EglDevice describe(EGLDeviceEXT dev, int index) {
  EglDevice d;
  d.index = index;
  const char* ext = eglQueryDeviceStringEXT(dev, EGL_EXTENSIONS);
  d.extensions = ext ? ext : "";
  d.software = has_word(ext, "EGL_MESA_device_software");
  if (has_word(ext, "EGL_EXT_device_drm_render_node")) {
    const char* f = eglQueryDeviceStringEXT(dev, EGL_DRM_RENDER_NODE_FILE_EXT);
    if (f) d.drm_file = f;
  }
  if (d.drm_file.empty() && has_word(ext, "EGL_EXT_device_drm")) {
    const char* f = eglQueryDeviceStringEXT(dev, EGL_DRM_DEVICE_FILE_EXT);
    if (f) d.drm_file = f;
  }
  if (has_word(ext, "EGL_EXT_device_query_name")) {
    const char* r = eglQueryDeviceStringEXT(dev, EGL_RENDERER_EXT);
    const char* v = eglQueryDeviceStringEXT(dev, EGL_VENDOR);
    if (r) d.name = std::string(v ? v : "") + (v ? " " : "") + r;
  }
  if (d.name.empty()) d.name = d.software ? "software rasterizer" : !d.drm_file.empty() ? d.drm_file : "EGL device";
  if (has_word(ext, "EGL_NV_device_cuda")) {
    EGLAttrib cuda = -1;
    if (eglQueryDeviceAttribEXT(dev, EGL_CUDA_DEVICE_NV, &cuda))
      d.name += " (CUDA device " + std::to_string(cuda) + ")";
  }
  eglGetError();  // a failed query above must not leak into the next error report
  return d;
}

std::string list_text(const std::vector<EglDevice>& devs) {
  std::string s;
  for (const EglDevice& d : devs) {
    s += "  " + std::to_string(d.index) + ": " + d.name;
    if (!d.drm_file.empty() && d.name != d.drm_file) s += " [" + d.drm_file + "]";
    s += "\n";
  }
  return s.empty() ? "  (no EGL devices)\n" : s;
}

}  // namespace

std::vector<EglDevice> list_devices() {
  require_libraries();
  std::vector<EglDevice> out;
  auto devs = egl_devices();
  for (size_t i = 0; i < devs.size(); ++i) out.push_back(describe(devs[i], int(i)));
  return out;
}

struct Context::Impl {
  EGLDisplay display = EGL_NO_DISPLAY;
  EGLContext context = EGL_NO_CONTEXT;
  EGLSurface surface = EGL_NO_SURFACE;  // 1x1 pbuffer, only without EGL_KHR_surfaceless_context
  bool display_held = false;

  void close() {
    if (context != EGL_NO_CONTEXT) {
      if (eglGetCurrentContext() == context) eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
      eglDestroyContext(display, context);
      context = EGL_NO_CONTEXT;
    }
    if (surface != EGL_NO_SURFACE) {
      eglDestroySurface(display, surface);
      surface = EGL_NO_SURFACE;
    }
    if (display_held) display_release(display);
    display_held = false;
    display = EGL_NO_DISPLAY;
  }

  // Opens a GL 4.3 core context on display; false with the reason when it cannot.
  bool open(EGLDisplay d, RendererInfo& info, std::string& why) {
    display = d;
    if (d == EGL_NO_DISPLAY) {
      why = "eglGetPlatformDisplay failed: " + egl_error();
      return false;
    }
    if (!display_acquire(d, why)) return false;
    display_held = true;
    const char* ext = eglQueryString(d, EGL_EXTENSIONS);
    const char* apis = eglQueryString(d, EGL_CLIENT_APIS);
    if (!has_word(apis, "OpenGL") || !eglBindAPI(EGL_OPENGL_API)) {
      why = std::string("this EGL display offers no desktop OpenGL (EGL_CLIENT_APIS: ") + (apis ? apis : "?") + ")";
      close();
      return false;
    }
    EGLConfig config = EGL_NO_CONFIG_KHR;
    bool surfaceless = has_word(ext, "EGL_KHR_surfaceless_context");
    if (!has_word(ext, "EGL_KHR_no_config_context") || !surfaceless) {
      const EGLint attrs[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_SURFACE_TYPE, surfaceless ? 0 : EGL_PBUFFER_BIT,
                              EGL_NONE};
      EGLint n = 0;
      if (!eglChooseConfig(d, attrs, &config, 1, &n) || n < 1) {
        why = "no EGL config for desktop OpenGL: " + egl_error();
        close();
        return false;
      }
    }
    // Newest first: NVIDIA gives exactly the version asked for (4.3 when asked for 4.3), Mesa the newest.
    for (EGLint minor : {6, 5, 4, 3}) {
      const EGLint ctx_attrs[] = {EGL_CONTEXT_MAJOR_VERSION,
                                  4,
                                  EGL_CONTEXT_MINOR_VERSION,
                                  minor,
                                  EGL_CONTEXT_OPENGL_PROFILE_MASK,
                                  EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
                                  EGL_NONE};
      context = eglCreateContext(d, config, EGL_NO_CONTEXT, ctx_attrs);
      if (context != EGL_NO_CONTEXT) break;
    }
    if (context == EGL_NO_CONTEXT) {
      why = "no OpenGL 4.3 core profile context on this device (eglCreateContext: " + egl_error() +
            "); compute shaders need GL 4.3";
      close();
      return false;
    }
    if (!surfaceless) {
      const EGLint pb[] = {EGL_WIDTH, 1, EGL_HEIGHT, 1, EGL_NONE};
      surface = eglCreatePbufferSurface(d, config, pb);
      if (surface == EGL_NO_SURFACE) {
        why = "eglCreatePbufferSurface failed: " + egl_error();
        close();
        return false;
      }
    }
    if (!eglMakeCurrent(d, surface, surface, context)) {
      why = "eglMakeCurrent failed: " + egl_error();
      close();
      return false;
    }
    auto str = [](GLenum e) {
      const GLubyte* s = glGetString(e);
      return std::string(s ? reinterpret_cast<const char*>(s) : "");
    };
    info.vendor = str(GL_VENDOR);
    info.renderer = str(GL_RENDERER);
    info.version = str(GL_VERSION);
    info.glsl_version = str(GL_SHADING_LANGUAGE_VERSION);
    GLint major = 0, minor = 0;
    glGetIntegerv(GL_MAJOR_VERSION, &major);
    glGetIntegerv(GL_MINOR_VERSION, &minor);
    info.gl_version = major * 10 + minor;
    const char* ev = eglQueryString(d, EGL_VENDOR);
    const char* evv = eglQueryString(d, EGL_VERSION);
    info.egl_vendor = ev ? ev : "";
    info.egl_version = evv ? evv : "";
    if (info.gl_version < 43) {
      why = "the driver gives OpenGL " + std::to_string(major) + "." + std::to_string(minor) + " (" + info.renderer +
            "); compute shaders need OpenGL 4.3";
      close();
      return false;
    }
    info.buffer_storage = info.gl_version >= 44 || epoxy_has_gl_extension("GL_ARB_buffer_storage");
    std::string r = lower(info.renderer);
    info.software = info.software || r.find("llvmpipe") != std::string::npos ||
                    r.find("softpipe") != std::string::npos || r.find("swrast") != std::string::npos;
    glGetError();
    return true;
  }
};

Context::Context(const std::string& selector) : impl_(std::make_unique<Impl>()) {
  require_libraries();
  const char* client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  if (!client) {
    throw Error(
        "EGL has no client extensions (EGL_EXT_client_extensions), so no headless display: " + egl_error() +
        ". Install a driver with EGL_EXT_platform_device or EGL_MESA_platform_surfaceless (e.g. libegl-mesa0).");
  }
  bool platform_device = has_word(client, "EGL_EXT_platform_device");
  bool platform_surfaceless = has_word(client, "EGL_MESA_platform_surfaceless");
  auto devs = egl_devices();
  for (size_t i = 0; i < devs.size(); ++i) info_.devices.push_back(describe(devs[i], int(i)));

  // Candidates in the order they are tried: -1 means the surfaceless platform.
  std::vector<int> order;
  bool by_name = false;
  int index = -2;
  std::string sel = selector;
  if (sel == "surfaceless") {
    order.push_back(-1);
  } else if (!sel.empty() && std::from_chars(sel.data(), sel.data() + sel.size(), index).ec == std::errc() &&
             std::to_string(index) == sel) {
    if (index < 0 || size_t(index) >= devs.size())
      throw Error("EGL device " + sel + " does not exist; EGL devices:\n" + list_text(info_.devices));
    order.push_back(index);
  } else {
    by_name = !sel.empty();
    for (const EglDevice& d : info_.devices)
      if (!d.software) order.push_back(d.index);
    for (const EglDevice& d : info_.devices)
      if (d.software) order.push_back(d.index);
    order.push_back(-1);
  }

  std::string tried;
  for (int cand : order) {
    RendererInfo info;
    info.devices = info_.devices;
    std::string why;
    EGLDisplay d = EGL_NO_DISPLAY;
    if (cand >= 0) {
      if (!platform_device) continue;
      d = eglGetPlatformDisplayEXT(EGL_PLATFORM_DEVICE_EXT, devs[size_t(cand)], nullptr);
      info.platform =
          "EGL_EXT_platform_device (device " + std::to_string(cand) + ": " + info_.devices[size_t(cand)].name + ")";
      info.software = info_.devices[size_t(cand)].software;
    } else {
      if (!platform_surfaceless) {
        tried += "  surfaceless: EGL_MESA_platform_surfaceless not offered\n";
        continue;
      }
      d = eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr);
      info.platform = "EGL_MESA_platform_surfaceless";
    }
    if (!impl_->open(d, info, why)) {
      tried += "  " + info.platform + ": " + why + "\n";
      continue;
    }
    if (by_name) {
      bool match = contains_ci(info.renderer, sel) || contains_ci(info.vendor, sel) ||
                   (cand >= 0 && (contains_ci(info_.devices[size_t(cand)].name, sel) ||
                                  contains_ci(info_.devices[size_t(cand)].drm_file, sel)));
      if (!match) {
        tried += "  " + info.platform + ": renderer '" + info.renderer + "' does not match '" + sel + "'\n";
        impl_->close();
        continue;
      }
    }
    info.present = true;
    info_ = std::move(info);
    return;
  }
  if (!platform_device && !platform_surfaceless)
    throw Error(
        "EGL offers neither EGL_EXT_platform_device nor EGL_MESA_platform_surfaceless, so no headless OpenGL "
        "context can be made (client extensions: '" +
        std::string(client) +
        "'). Is an EGL driver installed (Debian: libegl-mesa0; NVIDIA: the driver's libEGL_nvidia), and do "
        "__EGL_VENDOR_LIBRARY_FILENAMES / __EGL_VENDOR_LIBRARY_DIRS, if set, point at it?");
  throw Error("no OpenGL 4.3 context" + (sel.empty() ? std::string() : " for device '" + sel + "'") + "; tried:\n" +
              tried + "EGL devices:\n" + list_text(info_.devices));
}

Context::~Context() { impl_->close(); }

void Context::make_current() const {
  if (eglGetCurrentContext() == impl_->context) return;
  if (!eglMakeCurrent(impl_->display, impl_->surface, impl_->surface, impl_->context))
    throw Error("eglMakeCurrent failed: " + egl_error());
}

bool Context::has_extension(const char* name) const {
  make_current();
  return epoxy_has_gl_extension(name);
}

RendererInfo query_renderer(const std::string& selector) noexcept {
  try {
    Context ctx(selector);
    return ctx.info();
  } catch (const std::exception& e) {
    RendererInfo r;
    r.reason = e.what();
    try {
      r.devices = list_devices();
    } catch (...) {
    }
    return r;
  } catch (...) {
    RendererInfo r;
    r.reason = "unknown error while opening an OpenGL context";
    return r;
  }
}

}  // namespace spork::gl
