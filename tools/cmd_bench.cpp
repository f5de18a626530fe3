// spork bench: GEMM, memory bandwidth and dispatch overhead on every available backend (pm4, vulkan,
// gl), through the Backend interface of bench_backend.h only. Tables on stdout (one per kind of
// measurement, plus the scaling summary and the simulator's statistics), live progress on a
// terminal, JSON/CSV/plot files on request (docs/BENCH_JSON.md), exit status 1 when any result
// fails validation, 2 on bad arguments.
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

// Default sweeps. Slow backends (simulator, lavapipe, llvmpipe) get sizes that still show the
// throughput curve and keep a no-argument run on 2 CPU cores well under a minute. A default GEMM
// size is skipped when the one before it took so long that this one (8x the work) would take over
// kStepBudgetS; sizes asked for with --sizes/--shape always run.
const std::vector<uint32_t> kGemmSlow = {64, 128, 256, 512, 1024, 2048};
constexpr double kStepBudgetS = 12;
const std::vector<uint32_t> kGemmFast = {256, 512, 1024, 2048, 4096, 8192};
const std::vector<uint64_t> kMembwSlowMiB = {1, 4, 16, 64};
const std::vector<uint64_t> kMembwFastMiB = {1, 4, 16, 64, 256, 1024};

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
  if (s.empty() || *end || s[0] == '-' || v == 0 || v > 65536)
    throw cli::Exit(2, "bad " + what + " \"" + s + "\": expected an integer from 1 to 65536");
  return uint32_t(v);
}

GemmShape parse_shape(const std::string& s) {
  auto p = split(s, 'x');
  if (p.size() != 3) throw cli::Exit(2, "bad --shape \"" + s + "\": expected MxNxK, e.g. 4096x4096x4096");
  return {parse_u32(p[0], "M in --shape"), parse_u32(p[1], "N in --shape"), parse_u32(p[2], "K in --shape")};
}

// "64" (MiB), "64M", "64MiB", "1G", "4096K", "1024B".
uint64_t parse_bytes(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  std::string unit = end;
  for (char& c : unit) c = char(std::toupper(static_cast<unsigned char>(c)));
  double mul = 1 << 20;
  if (end == s.c_str())
    throw cli::Exit(2, "bad size \"" + s + "\": expected e.g. 64 (MiB), 64M, 1G, 4096K");
  else if (unit == "B")
    mul = 1;
  else if (unit == "K" || unit == "KIB" || unit == "KB")
    mul = 1 << 10;
  else if (unit == "" || unit == "M" || unit == "MIB" || unit == "MB")
    mul = 1 << 20;
  else if (unit == "G" || unit == "GIB" || unit == "GB")
    mul = double(1 << 30);
  else
    throw cli::Exit(2, "bad size \"" + s + "\": expected e.g. 64 (MiB), 64M, 1G, 4096K");
  if (!(v > 0) || v * mul > 64.0 * double(1ull << 30))
    throw cli::Exit(2, "bad size \"" + s + "\": must be positive and at most 64 GiB");
  uint64_t b = uint64_t(v * mul);
  return (b + 15) / 16 * 16;
}

std::string fmt(double v, int prec) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}
// 3 significant digits, no exponent for everyday magnitudes: 0.123, 1.23, 12.3, 123, 1234.
std::string fmt3(double v) {
  if (!std::isfinite(v)) return "-";
  double a = std::fabs(v);
  return fmt(v, a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.1 ? 3 : 4);
}
std::string fmt_e(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.1e", v);
  return b;
}

std::string human_bytes(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30) && b % (1ull << 30) == 0)
    std::snprintf(buf, sizeof buf, "%llu GiB", (unsigned long long)(b >> 30));
  else if (b >= (1ull << 20) && b % (1ull << 20) == 0)
    std::snprintf(buf, sizeof buf, "%llu MiB", (unsigned long long)(b >> 20));
  else if (b >= 1024 && b % 1024 == 0)
    std::snprintf(buf, sizeof buf, "%llu KiB", (unsigned long long)(b >> 10));
  else
    std::snprintf(buf, sizeof buf, "%llu B", (unsigned long long)b);
  return buf;
}

