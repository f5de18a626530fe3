// FP32 GEMM through OpenGL compute, from the same GLSL source as the Vulkan path
// (kernels/glsl/gemm.comp), with the tiling knobs given as #defines after #version.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gl_ref/buffer.h"
#include "gl_ref/context.h"
#include "gl_ref/program.h"
#include "gl_ref/timer.h"

namespace spork::gl {

// The knobs of kernels/glsl/gemm.comp (see its header). vec = 0 picks 4 when K % 4 == 0 and
// N % 4 == 0, else 1.
struct GemmTiling {
  uint32_t bm = 64, bn = 64, bk = 16, tm = 4, tn = 4, vec = 0, stages = 2;
  std::string str() const;  // "BM=64 BN=64 BK=16 TM=4 TN=4 VEC=0 STAGES=2"
  // Parses "BMxBNxBK/TMxTN[/STAGES[/VEC]]" (the Vulkan path's syntax), e.g. "128x128x8/8x8/2". Throws Error.
  static GemmTiling parse(const std::string& s);
};

// The tiling the Vulkan path picks for the same kind of device: 32x32x8/4x4 single stage on a
// software renderer, 128x128x8/8x8 on NVIDIA, else the shader's defaults 64x64x16/4x4.
GemmTiling default_gemm_tiling(const RendererInfo& info);

// Row-major FP32 host matrices and the FP64 check of a product.
struct GemmCheck {
  double rel_error = 0;  // max over checked elements of |c - ref| / sum_k |a_ik * b_kj|
  double tolerance = 0;  // 2 * K * 2^-24: twice the worst-case bound of any FP32 summation order
  // The bound above grows with K and so lets a lower-precision product (TF32: ~3e-4) through at
  // large K; the normwise error ||C - ref|| / ||ref|| over the checked elements catches that.
  // FP32 on random [-1, 1) inputs stays orders below 1e-4.
  double norm_error = 0;
  double norm_tolerance = 1e-4;
  size_t checked = 0;    // elements compared with the FP64 reference
  size_t unwritten = 0;  // elements still holding the poison (or any NaN/Inf)
  bool passed = false;
  std::string method;     // "full FP64 reference (cblas_dgemm)" or "FP64 dot products at 4096 sampled elements"
  std::string first_bad;  // "C[3,17] = nan, expected 1.25" when it failed
};

// Checks C (M x N) = A (M x K) * B (K x N) against an FP64 reference: every element is compared with
// cblas_dgemm on double copies when M*N*K <= full_limit, else `samples` elements (the four corners
// and random ones) with FP64 dot products; every element is always scanned for the poison.
GemmCheck check_gemm(const float* A, const float* B, const float* C, uint32_t M, uint32_t N, uint32_t K,
                     double full_limit = double(1u << 31), size_t samples = 4096, uint64_t seed = 1);

struct GemmResult {
  uint32_t M = 0, N = 0, K = 0;
  GemmTiling tiling;  // as run (vec resolved)
  BufferKind kind = BufferKind::StorageNone;
  unsigned sets = 1;       // rotating buffer sets (A, B, C each)
  std::vector<double> ms;  // GPU time of each timed run (GL_TIMESTAMP before and after)
  Stats gpu;               // of ms
  double host_ms = 0;      // host wall time per run, issue to glFinish
  double gflops = 0;       // 2*M*N*K / median
  GemmCheck check;
};

class GemmRunner {
 public:
  explicit GemmRunner(Context& ctx);
  ~GemmRunner();
  // warmup untimed runs, then `repeat` timed runs over rotating buffer sets, then the FP64 check.
  // Throws Error for a bad tiling, a shader failure, buffers the driver cannot hold or GL errors;
  // a wrong result is reported in check (passed = false), not thrown.
  GemmResult run(uint32_t M, uint32_t N, uint32_t K, const GemmTiling& tiling = {}, unsigned warmup = 2,
                 unsigned repeat = 10, BufferKind kind = BufferKind::StorageNone);
  // The compiled program for a tiling (compiled once, cached). Throws Error on a bad tiling.
  const ComputeProgram& program(const GemmTiling& resolved);
  // Run even when a matrix is larger than GL_MAX_SHADER_STORAGE_BLOCK_SIZE (some drivers report
  // less than they address); the FP64 check then shows whether the driver really coped.
  void set_ignore_block_limit(bool on) { ignore_block_limit_ = on; }
  // Lines put after #version (e.g. "#pragma optionNV(unroll all)") and extra #defines, for
  // compiler experiments; part of the program cache key.
  void set_prelude(std::string lines, Defines extra) {
    prelude_ = std::move(lines);
    extra_defines_ = std::move(extra);
  }
  // Compile gemm.comp as #version 430 as on a GL 4.3/4.4 context (tests the path on any driver).
  void set_glsl430(bool on) { glsl430_ = on; }

 private:
  Context& ctx_;
  std::map<std::string, std::unique_ptr<ComputeProgram>> programs_;
  bool ignore_block_limit_ = false;
  bool glsl430_ = false;
  std::string prelude_;
  Defines extra_defines_;
};

// The embedded GLSL text of kernels/glsl/gemm.comp.
std::string_view gemm_source();

}  // namespace spork::gl
