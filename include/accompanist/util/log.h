// Logging through spdlog; every line carries the rank when there are several.
#pragma once

#include <spdlog/spdlog.h>

namespace acc::util {

// Sets the pattern "[HH:MM:SS.mmm] [rank r/w] [level] msg" (rank part only
// when world > 1) and the level from ACCOMPANIST_LOG_LEVEL (default info).
void init_logging(int rank = 0, int world = 1);

}  // namespace acc::util
