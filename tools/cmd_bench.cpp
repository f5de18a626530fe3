// spork bench: GEMM, memory bandwidth and dispatch overhead on every available backend (pm4, vulkan,
// gl), through the Backend interface of bench_backend.h only. Table on stdout, JSON/CSV/plot files
// on request (docs/BENCH_JSON.md), exit status 1 when any result fails validation.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "bench_backend.h"
#include "command.h"

namespace spork::bench {

namespace {
std::vector<std::pair<int, BackendFactory>>& factories() {
  static std::vector<std::pair<int, BackendFactory>> f;
  return f;
}
}  // namespace

BackendRegistrar::BackendRegistrar(int order, BackendFactory make) { factories().emplace_back(order, std::move(make)); }

std::vector<std::unique_ptr<Backend>> make_backends() {
  auto f = factories();
  std::stable_sort(f.begin(), f.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::unique_ptr<Backend>> out;
  for (auto& [order, make] : f) out.push_back(make());
  return out;
}

namespace {

const char* kKnownBackends[] = {"pm4", "vulkan", "gl"};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

uint32_t parse_u32(const std::string& s, const std::string& what) {
  char* end = nullptr;
  unsigned long v = std::strtoul(s.c_str(), &end, 10);
  if (s.empty() || *end || v == 0 || v > 0xFFFFFFFFul)
    throw cli::Exit(2, "bad " + what + " \"" + s + "\": expected a positive integer");
  return uint32_t(v);
}

GemmShape parse_shape(const std::string& s) {
  auto p = split(s, 'x');
  if (p.size() != 3) throw cli::Exit(2, "bad --shape \"" + s + "\": expected MxNxK, e.g. 4096x4096x4096");
  return {parse_u32(p[0], "M"), parse_u32(p[1], "N"), parse_u32(p[2], "K")};
}

// "64" (MiB), "64M", "64MiB", "1G", "4096K", "1024B".
uint64_t parse_bytes(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  std::string unit = end;
  for (char& c : unit) c = char(std::toupper(static_cast<unsigned char>(c)));
  double mul = 1 << 20;
  if (unit == "B")
    mul = 1;
  else if (unit == "K" || unit == "KIB" || unit == "KB")
    mul = 1 << 10;
  else if (unit == "" || unit == "M" || unit == "MIB" || unit == "MB")
    mul = 1 << 20;
  else if (unit == "G" || unit == "GIB" || unit == "GB")
    mul = double(1 << 30);
  else
    throw cli::Exit(2, "bad size \"" + s + "\": expected e.g. 64 (MiB), 64M, 1G, 4096K");
  if (!(v > 0)) throw cli::Exit(2, "bad size \"" + s + "\": must be positive");
  uint64_t b = uint64_t(v * mul);
  return (b + 15) / 16 * 16;
}

std::string fmt(double v, int prec) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}
std::string fmt_g(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.2g", v);
  return b;
}

struct Absent {
  std::string backend, reason;
};

void print_table(const std::vector<Record>& recs) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"backend", "device", "placement", "op", "shape", "median ms", "GFLOP/s", "GB/s", "host ms", "rel err",
                  "result"});
  for (auto& r : recs) {
    bool gemm = r.op == "gemm";
    bool bw = r.op.rfind("membw", 0) == 0;
    rows.push_back({r.backend, r.device, r.placement, r.op, r.shape, fmt(r.median_ms, r.median_ms < 0.1 ? 4 : 3),
                    gemm ? fmt(r.gflops, 1) : "-", bw ? fmt(r.gbps, 1) : "-", fmt(r.host_ms, 3),
                    gemm ? fmt_g(r.rel_error) : "-",
                    std::string(r.passed ? "PASS" : "FAIL") + (r.simulated ? " (sim)" : "")});
  }
  const size_t cap[] = {8, 52, 72, 16, 16, 12, 10, 10, 10, 8, 12};  // widest cell per column
  std::vector<size_t> w(rows[0].size(), 0);
  for (auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) w[i] = std::max(w[i], std::min<size_t>(row[i].size(), cap[i]));
  for (auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      std::string cell = row[i].size() > cap[i] ? row[i].substr(0, cap[i] - 3) + "..." : row[i];
      bool num = i >= 5 && i <= 9;
      std::string pad(w[i] - cell.size(), ' ');
      line += (num ? pad + cell : cell + pad) + (i + 1 < row.size() ? "  " : "");
    }
    std::printf("%s\n", line.c_str());
  }
}

