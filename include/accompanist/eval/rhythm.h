// Bar rhythms (thesis 4.3.1): every 4/4 bar is cut into the 32 REMI positions
// and written as a 32-character string, '1' where a note starts at that
// position and '0' elsewhere ("10000000000000001000000000000000" = onsets on
// the downbeat and the third beat). We keep a bar as a 32-bit mask, bit p =
// character p. Several notes starting at one position make one '1'.
//
// A note's bar and position follow the tokenizer (SPEC section 4): bar =
// onset div (4 tpq), position = floor(8 (onset mod 4 tpq) / tpq), so decoded
// REMI notes land exactly on their Position tokens.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "accompanist/midi/song.h"

namespace acc::eval {

constexpr int kPositionsPerBar = 32;
using BarMask = uint32_t;
using PositionHistogram = std::array<double, kPositionsPerBar>;

struct NotePosition {
  int64_t bar = 0;
  int position = 0;  // 0..31
};

// Bar and position of an onset (>= 0) at ticks_per_quarter (>= 1).
NotePosition note_position(int64_t onset, int ticks_per_quarter);

// One mask per bar for bars [0, num_bars); notes in later bars or with a
// negative onset are ignored. Throws acc::Error for tpq < 1 or num_bars < 0.
std::vector<BarMask> bar_masks(const std::vector<midi::Note>& notes, int ticks_per_quarter, int64_t num_bars);

// Notes (not distinct onsets) starting in each bar [0, num_bars).
std::vector<int> notes_per_bar(const std::vector<midi::Note>& notes, int ticks_per_quarter, int64_t num_bars);

// The thesis's 32-character string of a mask, and back (throws acc::Error
// for a string that is not 32 characters of '0' and '1').
std::string rhythm_string(BarMask mask);
BarMask parse_rhythm_string(std::string_view text);

// Onsets at each position per bar: histogram[p] = (bars with an onset at p) /
// bars, i.e. normalised by the number of bars as the thesis's Figs. 14-15; the
// sum is the mean number of onset positions per bar. All zeros for no bars.
PositionHistogram position_histogram(const std::vector<BarMask>& bars);

// Fraction of bars without any onset (0 for no bars).
double empty_bar_rate(const std::vector<BarMask>& bars);

// Mean onset positions per bar (set bits; 0 for no bars).
double mean_onsets_per_bar(const std::vector<BarMask>& bars);

// The thesis's mock set: for every bar one with the same number of onsets at
// positions drawn uniformly without replacement, so the density per bar is
// kept and the position distribution is flat. Deterministic in seed.
std::vector<BarMask> mock_bars(const std::vector<BarMask>& bars, uint64_t seed);

}  // namespace acc::eval
