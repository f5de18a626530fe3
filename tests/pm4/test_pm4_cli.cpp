// `spork pm4 decode` and `spork pm4 show-dispatch` run as a user would (exit status and output).
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "pm4/writer.h"

using namespace spork::pm4;

namespace {
const std::string kSpork = std::string(SPORK_BINARY_DIR) + "/tools/spork";

struct Result {
  int rc;
  std::string out;
};
Result run(const std::string& args) {
  const std::string cmd = kSpork + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}
bool has(const Result& r, const std::string& s) { return r.out.find(s) != std::string::npos; }

// Temporary input files, removed when the test program ends.
struct TempFiles {
  std::vector<std::filesystem::path> paths;
  ~TempFiles() {
    std::error_code ec;
    for (const auto& p : paths) std::filesystem::remove(p, ec);
  }
} g_temp;
std::string temp_file(const std::string& name, const std::string& bytes) {
  const auto path = std::filesystem::temp_directory_path() / ("spork_pm4_cli_" + std::to_string(getpid()) + "_" + name);
  std::ofstream(path, std::ios::binary) << bytes;
  g_temp.paths.push_back(path);
  return path.string();
}
std::string as_bytes(const std::vector<uint32_t>& dw) {
  std::string s;
  for (uint32_t v : dw)
    for (int i = 0; i < 4; ++i) s.push_back(char(v >> (8 * i)));
  return s;
}
}  // namespace

TEST_CASE("pm4 decode: binary file, hex text on stdin, malformed streams") {
  Writer w;
  w.set_regs(COMPUTE_PGM_RSRC2{.USER_SGPR = 15, .TGID_X_EN = 1});
  w.dispatch_direct(4, 2, 1, {.COMPUTE_SHADER_EN = 1, .FORCE_START_AT_000 = 1, .ORDER_MODE = 1, .CS_W32_EN = 1});
  const std::string bin = temp_file("ok.bin", as_bytes(w.dwords()));
  Result r = run("pm4 decode " + bin);
  CHECK(r.rc == 0);
  CHECK(has(r, "COMPUTE_PGM_RSRC2                  = 0x0000009e  USER_SGPR=15 TGID_X_EN=1"));
  CHECK(has(r, "DISPATCH_DIRECT    [5 dw]  4,2,1 initiator COMPUTE_SHADER_EN FORCE_START_AT_000 ORDER_MODE CS_W32_EN"));

  const std::string hex = temp_file("ok.hex", "c0017602 0x213\n 9e\n");
  r = run("pm4 decode --hex - < " + hex);
  CHECK(r.rc == 0);
  CHECK(has(r, "USER_SGPR=15"));

  // Truncated: the good packet is printed, then the error with its offset; exit status 1.
  auto dw = w.dwords();
  dw.pop_back();
  const std::string bad = temp_file("bad.bin", as_bytes(dw));
  r = run("pm4 decode " + bad);
  CHECK(r.rc == 1);
  CHECK(has(r, "USER_SGPR=15"));
  CHECK(has(r, "error at dword 3: header 0xc0031502 claims 4 payload dwords but only 3 remain"));

  r = run("pm4 decode " + temp_file("odd.bin", as_bytes(w.dwords()) + "x"));
  CHECK(r.rc == 1);
  CHECK(has(r, "trailing byte"));

  r = run("pm4 decode /nonexistent/ib.bin");
  CHECK(r.rc == 2);
  CHECK(has(r, "cannot open /nonexistent/ib.bin: No such file or directory"));
  r = run("pm4 decode " + std::filesystem::temp_directory_path().string());
  CHECK(r.rc == 2);
  CHECK(has(r, "is a directory"));
  r = run("pm4 decode --hex " + temp_file("junk.hex", "c0017602 xyz\n"));
  CHECK(r.rc == 2);
  CHECK(has(r, "'xyz' is not a 32-bit hex number"));
  r = run("pm4 decode");
  CHECK(r.rc != 0);
  CHECK(has(r, "FILE is required"));
}

TEST_CASE("pm4 show-dispatch: embedded GEMM, placeholders stated, bad launches refused") {
  Result r = run("pm4 show-dispatch gfx1100/gemm gemm --grid 4,3");
  CHECK(r.rc == 0);
  CHECK(has(r, "PLACEHOLDER addresses"));
  CHECK(has(r, "4,3,1 initiator COMPUTE_SHADER_EN FORCE_START_AT_000 ORDER_MODE CS_W32_EN"));
  CHECK(has(r, "COMPUTE_NUM_THREAD_X               = 0x00000010"));
  CHECK(has(r, "CACHE_FLUSH_AND_INV_TS_EVENT DATA_SEL=DATA64"));
  r = run("pm4 show-dispatch gfx1100/gemm gemm --grid 4 --block 8,8");
  CHECK(r.rc == 1);
  CHECK(has(r, "reqd_work_group_size (16,16,1)"));
  r = run("pm4 show-dispatch gfx1100/gemm nosuchkernel");
  CHECK(r.rc == 1);
  r = run("pm4 show-dispatch nosuch.co k");
  CHECK(r.rc == 2);
  CHECK(has(r, "no file or embedded code object named 'nosuch.co'"));
  r = run("pm4 show-dispatch gfx1100/gemm gemm --grid 4,x");
  CHECK(r.rc == 2);
  CHECK(has(r, "'x' is not a number"));
  for (const char* h : {"pm4 --help", "pm4 decode --help", "pm4 show-dispatch --help"}) {
    CAPTURE(h);
    r = run(h);
    CHECK(r.rc == 0);
  }
}

TEST_CASE("pm4 decode reads the IB that `spork run --dump-ib` submitted (simulator)") {
  const std::string ib = temp_file("dump.bin", "");
  Result r =
      run("run gfx1100/fill fill_u32 --device sim --grid 4 --block 64 --arg buf:1K --arg u32:0xdeadbeef "
          "--arg u32:256 --dump-ib " +
          ib);
  INFO(r.out);
  REQUIRE(r.rc == 0);
  REQUIRE(std::filesystem::file_size(ib) >= 64);
  CHECK(std::filesystem::file_size(ib) % 4 == 0);
  r = run("pm4 decode " + ib);
  INFO(r.out);
  CHECK(r.rc == 0);
  CHECK(!has(r, "error"));
  CHECK(has(r, "ACQUIRE_MEM"));
  CHECK(has(r, "COMPUTE_PGM_RSRC2"));
  CHECK(has(r, "COMPUTE_NUM_THREAD_X               = 0x00000040  NUM_THREAD_FULL=64"));
  CHECK(has(r, "DISPATCH_DIRECT    [5 dw]  4,1,1 initiator COMPUTE_SHADER_EN FORCE_START_AT_000 ORDER_MODE CS_W32_EN"));
  CHECK(has(r, "CS_PARTIAL_FLUSH"));
  CHECK(has(r, "RELEASE_MEM"));
  // Cut inside the last packet: what precedes is still printed, then the error, exit status 1.
  std::ifstream in(ib, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  r = run("pm4 decode " + temp_file("dump_cut.bin", bytes.substr(0, bytes.size() / 2 / 4 * 4 + 2)));
  CHECK(r.rc == 1);
  CHECK(has(r, "ACQUIRE_MEM"));
  CHECK(has(r, "trailing byte"));
}
