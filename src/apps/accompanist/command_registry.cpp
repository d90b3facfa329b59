#include "accompanist/command.h"

namespace acc::apps {

std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> registry;  // function-local: safe during static init
  return registry;
}

}  // namespace acc::apps
