// The environment variables of accompanist are all named ACCOMPANIST_* and
// listed in one table (docs/architecture.md, "Environment variables"). One
// that steers the programs only sets the default of an option that code (and,
// where a user would, a flag) can set itself, so no behaviour is reachable
// through the environment alone; the others are test hooks. Header-only.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace acc::util {

// The value of environment variable `name` when it is set and not empty
// (empty counts as unset, as `NAME= cmd` is the shell's way to clear it).
inline std::optional<std::string> env_value(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}

}  // namespace acc::util
