// OpenGL reference path: headless EGL context, error paths, GEMM vs FP64, bandwidth kernels.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "gl_ref/context.h"
#include "gl_ref/gemm.h"
#include "gl_ref/membw.h"
#include "gl_ref/program.h"

using namespace spork::gl;

namespace {

// One context for the whole suite; skip (exit 77) when this machine has no GL 4.3 at all.
Context& ctx() {
  static std::unique_ptr<Context> c = [] {
    RendererInfo info = query_renderer();
    if (!info.present) {
      std::printf("skipping: no OpenGL 4.3 through EGL here: %s\n", info.reason.c_str());
      std::fflush(stdout);
      std::exit(77);
    }
    auto p = std::make_unique<Context>();
    std::printf("GL: %s | %s | %s | %s\n", p->info().renderer.c_str(), p->info().version.c_str(),
                p->info().platform.c_str(), p->info().vendor.c_str());
    return p;
  }();
  c->make_current();
  return *c;
}

std::string thrown(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("renderer info and device selection") {
  Context& c = ctx();
  const RendererInfo& i = c.info();
  CHECK(i.present);
  CHECK(i.gl_version >= 43);
  CHECK(!i.renderer.empty());
  CHECK(!i.vendor.empty());
  CHECK(!i.version.empty());
  CHECK(!i.platform.empty());
  RendererInfo q = query_renderer();
  CHECK(q.present);
  CHECK(q.renderer == i.renderer);
  // Every enumerated device index and the surfaceless platform open or fail with a reason.
  for (const EglDevice& d : list_devices()) {
    RendererInfo r = query_renderer(std::to_string(d.index));
    CHECK_MESSAGE((r.present || !r.reason.empty()), "device ", d.index);
    if (r.present) CHECK(r.platform.find("EGL_EXT_platform_device") != std::string::npos);
  }
  RendererInfo s = query_renderer("surfaceless");
  if (s.present) CHECK(s.platform == "EGL_MESA_platform_surfaceless");
  // Selection by a piece of the renderer string finds the same renderer.
  std::string word = i.renderer.substr(0, i.renderer.find(' '));
  RendererInfo byname = query_renderer(word);
  CHECK(byname.present);
  CHECK(byname.renderer == i.renderer);
  c.make_current();
}

TEST_CASE("errors: no such device, bad GLSL, bad tiling") {
  Context& c = ctx();
  std::string e = thrown([] { Context x("no-such-gpu-xyzzy"); });
  CHECK(e.find("no OpenGL 4.3 context for device 'no-such-gpu-xyzzy'") != std::string::npos);
  CHECK(thrown([] { Context x("97"); }).find("EGL device 97 does not exist") != std::string::npos);
  RendererInfo absent = query_renderer("no-such-gpu-xyzzy");
  CHECK(!absent.present);
  CHECK(!absent.reason.empty());
  c.make_current();

  // Compile failure carries the driver's info log (which names the undeclared identifier).
  e = thrown([] {
    ComputeProgram p("#version 430\nlayout(local_size_x=1) in;\nvoid main() { undeclared_thing = 1; }\n", {}, "bad");
  });
  CHECK(e.find("GLSL compute shader 'bad' failed to compile") != std::string::npos);
  CHECK(e.find("undeclared_thing") != std::string::npos);
  // Link failure: a compute shader without main.
  e = thrown([] { ComputeProgram p("#version 430\nlayout(local_size_x=1) in;\nvoid helper() {}\n", {}, "nomain"); });
  CHECK(e.find("'nomain' failed to") != std::string::npos);

  GemmRunner g(c);
  GemmTiling t;
  t.tm = 3;
  CHECK(thrown([&] { g.run(8, 8, 8, t, 0, 1); }).find("TM and TN must be multiples of 4") != std::string::npos);
  t = {};
  t.bm = 4096;  // far too much shared memory and too many invocations
  CHECK(thrown([&] { g.run(8, 8, 8, t, 0, 1); }).find("is not valid") != std::string::npos);
  t = {};
  t.vec = 4;
  CHECK(thrown([&] { g.run(8, 7, 8, t, 0, 1); }).find("VEC=4 needs K and N") != std::string::npos);
  CHECK(glGetError() == GL_NO_ERROR);
}

TEST_CASE("errors: no EGL driver at all (separate process)") {
  ctx();  // skips the suite where there is no GL here at all
  // glvnd with a vendor list naming no file: EGL loads, but offers no platform and no device.
  std::string cmd = std::string("ASAN_OPTIONS=detect_leaks=0 __EGL_VENDOR_LIBRARY_FILENAMES=/nonexistent/egl.json '") +
                    GL_PERF_PATH + "' --gemm 8 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  CAPTURE(out);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(out.find("gl_perf: ") != std::string::npos);
  CHECK(out.find("headless OpenGL") != std::string::npos);
}

TEST_CASE("inject_defines keeps #version first and line numbers") {
  std::string s = inject_defines("// c\n#version 450\nfoo\n", {{"A", "1u"}, {"B", "x"}});
  CHECK(s == "// c\n#version 450\n#define A 1u\n#define B x\n#line 3\nfoo\n");
  CHECK(inject_defines("foo\n", {{"A", "1"}}) == "#define A 1\n#line 1\nfoo\n");
  // "#version" inside a comment is not the directive.
  CHECK(inject_defines("// #version 1\n#version 430\nx", {{"Q", "2"}}) ==
        "// #version 1\n#version 430\n#define Q 2\n#line 3\nx");
}

TEST_CASE("check_gemm fails on wrong or unwritten results") {
  const uint32_t M = 5, N = 6, K = 7;
  std::vector<float> A(M * K), B(K * N), C(M * N);
  for (size_t i = 0; i < A.size(); ++i) A[i] = float(std::sin(double(i) + 1));
  for (size_t i = 0; i < B.size(); ++i) B[i] = float(std::cos(double(i) * 0.7));
  for (uint32_t i = 0; i < M; ++i)
    for (uint32_t j = 0; j < N; ++j) {
      double s = 0;
      for (uint32_t k = 0; k < K; ++k) s += double(A[i * K + k]) * B[k * N + j];
      C[i * N + j] = float(s);
    }
  for (double limit : {1e18, 0.0}) {  // full FP64 reference, then the sampled path
    CAPTURE(limit);
    GemmCheck ok = check_gemm(A.data(), B.data(), C.data(), M, N, K, limit, 64);
    CHECK(ok.passed);
    CHECK(ok.rel_error <= ok.tolerance);
    std::vector<float> bad = C;
    bad[(M - 1) * N + N - 1] += 1e-3f;  // a corner: always sampled
    GemmCheck f = check_gemm(A.data(), B.data(), bad.data(), M, N, K, limit, 64);
    CHECK(!f.passed);
    CHECK(f.first_bad.find("C[4,5]") != std::string::npos);
    // Every element off by 3e-4 relative (like a TF32 product): within the worst-case bound at this
    // K, caught by the normwise check.
    bad = C;
    for (float& x : bad) x *= 1.0003f;
    GemmCheck t = check_gemm(A.data(), B.data(), bad.data(), M, N, K, limit, 64);
    CHECK(!t.passed);
    CHECK(t.norm_error > t.norm_tolerance);
    bad = C;
    bad[7] = NAN;
    CHECK(!check_gemm(A.data(), B.data(), bad.data(), M, N, K, limit, 64).passed);
  }
}

TEST_CASE("GEMM at odd shapes matches the FP64 reference") {
  Context& c = ctx();
  GemmRunner g(c);
  struct Case {
    uint32_t M, N, K;
    GemmTiling t;
  };
  GemmTiling small{32, 32, 8, 4, 4, 0, 2};
  GemmTiling single_stage{64, 64, 16, 4, 4, 0, 1};
  GemmTiling rect{64, 32, 16, 8, 4, 0, 2};
  const Case cases[] = {
      {1, 1, 1, {}},       {17, 31, 7, {}},
      {129, 65, 257, {}},  {64, 68, 36, {}},  // VEC=4 path
      {33, 40, 12, small}, {70, 44, 20, single_stage},
      {67, 36, 28, rect},  {17, 31, 7, single_stage},
  };
  for (const Case& k : cases) {
    CAPTURE(k.M);
    CAPTURE(k.N);
    CAPTURE(k.K);
    CAPTURE(k.t.str());
    GemmResult r = g.run(k.M, k.N, k.K, k.t, 1, 3);
    CHECK_MESSAGE(r.check.passed, r.check.first_bad, " rel_error ", r.check.rel_error);
    CHECK(r.check.unwritten == 0);
    CHECK(r.check.checked == size_t(k.M) * k.N * r.sets);
    CHECK(r.check.method.find("cblas_dgemm") != std::string::npos);
    CHECK(r.ms.size() == 3);
    CHECK(r.gpu.median > 0);
    CHECK(r.tiling.vec == ((k.K % 4 == 0 && k.N % 4 == 0) ? 4u : 1u));
  }
  // Every buffer kind holds GEMM operands (immutable kinds are filled through a staging copy).
  for (BufferKind kind : all_buffer_kinds()) {
    if (is_immutable(kind) && !c.info().buffer_storage) continue;
    CAPTURE(buffer_kind_name(kind));
    GemmResult r = g.run(17, 31, 7, {}, 0, 1, kind);
    CHECK(r.kind == kind);
    CHECK_MESSAGE(r.check.passed, r.check.first_bad, " rel_error ", r.check.rel_error);
    CHECK(r.check.checked == size_t(17) * 31);
  }
  // The GLSL 4.30 form of gemm.comp (what a GL 4.3/4.4 context compiles) gives the same results.
  g.set_glsl430(true);
  for (const Case& k : {cases[2], cases[3]}) {
    CAPTURE(k.M);
    GemmResult r = g.run(k.M, k.N, k.K, k.t, 0, 1);
    CHECK_MESSAGE(r.check.passed, r.check.first_bad, " rel_error ", r.check.rel_error);
  }
  CHECK(glGetError() == GL_NO_ERROR);
}

TEST_CASE("bandwidth kernels read, write and copy every buffer kind") {
  Context& c = ctx();
  MembwRunner m(c);
  // Not a multiple of the 16 KiB chunk: the partial-chunk path runs too. 48 bytes: less than a chunk.
  const size_t bytes = (size_t(1) << 20) + 3 * 16;
  for (size_t small : {size_t(48), size_t(16384 * 3 + 32)}) {
    for (MembwOp op : {MembwOp::Read, MembwOp::Write, MembwOp::Copy}) {
      MembwResult r = m.run(BufferKind::DynamicCopy, op, small, 0, 1);
      CHECK_MESSAGE(r.verified, small, " ", membw_op_name(op), " ", r.error);
    }
  }
  for (BufferKind kind : all_buffer_kinds()) {
    if (is_immutable(kind) && !c.info().buffer_storage) continue;
    for (MembwOp op : {MembwOp::Read, MembwOp::Write, MembwOp::Copy}) {
      CAPTURE(buffer_kind_name(kind));
      CAPTURE(membw_op_name(op));
      MembwResult r = m.run(kind, op, bytes, 1, 2);
      CHECK_MESSAGE(r.verified, r.error);
      CHECK(r.bytes_moved == (op == MembwOp::Copy ? 2 * bytes : bytes));
      CHECK(r.gbps > 0);
    }
  }
  // Persistent buffers stay mapped; the mapping sees what the GPU wrote (kernel writes: above).
  if (c.info().buffer_storage) {
    Buffer b(BufferKind::StoragePersistent, 64);
    REQUIRE(b.mapped() != nullptr);
    b.fill_u32(0x12345678u);
    uint32_t w = 0;
    b.download(&w, 4, 60);
    CHECK(w == 0x12345678u);
  }
  CHECK(glGetError() == GL_NO_ERROR);
}

TEST_CASE("back-to-back dispatches all run") {
  Context& c = ctx();
  DispatchResult d = measure_dispatch(c, 50, 2);
  CHECK_MESSAGE(d.verified, d.error);
  CHECK(d.gpu_ms.size() == 2);
  CHECK(d.host_per_dispatch_ms.median > 0);
}
