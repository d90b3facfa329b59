#include "accompanist/midi/meter.h"

#include <algorithm>
#include <string>

#include "accompanist/util/error.h"

namespace acc::midi {

int64_t bar_count(const std::vector<Note>& notes, int ticks_per_quarter) {
  int64_t bars = 0;
  for (const Note& note : notes) {
    if (note.start < 0) continue;
    ACC_CHECK(ticks_per_quarter >= 1, "ticks per quarter", std::to_string(ticks_per_quarter) + " is not positive");
    bars = std::max(bars, note.start / (int64_t(kBeatsPerBar) * ticks_per_quarter) + 1);
  }
  return bars;
}

}  // namespace acc::midi
