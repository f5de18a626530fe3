// Shader storage buffers made with the allocation hints under test: glBufferData usage hints
// and glBufferStorage flags. Where the driver puts each kind (VRAM or system RAM) is what the
// bandwidth experiment measures.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gl_ref/gl.h"

namespace spork::gl {

enum class BufferKind {
  StaticDraw,         // glBufferData(..., GL_STATIC_DRAW)
  DynamicCopy,        // glBufferData(..., GL_DYNAMIC_COPY)
  StreamRead,         // glBufferData(..., GL_STREAM_READ)
  StorageNone,        // glBufferStorage(..., 0)
  StoragePersistent,  // glBufferStorage(..., MAP_PERSISTENT|MAP_COHERENT|MAP_READ|MAP_WRITE), kept mapped
  StorageClient,      // glBufferStorage(..., CLIENT_STORAGE)
};

// Every kind, in table order.
const std::vector<BufferKind>& all_buffer_kinds();
// "GL_STATIC_DRAW", "BufferStorage(0)", "BufferStorage(PERSISTENT|COHERENT|READ|WRITE)",
// "BufferStorage(CLIENT_STORAGE)".
const char* buffer_kind_name(BufferKind kind);
// True for the glBufferStorage kinds (need GL 4.4 or ARB_buffer_storage).
bool is_immutable(BufferKind kind);

class Buffer {
 public:
  Buffer() = default;
  // Storage of `bytes` bytes, initialised from data when it is non-null. Throws Error (GL_OUT_OF_MEMORY...).
  Buffer(BufferKind kind, size_t bytes, const void* data = nullptr);
  ~Buffer();
  Buffer(Buffer&& o) noexcept;
  Buffer& operator=(Buffer&& o) noexcept;

  GLuint id() const { return id_; }
  size_t size() const { return size_; }
  BufferKind kind() const { return kind_; }
  // The persistent mapping (StoragePersistent only), else null.
  void* mapped() const { return mapped_; }

  // Copies host data into the buffer: glBufferSubData, a memcpy into the persistent mapping, or a
  // staging buffer and glCopyBufferSubData for immutable storage without DYNAMIC_STORAGE.
  void upload(const void* data, size_t bytes, size_t offset = 0);
  // Copies the buffer to the host after the GPU's writes are complete and visible.
  void download(void* data, size_t bytes, size_t offset = 0) const;
  // Sets every 32-bit word to value on the GPU (glClearBufferData), e.g. a NaN poison.
  void fill_u32(uint32_t value);
  void bind(GLuint binding) const { glBindBufferBase(GL_SHADER_STORAGE_BUFFER, binding, id_); }

 private:
  void reset();
  GLuint id_ = 0;
  size_t size_ = 0;
  BufferKind kind_ = BufferKind::StaticDraw;
  void* mapped_ = nullptr;
};

}  // namespace spork::gl