// "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan 1.3.230)" -> "llvmpipe"; keeps "(gfx1100)" groups.
std::string short_device(const std::string& d) {
  std::string out;
  size_t i = 0;
  while (i < d.size()) {
    if (d[i] == '(') {
      size_t j = d.find(')', i);
      if (j == std::string::npos) j = d.size() - 1;
      std::string group = d.substr(i, j - i + 1);
      if (group.find("gfx") != std::string::npos) out += group;
      i = j + 1;
    } else {
      out += d[i++];
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  std::string squeezed;
  for (char c : out)
    if (!(c == ' ' && !squeezed.empty() && squeezed.back() == ' ')) squeezed += c;
  return squeezed.empty() ? d : squeezed;
}

bool is_membw(const Record& r) { return r.op.rfind("membw", 0) == 0; }
bool is_dispatch(const Record& r) { return r.op.rfind("dispatch", 0) == 0; }
// The buffer size of a membw record (size_bytes counts read + write: copy moves 2x the buffer).
uint64_t buffer_bytes(const Record& r) {
  auto it = r.extra.find("buffer_bytes");
  if (it != r.extra.end()) return uint64_t(it->second);
  return r.op == "membw-copy" ? r.size_bytes / 2 : r.size_bytes;
}
double gemm_work(const Record& r) { return double(r.gemm.M) * r.gemm.N * r.gemm.K; }
std::string backend_label(const Record& r) { return r.backend + (r.simulated ? "*" : ""); }

// A text table: left-aligned text columns, right-aligned numeric ones, two spaces between.
class Table {
 public:
  Table(std::vector<std::string> head, std::vector<bool> numeric) : numeric_(std::move(numeric)) {
    rows_.push_back(std::move(head));
  }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.size() < 2; }
  void print(const std::string& title) const {
    if (empty()) return;
    std::vector<size_t> w(rows_[0].size(), 0);
    for (auto& row : rows_)
      for (size_t i = 0; i < row.size(); ++i) w[i] = std::max(w[i], row[i].size());
    std::printf("\n%s\n", title.c_str());
    for (auto& row : rows_) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i) {
        std::string pad(w[i] - row[i].size(), ' ');
        bool num = i < numeric_.size() && numeric_[i];
        line += (num ? pad + row[i] : row[i] + (i + 1 < row.size() ? pad : "")) + (i + 1 < row.size() ? "  " : "");
      }
      std::printf("%s\n", line.c_str());
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
  std::vector<bool> numeric_;
};

std::string result_cell(const Record& r) { return r.passed ? "PASS" : "FAIL"; }

// Series of results that differ only in size, in first-seen order.
template <typename Key>
std::vector<std::pair<Key, std::vector<const Record*>>> group(const std::vector<Record>& recs,
                                                              const std::function<bool(const Record&)>& pick,
                                                              const std::function<Key(const Record&)>& key) {
  std::vector<std::pair<Key, std::vector<const Record*>>> out;
  for (auto& r : recs) {
    if (!pick(r)) continue;
    Key k = key(r);
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& g) { return g.first == k; });
    if (it == out.end()) {
      out.push_back({k, {}});
      it = out.end() - 1;
    }
    it->second.push_back(&r);
  }
  return out;
}

using SeriesKey = std::tuple<std::string, std::string, std::string, std::string>;  // backend, device, placement, op

