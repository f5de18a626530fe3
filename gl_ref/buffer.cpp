#include "gl_ref/buffer.h"

#include <cstring>
#include <string>
#include <utility>

namespace spork::gl {

const std::vector<BufferKind>& all_buffer_kinds() {
  static const std::vector<BufferKind> k = {BufferKind::StaticDraw,        BufferKind::DynamicCopy,
                                            BufferKind::StreamRead,        BufferKind::StorageNone,
                                            BufferKind::StoragePersistent, BufferKind::StorageClient};
  return k;
}

const char* buffer_kind_name(BufferKind kind) {
  switch (kind) {
    case BufferKind::StaticDraw:
      return "GL_STATIC_DRAW";
    case BufferKind::DynamicCopy:
      return "GL_DYNAMIC_COPY";
    case BufferKind::StreamRead:
      return "GL_STREAM_READ";
    case BufferKind::StorageNone:
      return "BufferStorage(0)";
    case BufferKind::StoragePersistent:
      return "BufferStorage(PERSISTENT|COHERENT|READ|WRITE)";
    case BufferKind::StorageClient:
      return "BufferStorage(CLIENT_STORAGE)";
  }
  return "?";
}

bool is_immutable(BufferKind kind) {
  return kind == BufferKind::StorageNone || kind == BufferKind::StoragePersistent || kind == BufferKind::StorageClient;
}

namespace {
GLbitfield storage_flags(BufferKind kind) {
  switch (kind) {
    case BufferKind::StoragePersistent:
      return GL_MAP_PERSISTENT_BIT | GL_MAP_COHERENT_BIT | GL_MAP_READ_BIT | GL_MAP_WRITE_BIT;
    case BufferKind::StorageClient:
      return GL_CLIENT_STORAGE_BIT;
    default:
      return 0;
  }
}
GLenum usage(BufferKind kind) {
  switch (kind) {
    case BufferKind::DynamicCopy:
      return GL_DYNAMIC_COPY;
    case BufferKind::StreamRead:
      return GL_STREAM_READ;
    default:
      return GL_STATIC_DRAW;
  }
}
}  // namespace

Buffer::Buffer(BufferKind kind, size_t bytes, const void* data) : size_(bytes), kind_(kind) {
  if (bytes == 0) throw Error("a GL buffer of 0 bytes was asked for");
  glGetError();
  // Bind-to-edit on GL_COPY_WRITE_BUFFER (not DSA, which is GL 4.5) so no SSBO binding is disturbed.
  glGenBuffers(1, &id_);
  glBindBuffer(GL_COPY_WRITE_BUFFER, id_);
  check_gl("glGenBuffers");
  const std::string what = std::string(is_immutable(kind) ? "glBufferStorage(" : "glBufferData(") +
                           std::to_string(bytes) + " bytes, " + buffer_kind_name(kind) + ")";
  try {
    if (is_immutable(kind)) {
      if (!epoxy_has_gl_extension("GL_ARB_buffer_storage") && epoxy_gl_version() < 44)
        throw Error(std::string(buffer_kind_name(kind)) + " needs OpenGL 4.4 or GL_ARB_buffer_storage");
      glBufferStorage(GL_COPY_WRITE_BUFFER, GLsizeiptr(bytes), data, storage_flags(kind));
      check_gl(what.c_str());
      if (kind == BufferKind::StoragePersistent) {
        mapped_ = glMapBufferRange(GL_COPY_WRITE_BUFFER, 0, GLsizeiptr(bytes), storage_flags(kind));
        check_gl("glMapBufferRange(PERSISTENT|COHERENT|READ|WRITE)");
        if (!mapped_) throw Error("glMapBufferRange returned null for a persistent buffer");
      }
    } else {
      glBufferData(GL_COPY_WRITE_BUFFER, GLsizeiptr(bytes), data, usage(kind));
      check_gl(what.c_str());
    }
  } catch (...) {
    reset();
    throw;
  }
}

void Buffer::reset() {
  if (id_) {
    if (mapped_) {
      glBindBuffer(GL_COPY_WRITE_BUFFER, id_);
      glUnmapBuffer(GL_COPY_WRITE_BUFFER);
    }
    glDeleteBuffers(1, &id_);
  }
  id_ = 0;
  mapped_ = nullptr;
  size_ = 0;
}

Buffer::~Buffer() { reset(); }

Buffer::Buffer(Buffer&& o) noexcept
    : id_(std::exchange(o.id_, 0)),
      size_(std::exchange(o.size_, 0)),
      kind_(o.kind_),
      mapped_(std::exchange(o.mapped_, nullptr)) {}

Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = std::exchange(o.id_, 0);
    size_ = std::exchange(o.size_, 0);
    kind_ = o.kind_;
    mapped_ = std::exchange(o.mapped_, nullptr);
  }
  return *this;
}

void Buffer::upload(const void* data, size_t bytes, size_t offset) {
  if (offset + bytes > size_) throw Error("Buffer::upload past the end of the buffer");
  if (mapped_) {
    // Coherent mapping: the write is seen by commands issued afterwards. Wait for earlier GPU work
    // that may still read or write these bytes first.
    glFinish();
    std::memcpy(static_cast<char*>(mapped_) + offset, data, bytes);
    return;
  }
  if (!is_immutable(kind_)) {
    glBindBuffer(GL_COPY_WRITE_BUFFER, id_);
    glBufferSubData(GL_COPY_WRITE_BUFFER, GLintptr(offset), GLsizeiptr(bytes), data);
    check_gl("glBufferSubData");
    return;
  }
  // Immutable storage without GL_DYNAMIC_STORAGE_BIT: glBufferSubData is not allowed; copy on the GPU.
  GLuint staging = 0;
  glGenBuffers(1, &staging);
  glBindBuffer(GL_COPY_READ_BUFFER, staging);
  glBufferData(GL_COPY_READ_BUFFER, GLsizeiptr(bytes), data, GL_STREAM_COPY);
  glBindBuffer(GL_COPY_WRITE_BUFFER, id_);
  glCopyBufferSubData(GL_COPY_READ_BUFFER, GL_COPY_WRITE_BUFFER, 0, GLintptr(offset), GLsizeiptr(bytes));
  glDeleteBuffers(1, &staging);
  check_gl("uploading through a staging buffer (glCopyBufferSubData)");
}

void Buffer::download(void* data, size_t bytes, size_t offset) const {
  if (offset + bytes > size_) throw Error("Buffer::download past the end of the buffer");
  if (mapped_) {
    // Shader writes to a persistently mapped buffer reach the host after this barrier and a wait.
    glMemoryBarrier(GL_CLIENT_MAPPED_BUFFER_BARRIER_BIT);
    glFinish();
    std::memcpy(data, static_cast<const char*>(mapped_) + offset, bytes);
    return;
  }
  glMemoryBarrier(GL_BUFFER_UPDATE_BARRIER_BIT);
  glBindBuffer(GL_COPY_READ_BUFFER, id_);
  glGetBufferSubData(GL_COPY_READ_BUFFER, GLintptr(offset), GLsizeiptr(bytes), data);
  check_gl("glGetBufferSubData");
}

void Buffer::fill_u32(uint32_t value) {
  if (size_ % 4) throw Error("Buffer::fill_u32 on a buffer whose size is not a multiple of 4");
  glBindBuffer(GL_COPY_WRITE_BUFFER, id_);
  glClearBufferData(GL_COPY_WRITE_BUFFER, GL_R32UI, GL_RED_INTEGER, GL_UNSIGNED_INT, &value);
  check_gl("glClearBufferData");
}

}  // namespace spork::gl