nlohmann::json to_json(const Record& r) {
  nlohmann::json j = {{"backend", r.backend},
                      {"device", r.device},
                      {"placement", r.placement},
                      {"op", r.op},
                      {"shape", r.shape},
                      {"size_bytes", r.size_bytes},
                      {"median_ms", r.median_ms},
                      {"min_ms", r.min_ms},
                      {"max_ms", r.max_ms},
                      {"host_ms", r.host_ms},
                      {"gflops", r.gflops},
                      {"gbps", r.gbps},
                      {"rel_error", r.rel_error},
                      {"tolerance", r.tolerance},
                      {"passed", r.passed},
                      {"simulated", r.simulated},
                      {"note", r.note}};
  if (r.op == "gemm") j["gemm"] = {{"M", r.gemm.M}, {"N", r.gemm.N}, {"K", r.gemm.K}};
  j["extra"] = nlohmann::json::object();
  for (auto& [k, v] : r.extra) j["extra"][k] = v;
  return j;
}

std::string csv_cell(std::string s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return b;
}

// One gnuplot chart: GFLOP/s against the GEMM size, or GB/s against the buffer size, one line per
// backend/placement/op.
void write_plot(const std::string& file, const std::vector<Record>& recs) {
  std::string ext = file.size() > 4 ? file.substr(file.size() - 4) : "";
  std::string term = ext == ".svg" ? "svg size 1000,600" : ext == ".png" ? "pngcairo size 1000,600" : "";
  if (term.empty()) throw cli::Exit(2, "--plot " + file + ": the file must end in .svg or .png");
  std::map<std::string, std::vector<std::pair<double, double>>> series;
  // Series names: backend, placement up to its first ':' (the memory-type detail stays in the JSON), op.
  auto short_placement = [](const std::string& p) { return p.substr(0, p.find(':')); };
  bool any_gemm = false;
  for (auto& r : recs) {
    if (!r.passed) continue;
    if (r.op == "gemm") {
      any_gemm = true;
      series[r.backend + " " + short_placement(r.placement) + " gemm"].push_back(
          {std::cbrt(double(r.gemm.M) * r.gemm.N * r.gemm.K), r.gflops});
    } else if (r.op.rfind("membw", 0) == 0) {
      series[r.backend + " " + short_placement(r.placement) + " " + r.op].push_back(
          {double(r.size_bytes) / (r.op == "membw-copy" ? 2 : 1) / (1 << 20), r.gbps});
    }
  }
  if (series.empty()) throw cli::Exit(1, "--plot: no passing GEMM or bandwidth result to plot");
  FILE* gp = popen("gnuplot", "w");
  if (!gp) throw cli::Exit(1, "--plot: cannot start gnuplot (install gnuplot)");
  std::string esc = file;
  std::fprintf(gp, "set terminal %s\nset output '%s'\nset logscale x 2\nset key below\nset grid\n", term.c_str(),
               esc.c_str());
  std::fprintf(gp, "set xlabel '%s'\nset ylabel '%s'\n",
               any_gemm ? "cube root of M*N*K (gemm) / MiB (membw)" : "MiB per buffer",
               any_gemm ? "GFLOP/s (gemm), GB/s read+write (membw)" : "GB/s (bytes read + written)");
  std::string cmd = "plot ";
  size_t i = 0;
  for (auto& [name, pts] : series) {
    std::string t = name;
    std::replace(t.begin(), t.end(), '\'', ' ');
    cmd += "'-' with linespoints title '" + t + "'" + (++i < series.size() ? ", " : "\n");
  }
  std::fputs(cmd.c_str(), gp);
  for (auto& [name, pts] : series) {
    auto sorted = pts;
    std::sort(sorted.begin(), sorted.end());
    for (auto& [x, y] : sorted) std::fprintf(gp, "%g %g\n", x, y);
    std::fputs("e\n", gp);
  }
  int rc = pclose(gp);
  if (rc != 0) throw cli::Exit(1, "--plot: gnuplot failed (status " + std::to_string(rc) + ")");
}

