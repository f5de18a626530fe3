#include "gl_ref/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "spork_glsl.h"

namespace spork::gl {

namespace {

// The poison in every C element before the timed runs: a signalling-NaN bit pattern that no
// arithmetic produces, so an element the kernel never wrote is found by its bits.
constexpr uint32_t kPoison = 0x7FBADBADu;

uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [-1, 1), 24 random bits each (exact in FP32).
void fill_random(std::vector<float>& v, uint64_t seed) {
  uint64_t s = seed;
  for (size_t i = 0; i < v.size(); i += 2) {
    uint64_t r = splitmix64(s);
    v[i] = float(int32_t(r >> 40) - (1 << 23)) * (1.0f / float(1 << 23));
    if (i + 1 < v.size()) v[i + 1] = float(int32_t((r >> 8) & 0xFFFFFF) - (1 << 23)) * (1.0f / float(1 << 23));
  }
}

GLint64 get_i64(GLenum e) {
  GLint64 v = 0;
  glGetInteger64v(e, &v);
  return v;
}

GLint get_indexed(GLenum e, GLuint i) {
  GLint v = 0;
  glGetIntegeri_v(e, i, &v);
  return v;
}

}  // namespace

std::string GemmTiling::str() const {
  std::ostringstream os;
  os << "BM=" << bm << " BN=" << bn << " BK=" << bk << " TM=" << tm << " TN=" << tn << " VEC=" << vec
     << " STAGES=" << stages;
  return os.str();
}

GemmTiling default_gemm_tiling(const RendererInfo& info) {
  // The same per-device choice as the Vulkan path (vulkan_ref/gemm.cpp), so the two compare like for like.
  GemmTiling t;
  std::string v = info.vendor + " " + info.renderer;
  if (info.software) {
    t.bm = 32, t.bn = 32, t.bk = 8, t.tm = 4, t.tn = 4, t.stages = 1;  // llvmpipe: a workgroup runs on one CPU thread
  } else if (v.find("NVIDIA") != std::string::npos) {
    t.bm = 128, t.bn = 128, t.bk = 8, t.tm = 8, t.tn = 8, t.stages = 2;
  }
  return t;
}

GemmTiling GemmTiling::parse(const std::string& s) {
  GemmTiling t;
  unsigned bm = 0, bn = 0, bk = 0, tm = 0, tn = 0, stages = 2, vec = 0;
  int used = 0;
  int n = std::sscanf(s.c_str(), "%ux%ux%u/%ux%u%n", &bm, &bn, &bk, &tm, &tn, &used);
  if (n < 5) throw Error("GEMM tiling '" + s + "': expected BMxBNxBK/TMxTN[/STAGES[/VEC]], e.g. 128x128x8/8x8/2");
  std::string rest = s.substr(size_t(used));
  if (!rest.empty()) {
    int used2 = 0;
    int m = std::sscanf(rest.c_str(), "/%u%n", &stages, &used2);
    if (m < 1) throw Error("GEMM tiling '" + s + "': bad STAGES after TMxTN");
    rest = rest.substr(size_t(used2));
    if (!rest.empty()) {
      int used3 = 0;
      if (std::sscanf(rest.c_str(), "/%u%n", &vec, &used3) < 1 || size_t(used3) != rest.size())
        throw Error("GEMM tiling '" + s + "': bad VEC after STAGES");
    }
  }
  t.bm = bm, t.bn = bn, t.bk = bk, t.tm = tm, t.tn = tn, t.stages = stages, t.vec = vec;
  return t;
}

std::string_view gemm_source() {
  auto blob = spork::glsl::find("gemm.comp");
  if (blob.empty()) throw Error("the GLSL source gemm.comp is not embedded in this binary (spork_glsl)");
  return {reinterpret_cast<const char*>(blob.data()), blob.size()};
}

GemmCheck check_gemm(const float* A, const float* B, const float* C, uint32_t M, uint32_t N, uint32_t K,
                     double full_limit, size_t samples, uint64_t seed) {
  GemmCheck r;
  r.tolerance = 2.0 * double(K) * std::ldexp(1.0, -24);
  const size_t MN = size_t(M) * N;
  for (size_t i = 0; i < MN; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &C[i], 4);
    if (bits == kPoison || !std::isfinite(C[i])) {
      if (r.unwritten++ == 0) {
        std::ostringstream os;
        os << "C[" << i / N << "," << i % N << "] = " << (bits == kPoison ? "poison (never written)" : "non-finite")
           << " (0x" << std::hex << bits << ")";
        r.first_bad = os.str();
      }
    }
  }
  double sum_diff2 = 0, sum_ref2 = 0;
  auto consider = [&](size_t i, size_t j, double ref, double absum) {
    double c = C[i * N + j];
    sum_diff2 += (c - ref) * (c - ref);
    sum_ref2 += ref * ref;
    double err = std::fabs(c - ref) / (absum > 0 ? absum : 1.0);
    if (!(err <= r.rel_error)) {  // NaN also lands here and stays the maximum
      if (!(err <= r.tolerance) && r.first_bad.empty()) {
        std::ostringstream os;
        os << "C[" << i << "," << j << "] = " << c << ", FP64 reference " << ref;
        r.first_bad = os.str();
      }
      r.rel_error = std::isnan(err) ? INFINITY : err;
    }
    ++r.checked;
  };
  if (double(M) * N * K <= full_limit) {
    r.method = "full FP64 reference (cblas_dgemm on double copies)";
    std::vector<double> a(size_t(M) * K), b(size_t(K) * N), aa(a.size()), ab(b.size()), ref(MN), abs(MN);
    for (size_t i = 0; i < a.size(); ++i) aa[i] = std::fabs(a[i] = A[i]);
    for (size_t i = 0; i < b.size(); ++i) ab[i] = std::fabs(b[i] = B[i]);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(M), int(N), int(K), 1.0, a.data(), int(K), b.data(),
                int(N), 0.0, ref.data(), int(N));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(M), int(N), int(K), 1.0, aa.data(), int(K), ab.data(),
                int(N), 0.0, abs.data(), int(N));
    for (size_t i = 0; i < M; ++i)
      for (size_t j = 0; j < N; ++j) consider(i, j, ref[i * N + j], abs[i * N + j]);
  } else {
    r.method = "FP64 dot products at " + std::to_string(samples) + " sampled elements (corners + random)";
    uint64_t s = seed;
    for (size_t n = 0; n < samples; ++n) {
      size_t i, j;
      if (n < 4) {
        i = (n & 1) ? M - 1 : 0;
        j = (n & 2) ? N - 1 : 0;
      } else {
        i = splitmix64(s) % M;
        j = splitmix64(s) % N;
      }
      double ref = 0, absum = 0;
      for (size_t k = 0; k < K; ++k) {
        double p = double(A[i * K + k]) * double(B[k * N + j]);
        ref += p;
        absum += std::fabs(p);
      }
      consider(i, j, ref, absum);
    }
  }
  r.norm_error = std::sqrt(sum_diff2 / (sum_ref2 > 0 ? sum_ref2 : 1.0));
  if (std::isnan(r.norm_error)) r.norm_error = INFINITY;
  if (!(r.norm_error <= r.norm_tolerance) && r.first_bad.empty()) {
    std::ostringstream os;
    os << "normwise error ||C - ref|| / ||ref|| = " << r.norm_error << " > " << r.norm_tolerance
       << " (lower precision than FP32?)";
    r.first_bad = os.str();
  }
  r.passed = r.unwritten == 0 && r.rel_error <= r.tolerance && r.norm_error <= r.norm_tolerance;
  if (r.unwritten)
    r.first_bad = std::to_string(r.unwritten) + " elements unwritten or non-finite, first " + r.first_bad;
  return r;
}

