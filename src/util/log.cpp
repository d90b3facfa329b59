#include "accompanist/util/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <optional>
#include <string>

#include "accompanist/util/env.h"

namespace acc::util {

void init_logging(int rank, int world) {
  // Log to stderr so that stdout stays clean for JSON output.
  spdlog::drop("accompanist");
  auto logger = spdlog::stderr_color_mt("accompanist");
  spdlog::set_default_logger(logger);
  std::string prefix = world > 1 ? "[rank " + std::to_string(rank) + "/" + std::to_string(world) + "] " : "";
  spdlog::set_pattern("[%H:%M:%S.%e] " + prefix + "[%^%l%$] %v");
  const std::optional<std::string> level = env_value("ACCOMPANIST_LOG_LEVEL");
  spdlog::set_level(level ? spdlog::level::from_str(*level) : spdlog::level::info);
}

}  // namespace acc::util
