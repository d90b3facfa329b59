// Learning rate as a pure function of the optimizer step, so that a resumed
// run recomputes it instead of trusting restored optimizer options.
#pragma once

#include <cstdint>
#include <string>

namespace acc::train {

struct LrSchedule {
  std::string kind = "constant";  // constant | cosine | inverse_sqrt
  double peak = 1e-4;
  int64_t warmup_steps = 0;  // linear from peak/warmup to peak
  int64_t total_steps = 1;   // cosine reaches min_ratio * peak here
  double min_ratio = 0.0;

  // Learning rate for the update that makes step `step` (1-based).
  double at(int64_t step) const;
};

}  // namespace acc::train
