#include "gl_ref/membw.h"

#include <algorithm>
#include <sstream>

#include "spork_gl_shaders.h"

namespace spork::gl {

namespace {

constexpr uint32_t kLocal = 256, kUnroll = 4;
constexpr uint32_t kPoison = 0xDEADBEEFu;

std::string_view shader(const char* name) {
  auto blob = spork::gl::shaders::find(name);
  if (blob.empty()) throw Error(std::string("GL shader ") + name + " is not embedded in this binary");
  return {reinterpret_cast<const char*>(blob.data()), blob.size()};
}

uint32_t xorshift32(uint32_t& s) {
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  return s;
}

}  // namespace

const char* membw_op_name(MembwOp op) {
  switch (op) {
    case MembwOp::Read:
      return "read";
    case MembwOp::Write:
      return "write";
    case MembwOp::Copy:
      return "copy";
  }
  return "?";
}

MembwRunner::MembwRunner(Context& ctx) : ctx_(ctx) {
  ctx_.make_current();
  require_timer_queries();
  std::string_view src = shader("membw.comp");
  Defines common = {{"LOCAL_SIZE", std::to_string(kLocal) + "u"}, {"UNROLL", std::to_string(kUnroll) + "u"}};
  auto with = [&](const char* op) {
    Defines d = common;
    d.emplace_back(op, "1");
    return d;
  };
  read_ = std::make_unique<ComputeProgram>(src, with("OP_READ"), "membw.comp (OP_READ)");
  write_ = std::make_unique<ComputeProgram>(src, with("OP_WRITE"), "membw.comp (OP_WRITE)");
  copy_ = std::make_unique<ComputeProgram>(src, with("OP_COPY"), "membw.comp (OP_COPY)");
  GLint64 v = 0;
  glGetInteger64v(GL_MAX_SHADER_STORAGE_BLOCK_SIZE, &v);
  max_block_ = uint64_t(v);
  GLint g = 0;
  glGetIntegeri_v(GL_MAX_COMPUTE_WORK_GROUP_COUNT, 0, &g);
  driver_max_groups_ = max_groups_ = uint32_t(std::min<GLint>(g, 65535));
  check_gl("membw set-up");
}

MembwRunner::~MembwRunner() {
  try {
    ctx_.make_current();  // its programs are deleted next, in this context
  } catch (...) {
  }
}

void MembwRunner::set_max_groups(uint32_t g) { max_groups_ = g ? std::min(g, driver_max_groups_) : driver_max_groups_; }

MembwResult MembwRunner::run(BufferKind kind, MembwOp op, size_t bytes, unsigned warmup, unsigned repeat) {
  ctx_.make_current();
  if (repeat == 0) repeat = 1;
  bytes &= ~size_t(15);
  if (bytes == 0) throw Error("membw buffers must be at least 16 bytes");
  if (bytes > max_block_ && !ignore_block_limit_)
    throw Error("a " + std::to_string(bytes >> 20) +
                " MiB buffer is larger than this driver's GL_MAX_SHADER_STORAGE_BLOCK_SIZE (" +
                std::to_string(max_block_ >> 20) + " MiB)");
  if (is_immutable(kind) && !ctx_.info().buffer_storage)
    throw Error(std::string(buffer_kind_name(kind)) + " needs OpenGL 4.4 or GL_ARB_buffer_storage");
  if (bytes / 16 > 0xFFFFFFFFull - uint64_t(kLocal) * max_groups_ * kUnroll)
    throw Error("membw buffers are limited to 2^32 uvec4 elements");
  MembwResult res;
  res.kind = kind, res.op = op, res.buffer_bytes = bytes;
  res.bytes_moved = op == MembwOp::Copy ? 2 * uint64_t(bytes) : bytes;
  const uint32_t n_vec4 = uint32_t(bytes / 16);
  const uint32_t groups =
      uint32_t(std::clamp<uint64_t>((uint64_t(n_vec4) + kLocal * kUnroll - 1) / (kLocal * kUnroll), 1, max_groups_));

  // Rotating buffer sets keep small sizes from measuring a cache: sets * bytes >= 256 MiB where
  // possible, at most 8 (as the Vulkan path does).
  unsigned sets = unsigned(std::clamp<uint64_t>(((uint64_t(256) << 20) + bytes - 1) / bytes, 1, 8));
  sets = std::min(sets, repeat);
  res.sets = sets;

  // Random source words; their wrapping sum is what the read kernel must reproduce.
  std::vector<uint32_t> host(op == MembwOp::Write ? 0 : bytes / 4);
  uint32_t seed = 0x2545F491u ^ uint32_t(bytes);
  uint32_t sum = 0;
  for (uint32_t& w : host) sum += (w = xorshift32(seed));

  struct Set {
    Buffer src, dst, sums;
    uint32_t last_seed = 0;
  };
  std::vector<Set> set(sets);
  for (Set& x : set) {
    if (op != MembwOp::Write) x.src = Buffer(kind, bytes, host.data());
    if (op != MembwOp::Read) {
      x.dst = Buffer(kind, bytes);
      x.dst.fill_u32(kPoison);
    } else {
      x.sums = Buffer(BufferKind::DynamicCopy, size_t(groups) * 4);
      x.sums.fill_u32(kPoison);
    }
  }
  const ComputeProgram& prog = op == MembwOp::Read ? *read_ : op == MembwOp::Write ? *write_ : *copy_;
  prog.use();
  glUniform1ui(prog.uniform("n_vec4"), n_vec4);
  const GLint seed_loc = prog.uniform("seed");
  uint32_t run = 0;
  auto dispatch = [&] {
    Set& x = set[run % sets];
    if (op != MembwOp::Write) x.src.bind(0);
    if (op != MembwOp::Read) x.dst.bind(1);
    if (op == MembwOp::Read) x.sums.bind(2);
    x.last_seed = ++run * 0x9E3779B9u;
    if (seed_loc >= 0) glUniform1ui(seed_loc, x.last_seed);
    glDispatchCompute(groups, 1, 1);
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);
  };
  for (unsigned w = 0; w < warmup; ++w) dispatch();
  glFinish();
  if (warmup) warm_clocks(ctx_, [&](unsigned) { dispatch(); });
  check_gl("membw warm-up");

