// Snippets and pairs (SPEC section 3): pick the source and target parts of a
// song, cut both into consecutive windows of window_beats beats from tick 0,
// and keep the windows where both parts have enough notes.
//
// A note belongs to the window of its onset; its end is clipped to the window
// end; times become relative to the window start. Only notes with a pitch in
// [21, 108] (the REMI range) count towards min_notes and the density filter,
// since the tokenizer drops the others.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "accompanist/data/prep_config.h"
#include "accompanist/midi/song.h"

namespace acc::data {

struct SnippetPair {
  uint32_t window = 0;                     // index of the window in the song (dropped windows keep their numbers)
  std::vector<midi::Note> source, target;  // file ticks, relative to the window start
};

struct WindowStats {
  uint64_t windows = 0;          // windows from tick 0 up to the last onset of either part
  uint64_t dropped_sparse = 0;   // a part empty or with fewer than min_notes notes
  uint64_t dropped_density = 0;  // outside filter.{min,max}_notes_per_bar
};

struct SongSnippets {
  // Empty when the song is usable; otherwise why not ("no bass part", ...).
  std::string skip_reason;
  std::vector<SnippetPair> pairs;
  WindowStats stats;
};

// The part of `family` in song: the only one, or several merged ("merge") or
// the one with most notes ("largest"); nullopt when the song has none.
std::optional<midi::Part> select_family_part(const midi::Song& song, const std::string& family,
                                             const std::map<std::string, std::vector<int>>& families,
                                             const std::string& merge);

// Cuts the two note lists (file ticks) into windows of window_ticks.
std::vector<SnippetPair> cut_windows(const std::vector<midi::Note>& source, const std::vector<midi::Note>& target,
                                     int64_t window_ticks, const PrepConfig& config, WindowStats* stats = nullptr);

// The whole of section 3 for one song under config (direction, families,
// merge, window_beats, min_notes, density filter).
SongSnippets extract_snippets(const midi::Song& song, const PrepConfig& config);

// Shifts every pitch by semitones (notes outside [21, 108] are left out, as
// the tokenizer drops them); nullopt when a shifted pitch would leave that range.
std::optional<std::vector<midi::Note>> transpose_notes(const std::vector<midi::Note>& notes, int semitones);

}  // namespace acc::data
