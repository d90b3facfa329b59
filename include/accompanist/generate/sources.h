// What to generate for: pairs of a corpus split (random with a seed, or
// given indices), or the source part of any MIDI file cut into windows of the
// corpus's length and stitched back afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "accompanist/midi/families.h"
#include "accompanist/midi/song.h"

namespace acc::generate {

// count distinct indices of [0, split_size), drawn with std::mt19937_64(seed)
// (partial Fisher-Yates), in ascending order. Throws acc::Error when count is
// 0 or larger than split_size.
std::vector<size_t> choose_indices(size_t split_size, size_t count, uint64_t seed);

// "3,7,9" -> {3, 7, 9} (order kept). Throws acc::Error("--indices", ...) for
// anything but comma-separated non-negative integers below split_size, or a
// repeated index.
std::vector<size_t> parse_indices(const std::string& text, size_t split_size);

// The source part of a song: `part_spec` "TRACK:CHANNEL" names it (all
// programs of that track and channel merged), otherwise the parts of `family`
// merged. Throws acc::Error(what, ...) when there is no such part or it has
// no notes.
midi::Part choose_source_part(const midi::Song& song, const std::string& part_spec, const std::string& family,
                              const midi::FamilyPrograms& families, const std::string& what);

// Notes (file ticks) -> consecutive windows of window_ticks from tick 0 up to
// the window of the last onset: a note belongs to the window of its onset,
// its end is clipped to the window end, times are relative to the window.
std::vector<std::vector<midi::Note>> cut_into_windows(const std::vector<midi::Note>& notes, int64_t window_ticks);

// The inverse at another resolution: window w's notes (relative, in ticks of
// the output) move to w * window_ticks, ends clipped to the window end.
std::vector<midi::Note> stitch_windows(const std::vector<std::vector<midi::Note>>& windows, int64_t window_ticks);

// Rescales ticks from one resolution to another (rounded to nearest), for
// notes and tempo and time-signature maps, so a song keeps its timing.
int64_t rescale_tick(int64_t tick, int from_tpq, int to_tpq);
std::vector<midi::Note> rescale_notes(const std::vector<midi::Note>& notes, int from_tpq, int to_tpq);

}  // namespace acc::generate
