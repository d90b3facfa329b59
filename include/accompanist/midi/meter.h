// Bars are 4 beats (quarter notes) throughout accompanist, as in the thesis
// and MidiTok's REMI: time signatures are read and written but never change
// where a bar starts. One constant for the tokenizer's time grid, the chord of
// each bar, the rhythm measures, the windows of prep and the synthetic songs,
// and one count of the bars a part's notes span.
#pragma once

#include <cstdint>
#include <vector>

#include "accompanist/midi/song.h"

namespace acc::midi {

constexpr int kBeatsPerBar = 4;

// Bars from bar 0 up to the bar of the last onset, a note's bar being
// onset div (kBeatsPerBar * ticks_per_quarter); notes with a negative onset
// are skipped, so 0 without notes. Throws acc::Error for a note when
// ticks_per_quarter < 1.
int64_t bar_count(const std::vector<Note>& notes, int ticks_per_quarter);

}  // namespace acc::midi