GemmRunner::GemmRunner(Context& ctx) : ctx_(ctx) {
  ctx_.make_current();
  require_timer_queries();
}
GemmRunner::~GemmRunner() {
  try {
    ctx_.make_current();  // its programs are deleted next, in this context
  } catch (...) {
  }
}

const ComputeProgram& GemmRunner::program(const GemmTiling& t) {
  auto bad = [&](const std::string& why) { throw Error("GEMM tiling " + t.str() + " is not valid: " + why); };
  if (t.tm == 0 || t.tn == 0 || t.tm % 4 || t.tn % 4) bad("TM and TN must be multiples of 4");
  if (t.bk == 0 || t.bk % 4) bad("BK must be a multiple of 4");
  if (t.bm % t.tm || t.bn % t.tn) bad("BM must be a multiple of TM and BN of TN");
  if (t.vec != 1 && t.vec != 4) bad("VEC must be 1 or 4");
  if (t.stages != 1 && t.stages != 2) bad("STAGES must be 1 or 2");
  uint64_t nt = uint64_t(t.bm / t.tm) * (t.bn / t.tn);
  if (nt == 0 || (t.bm * t.bk / 4) % nt || (t.bk * t.bn / 4) % nt || t.bm * t.bk / 4 < nt || t.bk * t.bn / 4 < nt)
    bad("BM*BK/4 and BK*BN/4 must be multiples of the invocation count (BM/TM)*(BN/TN) = " + std::to_string(nt));
  GLint max_inv = 0;
  glGetIntegerv(GL_MAX_COMPUTE_WORK_GROUP_INVOCATIONS, &max_inv);
  if (nt > uint64_t(max_inv) || nt > uint64_t(get_indexed(GL_MAX_COMPUTE_WORK_GROUP_SIZE, 0)))
    bad(std::to_string(nt) + " invocations per workgroup, the driver allows " + std::to_string(max_inv));
  GLint max_shared = 0;
  glGetIntegerv(GL_MAX_COMPUTE_SHARED_MEMORY_SIZE, &max_shared);
  uint64_t shared = uint64_t(t.stages) * t.bk * (t.bm + t.bn) * 4;
  if (shared > uint64_t(max_shared))
    bad(std::to_string(shared) + " bytes of shared memory, the driver allows " + std::to_string(max_shared));

  std::string key = t.str() + (glsl430_ ? " 430" : "") + "|" + prelude_;
  for (const auto& [n, v] : extra_defines_) key += "|" + n + "=" + v;
  auto it = programs_.find(key);
  if (it != programs_.end()) return *it->second;
  std::string src(gemm_source());
  // The shader says #version 450; with LOCAL_SIZE_X given as a literal nothing in it needs more
  // than GLSL 4.30, so a 4.3/4.4 context gets #version 430.
  if (ctx_.info().gl_version < 45 || glsl430_) {
    size_t v = src.find("#version 450");
    if (v != std::string::npos) src.replace(v, 12, "#version 430");
  }
  auto u = [](uint32_t x) { return std::to_string(x) + "u"; };
  Defines defs = {{"BM", u(t.bm)}, {"BN", u(t.bn)},   {"BK", u(t.bk)},         {"TM", u(t.tm)},
                  {"TN", u(t.tn)}, {"VEC", u(t.vec)}, {"STAGES", u(t.stages)}, {"LOCAL_SIZE_X", std::to_string(nt)}};
  defs.insert(defs.end(), extra_defines_.begin(), extra_defines_.end());
  if (!prelude_.empty()) {
    size_t v = src.find("#version");
    size_t eol = v == std::string::npos ? std::string::npos : src.find('\n', v);
    if (eol != std::string::npos) src.insert(eol + 1, prelude_ + "\n");
  }
  auto p = std::make_unique<ComputeProgram>(src, defs, "gemm.comp");
  auto ls = p->local_size();
  if (uint64_t(ls[0]) != nt)
    throw Error("gemm.comp linked with local_size_x " + std::to_string(ls[0]) + ", expected " + std::to_string(nt));
  return *programs_.emplace(key, std::move(p)).first->second;
}

