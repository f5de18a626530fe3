// `spork run` and `spork info` end to end (the spork binary, on the simulator), with an
// external-style OpenCL C kernel taking a buffer and every scalar kind.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Result {
  int code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs `spork ARGS` (env prefix allowed) with stdout/stderr captured.
Result spork(const std::string& args, const std::string& env = "SPORK_DEVICE=sim") {
  std::string cmd = env + " " + SPORK_EXE + " " + args + " >run.out 2>run.err";
  int st = std::system(cmd.c_str());
  Result r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp("run.out");
  r.err = slurp("run.err");
  return r;
}

template <class T>
std::vector<T> read_vec(const std::string& path) {
  std::string s = slurp(path);
  std::vector<T> v(s.size() / sizeof(T));
  std::memcpy(v.data(), s.data(), v.size() * sizeof(T));
  return v;
}

template <class T>
void write_vec(const std::string& path, const std::vector<T>& v) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * sizeof(T)));
}

bool has(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

const std::string kCo = ARGS_KERNEL_CO;

}  // namespace

TEST_CASE("spork run: every argument kind reaches the kernel bit for bit") {
  std::remove("echo.bin");
  Result r = spork("run " + kCo +
                   " echo_args --grid 2 --block 64 --arg buf:1088 --arg i8:-5 --arg i16:-1234 --arg i32:-123456"
                   " --arg u32:4000000000 --arg i64:-1234567890123 --arg u64:0xFEDCBA9876543210 --arg f32:1.5"
                   " --arg f64:-2.25 --arg u32:100 --out 0:echo.bin --time");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(has(r.out, "gpu time:"));
  CHECK(has(r.err, "spork simulator"));  // the device line says which device was picked
  auto v = read_vec<int64_t>("echo.bin");
  REQUIRE(v.size() == 1088 / 8);
  CHECK(v[0] == -5);
  CHECK(v[1] == -1234);
  CHECK(v[2] == -123456);
  CHECK(v[3] == 4000000000ll);
  CHECK(v[4] == -1234567890123ll);
  CHECK(uint64_t(v[5]) == 0xFEDCBA9876543210ull);
  float g = 1.5f;
  uint32_t gb;
  std::memcpy(&gb, &g, 4);
  CHECK(v[6] == int64_t(gb));
  double h = -2.25;
  int64_t hb;
  std::memcpy(&hb, &h, 8);
  CHECK(v[7] == hb);
  for (int i = 0; i < 100; ++i) CHECK(v[size_t(8 + i)] == i - 123456);
  for (size_t i = 108; i < v.size(); ++i) CHECK(v[i] == 0);  // zero-filled, never written
}

// The acceptance check: a kernel written outside the project (no spork header, -O2, only clang
// builtins) with buffers of all three spec forms and a scalar of every kind, over a 3-D grid;
// every output file must equal an independent C++ reference byte for byte.
TEST_CASE("spork run: user kernel, every --arg kind, 3-D grid, outputs byte for byte") {
  const uint32_t G[3] = {3, 2, 2}, B[3] = {8, 4, 2};
  const uint32_t N = G[0] * B[0] * G[1] * B[1] * G[2] * B[2];  // 768 work-items
  std::mt19937 rng(55);
  std::vector<uint32_t> b(N);
  for (auto& e : b) e = uint32_t(rng());
  write_vec("user_b.bin", b);
  const int8_t c = -5;
  const int16_t sh = -300;
  const int32_t i = -70000;
  const uint32_t u = 4000000000u;
  const int64_t l = -5000000000000ll;
  const uint64_t ul = 0xFEDCBA9876543210ull;
  const float f = 1.5f;
  const double d = -2.25e-3;
  const std::string n = std::to_string(N);
  const char* outs[] = {"user_a.bin", "user_z.bin", "user_o32.bin", "user_o64.bin", "user_of.bin", "user_od.bin"};
  for (const char* o : outs) std::remove(o);
  Result r = spork("run " + std::string(USER_KERNEL_CO) + " mix --grid 3,2,2 --block 8,4,2 --arg buf:" + n +
                   ":0xBB --arg buf@user_b.bin --arg buf:" + std::to_string(4 * N) +
                   " --arg buf:" + std::to_string(4 * N) + ":0x5A --arg buf:" + std::to_string(8 * N) +
                   ":0xA5 --arg buf:" + std::to_string(4 * N) + ":0xFF --arg buf:" + std::to_string(8 * N) +
                   ":0x7F --arg i8:-5 --arg i16:-300 --arg i32:-70000 --arg u32:4000000000"
                   " --arg i64:-5000000000000 --arg u64:0xFEDCBA9876543210 --arg f32:1.5 --arg f64:-2.25e-3"
                   " --out 0:user_a.bin --out 2:user_z.bin --out 3:user_o32.bin --out 4:user_o64.bin"
                   " --out 5:user_of.bin --out 6:user_od.bin");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  std::vector<uint8_t> a(N, 0xBB);
  std::vector<uint32_t> z(N), o32(N);
  std::vector<int64_t> o64(N);
  std::vector<float> of(N);
  std::vector<double> od(N);
  for (uint32_t g = 0; g < N; ++g) {
    z[g] = g;
    o32[g] = b[g] * u + uint32_t(i) + uint32_t(int32_t(c)) + uint32_t(int32_t(sh)) + 0xBBu;
    o64[g] = int64_t(uint64_t(l) * g + ul);  // wrapping, as on the GPU
    of[g] = f * float(g);
    od[g] = std::fma(d, double(g), double(c));
  }
  auto bytes = [](const auto& v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(v[0]));
  };
  const std::string want[] = {bytes(a), bytes(z), bytes(o32), bytes(o64), bytes(of), bytes(od)};
  for (size_t k = 0; k < 6; ++k) {
    INFO(outs[k]);
    std::string got = slurp(outs[k]);
    REQUIRE(got.size() == want[k].size());
    size_t bad = 0, first = got.size();
    for (size_t j = 0; j < got.size(); ++j)
      if (got[j] != want[k][j]) bad++, first = std::min(first, j);
    INFO("first differing byte " << first);
    CHECK(bad == 0);
  }
}

