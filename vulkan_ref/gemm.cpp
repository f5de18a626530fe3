// FP32 GEMM through kernels/glsl/gemm.comp, timed with GPU timestamps, checked against FP64.
#include <cblas.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "vulkan_ref/internal.h"

namespace spork::vk {

GemmConfig Context::default_gemm_config() const {
  const DeviceInfo& d = impl_->info;
  GemmConfig c;
  if (d.type == "CPU") {
    // lavapipe runs a workgroup's invocations as SIMD lanes on one CPU thread: small tiles, one stage.
    c.BM = 32, c.BN = 32, c.BK = 8, c.TM = 4, c.TN = 4, c.STAGES = 1;
  } else if (d.vendor_id == 0x10DE) {
    // NVIDIA: 128x128 tile, 8x8 per invocation (256 invocations), double-buffered shared memory.
    c.BM = 128, c.BN = 128, c.BK = 8, c.TM = 8, c.TN = 8, c.STAGES = 2;
  } else {
    c.BM = 64, c.BN = 64, c.BK = 16, c.TM = 4, c.TN = 4, c.STAGES = 2;
  }
  return c;
}

namespace {

void validate(const GemmConfig& c, const DeviceInfo& d) {
  auto bad = [&](const std::string& why) { throw Error("GEMM config " + c.str() + ": " + why); };
  if (!c.BM || !c.BN || !c.BK || !c.TM || !c.TN) bad("all tile sizes must be positive");
  if (c.TM % 4 || c.TN % 4) bad("TM and TN must be multiples of 4");
  if (c.BK % 4) bad("BK must be a multiple of 4");
  if (c.BM % c.TM || c.BN % c.TN) bad("BM must be a multiple of TM and BN of TN");
  if (c.VEC != 1 && c.VEC != 4) bad("VEC must be 1 or 4");
  if (c.STAGES != 1 && c.STAGES != 2) bad("STAGES must be 1 or 2");
  uint32_t nt = c.invocations();
  if ((c.BM * c.BK / 4) % nt || (c.BK * c.BN / 4) % nt)
    bad("BM*BK/4 and BK*BN/4 must be multiples of the invocation count " + std::to_string(nt));
  if (nt > d.max_workgroup_invocations)
    bad(std::to_string(nt) + " invocations exceed the device limit " + std::to_string(d.max_workgroup_invocations));
  uint64_t shared = uint64_t(c.STAGES) * c.BK * (c.BM + c.BN) * 4;
  if (shared > d.max_shared_memory)
    bad(std::to_string(shared) + " bytes of shared memory exceed the device limit " +
        std::to_string(d.max_shared_memory));
}

// Random floats in [-1, 1) from a counter-based generator (fast, reproducible per seed).
void fill_random(std::vector<float>& v, uint64_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  for (float& x : v) {
    s += 0x9E3779B97F4A7C15ull;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    x = float(int32_t(z >> 32)) * (1.0f / 2147483648.0f);
  }
}

struct Check {
  double max_rel = 0;
  uint64_t checked = 0, unwritten = 0;
};

// |c - ref| / sum_k |a_ik b_kj| for entry (i, j), with the reference accumulated in FP64.
double entry_error(const float* A, const float* B, float c, uint32_t i, uint32_t j, uint32_t N, uint32_t K) {
  double ref = 0, mag = 0;
  for (uint32_t k = 0; k < K; ++k) {
    double p = double(A[uint64_t(i) * K + k]) * double(B[uint64_t(k) * N + j]);
    ref += p;
    mag += std::fabs(p);
  }
  double err = std::fabs(double(c) - ref);
  return mag > 0 ? err / mag : err;
}

// Every entry against the FP64 reference, computed with Debian's BLAS (cblas_dgemm on double copies):
// ref = A*B and mag = |A|*|B| (the error bound's scale), both accumulated in FP64.
void check_full(const float* A, const float* B, const float* C, uint32_t M, uint32_t N, uint32_t K, Check& out) {
  std::vector<double> a(size_t(M) * K), b(size_t(K) * N), aa(a.size()), ab(b.size());
  for (size_t i = 0; i < a.size(); ++i) aa[i] = std::fabs(a[i] = A[i]);
  for (size_t i = 0; i < b.size(); ++i) ab[i] = std::fabs(b[i] = B[i]);
  std::vector<double> ref(size_t(M) * N), mag(ref.size());
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(M), int(N), int(K), 1.0, a.data(), int(K), b.data(),
              int(N), 0.0, ref.data(), int(N));
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(M), int(N), int(K), 1.0, aa.data(), int(K), ab.data(),
              int(N), 0.0, mag.data(), int(N));
  for (size_t e = 0; e < ref.size(); ++e) {
    float c = C[e];
    if (std::isnan(c)) {
      ++out.unwritten;
      continue;
    }
    double err = std::fabs(double(c) - ref[e]);
    out.max_rel = std::max(out.max_rel, mag[e] > 0 ? err / mag[e] : err);
    ++out.checked;
  }
}

