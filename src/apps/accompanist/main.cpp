// accompanist: every tool but the trainer, as subcommands (see commands/).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <map>
#include <string>

#include "accompanist/command.h"
#include "accompanist/util/error.h"
#include "accompanist/util/heap.h"
#include "accompanist/util/log.h"
#include "accompanist/util/version.h"
#include "parse_command_line.h"

int main(int argc, char** argv) {
  acc::util::keep_freed_tensor_memory();  // before any tensor (util/heap.h)
  acc::util::init_logging();
  CLI::App app{"accompanist: learn to write a bass part under a piano part (and the reverse)", "accompanist"};
  app.set_version_flag("--version", std::string("accompanist ") + acc::version() + " (" + acc::git_revision() + ")");
  app.require_subcommand(1);

  auto& registry = acc::apps::command_registry();
  std::sort(registry.begin(), registry.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::map<std::string, std::function<int()>> runners;
  for (const auto& entry : registry) runners[entry.name] = entry.setup(app);

  if (auto status = acc::apps::parse_command_line(app, argc, argv)) return *status;

  try {
    for (auto& [name, run] : runners) {
      if (app.got_subcommand(name)) return run();
    }
    std::fprintf(stderr, "error: no subcommand ran\n");
    return 2;
  } catch (const acc::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