struct Args {
  std::string what = "all";
  std::string backends, device, sizes, shapes, json, csv, plot;
  unsigned repeat = 0;
  unsigned dispatch_count = 1000;
};

void run(const Args& a) {
  if (!a.plot.empty() && !a.plot.ends_with(".svg") && !a.plot.ends_with(".png"))
    throw cli::Exit(2, "--plot " + a.plot + ": the file must end in .svg or .png");
  if (!a.sizes.empty() && !a.shapes.empty()) throw cli::Exit(2, "give --sizes or --shape, not both");
  if (!a.shapes.empty() && a.what != "gemm" && a.what != "all") throw cli::Exit(2, "--shape is for gemm");
  std::set<std::string> wanted;
  for (auto& b : split(a.backends, ',')) {
    if (std::find(std::begin(kKnownBackends), std::end(kKnownBackends), b) == std::end(kKnownBackends))
      throw cli::Exit(2, "unknown backend \"" + b + "\" (pm4, vulkan, gl)");
    wanted.insert(b);
  }
  Options opt;
  opt.device = a.device;
  opt.repeat = a.repeat;
  opt.progress = isatty(STDERR_FILENO);

  std::vector<Record> recs;
  std::vector<Absent> absent;
  std::set<std::string> seen;
  auto backends = make_backends();
  for (auto& be : backends) {
    const std::string name = be->name();
    seen.insert(name);
    if (!wanted.empty() && !wanted.count(name)) continue;
    std::string why;
    bool ok = false;
    try {
      ok = be->available(opt, why);
    } catch (const std::exception& e) {
      why = e.what();
    }
    if (!ok) {
      absent.push_back({name, why.empty() ? "not available" : why});
      continue;
    }
    const bool slow = be->slow();
    auto fail = [&](const std::string& op, const std::string& msg) {
      Record r;
      r.backend = name;
      r.op = op;
      r.note = msg;
      r.passed = false;
      recs.push_back(r);
      std::fprintf(stderr, "spork bench: %s %s: %s\n", name.c_str(), op.c_str(), msg.c_str());
    };
    if (a.what == "gemm" || a.what == "all") {
      std::vector<GemmShape> shapes;
      for (auto& s : split(a.shapes, ',')) shapes.push_back(parse_shape(s));
      for (auto& s : split(a.sizes, ',')) {
        uint32_t n = parse_u32(s, "--sizes entry");
        shapes.push_back({n, n, n});
      }
      if (shapes.empty()) {
        std::vector<uint32_t> def =
            slow ? std::vector<uint32_t>{64, 128, 256} : std::vector<uint32_t>{256, 512, 1024, 2048, 4096, 8192};
        for (uint32_t n : def) shapes.push_back({n, n, n});
      }
      try {
        auto r = be->gemm(shapes, opt);
        recs.insert(recs.end(), r.begin(), r.end());
      } catch (const std::exception& e) {
        fail("gemm", e.what());
      }
    }
    if (a.what == "membw" || a.what == "all") {
      std::vector<uint64_t> sizes;
      if (a.what == "membw")
        for (auto& s : split(a.sizes, ',')) sizes.push_back(parse_bytes(s));
      if (sizes.empty())
        for (uint64_t mib : slow ? std::vector<uint64_t>{1, 4, 16} : std::vector<uint64_t>{1, 4, 16, 64, 256, 1024})
          sizes.push_back(mib << 20);
      try {
        auto r = be->membw(sizes, opt);
        recs.insert(recs.end(), r.begin(), r.end());
      } catch (const std::exception& e) {
        fail("membw", e.what());
      }
    }
    if (a.what == "dispatch" || a.what == "all") {
      try {
        auto r = be->dispatch(slow ? std::min(a.dispatch_count, 100u) : a.dispatch_count, opt);
        recs.insert(recs.end(), r.begin(), r.end());
      } catch (const std::exception& e) {
        fail("dispatch", e.what());
      }
    }
  }
  for (auto& b : wanted)
    if (!seen.count(b)) absent.push_back({b, "not built into this spork binary"});

  if (!recs.empty()) print_table(recs);
  for (auto& r : recs)
    if (!r.note.empty())
      std::printf("note: %s %s %s %s: %s\n", r.backend.c_str(), r.op.c_str(), r.shape.c_str(), r.placement.c_str(),
                  r.note.c_str());
  for (auto& ab : absent) std::printf("absent: %s: %s\n", ab.backend.c_str(), ab.reason.c_str());
  if (a.what == "membw" || a.what == "all")
    std::printf("membw: GB/s counts bytes read + bytes written (copy moves 2x the buffer size), 1 GB = 1e9 bytes\n");

  if (!a.json.empty()) {
    nlohmann::json j;
    j["schema"] = "spork-bench/1";
    j["date"] = now_utc();
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    j["host"] = host;
    j["what"] = a.what;
    j["records"] = nlohmann::json::array();
    for (auto& r : recs) j["records"].push_back(to_json(r));
    j["absent"] = nlohmann::json::array();
    for (auto& ab : absent) j["absent"].push_back({{"backend", ab.backend}, {"reason", ab.reason}});
    std::ofstream f(a.json);
    if (!f) throw cli::Exit(1, "cannot write " + a.json);
    f << j.dump(2) << "\n";
  }
  if (!a.csv.empty()) {
    std::ofstream f(a.csv);
    if (!f) throw cli::Exit(1, "cannot write " + a.csv);
    f << "backend,device,placement,op,shape,size_bytes,M,N,K,median_ms,min_ms,max_ms,host_ms,gflops,gbps,rel_error,"
         "tolerance,passed,simulated,note\n";
    for (auto& r : recs)
      f << csv_cell(r.backend) << ',' << csv_cell(r.device) << ',' << csv_cell(r.placement) << ',' << csv_cell(r.op)
        << ',' << csv_cell(r.shape) << ',' << r.size_bytes << ',' << r.gemm.M << ',' << r.gemm.N << ',' << r.gemm.K
        << ',' << r.median_ms << ',' << r.min_ms << ',' << r.max_ms << ',' << r.host_ms << ',' << r.gflops << ','
        << r.gbps << ',' << r.rel_error << ',' << r.tolerance << ',' << (r.passed ? 1 : 0) << ','
        << (r.simulated ? 1 : 0) << ',' << csv_cell(r.note) << '\n';
  }
  if (!a.plot.empty()) write_plot(a.plot, recs);

  size_t failed = std::count_if(recs.begin(), recs.end(), [](const Record& r) { return !r.passed; });
  if (failed) throw cli::Exit(1, std::to_string(failed) + " result(s) failed validation");
  if (recs.empty()) throw cli::Exit(1, "no backend could run (see the absent lines)");
}

