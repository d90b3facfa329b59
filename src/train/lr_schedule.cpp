#include "accompanist/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace acc::train {

double LrSchedule::at(int64_t step) const {
  step = std::max<int64_t>(step, 1);
  if (warmup_steps > 0 && step <= warmup_steps) return peak * double(step) / double(warmup_steps);
  if (kind == "cosine") {
    const double span = double(std::max<int64_t>(total_steps - warmup_steps, 1));
    const double progress = std::min(1.0, double(step - warmup_steps) / span);
    const double floor = min_ratio * peak;
    return floor + (peak - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
  }
  if (kind == "inverse_sqrt") {
    // Continuous at the end of warmup (fairseq's inverse_sqrt).
    const double pivot = double(std::max<int64_t>(warmup_steps, 1));
    return peak * std::sqrt(pivot / double(step));
  }
  return peak;
}

}  // namespace acc::train