void print_gemm(const std::vector<Record>& recs) {
  Table t({"backend", "device", "placement", "shape", "median ms", "GFLOP/s", "rel err", "tolerance", "result"},
          {false, false, false, false, true, true, true, true, false});
  for (auto& r : recs) {
    if (r.op != "gemm") continue;
    bool ran = r.median_ms > 0;
    t.add({backend_label(r), short_device(r.device), r.placement, r.shape, ran ? fmt3(r.median_ms) : "-",
           ran ? fmt3(r.gflops) : "-", ran ? fmt_e(r.rel_error) : "-", r.tolerance > 0 ? fmt_e(r.tolerance) : "-",
           result_cell(r)});
  }
  t.print("GEMM, FP32 (C = A*B, median GPU time; rel err = max |C - ref| / sum|A_ik*B_kj| against an FP64 reference)");

  // Scaling: GFLOP/s per size for each series, and how far the largest size is from the smallest.
  auto series = group<SeriesKey>(
      recs, [](const Record& r) { return r.op == "gemm" && r.passed && r.median_ms > 0; },
      [](const Record& r) {
        return SeriesKey{r.backend + (r.simulated ? "*" : ""), r.device, r.placement, ""};
      });
  std::vector<std::string> shapes;  // columns, by amount of work
  std::vector<std::pair<double, std::string>> by_work;
  for (auto& r : recs)
    if (r.op == "gemm" && r.passed && r.median_ms > 0) by_work.push_back({gemm_work(r), r.shape});
  std::sort(by_work.begin(), by_work.end());
  for (auto& [w, s] : by_work)
    if (std::find(shapes.begin(), shapes.end(), s) == shapes.end()) shapes.push_back(s);
  if (shapes.size() < 2) return;
  auto col = [](const std::string& shape) {  // "512x512x512" -> "512"
    auto p = split(shape, 'x');
    return p.size() == 3 && p[0] == p[1] && p[1] == p[2] ? p[0] : shape;
  };
  std::vector<std::string> head = {"backend", "placement"};
  std::vector<bool> num = {false, false};
  for (auto& s : shapes) head.push_back(col(s)), num.push_back(true);
  head.insert(head.end(), {"peak at", "peak/smallest", "largest/smallest"});
  num.insert(num.end(), {true, true, true});
  Table t2(head, num);
  for (auto& [k, rs] : series) {
    std::vector<std::string> row = {std::get<0>(k), std::get<2>(k)};
    for (auto& s : shapes) {
      auto it = std::find_if(rs.begin(), rs.end(), [&](const Record* r) { return r->shape == s; });
      row.push_back(it == rs.end() ? "" : fmt3((*it)->gflops));
    }
    auto [lo, hi] = std::minmax_element(rs.begin(), rs.end(),
                                        [](const Record* a, const Record* b) { return gemm_work(*a) < gemm_work(*b); });
    auto peak =
        *std::max_element(rs.begin(), rs.end(), [](const Record* a, const Record* b) { return a->gflops < b->gflops; });
    auto ratio = [&](const Record* r) {
      return rs.size() > 1 && (*lo)->gflops > 0 ? "x" + fmt(r->gflops / (*lo)->gflops, 1) : std::string("-");
    };
    row.push_back(col(peak->shape));
    row.push_back(ratio(peak));
    row.push_back(ratio(*hi));
    t2.add(row);
  }
  t2.print(
      "GEMM scaling: GFLOP/s by size N (M = N = K), and the gain of the peak and of the largest size over the "
      "smallest");
}

void print_membw(const std::vector<Record>& recs) {
  auto series = group<SeriesKey>(recs, is_membw, [](const Record& r) {
    return SeriesKey{backend_label(r), r.device, r.placement, r.op};
  });
  if (series.empty()) return;
  std::vector<uint64_t> sizes;
  for (auto& r : recs)
    if (is_membw(r) && buffer_bytes(r)) sizes.push_back(buffer_bytes(r));
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  std::vector<std::string> head = {"backend", "placement", "op"};
  std::vector<bool> num = {false, false, false};
  for (uint64_t s : sizes) head.push_back(human_bytes(s)), num.push_back(true);
  head.push_back("result");
  num.push_back(false);
  Table t(head, num);
  for (auto& [k, rs] : series) {
    std::string op = std::get<3>(k).substr(6);  // "membw-copy" -> "copy"
    std::vector<std::string> row = {std::get<0>(k), std::get<2>(k), op};
    size_t failed = 0;
    for (auto* r : rs) failed += !r->passed;
    for (uint64_t s : sizes) {
      auto it = std::find_if(rs.begin(), rs.end(), [&](const Record* r) { return buffer_bytes(*r) == s; });
      row.push_back(it == rs.end() ? "" : !(*it)->passed ? "FAIL" : fmt3((*it)->gbps));
    }
    row.push_back(failed ? "FAIL (" + std::to_string(failed) + ")" : "PASS");
    t.add(row);
  }
  t.print(
      "Memory bandwidth, GB/s by buffer size (bytes read + bytes written per median GPU time, 1 GB = 1e9 bytes;\n"
      "read: buffer read once, write: written once, copy: read once + written once = 2x the buffer)");
}

std::string dispatch_mode(const Record& r) {
  static const std::map<std::pair<std::string, std::string>, std::string> modes = {
      {{"pm4", "dispatch-batched"}, "N dispatches in one IB"},
      {{"pm4", "dispatch-separate"}, "one submission per dispatch"},
      {{"vulkan", "dispatch-batched"}, "N dispatches in one command buffer"},
      {{"vulkan", "dispatch-submit"}, "one vkQueueSubmit per dispatch"},
      {{"gl", "dispatch-batched"}, "N glDispatchCompute, one glFinish"},
      {{"gl", "dispatch-sync"}, "glFinish after each dispatch"},
  };
  auto it = modes.find({r.backend, r.op});
  return it == modes.end() ? r.op : it->second;
}

