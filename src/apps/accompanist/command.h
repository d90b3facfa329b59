// Subcommands of `accompanist` register themselves: one file per command in
// commands/, compiled straight into the executable (not a static library, so
// the registration objects are never dropped by the linker).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace acc::apps {

// Adds the subcommand to app and returns the function that runs it (called
// after parsing when the subcommand was chosen). It returns the exit code.
using CommandSetup = std::function<std::function<int()>(CLI::App& app)>;

struct CommandEntry {
  std::string name;
  CommandSetup setup;
};

std::vector<CommandEntry>& command_registry();

struct CommandRegistration {
  CommandRegistration(std::string name, CommandSetup setup) {
    command_registry().push_back({std::move(name), std::move(setup)});
  }
};

#define ACC_REGISTER_COMMAND(name, setup_fn) \
  static const ::acc::apps::CommandRegistration acc_command_registration_##name(#name, setup_fn)

}  // namespace acc::apps