void check_sampled(const float* A, const float* B, const float* C, uint32_t M, uint32_t N, uint32_t K, uint32_t samples,
                   uint64_t seed, Check& out) {
  for (uint64_t x = 0; x < uint64_t(M) * N; ++x)
    if (std::isnan(C[x])) ++out.unwritten;
  std::mt19937_64 rng(seed);
  std::vector<std::pair<uint32_t, uint32_t>> at = {{0, 0}, {0, N - 1}, {M - 1, 0}, {M - 1, N - 1}};
  for (uint32_t s = 0; s < samples; ++s) at.push_back({uint32_t(rng() % M), uint32_t(rng() % N)});
  for (auto [i, j] : at) {
    float c = C[uint64_t(i) * N + j];
    if (std::isnan(c)) continue;  // counted above
    out.max_rel = std::max(out.max_rel, entry_error(A, B, c, i, j, N, K));
    ++out.checked;
  }
}

}  // namespace

GemmResult Context::gemm(const GemmRequest& req) {
  Impl& c = *impl_;
  const uint32_t M = req.M, N = req.N, K = req.K;
  if (!M || !N || !K) throw Error("GEMM shape must be at least 1x1x1");
  GemmResult res;
  GemmConfig cfg = req.config ? *req.config : default_gemm_config();
  if (cfg.VEC == 0) cfg.VEC = (K % 4 == 0 && N % 4 == 0) ? 4 : 1;
  if (cfg.VEC == 4 && (K % 4 || N % 4))
    throw Error("GEMM config " + cfg.str() + ": VEC=4 needs K and N to be multiples of 4");
  validate(cfg, c.info);
  res.config = cfg;
  const uint32_t type = c.resolve_memory_type(req.placement, req.memory_type);
  res.memory_type = type;
  res.memory = c.describe(type);

  const uint64_t a_n = uint64_t(M) * K, b_n = uint64_t(K) * N, c_n = uint64_t(M) * N;
  for (uint64_t n : {a_n, b_n, c_n})
    if (n * 4 > c.info.max_storage_buffer_range)
      throw Error("GEMM " + std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K) + ": a matrix of " +
                  format_bytes(n * 4) + " exceeds maxStorageBufferRange (" +
                  format_bytes(c.info.max_storage_buffer_range) + ") of " + c.info.name);
  const uint64_t set_bytes = 4 * (a_n + b_n + c_n);
  unsigned sets = req.sets;
  if (!sets) sets = unsigned(std::clamp<uint64_t>((uint64_t(256) << 20) / set_bytes + 1, 1, 4));
  const unsigned runs = req.warmup + std::max(1u, req.repeat);
  sets = std::min(sets, runs);  // every set runs at least once, so every set's C is checked

  // Inputs: fresh random data for every set, uploaded (through staging where not host-visible).
  std::vector<std::vector<float>> hostA(sets), hostB(sets);
  std::vector<std::unique_ptr<Buffer>> bufA, bufB, bufC;
  for (unsigned s = 0; s < sets; ++s) {
    hostA[s].resize(a_n);
    hostB[s].resize(b_n);
    fill_random(hostA[s], req.seed * 1000 + 2 * s);
    fill_random(hostB[s], req.seed * 1000 + 2 * s + 1);
    bufA.push_back(c.create_buffer(a_n * 4, type));
    bufB.push_back(c.create_buffer(b_n * 4, type));
    bufC.push_back(c.create_buffer(c_n * 4, type));
    upload(*bufA[s], hostA[s].data(), a_n * 4);
    upload(*bufB[s], hostB[s].data(), b_n * 4);
  }

  Pipeline pipe =
      c.make_pipeline("gemm", 3, 12, {cfg.BM, cfg.BN, cfg.BK, cfg.TM, cfg.TN, cfg.VEC, cfg.STAGES, cfg.invocations()});
  Defer free_pipe{[&] { c.destroy(pipe); }};
  VkDescriptorPool dpool = c.make_descriptor_pool(sets, 3);
  Defer free_pool{[&] { c.f.vkDestroyDescriptorPool(c.device, dpool, nullptr); }};
  std::vector<VkDescriptorSet> dsets;
  for (unsigned s = 0; s < sets; ++s)
    dsets.push_back(c.make_set(dpool, pipe, {bufA[s].get(), bufB[s].get(), bufC[s].get()}));
  VkQueryPool qpool = c.has_timestamps() ? c.make_timestamps(2 * runs) : VK_NULL_HANDLE;
  Defer free_q{[&] {
    if (qpool) c.f.vkDestroyQueryPool(c.device, qpool, nullptr);
  }};

  const uint32_t gx = (N + cfg.BN - 1) / cfg.BN, gy = (M + cfg.BM - 1) / cfg.BM;
  if (gx > c.limits.maxComputeWorkGroupCount[0] || gy > c.limits.maxComputeWorkGroupCount[1])
    throw Error("GEMM grid " + std::to_string(gx) + "x" + std::to_string(gy) +
                " exceeds the device's workgroup count limit");
  const uint32_t run_gx = req.test_short_grid ? gx - 1 : gx;

  VkCommandBuffer cb = c.begin();
  if (qpool) c.f.vkCmdResetQueryPool(cb, qpool, 0, 2 * runs);
  for (unsigned s = 0; s < sets; ++s)  // poison: 0xFFFFFFFF is a NaN; unwritten entries stay NaN
    c.f.vkCmdFillBuffer(cb, Impl::vkbuf(*bufC[s]), 0, VK_WHOLE_SIZE, 0xFFFFFFFFu);
  c.f.vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipe.pipeline);
  const uint32_t push[3] = {M, N, K};
  c.f.vkCmdPushConstants(cb, pipe.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, 12, push);
  for (unsigned r = 0; r < runs; ++r) {
    const unsigned s = r % sets;  // rotate buffer sets: caches do not hold the next run's inputs
    c.barrier(cb);
    if (qpool) c.f.vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, qpool, 2 * r);
    c.f.vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipe.layout, 0, 1, &dsets[s], 0, nullptr);
    c.f.vkCmdDispatch(cb, run_gx, gy, 1);
    if (qpool) c.f.vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, qpool, 2 * r + 1);
  }
  c.barrier(cb);
  const double host_ms =
      c.submit_wait(cb, "GEMM " + std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K));
  res.timing.host_ms = host_ms / runs;
  if (qpool) {
    auto all = c.read_intervals_ms(qpool, runs);
    res.timing.gpu_ms.assign(all.begin() + req.warmup, all.end());
  } else {
    res.timing.gpu_ms.assign(1, host_ms / runs);  // no timestamps on this queue: host time (stated in check)
  }
  summarise(res.timing);
  res.gflops = res.timing.median_ms > 0 ? 2.0 * M * N * K / (res.timing.median_ms * 1e6) : 0;

  // Check every set's C against the FP64 reference.
  const bool full = uint64_t(M) * N * K <= req.full_check_limit;
  Check chk;
  std::vector<float> hostC(c_n);
  for (unsigned s = 0; s < sets; ++s) {
    download(*bufC[s], hostC.data(), c_n * 4);
    if (req.test_corrupt && s == 0) hostC[c_n / 2] += 1.0f;
    if (full)
      check_full(hostA[s].data(), hostB[s].data(), hostC.data(), M, N, K, chk);
    else
      check_sampled(hostA[s].data(), hostB[s].data(), hostC.data(), M, N, K, req.samples, req.seed + s, chk);
  }
  res.max_rel_error = chk.max_rel;
  res.checked = chk.checked;
  res.unwritten = chk.unwritten;
  res.tolerance = 2.0 * K * std::ldexp(1.0, -24);
  res.check = full ? "full FP64 reference (cblas_dgemm), " + std::to_string(sets) + " set(s)"
                   : "sampled FP64 dot products (" + std::to_string(chk.checked) + " of " + std::to_string(c_n * sets) +
                         " entries, " + std::to_string(sets) + " set(s)) + NaN scan";
  if (!qpool) res.check += "; no GPU timestamps on this queue, host time";
  res.passed = chk.unwritten == 0 && chk.checked > 0 && res.max_rel_error <= res.tolerance;
  return res;
}

}  // namespace spork::vk
