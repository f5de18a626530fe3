// Compute programs from GLSL source, with #defines inserted after the #version line
// (the GL counterpart of Vulkan specialization constants).
#pragma once
#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gl_ref/gl.h"

namespace spork::gl {

using Defines = std::vector<std::pair<std::string, std::string>>;

// source with "#define NAME VALUE" lines after its #version line (or first, when it has none),
// and "#line 2" so compiler messages keep the file's own line numbers.
std::string inject_defines(std::string_view source, const Defines& defines);

// A linked compute program. Throws Error with the compile or link info log.
class ComputeProgram {
 public:
  ComputeProgram(std::string_view source, const Defines& defines, std::string label);
  ~ComputeProgram();
  ComputeProgram(const ComputeProgram&) = delete;
  ComputeProgram& operator=(const ComputeProgram&) = delete;

  GLuint id() const { return program_; }
  const std::string& label() const { return label_; }
  // GL_COMPUTE_WORK_GROUP_SIZE as linked.
  std::array<GLint, 3> local_size() const { return local_size_; }
  // Location of a default-block uniform, or -1 when the program has none of that name.
  GLint uniform(const char* name) const { return glGetUniformLocation(program_, name); }
  void use() const { glUseProgram(program_); }

 private:
  GLuint program_ = 0;
  std::string label_;
  std::array<GLint, 3> local_size_{};
};

}  // namespace spork::gl
