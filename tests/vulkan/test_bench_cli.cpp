// `spork bench` end to end with the Vulkan backend on lavapipe: the table, JSON and CSV agree with
// the request, results are validated, bad flags and absent backends are reported, exit statuses.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "vulkan_ref/vulkan_ref.h"

namespace {
struct Run {
  int status = -1;
  std::string out;  // stdout and stderr
};

Run run_spork(const std::string& args) {
  Run r;
  std::string cmd = std::string(SPORK_BIN) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

void need_lavapipe() {
  for (auto& d : spork::vk::list_devices().devices)
    if (d.name.find("llvmpipe") != std::string::npos) return;
  std::printf("SKIP: no lavapipe (llvmpipe) Vulkan device here\n");
  std::exit(77);
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("bench gemm --backend vulkan writes checked JSON and CSV records") {
  need_lavapipe();
  std::remove("bench_gemm.json");
  std::remove("bench_gemm.csv");
  Run r = run_spork(
      "bench gemm --backend vulkan --device llvmpipe --shape 17x31x7,64x32x20 --repeat 2 --json bench_gemm.json --csv "
      "bench_gemm.csv");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("PASS") != std::string::npos);
  CHECK(r.out.find("llvmpipe") != std::string::npos);
  auto j = nlohmann::json::parse(slurp("bench_gemm.json"));
  CHECK(j["schema"] == "spork-bench/1");
  REQUIRE(j["records"].size() == 2);
  auto& rec = j["records"][0];
  CHECK(rec["backend"] == "vulkan");
  CHECK(rec["op"] == "gemm");
  CHECK(rec["shape"] == "17x31x7");
  CHECK(rec["gemm"]["M"] == 17);
  CHECK(rec["gemm"]["N"] == 31);
  CHECK(rec["gemm"]["K"] == 7);
  CHECK(rec["passed"] == true);
  CHECK(rec["median_ms"].get<double>() > 0);
  CHECK(rec["gflops"].get<double>() > 0);
  CHECK(rec["rel_error"].get<double>() <= rec["tolerance"].get<double>());
  CHECK(rec["placement_detail"].get<std::string>().find("type ") != std::string::npos);
  std::string csv = slurp("bench_gemm.csv");
  CHECK(csv.rfind("backend,device,placement,op,shape", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);
}

TEST_CASE("bench membw and dispatch on lavapipe") {
  need_lavapipe();
  Run r = run_spork("bench membw --backend vulkan --device llvmpipe --sizes 1,64K --repeat 2 --json bench_membw.json");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("read + bytes written") != std::string::npos);
  auto j = nlohmann::json::parse(slurp("bench_membw.json"));
  size_t ops = 0;
  for (auto& rec : j["records"]) {
    CHECK(rec["passed"] == true);
    CHECK(rec["gbps"].get<double>() > 0);
    if (rec["op"] == "membw-copy" && rec["shape"] == "64 KiB") CHECK(rec["size_bytes"] == 2 * 65536);
    ++ops;
  }
  CHECK(ops >= 6);  // read, write, copy at two sizes in at least one memory type
  Run d = run_spork("bench dispatch --backend vulkan --device llvmpipe --dispatch-count 20");
  INFO(d.out);
  CHECK(d.status == 0);
  CHECK(d.out.find("dispatch-batched") != std::string::npos);
  CHECK(d.out.find("dispatch-submit") != std::string::npos);
}

TEST_CASE("bench errors: absent device, bad flags") {
  need_lavapipe();
  Run a = run_spork("bench gemm --backend vulkan --device no-such-gpu-xyzzy --shape 8x8x8");
  INFO(a.out);
  CHECK(a.status != 0);
  CHECK(a.out.find("absent: vulkan: no Vulkan device whose name contains \"no-such-gpu-xyzzy\"") != std::string::npos);
  Run b = run_spork("bench gemm --backend nosuch");
  CHECK(b.status != 0);
  CHECK(b.out.find("unknown backend \"nosuch\"") != std::string::npos);
  Run c = run_spork("bench gemm --backend vulkan --shape 8x8");
  CHECK(c.status != 0);
  CHECK(c.out.find("expected MxNxK") != std::string::npos);
  Run h = run_spork("bench --help");
  CHECK(h.status == 0);
  CHECK(h.out.find("--shape") != std::string::npos);
}

TEST_CASE("a backend that cannot start is reported and the others still run") {
  need_lavapipe();
  // No Vulkan driver (the loader finds no ICD), no Vulkan loader at all, no EGL vendor library,
  // no libEGL at all: each is named with its reason, and the other backend's GEMM still runs and passes.
  struct Case {
    const char* env;
    const char* absent;  // expected start of the "absent:" line
    const char* reason;  // a piece of the reason
    const char* runs;    // the backend that must still give a result
  };
  const Case cases[] = {
      {"VK_DRIVER_FILES=/nonexistent VK_ICD_FILENAMES=/nonexistent", "absent: vulkan: ", "no Vulkan driver", "gl "},
      {"SPORK_VULKAN_LOADER=/nonexistent/libvulkan.so.1", "absent: vulkan: no Vulkan loader", "libvulkan1", "gl "},
      {"__EGL_VENDOR_LIBRARY_FILENAMES=/nonexistent/egl.json", "absent: gl: ", "headless OpenGL", "vulkan "},
      {"SPORK_EGL_LIBRARY=/nonexistent/libEGL.so.1", "absent: gl: libEGL.so.1 not found", "libegl1", "vulkan "},
      // Mesa (llvmpipe) capped below GL 4.3: no compute shaders.
      {"MESA_GL_VERSION_OVERRIDE=4.2", "absent: gl: no OpenGL 4.3 context", "compute shaders need GL 4.3", "vulkan "},
  };
  for (const Case& c : cases) {
    std::string cmd = std::string("env ") + c.env + " " + SPORK_BIN +
                      " bench gemm --backend vulkan,gl --device llvmpipe --shape 17x31x7 --repeat 1 -q 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int st = pclose(p);
    INFO(c.env, "\n", out);
    if (std::string(c.runs) == "gl " && out.find("absent: gl") != std::string::npos) continue;  // no GL here either
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
    size_t a = out.find(c.absent);
    REQUIRE(a != std::string::npos);
    CHECK(out.find(c.reason, a) != std::string::npos);
    size_t row = out.find("\n" + std::string(c.runs));
    REQUIRE(row != std::string::npos);
    CHECK(out.find("PASS", row) != std::string::npos);
  }
}