void print_dispatch(const std::vector<Record>& recs) {
  Table t({"backend", "op", "how", "N", "GPU us/dispatch", "host us/dispatch", "result"},
          {false, false, false, true, true, true, false});
  for (auto& r : recs) {
    if (!is_dispatch(r)) continue;
    bool ran = r.median_ms > 0 || r.host_ms > 0;
    t.add({backend_label(r), r.op, dispatch_mode(r), split(r.shape, ' ').empty() ? "" : split(r.shape, ' ')[0],
           ran ? fmt3(r.median_ms * 1e3) : "-", ran ? fmt3(r.host_ms * 1e3) : "-", result_cell(r)});
  }
  t.print("Dispatch overhead: back-to-back tiny dispatches, time per dispatch (GPU timestamps; host wall clock)");
}

// The simulator's instruction statistics (bench_pm4 puts them in Record::extra): every GEMM row,
// and the largest size of each other series.
void print_sim_stats(const std::vector<Record>& recs) {
  Table t({"op", "placement", "shape", "instructions", "VALU util", "FMA/inst", "VOPD share"},
          {false, false, false, true, true, true, true});
  std::map<std::pair<std::string, std::string>, const Record*> largest;
  for (auto& r : recs)
    if (r.simulated && r.extra.count("valu_util") && r.op != "gemm") {
      auto& l = largest[{r.op, r.placement}];
      if (!l || r.size_bytes > l->size_bytes) l = &r;
    }
  std::string device;
  for (auto& r : recs) {
    if (!r.simulated || !r.extra.count("valu_util")) continue;
    if (r.op != "gemm" && largest[{r.op, r.placement}] != &r) continue;
    device = r.device;
    auto x = [&](const char* k) { return r.extra.count(k) ? r.extra.at(k) : 0.0; };
    t.add({r.op, r.placement, r.shape, fmt(x("instructions"), 0), fmt(100 * x("valu_util"), 1) + "%",
           fmt(x("fma_per_inst"), 2), fmt(100 * x("vopd_share"), 1) + "%"});
  }
  t.print("Simulator statistics (" + device +
          ", per run; instruction counts, not timing):\n"
          "VALU util: active lanes / 32 per VALU issue; FMA/inst: lane FMAs per wave instruction; VOPD share: "
          "dual-issued VALU");
}

struct Absent {
  std::string backend, reason;
};