TEST_CASE("spork run: buf@FILE inputs, 2-D grid, GTT placement") {
  const uint32_t W = 37, H = 5;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-4, 4);
  std::vector<float> x(W * H), y(W * H);
  for (auto& e : x) e = u(rng);
  for (auto& e : y) e = u(rng);
  write_vec("x.bin", x);
  write_vec("y.bin", y);
  Result r = spork("run " + kCo +
                   " saxpy_rows --grid 1,5 --block 64 --placement gtt --arg buf@x.bin --arg buf@y.bin"
                   " --arg f32:2.5 --arg u32:37 --arg u32:5 --out 1:y_out.bin");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  auto got = read_vec<float>("y_out.bin");
  REQUIRE(got.size() == y.size());
  size_t bad = 0;
  for (size_t i = 0; i < y.size(); ++i) bad += got[i] != std::fma(2.5f, x[i], y[i]);
  CHECK(bad == 0);
}

TEST_CASE("spork run: embedded kernels (fill with a byte-filled buffer, gemm with --stats and --dump-ib)") {
  Result r = spork(
      "run gfx1100/fill fill_u32 --grid 2 --block 64 --arg buf:4096:0xEE --arg u32:0x11223344"
      " --arg u32:10 --out 0:fill.bin");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  auto f = read_vec<uint32_t>("fill.bin");
  REQUIRE(f.size() == 1024);
  for (size_t i = 0; i < 10; ++i) CHECK(f[i] == 0x11223344u);
  for (size_t i = 10; i < f.size(); ++i) CHECK(f[i] == 0xEEEEEEEEu);

  const uint32_t n = 8;
  std::vector<float> A(n * n), B(n * n);
  for (uint32_t i = 0; i < n * n; ++i) {
    A[i] = float(int(i % 7) - 3);
    B[i] = float(int(i % 5) - 2) * 0.5f;
  }
  write_vec("A.bin", A);
  write_vec("B.bin", B);
  std::remove("ib.bin");
  r = spork(
      "run gfx1100/gemm gemm --grid 1,1 --block 16,16 --arg buf@A.bin --arg buf@B.bin --arg buf:256:0xFF"
      " --arg u32:8 --arg u32:8 --arg u32:8 --out 2:C.bin --stats --dump-ib ib.bin");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(has(r.out, "stats:"));
  CHECK(has(r.out, "valu_util"));
  auto C = read_vec<float>("C.bin");
  REQUIRE(C.size() == 64);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j) {
      double ref = 0;
      for (uint32_t k = 0; k < n; ++k) ref += double(A[i * n + k]) * B[k * n + j];
      CHECK(C[i * n + j] == doctest::Approx(ref).epsilon(1e-6));  // small integers and halves: exact in FP32
    }
  auto ib = read_vec<uint32_t>("ib.bin");
  REQUIRE(ib.size() > 8);
  CHECK((ib[0] >> 30) == 3u);      // a type-3 PM4 packet header
  r = spork("pm4 decode ib.bin");  // the dump is what `spork pm4 decode` reads
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(has(r.out, "DISPATCH_DIRECT"));
  CHECK(has(r.out, "RELEASE_MEM"));
}

