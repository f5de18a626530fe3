// `spork bench` backend "gl": GEMM, the allocation-hint bandwidth experiment and dispatch
// overhead through OpenGL 4.3+ compute on a headless EGL context (gl_ref/).
#include <cstdio>
#include <memory>
#include <string>

#include "bench_backend.h"
#include "gl_ref/context.h"
#include "gl_ref/gemm.h"
#include "gl_ref/membw.h"

namespace spork::bench {
namespace {

std::string format_bytes(uint64_t b) {
  char buf[64];
  if (b >= (uint64_t(1) << 30) && b % (uint64_t(1) << 30) == 0)
    std::snprintf(buf, sizeof buf, "%llu GiB", (unsigned long long)(b >> 30));
  else if (b >= (uint64_t(1) << 20) && b % (uint64_t(1) << 20) == 0)
    std::snprintf(buf, sizeof buf, "%llu MiB", (unsigned long long)(b >> 20));
  else if (b >= 1024 && b % 1024 == 0)
    std::snprintf(buf, sizeof buf, "%llu KiB", (unsigned long long)(b >> 10));
  else
    std::snprintf(buf, sizeof buf, "%llu B", (unsigned long long)b);
  return buf;
}

class GlBackend : public Backend {
 public:
  std::string name() const override { return "gl"; }

  bool available(const Options& opt, std::string& why) override {
    try {
      context(opt);
      return true;
    } catch (const std::exception& e) {
      why = e.what();
      return false;
    }
  }

  bool slow() const override { return ctx_ && ctx_->info().software; }

