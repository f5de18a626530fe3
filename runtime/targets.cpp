#include <sstream>

#include "runtime/winsys.h"

namespace spork::winsys {
std::vector<std::string> supported_targets() {
  std::vector<std::string> out;
  std::stringstream ss(SPORK_GPU_TARGETS_STR);  // ';'-separated, from CMake
  for (std::string t; std::getline(ss, t, ';');)
    if (!t.empty()) out.push_back(t);
  return out;
}
}  // namespace spork::winsys