TEST_CASE("spork run: errors name the problem and exit non-zero") {
  Result r = spork("run " + kCo + " no_such_kernel --grid 1 --block 1");
  CHECK(r.code != 0);
  CHECK(has(r.err, "echo_args"));  // lists the kernels there are

  r = spork("run " + kCo + " poke --grid 1 --block 32 --arg buf:64 --arg u32:1");
  CHECK(r.code != 0);
  CHECK(has(r.err, "takes 3 arguments, got 2"));

  r = spork("run " + kCo + " poke --grid 1 --block 32 --arg i32:5 --arg u32:1 --arg u32:1");
  CHECK(r.code != 0);
  CHECK(has(r.err, "argument 0 'p'"));

  r = spork("run " + kCo + " poke --grid 1 --block 32 --arg buf:64 --arg u64:1 --arg u32:1");
  CHECK(r.code != 0);
  CHECK(has(r.err, "argument 1 'stride'"));

  r = spork("run " + kCo + " poke --grid 1 --block 32 --arg buf:64 --arg i8:300 --arg u32:1");
  CHECK(r.code != 0);
  CHECK(has(r.err, "i8:300"));

  r = spork("run " + kCo + " poke --grid 1 --block 32 --arg buf:64 --arg q32:1 --arg u32:1");
  CHECK(r.code != 0);
  CHECK(has(r.err, "unknown type 'q32'"));

  // Buffer too small: element 4194304 lies 16 MiB past a 64-byte buffer -> VM fault reported.
  r = spork("run " + kCo + " poke --grid 1 --block 32 --arg buf:64 --arg u32:4194304 --arg u32:2");
  INFO(r.err);
  CHECK(r.code != 0);
  CHECK((has(r.err, "fault") || has(r.err, "Fault")));

  r = spork("run " + kCo + " poke --grid 1 --block 32 --arg buf:64 --arg u32:1 --arg u32:1",
            "SPORK_DEVICE=/dev/dri/renderD999");
  CHECK(r.code != 0);
  CHECK(has(r.err, "renderD999"));

  r = spork("run " + kCo + " poke --grid 0 --block 32 --arg buf:64 --arg u32:1 --arg u32:1");
  CHECK(r.code != 0);
  CHECK(has(r.err, "--grid"));

  r = spork("run " + kCo + " poke --grid 1 --block 32 --arg buf:64 --arg u32:1 --arg u32:1", "SPORK_DEVICE=bogus");
  CHECK(r.code != 0);
  CHECK(has(r.err, "unknown device 'bogus'"));

  { std::ofstream("not_elf.co") << "this is not a code object\n"; }
  r = spork("run not_elf.co poke --grid 1 --block 32");
  CHECK(r.code != 0);
  CHECK(has(r.err, "not an ELF file"));

  r = spork("run . poke --grid 1 --block 32");
  CHECK(r.code != 0);
  CHECK(has(r.err, "is a directory"));

  // An endless loop is reported as a hang (a small budget keeps the test quick).
  r = spork("run " + kCo + " spin --grid 1 --block 32 --arg buf:64 --sim-budget 200000");
  INFO(r.err);
  CHECK(r.code != 0);
  CHECK(has(r.err, "hang"));

  // The next run works.
  r = spork("run " + kCo + " poke --grid 1 --block 32 --arg buf:128 --arg u32:1 --arg u32:32 --out 0:poke.bin");
  CHECK(r.code == 0);
  auto p = read_vec<uint32_t>("poke.bin");
  REQUIRE(p.size() == 32);
  CHECK(p[31] == 0xC0FFEEu + 31);
}

TEST_CASE("spork info --json lists every piece, absent ones with a reason") {
  // The Vulkan and GL drivers (llvmpipe, lavapipe) leak a little inside their dlopen'ed
  // modules; that is not spork's to fix, so LeakSanitizer is off for `spork info` only.
  const std::string env = "SPORK_DEVICE=sim ASAN_OPTIONS=detect_leaks=0";
  Result r = spork("info --json", env);
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["simulator"]["present"] == true);
  CHECK(j["simulator"]["models"] == "gfx1100");
  CHECK(j["amdgpu"].contains("nodes"));
  REQUIRE(j["amdgpu"].contains("present"));
  if (j["amdgpu"]["nodes"].empty()) {
    CHECK(j["amdgpu"]["present"] == false);
    CHECK(j["amdgpu"]["reason"] == "no amdgpu render node found");
  }
  for (const char* k : {"vulkan", "opengl"})
    if (j[k]["present"] == true && std::string(k) == "vulkan") {
      for (const auto& d : j[k]["devices"]) {  // every device lists its heaps and memory types
        CHECK(!d["heaps"].empty());
        CHECK(!d["memory_types"].empty());
      }
    } else if (j[k]["present"] == true) {
      CHECK(!j[k]["renderer"].get<std::string>().empty());
    }
  for (const char* k : {"vulkan", "opengl"}) {
    INFO(k);
    REQUIRE(j.contains(k));
    if (j[k]["present"] == false) CHECK(!j[k]["reason"].get<std::string>().empty());
  }
  r = spork("info", env);
  CHECK(r.code == 0);
  CHECK(has(r.out, "simulator:"));
  CHECK(has(r.out, "vulkan:"));
}