nlohmann::json to_json(const Record& r) {
  nlohmann::json j = {{"backend", r.backend},
                      {"device", r.device},
                      {"placement", r.placement},
                      {"placement_detail", r.placement_detail},
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
  if (is_membw(r)) j["buffer_bytes"] = buffer_bytes(r);
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

std::string gp_quote(std::string s) {
  std::replace(s.begin(), s.end(), '\'', ' ');
  return "'" + s + "'";
}

// gnuplot, log-log: GFLOP/s against the GEMM size, and GB/s against the buffer size for each
// bandwidth op (read, write, copy), one panel each, one line per backend/placement; simulated
// series dashed and titled "(simulated)".
void write_plot(const std::string& file, const std::vector<Record>& recs) {
  const bool svg = file.ends_with(".svg");
  struct Series {
    std::string title;
    bool simulated = false;
    std::vector<std::pair<double, double>> pts;
  };
  struct Panel {
    std::string op, title, xlabel, ylabel;
    std::vector<Series> series;
    std::set<double> xs;
  };
  std::vector<Panel> panels = {
      {"gemm", "GEMM FP32: throughput vs size", "N (M = N = K; cube root of M*N*K otherwise)", "GFLOP/s", {}, {}},
      {"membw-read", "Bandwidth, read", "buffer size, MiB", "GB/s (bytes read + written, 1e9/s)", {}, {}},
      {"membw-write", "Bandwidth, write", "buffer size, MiB", "GB/s (bytes read + written, 1e9/s)", {}, {}},
      {"membw-copy", "Bandwidth, copy", "buffer size, MiB", "GB/s (bytes read + written, 1e9/s)", {}, {}},
  };
  for (auto& r : recs) {
    auto p = std::find_if(panels.begin(), panels.end(), [&](const Panel& p) { return p.op == r.op; });
    if (!r.passed || p == panels.end()) continue;
    const bool gemm = r.op == "gemm";
    double y = gemm ? r.gflops : r.gbps;
    double x = gemm ? std::cbrt(gemm_work(r)) : double(buffer_bytes(r)) / double(1 << 20);
    if (!(y > 0) || !(x > 0)) continue;
    std::string title =
        r.backend + " " + short_device(r.device) + " " + r.placement + (r.simulated ? " (simulated)" : "");
    auto it = std::find_if(p->series.begin(), p->series.end(), [&](const Series& s) { return s.title == title; });
    if (it == p->series.end()) {
      p->series.push_back({title, r.simulated, {}});
      it = p->series.end() - 1;
    }
    it->pts.push_back({x, y});
    p->xs.insert(x);
  }
  std::erase_if(panels, [](const Panel& p) { return p.series.empty(); });
  std::vector<std::string> titles;  // one colour and point type per series, the same in every panel
  for (auto& p : panels)
    for (auto& s : p.series)
      if (std::find(titles.begin(), titles.end(), s.title) == titles.end()) titles.push_back(s.title);
  if (panels.empty()) throw cli::Exit(1, "--plot: no passing GEMM or bandwidth result to plot");
  const int cols = panels.size() > 1 ? 2 : 1, rows = int(panels.size() + 1) / 2;
  size_t most = 0;
  for (auto& p : panels) most = std::max(most, p.series.size());
  FILE* gp = popen("gnuplot", "w");
  if (!gp) throw cli::Exit(1, "--plot: cannot start gnuplot (apt-get install gnuplot-nox)");
  std::fprintf(gp, "set terminal %s size %d,%d noenhanced %s\n", svg ? "svg" : "pngcairo", 750 * cols,
               rows * (420 + 16 * int(most)), svg ? "font 'sans,11' background rgb 'white'" : "font 'sans,10'");
  std::fprintf(gp, "set output %s\n", gp_quote(file).c_str());
  std::fprintf(gp, "set logscale xy\nset grid xtics ytics mytics lc rgb '#dddddd'\n");
  std::fprintf(gp, "set key below Left reverse maxcols 1 samplen 3\nset format y '%%g'\n");
  std::fprintf(
      gp, "set multiplot layout %d,%d title %s\n", rows, cols,
      gp_quote("spork bench, " + now_utc() + " (dashed: simulated; its times are not hardware speed)").c_str());
  for (auto& p : panels) {
    std::fprintf(gp, "set title %s\nset xlabel %s\nset ylabel %s\n", gp_quote(p.title).c_str(),
                 gp_quote(p.xlabel).c_str(), gp_quote(p.ylabel).c_str());
    // Ticks at the measured sizes, a little room either side.
    std::string tics;
    for (double x : p.xs) {
      char b[64];
      std::snprintf(b, sizeof b, "'%g' %.9g", x, x);
      tics += (tics.empty() ? "" : ", ") + std::string(b);
    }
    std::fprintf(gp, "set xtics (%s)\nset xrange [%g:%g]\n", tics.c_str(), *p.xs.begin() / 1.3, *p.xs.rbegin() * 1.3);
    std::string cmd = "plot ";
    for (size_t i = 0; i < p.series.size(); ++i) {
      size_t c = std::find(titles.begin(), titles.end(), p.series[i].title) - titles.begin();
      static const char* kPalette[] = {"#9400d3", "#009e73", "#56b4e9", "#e69f00", "#0072b2", "#e51e10",
                                       "#000000", "#d55e00", "#cc79a7", "#8b4513", "#808080", "#f0e442"};
      cmd += "'-' using 1:2 with linespoints lw 2 lc rgb '" + std::string(kPalette[c % 12]) + "' pt " +
             std::to_string(c % 13 + 1) + " dt " + (p.series[i].simulated ? "2" : "1") + " title " +
             gp_quote(p.series[i].title) + (i + 1 < p.series.size() ? ", " : "\n");
    }
    std::fputs(cmd.c_str(), gp);
    for (auto& s : p.series) {
      std::sort(s.pts.begin(), s.pts.end());
      for (auto& [x, y] : s.pts) std::fprintf(gp, "%.9g %.9g\n", x, y);
      std::fputs("e\n", gp);
    }
  }
  std::fputs("unset multiplot\n", gp);
  int rc = pclose(gp);
  if (rc != 0) throw cli::Exit(1, "--plot: gnuplot failed (status " + std::to_string(rc) + ")");
}

// One line on stderr, rewritten in place, when stderr is a terminal.
class Progress {
 public:
  explicit Progress(bool on) : on_(on), t0_(std::chrono::steady_clock::now()) {}
  void step(size_t i, size_t n, const std::string& what) {
    if (!on_) return;
    if (n)
      std::fprintf(stderr, "\r\033[K[%zu/%zu %4.0fs] %s ...", i, n, seconds(), what.c_str());
    else
      std::fprintf(stderr, "\r\033[K%s ...", what.c_str());
    std::fflush(stderr);
  }
  void done() {
    if (on_) std::fprintf(stderr, "\r\033[K");
  }
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }

 private:
  bool on_;
  std::chrono::steady_clock::time_point t0_;
};

struct Args {
  std::string what = "all";
  std::string backends, device, sizes, shapes, bytes, json, csv, plot;
  unsigned repeat = 0;
  unsigned dispatch_count = 1000;
  bool verbose = false, quiet = false;
};

void run(const Args& a) {
  // Check every argument before anything runs.
  if (!a.plot.empty() && !a.plot.ends_with(".svg") && !a.plot.ends_with(".png"))
    throw cli::Exit(2, "--plot " + a.plot + ": the file must end in .svg or .png");
  if (!a.sizes.empty() && !a.shapes.empty()) throw cli::Exit(2, "give --sizes or --shape, not both");
  if (!a.shapes.empty() && a.what != "gemm" && a.what != "all") throw cli::Exit(2, "--shape is for gemm");
  if (!a.sizes.empty() && a.what == "dispatch") throw cli::Exit(2, "--sizes is for gemm and membw");
  if (!a.bytes.empty() && a.what != "membw" && a.what != "all") throw cli::Exit(2, "--bytes is for membw");
  std::vector<GemmShape> user_shapes;
  std::vector<uint64_t> user_bytes;
  for (auto& s : split(a.shapes, ',')) user_shapes.push_back(parse_shape(s));
  if (a.what == "membw")
    for (auto& s : split(a.sizes, ',')) user_bytes.push_back(parse_bytes(s));
  else
    for (auto& s : split(a.sizes, ',')) {
      uint32_t n = parse_u32(s, "--sizes entry");
      user_shapes.push_back({n, n, n});
    }
  for (auto& s : split(a.bytes, ',')) user_bytes.push_back(parse_bytes(s));
  std::vector<std::string> wanted;
  for (auto& b : split(a.backends, ',')) {
    if (std::find(std::begin(kKnownBackends), std::end(kKnownBackends), b) == std::end(kKnownBackends))
      throw cli::Exit(2, "unknown backend \"" + b + "\" (known: pm4, vulkan, gl)");
    if (std::find(wanted.begin(), wanted.end(), b) == wanted.end()) wanted.push_back(b);
  }
  if (!a.backends.empty() && wanted.empty()) throw cli::Exit(2, "--backend: give at least one of pm4, vulkan, gl");
  const bool do_gemm = a.what == "gemm" || a.what == "all", do_membw = a.what == "membw" || a.what == "all",
             do_dispatch = a.what == "dispatch" || a.what == "all";

  Options opt;
  opt.device = a.device;
  opt.repeat = a.repeat;
  opt.progress = false;  // the backends' own progress lines; bench draws one line itself
  Progress progress(!a.quiet && isatty(STDERR_FILENO));

  // Open the backends, then plan every step, so the progress line can count.
  struct Step {
    Backend* be;
    std::string what;
    std::function<std::vector<Record>()> run;
    bool adaptive = false;  // a default GEMM size: skipped when the previous size took too long
  };
  std::vector<Step> steps;
  std::vector<Absent> absent;
  std::set<std::string> seen;
  std::vector<std::string> present;
  auto backends = make_backends();
  for (auto& be : backends) {
    const std::string name = be->name();
    seen.insert(name);
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), name) == wanted.end()) continue;
    progress.step(0, 0, "opening " + name + " backend");
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
    present.push_back(name);
    const bool slow = be->slow();
    Backend* b = be.get();
    if (do_gemm) {
      std::vector<GemmShape> shapes = user_shapes;
      if (shapes.empty())
        for (uint32_t n : slow ? kGemmSlow : kGemmFast) shapes.push_back({n, n, n});
      for (GemmShape s : shapes)
        steps.push_back({b, "gemm " + std::to_string(s.M) + "x" + std::to_string(s.N) + "x" + std::to_string(s.K),
                         [b, s, &opt] { return b->gemm({s}, opt); }, user_shapes.empty()});
    }
    if (do_membw) {
      std::vector<uint64_t> sizes = user_bytes;
      if (sizes.empty())
        for (uint64_t mib : slow ? kMembwSlowMiB : kMembwFastMiB) sizes.push_back(mib << 20);
      for (uint64_t s : sizes)
        steps.push_back({b, "membw " + human_bytes(s), [b, s, &opt] { return b->membw({s}, opt); }});
    }
    if (do_dispatch) {
      unsigned n = slow ? std::min(a.dispatch_count, 100u) : a.dispatch_count;
      steps.push_back({b, "dispatch x" + std::to_string(n), [b, n, &opt] { return b->dispatch(n, opt); }});
    }
  }
  for (auto& b : wanted)
    if (!seen.count(b)) absent.push_back({b, "not built into this spork binary"});

  std::vector<Record> recs;
  std::vector<std::string> skipped;
  double last_gemm_s = 0;  // wall time of the previous default GEMM size of the same backend
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& st = steps[i];
    if (st.adaptive && i > 0 && steps[i - 1].be == st.be && steps[i - 1].adaptive && last_gemm_s * 8 > kStepBudgetS) {
      char why[200];
      std::snprintf(why, sizeof why, "the size before took %.1f s, this one would take about %.0f s; ask with --sizes",
                    last_gemm_s, last_gemm_s * 8);
      skipped.push_back(st.be->name() + " " + st.what + ": skipped (" + why + ")");
      st.adaptive = true;
      last_gemm_s *= 8;  // every larger default size is skipped too
      continue;
    }
    progress.step(i + 1, steps.size(), st.be->name() + " " + st.what);
    const double t0 = progress.seconds();
    try {
      auto r = st.run();
      recs.insert(recs.end(), r.begin(), r.end());
      if (st.adaptive) last_gemm_s = progress.seconds() - t0;
    } catch (const std::exception& e) {
      Record r;
      r.backend = st.be->name();
      r.op = split(st.what, ' ')[0];
      r.shape = st.what.substr(r.op.size() + 1);
      r.note = e.what();
      r.passed = false;
      recs.push_back(r);
    }
  }
  progress.done();
  const double seconds = progress.seconds();

  // Devices, then one table per kind of measurement.
  std::map<std::string, std::string> devices;  // backend -> device
  bool any_sim = false;
  for (auto& r : recs) {
    if (!r.device.empty() && !devices.count(r.backend)) devices[r.backend] = r.device;
    any_sim |= r.simulated;
  }
  for (auto& name : present) {
    if (!devices.count(name)) continue;
    bool sim = std::any_of(recs.begin(), recs.end(), [&](const Record& r) { return r.backend == name && r.simulated; });
    std::printf("%-7s %s%s\n", (name + (sim ? "*" : "")).c_str(), devices[name].c_str(),
                sim ? "  (* simulated: times are the simulator's host time, not hardware speed)" : "");
  }
  for (auto& ab : absent) std::printf("absent: %s: %s\n", ab.backend.c_str(), ab.reason.c_str());
  print_gemm(recs);
  print_membw(recs);
  print_dispatch(recs);
  if (any_sim) print_sim_stats(recs);

  // Notes: the memory each placement stands for; every failure's reason; all notes with -v.
  std::set<std::string> placements;
  for (auto& r : recs)
    if (!r.placement_detail.empty()) placements.insert(r.backend + " " + r.placement + " = " + r.placement_detail);
  if (!placements.empty() || !skipped.empty()) std::printf("\n");
  for (auto& p : placements) std::printf("placement: %s\n", p.c_str());
  for (auto& s : skipped) std::printf("%s\n", s.c_str());
  bool header = false;
  for (auto& r : recs)
    if (!r.note.empty() && (a.verbose || !r.passed)) {
      if (!header) std::printf("\n"), header = true;
      std::printf("%s: %s %s %s %s: %s\n", r.passed ? "note" : "FAILED", r.backend.c_str(), r.op.c_str(),
                  r.shape.c_str(), r.placement.c_str(), r.note.c_str());
    }

  const size_t failed = std::count_if(recs.begin(), recs.end(), [](const Record& r) { return !r.passed; });
  std::printf("\n%zu result(s), %zu failed, %.0f s\n", recs.size(), failed, seconds);

  if (!a.json.empty()) {
    nlohmann::json j;
    j["schema"] = "spork-bench/1";
    j["date"] = now_utc();
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    j["host"] = host;
    j["what"] = a.what;
    j["seconds"] = seconds;
    j["records"] = nlohmann::json::array();
    for (auto& r : recs) j["records"].push_back(to_json(r));
    j["absent"] = nlohmann::json::array();
    for (auto& ab : absent) j["absent"].push_back({{"backend", ab.backend}, {"reason", ab.reason}});
    std::ofstream f(a.json);
    if (!(f << j.dump(2) << "\n")) throw cli::Exit(1, "cannot write " + a.json);
  }
  if (!a.csv.empty()) {
    std::ofstream f(a.csv);
    f << "backend,device,placement,op,shape,size_bytes,M,N,K,median_ms,min_ms,max_ms,host_ms,gflops,gbps,rel_error,"
         "tolerance,passed,simulated,note,placement_detail\n";
    for (auto& r : recs)
      f << csv_cell(r.backend) << ',' << csv_cell(r.device) << ',' << csv_cell(r.placement) << ',' << csv_cell(r.op)
        << ',' << csv_cell(r.shape) << ',' << r.size_bytes << ',' << r.gemm.M << ',' << r.gemm.N << ',' << r.gemm.K
        << ',' << r.median_ms << ',' << r.min_ms << ',' << r.max_ms << ',' << r.host_ms << ',' << r.gflops << ','
        << r.gbps << ',' << r.rel_error << ',' << r.tolerance << ',' << (r.passed ? 1 : 0) << ','
        << (r.simulated ? 1 : 0) << ',' << csv_cell(r.note) << ',' << csv_cell(r.placement_detail) << '\n';
    if (!f) throw cli::Exit(1, "cannot write " + a.csv);
  }
  if (!a.plot.empty()) write_plot(a.plot, recs);

  if (failed) throw cli::Exit(1, std::to_string(failed) + " result(s) failed validation");
  if (recs.empty()) throw cli::Exit(1, "no backend could run (see the absent lines)");
}