cli::Registrar reg(50, [](CLI::App& app) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("bench", "GEMM, memory bandwidth and dispatch overhead on each backend, with checked results");
  cmd->add_option("what", args->what, "gemm, membw, dispatch or all")
      ->check(CLI::IsMember({"gemm", "membw", "dispatch", "all"}));
  cmd->add_option("--backend", args->backends,
                  "comma-separated backends: pm4,vulkan,gl (default: every available one)");
  cmd->add_option("--device", args->device, "backend-specific device selector (Vulkan: index or name substring)");
  cmd->add_option("--sizes", args->sizes, "gemm: square sizes N,N,...; membw: buffer sizes (64 = 64 MiB, 4K, 1G, ...)");
  cmd->add_option("--shape", args->shapes, "gemm shapes MxNxK[,MxNxK...]");
  cmd->add_option("--repeat", args->repeat, "timed runs per result (median reported; default per backend)");
  cmd->add_option("--dispatch-count", args->dispatch_count, "dispatches per dispatch-overhead measurement")
      ->check(CLI::Range(1u, 1000000u));
  cmd->add_option("--json", args->json, "write the records as JSON (docs/BENCH_JSON.md)");
  cmd->add_option("--csv", args->csv, "write the records as CSV");
  cmd->add_option("--plot", args->plot, "draw GFLOP/s and GB/s with gnuplot (FILE.svg or FILE.png)");
  cmd->callback([args] { run(*args); });
});

}  // namespace
}  // namespace spork::bench
