// `spork info [--json]`: what this machine offers: amdgpu render nodes, the simulator,
// Vulkan physical devices (heaps, memory types) and the EGL/OpenGL renderer. Pieces that
// are absent are listed as absent with the reason, never as errors.
#include <algorithm>
#include <bit>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "command.h"
#include "gl_ref/context.h"
#include "runtime/device.h"
#include "runtime/sim_winsys.h"
#include "runtime/winsys.h"
#include "vulkan_ref/vulkan_ref.h"

namespace spork::cli {
namespace {

using nlohmann::json;

std::string gib(uint64_t b) {
  char buf[64];
  if (b >= (uint64_t(1) << 30))
    std::snprintf(buf, sizeof buf, "%.1f GiB", double(b) / double(uint64_t(1) << 30));
  else
    std::snprintf(buf, sizeof buf, "%.0f MiB", double(b) / double(1 << 20));
  return buf;
}

json device_info_json(const winsys::DeviceInfo& i) {
  return json{{"name", i.name},
              {"gfx_target", i.gfx_target},
              {"gfx_ip_version", std::to_string(i.gfx_major) + "." + std::to_string(i.gfx_minor)},
              {"family_id", i.family_id},
              {"chip_external_rev", i.chip_external_rev},
              {"compute_units", i.num_cus},
              {"vram_bytes", i.vram_size},
              {"vram_cpu_visible_bytes", i.vram_cpu_visible_size},
              {"gtt_bytes", i.gtt_size},
              {"compute_rings_mask", i.compute_rings},
              {"compute_rings", std::popcount(i.compute_rings)},
              {"timestamp_hz", i.timestamp_hz}};
}

json collect() {
  json out;
  // amdgpu
  json am;
  am["nodes"] = json::array();
  auto nodes = winsys::amdgpu_enumerate();
  auto targets = winsys::supported_targets();
  for (const auto& n : nodes) {
    json j{{"path", n.path}, {"pci", n.pci}, {"device_id", n.device_id}};
    try {
      auto ws = winsys::amdgpu_open(n.path, /*require_supported_target=*/false);
      j["present"] = true;
      j.update(device_info_json(ws->info()));
      bool ok = std::find(targets.begin(), targets.end(), ws->info().gfx_target) != targets.end();
      j["supported"] = ok;
      if (!ok) j["reason"] = "spork's kernels are built for " + json(targets).dump() + " (SPORK_GPU_TARGETS)";
    } catch (const std::exception& e) {
      j["present"] = false;
      j["reason"] = e.what();
    }
    am["nodes"].push_back(j);
  }
  bool usable = false;
  for (const auto& n : am["nodes"]) usable |= n["present"].get<bool>() && n.value("supported", false);
  am["present"] = usable;  // like the other sections: true when spork can run on it
  if (nodes.empty())
    am["reason"] = "no amdgpu render node found";
  else if (!usable)
    am["reason"] = "no usable amdgpu render node (each node's reason says why)";
  am["supported_targets"] = targets;
  out["amdgpu"] = am;

  // simulator
  json sim;
  try {
    DeviceOptions o;
    o.announce = false;
    auto ws = make_sim_winsys(o);
    const auto& i = ws->info();
    sim = json{
        {"present", true},
        {"name", i.name},
        {"models", i.gfx_target},
        {"compute_units", i.num_cus},
        {"vram_bytes", i.vram_size},
        {"gtt_bytes", i.gtt_size},
        {"timestamp_hz", i.timestamp_hz},
        {"note", "software gfx11 model (functional, not cycle-accurate): times are host time, not hardware speed"}};
  } catch (const std::exception& e) {
    sim = json{{"present", false}, {"reason", e.what()}};
  }
  out["simulator"] = sim;

  // Vulkan
  json vkj;
  auto vl = vk::list_devices();
  vkj["devices"] = json::array();
  for (const auto& d : vl.devices) {
    json dj{{"index", d.index},
            {"name", d.name},
            {"type", d.type},
            {"vendor_id", d.vendor_id},
            {"device_id", d.device_id},
            {"api_version", d.api_version},
            {"compute_queue", d.compute_queue},
            {"timestamp_period_ns", d.timestamp_period_ns}};
    dj["heaps"] = json::array();
    for (const auto& h : d.heaps)
      dj["heaps"].push_back({{"index", h.index}, {"size_bytes", h.size}, {"device_local", h.device_local}});
    dj["memory_types"] = json::array();
    for (const auto& t : d.types)
      dj["memory_types"].push_back(
          {{"index", t.index}, {"heap", t.heap}, {"flags", t.flags}, {"flags_text", vk::memory_flags_string(t.flags)}});
    vkj["devices"].push_back(dj);
  }
  vkj["present"] = !vl.devices.empty();
  if (!vl.error.empty())
    vkj["reason"] = vl.error;
  else if (vl.devices.empty())
    vkj["reason"] = "no Vulkan physical device";
  out["vulkan"] = vkj;

  // OpenGL
  auto r = gl::query_renderer("");
  json glj{{"present", r.present}};
  if (r.present) {
    glj.update(json{{"platform", r.platform},
                    {"egl_vendor", r.egl_vendor},
                    {"egl_version", r.egl_version},
                    {"vendor", r.vendor},
                    {"renderer", r.renderer},
                    {"version", r.version},
                    {"glsl_version", r.glsl_version},
                    {"software", r.software}});
  } else {
    glj["reason"] = r.reason;
  }
  glj["egl_devices"] = json::array();
  for (const auto& d : r.devices)
    glj["egl_devices"].push_back(
        {{"index", d.index}, {"name", d.name}, {"drm_file", d.drm_file}, {"software", d.software}});
  out["opengl"] = glj;
  return out;
}

void print_text(const json& j) {
  std::printf("amdgpu (direct PM4):\n");
  const auto& am = j["amdgpu"];
  if (am["nodes"].empty()) std::printf("  absent: %s\n", am.value("reason", "").c_str());
  for (const auto& n : am["nodes"]) {
    std::printf("  %s (%s)", n["path"].get<std::string>().c_str(), n["pci"].get<std::string>().c_str());
    if (!n["present"].get<bool>()) {
      std::printf(": unusable: %s\n", n["reason"].get<std::string>().c_str());
      continue;
    }
    std::printf(": %s, %s, %u CUs\n", n["name"].get<std::string>().c_str(),
                n["gfx_target"].get<std::string>().empty() ? "unknown gfx" : n["gfx_target"].get<std::string>().c_str(),
                n["compute_units"].get<unsigned>());
    std::printf("    VRAM %s (CPU-visible %s), GTT %s, compute rings %d (mask 0x%x)\n", gib(n["vram_bytes"]).c_str(),
                gib(n["vram_cpu_visible_bytes"]).c_str(), gib(n["gtt_bytes"]).c_str(), n["compute_rings"].get<int>(),
                n["compute_rings_mask"].get<unsigned>());
    if (!n["supported"].get<bool>()) std::printf("    not supported: %s\n", n["reason"].get<std::string>().c_str());
  }
  std::printf("simulator:\n");
  const auto& s = j["simulator"];
  if (s["present"].get<bool>())
    std::printf("  %s: models %s (%u CUs); %s\n", s["name"].get<std::string>().c_str(),
                s["models"].get<std::string>().c_str(), s["compute_units"].get<unsigned>(),
                s["note"].get<std::string>().c_str());
  else
    std::printf("  absent: %s\n", s["reason"].get<std::string>().c_str());
  std::printf("vulkan:\n");
  const auto& v = j["vulkan"];
  if (v["devices"].empty()) std::printf("  absent: %s\n", v.value("reason", "").c_str());
  for (const auto& d : v["devices"]) {
    std::printf("  %u: %s (%s, Vulkan %s)%s\n", d["index"].get<unsigned>(), d["name"].get<std::string>().c_str(),
                d["type"].get<std::string>().c_str(), d["api_version"].get<std::string>().c_str(),
                d["compute_queue"].get<bool>() ? "" : " (no compute queue)");
    for (const auto& h : d["heaps"])
      std::printf("    heap %u: %s%s\n", h["index"].get<unsigned>(), gib(h["size_bytes"]).c_str(),
                  h["device_local"].get<bool>() ? " DEVICE_LOCAL" : "");
    for (const auto& t : d["memory_types"])
      std::printf("    type %u: heap %u %s\n", t["index"].get<unsigned>(), t["heap"].get<unsigned>(),
                  t["flags_text"].get<std::string>().c_str());
  }
  if (!v["devices"].empty() && v.contains("reason"))
    std::printf("  note: %s\n", v["reason"].get<std::string>().c_str());
  std::printf("opengl (EGL):\n");
  const auto& g = j["opengl"];
  if (g["present"].get<bool>())
    std::printf("  %s | %s | GLSL %s (%s)\n", g["renderer"].get<std::string>().c_str(),
                g["version"].get<std::string>().c_str(), g["glsl_version"].get<std::string>().c_str(),
                g["platform"].get<std::string>().c_str());
  else
    std::printf("  absent: %s\n", g["reason"].get<std::string>().c_str());
}

Registrar reg(10, [](CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "List amdgpu devices, the simulator, Vulkan devices and the OpenGL renderer");
  auto as_json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *as_json, "Print JSON instead of text");
  cmd->callback([as_json] {
    json j = collect();
    if (*as_json)
      std::printf("%s\n", j.dump(2).c_str());
    else
      print_text(j);
  });
});

}  // namespace
}  // namespace spork::cli