cli::Registrar reg(50, [](CLI::App& app) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "GEMM, memory bandwidth and dispatch overhead on every available backend (pm4, vulkan, gl), each result "
      "checked; exit status 1 if any fails");
  cmd->add_option("what", args->what, "gemm, membw, dispatch or all (default)")
      ->check(CLI::IsMember({"gemm", "membw", "dispatch", "all"}));
  cmd->add_option("--backend", args->backends,
                  "comma-separated backends: pm4,vulkan,gl (default: every available one)");
  cmd->add_option("--device", args->device,
                  "device selector given to every chosen backend, so pair it with --backend (Vulkan/GL: index "
                  "or name substring; pm4: \"sim\", \"amdgpu\" or a render node path)");
  cmd->add_option("--sizes", args->sizes,
                  "gemm: square sizes N,N,... (default 64..2048 on simulator/software drivers, a size skipped when it "
                  "would take over ~12 s; 256..8192 on GPUs); "
                  "with `membw`: buffer sizes as for --bytes");
  cmd->add_option("--shape", args->shapes, "gemm shapes MxNxK[,MxNxK...]");
  cmd->add_option("--bytes", args->bytes,
                  "membw buffer sizes: 64 (MiB), 4K, 1G, ... (default 1..64 MiB or 1..1024 MiB)");
  cmd->add_option("--repeat", args->repeat, "timed runs per result, median reported (default per backend)")
      ->check(CLI::Range(1u, 100000u));
  cmd->add_option("--dispatch-count", args->dispatch_count,
                  "dispatches per dispatch-overhead measurement (default 1000; at most 100 on slow backends)")
      ->check(CLI::Range(1u, 1000000u));
  cmd->add_option("--json", args->json, "write every record as JSON (schema: docs/BENCH_JSON.md)");
  cmd->add_option("--csv", args->csv, "write every record as CSV");
  cmd->add_option("--plot", args->plot, "draw throughput against size with gnuplot (FILE.svg or FILE.png)");
  cmd->add_flag("-v,--verbose", args->verbose, "print every record's note (tiling, how it was checked)");
  cmd->add_flag("-q,--quiet", args->quiet, "no progress line on stderr");
  cmd->callback([args] { run(*args); });
});

}  // namespace
}  // namespace spork::bench
