// spork: run compute kernels on AMD GPUs without a graphics API, and compare
// direct PM4 submission with Vulkan and OpenGL compute.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <utility>
#include <vector>

#include "command.h"

namespace spork::cli {
namespace {
std::vector<std::pair<int, CommandSetup>>& registry() {
  static std::vector<std::pair<int, CommandSetup>> r;
  return r;
}
}  // namespace
Registrar::Registrar(int order, CommandSetup setup) { registry().emplace_back(order, std::move(setup)); }
}  // namespace spork::cli

int main(int argc, char** argv) {
  using namespace spork::cli;
  CLI::App app{"spork: compute kernels on AMD GPUs by direct PM4 submission, beside Vulkan and OpenGL reference paths"};
  app.set_version_flag("--version", std::string("spork ") + SPORK_VERSION);
  app.require_subcommand(1);
  auto& r = registry();
  std::stable_sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, setup] : r) setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help/--version exit 0; every usage error exits 2, whatever CLI11's own code.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const Exit& e) {
    if (e.what()[0]) std::fprintf(stderr, "spork: %s\n", e.what());
    return e.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spork: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