  std::vector<Record> gemm(const std::vector<GemmShape>& shapes, const Options& opt) override {
    gl::Context& ctx = context(opt);
    std::vector<Record> out;
    if (!runner_) runner_ = std::make_unique<gl::GemmRunner>(ctx);
    const unsigned repeat = opt.repeat ? opt.repeat : slow() ? 3 : 10;
    const unsigned warmup = slow() ? 1 : 2;
    const gl::GemmTiling tiling = gl::default_gemm_tiling(ctx.info());
    const gl::BufferKind kind = ctx.info().buffer_storage ? gl::BufferKind::StorageNone : gl::BufferKind::DynamicCopy;
    for (const GemmShape& s : shapes) {
      Record r = base(ctx, "gemm");
      r.shape = std::to_string(s.M) + "x" + std::to_string(s.N) + "x" + std::to_string(s.K);
      r.gemm = s;
      r.placement = gl::buffer_kind_name(kind);
      if (opt.progress) std::fprintf(stderr, "gl: gemm %s ...\n", r.shape.c_str());
      try {
        gl::GemmResult g = runner_->run(s.M, s.N, s.K, tiling, warmup, repeat, kind);
        r.placement = gl::buffer_kind_name(g.kind);
        r.median_ms = g.gpu.median, r.min_ms = g.gpu.min, r.max_ms = g.gpu.max;
        r.host_ms = g.host_ms;
        r.gflops = g.gflops;
        r.rel_error = g.check.rel_error;
        r.tolerance = g.check.tolerance;
        r.passed = g.check.passed;
        r.extra["sets"] = g.sets;
        r.extra["runs"] = double(g.ms.size());
        r.extra["norm_error"] = g.check.norm_error;
        r.note = "tiling " + g.tiling.str() + "; " + g.check.method;
        if (!g.check.passed) r.note += "; WRONG: " + g.check.first_bad;
      } catch (const std::exception& e) {
        r.note = std::string("failed: ") + e.what();
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  std::vector<Record> membw(const std::vector<uint64_t>& sizes, const Options& opt) override {
    gl::Context& ctx = context(opt);
    std::vector<Record> out;
    std::unique_ptr<gl::MembwRunner> m;
    try {
      m = std::make_unique<gl::MembwRunner>(ctx);
    } catch (const std::exception& e) {
      Record r = base(ctx, "membw-read");
      r.note = std::string("failed: ") + e.what();
      out.push_back(r);
      return out;
    }
    const unsigned repeat = opt.repeat ? opt.repeat : slow() ? 3 : 10;
    const unsigned warmup = slow() ? 1 : 2;
    for (uint64_t bytes : sizes) {
      // As the Vulkan backend: a size over the driver's limit is skipped, not a failed result
      // ("from 1 MiB to 1 GiB where the device allows").
      if (bytes > m->max_buffer_bytes()) {
        std::fprintf(stderr, "gl: membw %s skipped: over GL_MAX_SHADER_STORAGE_BLOCK_SIZE (%s)\n",
                     format_bytes(bytes).c_str(), format_bytes(m->max_buffer_bytes()).c_str());
        continue;
      }
      for (gl::BufferKind kind : gl::all_buffer_kinds()) {
        for (gl::MembwOp op : {gl::MembwOp::Read, gl::MembwOp::Write, gl::MembwOp::Copy}) {
          Record r = base(ctx, std::string("membw-") + gl::membw_op_name(op));
          r.placement = gl::buffer_kind_name(kind);
          r.shape = format_bytes(bytes);
          r.size_bytes = op == gl::MembwOp::Copy ? 2 * bytes : bytes;
          if (opt.progress)
            std::fprintf(stderr, "gl: %s %s %s ...\n", r.op.c_str(), r.placement.c_str(), r.shape.c_str());
          if (gl::is_immutable(kind) && !ctx.info().buffer_storage) {
            r.note = "not available: glBufferStorage needs OpenGL 4.4 or GL_ARB_buffer_storage";
            out.push_back(std::move(r));
            continue;
          }
          try {
            gl::MembwResult b = m->run(kind, op, bytes, warmup, repeat);
            r.size_bytes = b.bytes_moved;
            r.median_ms = b.gpu.median, r.min_ms = b.gpu.min, r.max_ms = b.gpu.max;
            r.host_ms = b.host_ms;
            r.gbps = b.gbps;
            r.passed = b.verified;
            r.extra["sets"] = b.sets;
            if (!b.verified) r.note = "WRONG: " + b.error;
          } catch (const std::exception& e) {
            r.note = std::string("failed: ") + e.what();
          }
          out.push_back(std::move(r));
        }
      }
    }
    return out;
  }

  std::vector<Record> dispatch(unsigned count, const Options& opt) override {
    gl::Context& ctx = context(opt);
    std::vector<Record> out;
    Record batched = base(ctx, "dispatch-batched");
    Record sync = base(ctx, "dispatch-sync");
    batched.shape = sync.shape = std::to_string(count) + " dispatches";
    batched.placement = sync.placement = gl::buffer_kind_name(gl::BufferKind::DynamicCopy);
    try {
      gl::DispatchResult d = gl::measure_dispatch(ctx, count, opt.repeat ? opt.repeat : 5);
      batched.median_ms = d.gpu_per_dispatch_ms.median;
      batched.min_ms = d.gpu_per_dispatch_ms.min;
      batched.max_ms = d.gpu_per_dispatch_ms.max;
      batched.host_ms = d.host_per_dispatch_ms.median;
      batched.passed = d.verified;
      batched.note =
          "per dispatch: GL_TIMESTAMP span of N dependent glDispatchCompute (glMemoryBarrier between) / N; "
          "host: issue to glFinish / N";
      sync.median_ms = d.sync_gpu_ms.median;
      sync.min_ms = d.sync_gpu_ms.min;
      sync.max_ms = d.sync_gpu_ms.max;
      sync.host_ms = d.sync_host_ms.median;
      sync.extra["host_min_ms"] = d.sync_host_ms.min;
      sync.extra["host_max_ms"] = d.sync_host_ms.max;
      sync.passed = d.verified;
      sync.note = "one glDispatchCompute then glFinish, repeated: GPU = its GL_TIMESTAMP span, host = the round trip";
      if (!d.verified) batched.note = sync.note = "WRONG: " + d.error;
    } catch (const std::exception& e) {
      batched.note = sync.note = std::string("failed: ") + e.what();
    }
    out.push_back(std::move(batched));
    out.push_back(std::move(sync));
    return out;
  }

 private:
  gl::Context& context(const Options& opt) {
    if (!ctx_ || selector_ != opt.device) {
      runner_.reset();
      ctx_.reset();
      ctx_ = std::make_unique<gl::Context>(opt.device);
      selector_ = opt.device;
    }
    ctx_->make_current();
    return *ctx_;
  }

  Record base(const gl::Context& ctx, std::string op) const {
    Record r;
    r.backend = "gl";
    r.device = ctx.info().renderer;
    r.op = std::move(op);
    return r;
  }

  std::unique_ptr<gl::Context> ctx_;
  std::unique_ptr<gl::GemmRunner> runner_;
  std::string selector_;
};

const BackendRegistrar kRegisterGl(30, [] { return std::make_unique<GlBackend>(); });

}  // namespace
}  // namespace spork::bench
