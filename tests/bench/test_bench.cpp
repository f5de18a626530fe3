// `spork bench` end to end through the spork binary: every backend that can run here (pm4 on the
// simulator, vulkan on lavapipe, gl on llvmpipe) at small sizes; the JSON records carry every field
// docs/BENCH_JSON.md documents and agree with the request; CSV and gnuplot output; clear errors and
// exit status 2 for bad arguments; exit status 1 when a result fails validation.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

namespace {
struct Run {
  int status = -1;
  std::string out;  // stdout and stderr
};

Run run_spork(const std::string& args, const std::string& env = "") {
  Run r;
  std::string cmd = env + (env.empty() ? "" : " ") + std::string(SPORK_BIN) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// The record fields docs/BENCH_JSON.md documents for every record, with their JSON types.
const std::map<std::string, nlohmann::json::value_t> kFields = {
    {"backend", nlohmann::json::value_t::string},
    {"device", nlohmann::json::value_t::string},
    {"placement", nlohmann::json::value_t::string},
    {"placement_detail", nlohmann::json::value_t::string},
    {"op", nlohmann::json::value_t::string},
    {"shape", nlohmann::json::value_t::string},
    {"size_bytes", nlohmann::json::value_t::number_unsigned},
    {"median_ms", nlohmann::json::value_t::number_float},
    {"min_ms", nlohmann::json::value_t::number_float},
    {"max_ms", nlohmann::json::value_t::number_float},
    {"host_ms", nlohmann::json::value_t::number_float},
    {"gflops", nlohmann::json::value_t::number_float},
    {"gbps", nlohmann::json::value_t::number_float},
    {"rel_error", nlohmann::json::value_t::number_float},
    {"tolerance", nlohmann::json::value_t::number_float},
    {"passed", nlohmann::json::value_t::boolean},
    {"simulated", nlohmann::json::value_t::boolean},
    {"extra", nlohmann::json::value_t::object},
    {"note", nlohmann::json::value_t::string},
};
}  // namespace

TEST_CASE("spork bench all, every backend, small sizes: table, JSON, CSV, PNG plot") {
  for (const char* f : {"all.json", "all.csv", "all.png"}) std::remove(f);
  Run r = run_spork(
      "bench --sizes 32,48 --bytes 64K,256K --dispatch-count 8 --repeat 2 --json all.json --csv all.csv --plot "
      "all.png");
  INFO(r.out);
  REQUIRE(r.status == 0);
  // The terminal tables.
  CHECK(has(r.out, "GEMM, FP32"));
  CHECK(has(r.out, "GEMM scaling"));
  CHECK(has(r.out, "Memory bandwidth, GB/s"));
  CHECK(has(r.out, "Dispatch overhead"));
  CHECK(has(r.out, "simulated: times are the simulator's host time"));
  CHECK(has(r.out, "Simulator statistics"));
  CHECK(has(r.out, "FAIL") == false);

  nlohmann::json j = nlohmann::json::parse(slurp("all.json"));
  CHECK(j["schema"] == "spork-bench/1");
  CHECK(j["what"] == "all");
  REQUIRE(j["records"].is_array());
  std::set<std::string> absent, backends;
  for (auto& a : j["absent"]) absent.insert(a["backend"].get<std::string>());
  // The simulator is always there; vulkan and gl whenever Mesa's software drivers are.
  CHECK(absent.count("pm4") == 0);
  std::map<std::string, std::set<std::string>> ops;  // backend -> ops
  std::set<std::string> pm4_membw;                   // "op / placement" of the pm4 membw records
  for (auto& rec : j["records"]) {
    INFO(rec.dump());
    for (auto& [name, type] : kFields) {
      REQUIRE(rec.contains(name));
      auto t = rec[name].type();
      if (type == nlohmann::json::value_t::number_float)
        CHECK(rec[name].is_number());
      else if (type == nlohmann::json::value_t::number_unsigned)
        CHECK(rec[name].is_number_integer());
      else
        CHECK(t == type);
    }
    const std::string be = rec["backend"], op = rec["op"];
    ops[be].insert(op.substr(0, op.find('-')));
    CHECK(rec["passed"] == true);
    CHECK(rec["placement"].get<std::string>().size() <= 48);  // short; the detail has its own field
    CHECK(rec["simulated"] == (be == "pm4"));                 // no amdgpu device in CI
    if (op == "gemm") {
      REQUIRE(rec.contains("gemm"));
      uint32_t n = rec["gemm"]["M"];
      CHECK((n == 32 || n == 48));
      CHECK(rec["gemm"]["N"] == n);
      CHECK(rec["gemm"]["K"] == n);
      CHECK(rec["shape"] == std::to_string(n) + "x" + std::to_string(n) + "x" + std::to_string(n));
      CHECK(rec["median_ms"].get<double>() > 0);
      CHECK(rec["gflops"].get<double>() ==
            doctest::Approx(2.0 * n * n * n / (rec["median_ms"].get<double>() * 1e6)).epsilon(1e-6));
      CHECK(rec["rel_error"].get<double>() <= rec["tolerance"].get<double>());
      CHECK(rec["tolerance"].get<double>() > 0);
      if (be == "pm4") {  // the simulator's statistics
        CHECK(rec["extra"]["valu_util"].get<double>() > 0);
        CHECK(rec["extra"]["valu_util"].get<double>() <= 1.0);
        CHECK(rec["extra"]["fma_per_inst"].get<double>() > 0);
        CHECK(rec.at("extra").contains("vopd_share"));
      }
    } else if (op.rfind("membw-", 0) == 0) {
      uint64_t buf = rec["buffer_bytes"];
      CHECK((buf == 65536 || buf == 262144));
      CHECK(rec["size_bytes"] == (op == "membw-copy" ? 2 * buf : buf));  // bytes counted read + write
      CHECK(rec["gbps"].get<double>() ==
            doctest::Approx(rec["size_bytes"].get<double>() / (rec["median_ms"].get<double>() * 1e6)).epsilon(1e-6));
      if (be == "pm4") {
        pm4_membw.insert(op + " / " + rec["placement"].get<std::string>());
        CHECK(rec["placement_detail"].get<std::string>().size() > 0);
      }
    } else {
      CHECK(op.rfind("dispatch-", 0) == 0);
      CHECK(rec["shape"] == "8 dispatches");
      CHECK(rec["host_ms"].get<double>() > 0);
    }
    CHECK(rec["min_ms"].get<double>() <= rec["median_ms"].get<double>());
    CHECK(rec["median_ms"].get<double>() <= rec["max_ms"].get<double>());
  }
  for (const char* be : {"pm4", "vulkan", "gl"}) {
    if (absent.count(be)) {
      MESSAGE(be << " absent here, not checked");
      continue;
    }
    CAPTURE(be);
    CHECK(ops[be] == std::set<std::string>{"dispatch", "gemm", "membw"});
  }
  // pm4: read, write and copy over VRAM (CPU-visible and not) and GTT.
  std::set<std::string> want;
  for (const char* op : {"membw-read", "membw-write", "membw-copy"})
    for (const char* pl : {"VRAM", "VRAM (CPU-visible)", "GTT"}) want.insert(std::string(op) + " / " + pl);
  CHECK(pm4_membw == want);

  // CSV: a header and one line per record (notes are quoted, never multi-line).
  std::string csv = slurp("all.csv");
  CHECK(csv.rfind("backend,device,placement,op,shape,size_bytes,M,N,K,median_ms", 0) == 0);
  CHECK(size_t(std::count(csv.begin(), csv.end(), '\n')) == j["records"].size() + 1);

  // gnuplot drew a PNG of a sensible size.
  std::string png = slurp("all.png");
  CHECK(png.size() > 10000);
  CHECK(png.rfind("\x89PNG", 0) == 0);
}

TEST_CASE("spork bench gemm --plot FILE.svg draws an SVG with gnuplot") {
  std::remove("gemm.svg");
  Run r = run_spork("bench gemm --backend pm4 --sizes 16,32 --plot gemm.svg -q");
  INFO(r.out);
  REQUIRE(r.status == 0);
  std::string svg = slurp("gemm.svg");
  CHECK(has(svg, "<svg"));
  CHECK(has(svg, "gnuplot"));
  CHECK(has(svg, "(simulated)"));
  CHECK(has(svg, "GFLOP/s"));
}

// spork's own checks exit 2; CLI11's parse errors keep CLI11's codes (105, 109, ...). Never 0 or 1
// (1 means a result failed validation).
TEST_CASE("spork bench rejects bad arguments with a clear message, before running anything") {
  struct Case {
    const char* args;
    const char* message;
  } cases[] = {
      {"bench --no-such-flag", "no-such-flag"},
      {"bench frobnicate", "frobnicate"},
      {"bench --backend pm4,nosuch", "unknown backend \"nosuch\""},
      {"bench gemm --shape 12x", "expected MxNxK"},
      {"bench gemm --shape 12x0x4", "bad N in --shape"},
      {"bench gemm --sizes 64,abc", "bad --sizes entry \"abc\""},
      {"bench membw --bytes 12Q", "bad size \"12Q\""},
      {"bench --plot out.jpg", "must end in .svg or .png"},
      {"bench dispatch --shape 4x4x4", "--shape is for gemm"},
      {"bench --sizes 64 --shape 4x4x4", "not both"},
  };
  for (auto& c : cases) {
    Run r = run_spork(c.args);
    INFO(c.args << "\n" << r.out);
    CHECK(r.status >= 2);
    CHECK(has(r.out, c.message));
    CHECK(!has(r.out, "GEMM, FP32"));  // nothing ran
  }
}

TEST_CASE("a result that fails validation makes spork bench exit 1 (SPORK_BENCH_TEST_CORRUPT hook)") {
  // The hook adds 1.0 to one entry of the Vulkan GEMM result before its FP64 check.
  Run probe = run_spork("bench gemm --backend vulkan --sizes 8 --repeat 1 -q");
  if (has(probe.out, "absent: vulkan")) {
    MESSAGE("no Vulkan device here: " << probe.out);
    return;
  }
  REQUIRE(probe.status == 0);
  std::remove("fail.json");
  Run r = run_spork("bench gemm --backend vulkan --sizes 32,40 --repeat 1 --json fail.json -q",
                    "SPORK_BENCH_TEST_CORRUPT=vulkan");
  INFO(r.out);
  CHECK(r.status == 1);
  CHECK(has(r.out, "FAIL"));
  CHECK(has(r.out, "2 result(s) failed validation"));
  nlohmann::json j = nlohmann::json::parse(slurp("fail.json"));  // written even when results fail
  REQUIRE(j["records"].size() == 2);
  for (auto& rec : j["records"]) {
    CHECK(rec["passed"] == false);
    CHECK(rec["rel_error"].get<double>() > rec["tolerance"].get<double>());
  }
  // The same hook flips one word of each bandwidth result before its check.
  Run m = run_spork("bench membw --backend vulkan --bytes 64K --repeat 1 -q", "SPORK_BENCH_TEST_CORRUPT=vulkan");
  INFO(m.out);
  CHECK(m.status == 1);
  CHECK(has(m.out, "FAIL"));
  CHECK(has(m.out, "failed validation"));
  // And without the hook the same runs pass: the failure came from the corrupted entry.
  Run ok = run_spork("bench membw --backend vulkan --bytes 64K --repeat 1 -q");
  CHECK(ok.status == 0);
}
