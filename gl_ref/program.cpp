#include "gl_ref/program.h"

#include <algorithm>

namespace spork::gl {

std::string inject_defines(std::string_view source, const Defines& defines) {
  std::string defs;
  for (const auto& [name, value] : defines) defs += "#define " + name + " " + value + "\n";
  size_t pos = source.find("#version");
  // Only a #version at the start of a line counts (it must be the first directive).
  while (pos != std::string_view::npos && pos > 0 && source[pos - 1] != '\n') pos = source.find("#version", pos + 1);
  if (pos == std::string_view::npos) return defs + "#line 1\n" + std::string(source);
  size_t eol = source.find('\n', pos);
  if (eol == std::string_view::npos) return std::string(source) + "\n" + defs;
  size_t version_line = 1;
  for (size_t i = 0; i < eol; ++i) version_line += source[i] == '\n';
  return std::string(source.substr(0, eol + 1)) + defs + "#line " + std::to_string(version_line + 1) + "\n" +
         std::string(source.substr(eol + 1));
}

namespace {
std::string shader_log(GLuint s) {
  GLint len = 0;
  glGetShaderiv(s, GL_INFO_LOG_LENGTH, &len);
  std::string log(size_t(std::max(len, 1)), '\0');
  glGetShaderInfoLog(s, len, nullptr, log.data());
  log.resize(log.find('\0') == std::string::npos ? log.size() : log.find('\0'));
  return log;
}
std::string program_log(GLuint p) {
  GLint len = 0;
  glGetProgramiv(p, GL_INFO_LOG_LENGTH, &len);
  std::string log(size_t(std::max(len, 1)), '\0');
  glGetProgramInfoLog(p, len, nullptr, log.data());
  log.resize(log.find('\0') == std::string::npos ? log.size() : log.find('\0'));
  return log;
}
}  // namespace

ComputeProgram::ComputeProgram(std::string_view source, const Defines& defines, std::string label)
    : label_(std::move(label)) {
  std::string text = inject_defines(source, defines);
  GLuint shader = glCreateShader(GL_COMPUTE_SHADER);
  if (!shader) {
    check_gl(("glCreateShader(GL_COMPUTE_SHADER) for " + label_).c_str());
    throw Error("glCreateShader(GL_COMPUTE_SHADER) returned 0 for " + label_ + " (is the context current?)");
  }
  const char* src = text.c_str();
  glShaderSource(shader, 1, &src, nullptr);
  glCompileShader(shader);
  GLint ok = 0;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    std::string log = shader_log(shader);
    glDeleteShader(shader);
    std::string defs;
    for (const auto& [n, v] : defines) defs += " " + n + "=" + v;
    throw Error("GLSL compute shader '" + label_ + "' failed to compile (defines:" + defs + "):\n" + log);
  }
  program_ = glCreateProgram();
  glAttachShader(program_, shader);
  glLinkProgram(program_);
  glDeleteShader(shader);  // flagged; freed with the program
  glGetProgramiv(program_, GL_LINK_STATUS, &ok);
  if (!ok) {
    std::string log = program_log(program_);
    glDeleteProgram(program_);
    program_ = 0;
    throw Error("GLSL compute program '" + label_ + "' failed to link:\n" + log);
  }
  glGetProgramiv(program_, GL_COMPUTE_WORK_GROUP_SIZE, local_size_.data());
  check_gl(("building compute program " + label_).c_str());
}

ComputeProgram::~ComputeProgram() {
  if (program_) glDeleteProgram(program_);
}

}  // namespace spork::gl