  // GL_TIMESTAMP pairs rather than GL_TIME_ELAPSED: llvmpipe's elapsed queries do not cover compute
  // dispatches (they read ~0), while its timestamps and every hardware driver's do.
  TimerQueries q(2 * size_t(repeat));
  double t0 = host_now_ms();
  for (unsigned r = 0; r < repeat; ++r) {
    q.timestamp(2 * r);
    dispatch();
    q.timestamp(2 * r + 1);
  }
  glFinish();
  res.host_ms = (host_now_ms() - t0) / repeat;
  check_gl("membw timed runs");
  for (unsigned r = 0; r < repeat; ++r) res.ms.push_back(q.span_ms(2 * r, 2 * r + 1));
  res.gpu = stats(res.ms);
  res.gbps = res.gpu.median > 0 ? double(res.bytes_moved) / (res.gpu.median * 1e6) : 0;

  // Check what each set's last run did.
  std::ostringstream err;
  std::vector<uint32_t> got;
  for (unsigned i = 0; i < sets && err.str().empty(); ++i) {
    Set& x = set[i];
    if (op == MembwOp::Read) {
      got.resize(groups);
      x.sums.download(got.data(), got.size() * 4);
      uint32_t total = 0;
      for (uint32_t g : got) total += g;
      if (total != sum)
        err << "set " << i << ": read kernel's wrapping sum 0x" << std::hex << total << " != host sum 0x" << sum;
    } else {
      got.resize(bytes / 4);
      x.dst.download(got.data(), bytes);
      for (size_t w = 0; w < got.size(); ++w) {
        uint32_t want = op == MembwOp::Write ? uint32_t(w) * 2654435761u + x.last_seed : host[w];
        if (got[w] != want) {
          err << "set " << i << ": " << membw_op_name(op) << " kernel: word " << w << " is 0x" << std::hex << got[w]
              << ", expected 0x" << want;
          break;
        }
      }
    }
  }
  res.error = err.str();
  res.verified = res.error.empty();
  return res;
}

DispatchResult measure_dispatch(Context& ctx, unsigned count, unsigned repeat) {
  ctx.make_current();
  if (count == 0) count = 1;
  if (repeat == 0) repeat = 1;
  require_timer_queries();
  DispatchResult res;
  res.count = count;
  ComputeProgram prog(shader("dispatch.comp"), {}, "dispatch.comp");
  Buffer counter(BufferKind::DynamicCopy, 4);
  counter.fill_u32(0);
  prog.use();
  counter.bind(0);
  // Warm-up: first dispatch of a program pays for lazy driver work.
  for (int i = 0; i < 3; ++i) glDispatchCompute(1, 1, 1);
  glFinish();
  uint64_t issued = 3;
  TimerQueries q(2 * size_t(repeat));
  std::vector<double> host, gpu_per, sync;
  for (unsigned r = 0; r < repeat; ++r) {
    double t0 = host_now_ms();
    q.timestamp(2 * r);
    for (unsigned i = 0; i < count; ++i) {
      glDispatchCompute(1, 1, 1);
      glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);
    }
    q.timestamp(2 * r + 1);
    glFinish();
    host.push_back((host_now_ms() - t0) / count);
    issued += count;
  }
  for (unsigned r = 0; r < repeat; ++r) {
    double ms = q.span_ms(2 * r, 2 * r + 1);
    res.gpu_ms.push_back(ms);
    gpu_per.push_back(ms / count);
  }
  const unsigned singles = std::max(repeat, 10u);
  TimerQueries qs(2 * size_t(singles));
  for (unsigned r = 0; r < singles; ++r) {
    double t0 = host_now_ms();
    qs.timestamp(2 * r);
    glDispatchCompute(1, 1, 1);
    qs.timestamp(2 * r + 1);
    glFinish();
    sync.push_back(host_now_ms() - t0);
    ++issued;
  }
  std::vector<double> sync_gpu;
  for (unsigned r = 0; r < singles; ++r) sync_gpu.push_back(qs.span_ms(2 * r, 2 * r + 1));
  res.sync_gpu_ms = stats(sync_gpu);
  check_gl("dispatch benchmark");
  res.gpu_per_dispatch_ms = stats(gpu_per);
  res.host_per_dispatch_ms = stats(host);
  res.sync_host_ms = stats(sync);
  uint32_t got = 0;
  counter.download(&got, 4);
  if (got != uint32_t(issued))
    res.error = "dispatch counter is " + std::to_string(got) + " after " + std::to_string(issued) + " dispatches";
  res.verified = res.error.empty();
  return res;
}

}  // namespace spork::gl