GemmResult GemmRunner::run(uint32_t M, uint32_t N, uint32_t K, const GemmTiling& tiling, unsigned warmup,
                           unsigned repeat, BufferKind kind) {
  ctx_.make_current();
  if (M == 0 || N == 0 || K == 0) throw Error("GEMM shape must be at least 1x1x1");
  if (repeat == 0) repeat = 1;
  if (is_immutable(kind) && !ctx_.info().buffer_storage) kind = BufferKind::DynamicCopy;
  GemmResult res;
  res.M = M, res.N = N, res.K = K, res.kind = kind;
  GemmTiling t = tiling;
  if (t.vec == 0) t.vec = (K % 4 == 0 && N % 4 == 0) ? 4 : 1;
  if (t.vec == 4 && (K % 4 || N % 4)) throw Error("GEMM tiling VEC=4 needs K and N to be multiples of 4");
  res.tiling = t;
  const ComputeProgram& prog = program(t);

  const size_t a_bytes = size_t(M) * K * 4, b_bytes = size_t(K) * N * 4, c_bytes = size_t(M) * N * 4;
  const uint64_t max_block = uint64_t(get_i64(GL_MAX_SHADER_STORAGE_BLOCK_SIZE));
  if (std::max({a_bytes, b_bytes, c_bytes}) > max_block && !ignore_block_limit_)
    throw Error("GEMM " + std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K) + " needs a " +
                std::to_string(std::max({a_bytes, b_bytes, c_bytes}) >> 20) +
                " MiB shader storage buffer; this driver's GL_MAX_SHADER_STORAGE_BLOCK_SIZE is " +
                std::to_string(max_block >> 20) + " MiB");
  GLint max_groups_y = get_indexed(GL_MAX_COMPUTE_WORK_GROUP_COUNT, 1);
  GLint max_groups_x = get_indexed(GL_MAX_COMPUTE_WORK_GROUP_COUNT, 0);
  const uint32_t gx = (N + t.bn - 1) / t.bn, gy = (M + t.bm - 1) / t.bm;
  if (gx > uint32_t(max_groups_x) || gy > uint32_t(max_groups_y))
    throw Error("GEMM needs more workgroups than the driver allows");

  // Rotating sets keep repeated runs from measuring a cache: 256 MiB / set + 1, at most 4 (as the Vulkan path).
  const size_t set_bytes = a_bytes + b_bytes + c_bytes;
  unsigned sets = unsigned(std::clamp<uint64_t>((uint64_t(256) << 20) / set_bytes + 1, 1, 4));
  sets = std::min(sets, repeat);
  res.sets = sets;
  struct Set {
    std::vector<float> a, b;
    Buffer A, B, C;
  };
  std::vector<Set> s(sets);
  for (unsigned i = 0; i < sets; ++i) {
    s[i].a.resize(size_t(M) * K);
    s[i].b.resize(size_t(K) * N);
    fill_random(s[i].a, 0x5107A000u + 2 * i);
    fill_random(s[i].b, 0x5107A001u + 2 * i);
    s[i].A = Buffer(kind, a_bytes, s[i].a.data());
    s[i].B = Buffer(kind, b_bytes, s[i].b.data());
    s[i].C = Buffer(kind, c_bytes);
  }

  prog.use();
  glUniform1ui(0, M);
  glUniform1ui(1, N);
  glUniform1ui(2, K);
  check_gl("setting the GEMM uniforms M, N, K (locations 0, 1, 2)");
  auto dispatch = [&](const Set& x) {
    x.A.bind(0);
    x.B.bind(1);
    x.C.bind(2);
    glDispatchCompute(gx, gy, 1);
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);
  };
  for (unsigned w = 0; w < warmup; ++w) dispatch(s[w % sets]);
  glFinish();
  if (warmup) warm_clocks(ctx_, [&](unsigned i) { dispatch(s[i % sets]); });
  check_gl("GEMM warm-up");
  for (Set& x : s) x.C.fill_u32(kPoison);

  // GL_TIMESTAMP pairs rather than GL_TIME_ELAPSED: llvmpipe's elapsed queries do not cover compute
  // dispatches (they read ~0), while its timestamps and every hardware driver's do.
  TimerQueries q(2 * size_t(repeat));
  double t0 = host_now_ms();
  for (unsigned r = 0; r < repeat; ++r) {
    q.timestamp(2 * r);
    dispatch(s[r % sets]);
    q.timestamp(2 * r + 1);
  }
  glFinish();
  res.host_ms = (host_now_ms() - t0) / repeat;
  check_gl("GEMM timed runs");
  for (unsigned r = 0; r < repeat; ++r) res.ms.push_back(q.span_ms(2 * r, 2 * r + 1));
  res.gpu = stats(res.ms);
  res.gflops = res.gpu.median > 0 ? 2.0 * M * N * K / (res.gpu.median * 1e6) : 0;

  std::vector<float> c(size_t(M) * N);
  GemmCheck& all = res.check;
  all.passed = true;
  for (unsigned i = 0; i < sets; ++i) {
    s[i].C.download(c.data(), c_bytes);
    GemmCheck ck = check_gemm(s[i].a.data(), s[i].b.data(), c.data(), M, N, K, double(1u << 31), 4096, 7 + i);
    all.method = ck.method;
    all.tolerance = ck.tolerance;
    all.checked += ck.checked;
    all.unwritten += ck.unwritten;
    all.rel_error = std::max(all.rel_error, ck.rel_error);
    all.norm_error = std::max(all.norm_error, ck.norm_error);
    if (!ck.passed && all.first_bad.empty()) all.first_bad = "buffer set " + std::to_string(i) + ": " + ck.first_bad;
    all.passed = all.passed && ck.passed;
  }
  return res;
}

}  // namespace spork::gl
