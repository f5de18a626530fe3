// spork CLI plumbing: each command lives in its own tools/cmd_*.cpp and registers
// itself with a static Registrar, so commands are added without touching main.cpp.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <stdexcept>
#include <string>

namespace spork::cli {

// Adds a subcommand (and its callback) to the top-level app.
using CommandSetup = std::function<void(CLI::App& app)>;

struct Registrar {
  // order: position in `spork --help` (lower first).
  Registrar(int order, CommandSetup setup);
};

// Thrown by a command to end the process with a message and an exit status.
struct Exit : std::runtime_error {
  int code;
  Exit(int c, const std::string& msg = "") : std::runtime_error(msg), code(c) {}
};

}  // namespace spork::cli
