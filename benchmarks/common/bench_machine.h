// The fields every benchmark line carries: git revision and machine.
#pragma once

#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "accompanist/util/version.h"

namespace acc::bench {

inline std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

inline nlohmann::json machine_fields() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return {{"git", acc::git_revision()},
          {"host", host},
          {"cpu", cpu_model()},
          {"cores", static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN))}};
}

}  // namespace acc::bench
