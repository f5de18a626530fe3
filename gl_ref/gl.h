// Common pieces of the OpenGL reference path: the error type and GL error checks.
// GL and EGL entry points come from libepoxy (never include GL/gl.h or EGL/egl.h directly).
#pragma once
#include <epoxy/gl.h>

#include <stdexcept>
#include <string>

namespace spork::gl {

// Every failure of the GL path: no EGL, no device, no GL 4.3, a shader that does not
// compile, a GL error. Other backends keep running when one is thrown.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "GL_INVALID_OPERATION" for 0x0502 and so on.
const char* gl_error_name(GLenum err);

// Throws Error("<what>: GL_INVALID_VALUE") when glGetError reports an error (drains every flag).
void check_gl(const char* what);

}  // namespace spork::gl
