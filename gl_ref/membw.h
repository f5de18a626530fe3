// The allocation-hint experiment: read, write and copy bandwidth of compute kernels over SSBOs
// made with each BufferKind, so where a GL driver keeps compute buffers (VRAM or system RAM) is
// settled by numbers. Also the dispatch-overhead measurement.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gl_ref/buffer.h"
#include "gl_ref/context.h"
#include "gl_ref/program.h"
#include "gl_ref/timer.h"

namespace spork::gl {

enum class MembwOp { Read, Write, Copy };
const char* membw_op_name(MembwOp op);  // "read", "write", "copy"

struct MembwResult {
  BufferKind kind = BufferKind::StaticDraw;
  MembwOp op = MembwOp::Read;
  size_t buffer_bytes = 0;   // size of each buffer (copy uses two of this kind)
  uint64_t bytes_moved = 0;  // per run, counted as bytes read + bytes written
  unsigned sets = 1;         // buffer sets rotated over (sets * bytes >= 256 MiB where possible, at most 8)
  std::vector<double> ms;    // GPU time of each timed run (GL_TIMESTAMP before and after)
  Stats gpu;
  double host_ms = 0;     // host wall time per run, issue to glFinish
  double gbps = 0;        // bytes_moved / median, 1 GB = 1e9 bytes
  bool verified = false;  // the data read, written or copied was checked on the host
  std::string error;      // what was wrong when !verified
};

class MembwRunner {
 public:
  explicit MembwRunner(Context& ctx);
  ~MembwRunner();
  // bytes: size of each buffer, rounded down to a multiple of 16. Throws Error when the kind is not
  // available (no glBufferStorage) or the driver cannot hold the buffer; a wrong result is reported
  // in verified/error.
  MembwResult run(BufferKind kind, MembwOp op, size_t bytes, unsigned warmup = 2, unsigned repeat = 10);
  // GL_MAX_SHADER_STORAGE_BLOCK_SIZE: the largest buffer a kernel can address.
  uint64_t max_buffer_bytes() const { return max_block_; }
  // Run buffers larger than GL_MAX_SHADER_STORAGE_BLOCK_SIZE anyway (the check shows if that worked).
  void set_ignore_block_limit(bool on) { ignore_block_limit_ = on; }
  // Most workgroups per dispatch (each then loops over 16 KiB chunks); 0 = the driver's limit, at most 65535.
  void set_max_groups(uint32_t g);

 private:
  Context& ctx_;
  std::unique_ptr<ComputeProgram> read_, write_, copy_;
  uint64_t max_block_ = 0;
  uint32_t max_groups_ = 65535, driver_max_groups_ = 65535;
  bool ignore_block_limit_ = false;
};

struct DispatchResult {
  unsigned count = 0;          // dispatches per batch
  std::vector<double> gpu_ms;  // per batch: GL_TIMESTAMP after the last minus before the first
  Stats gpu_per_dispatch_ms;   // gpu_ms / count
  Stats host_per_dispatch_ms;  // host time of a batch (issue to glFinish) / count
  Stats sync_host_ms;          // one dispatch + glFinish, host round trip
  Stats sync_gpu_ms;           // that one dispatch's GL_TIMESTAMP span
  bool verified = false;       // the kernel's counter equals every dispatch issued
  std::string error;
};

// `count` dependent glDispatchCompute of a one-workgroup kernel back to back (a shader-storage
// barrier between, like the Vulkan path's batch), `repeat` batches; then single dispatches + glFinish.
DispatchResult measure_dispatch(Context& ctx, unsigned count, unsigned repeat = 5);

}  // namespace spork::gl
