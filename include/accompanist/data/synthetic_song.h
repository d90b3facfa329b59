// A generator of synthetic piano + bass songs with known structure, for tests,
// benchmarks and smoke runs of the whole pipeline without downloaded data.
//
// Each song: a random key (major or minor), a chord progression of diatonic
// triads and sevenths, one chord per bar or two; a piano part comping the
// chords in one of several patterns (block chords, arpeggios, syncopation);
// a bass part on the chord roots on the strong beats, with fifths, octaves and
// passing notes for variety; a random tempo, tpq (including 96, 220, 480, 960),
// density and length. Some songs add a drum part (channel 9) or split the
// piano over two tracks (left and right hand), as real files do. Everything
// follows from (seed, index), with our own integer RNG so that the songs are
// the same on every platform.
//
// The `chords` style is for measuring whether a model follows the harmony:
// exactly one triad a bar (major or minor diatonic chords, random or stock
// progressions), piano voicings in root position or an inversion (so the
// piano's lowest note is often not the root), and a bass that opens every bar
// on the chord root.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "accompanist/midi/song.h"

namespace acc::data {

enum class SynthStyle {
  kMixed,   // the varied set: sevenths, half-bar chords, passing notes
  kChords,  // one triad a bar, inversions, the bass on the root at each bar start
};

// "mixed" / "chords"; throws acc::Error for another name.
SynthStyle parse_synth_style(const std::string& name);

struct SyntheticSongInfo {
  int ticks_per_quarter = 480;
  int key = 0;  // pitch class of the tonic, 0 = C
  bool minor = false;
  double bpm = 120;
  int bars = 0;
  int64_t chord_ticks = 0;               // every chord lasts this long (a bar or half a bar)
  std::vector<std::vector<int>> chords;  // pitch classes of each chord in song order, root first
  int64_t max_jitter = 0;                // onsets move by at most this many ticks
  std::string piano_pattern;
  std::string bass_pattern;
  std::vector<int> inversions;  // per chord: 0 root position, 1 first, 2 second (chords style; else empty)
};

struct SyntheticSong {
  midi::Song song;
  SyntheticSongInfo info;
  std::string relative_path;  // "artist_NNN/song_NNNNN.mid"
};

// Song `index` of the set generated from `seed`.
SyntheticSong make_synthetic_song(uint64_t seed, uint64_t index, SynthStyle style = SynthStyle::kMixed);

// Writes songs [0, count) under dir (Artist/Song.mid layout), in parallel on
// `threads` threads (0 = all cores). Returns the relative paths, in order.
std::vector<std::string> write_synthetic_set(const std::string& dir, uint64_t count, uint64_t seed, int threads = 0,
                                             bool progress = false, SynthStyle style = SynthStyle::kMixed);

}  // namespace acc::data
