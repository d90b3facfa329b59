// Bars are 4 beats (quarter notes) throughout accompanist, as in the thesis
// and MidiTok's REMI: time signatures are read and written but never change
// where a bar starts. One constant for the tokenizer's time grid, the chord of
// each bar, the rhythm measures, the windows of prep and the synthetic songs.
#pragma once

namespace acc::midi {

constexpr int kBeatsPerBar = 4;

}  // namespace acc::midi
