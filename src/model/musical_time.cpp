#include "accompanist/model/musical_time.h"

#include <algorithm>

namespace acc::model {

std::vector<int64_t> bar_indices(const int64_t* ids, int64_t n, const std::vector<int32_t>& bar_counts) {
  std::vector<int64_t> out(size_t(std::max<int64_t>(n, 0)));
  int64_t seen = 0;
  for (int64_t i = 0; i < n; ++i) out[size_t(i)] = next_bar_index(seen, ids[i], bar_counts);
  return out;
}

int64_t next_bar_index(int64_t& bars_seen, int64_t id, const std::vector<int32_t>& bar_counts) {
  if (id >= 0 && size_t(id) < bar_counts.size()) bars_seen += bar_counts[size_t(id)];
  return std::max<int64_t>(0, bars_seen - 1);
}

MusicalTime::MusicalTime(const ModelConfig& config, std::vector<int32_t> bar_counts)
    : bars_(needs_bars(config) && !bar_counts.empty()),
      chords_(bars_ && needs_chords(config)),
      bar_counts_(std::move(bar_counts)) {}

int64_t MusicalTime::bars_in(const int64_t* ids, int64_t n) const {
  int64_t bars = 0;
  for (int64_t i = 0; i < n; ++i) bars += bar_count(ids[i]);
  return bars;
}

std::vector<int64_t> MusicalTime::bar_indices(const int64_t* ids, int64_t n) const {
  return model::bar_indices(ids, n, bar_counts_);
}

int64_t MusicalTime::advance(Clock& clock, int64_t id) const {
  clock.bar = next_bar_index(clock.bars_seen, id, bar_counts_);
  return clock.bar;
}

}  // namespace acc::model
