#include "accompanist/midi/chord.h"

#include <algorithm>

#include "accompanist/midi/meter.h"
#include "accompanist/util/error.h"

namespace acc::midi {

namespace {

constexpr const char* kPitchNames[12] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};

int pitch_class(int pitch) {
  return ((pitch % 12) + 12) % 12;
}

struct Candidate {
  Chord chord;
  __int128 dot = 0;  // chroma . template
  int size = 0;      // template notes
};

// a scores higher than b: cos^2 = dot^2 / (|chroma|^2 size) with the same
// |chroma|, compared exactly as dot_a^2 size_b vs dot_b^2 size_a (dot >= 0).
// Then the tie rule of match_chord.
bool better(const Candidate& a, const Candidate& b, const BarChroma& chroma) {
  const __int128 lhs = a.dot * a.dot * b.size, rhs = b.dot * b.dot * a.size;
  if (lhs != rhs) return lhs > rhs;
  if (a.size != b.size) return a.size < b.size;
  if (a.chord.quality != b.chord.quality) return int(a.chord.quality) < int(b.chord.quality);
  const int64_t wa = chroma[size_t(a.chord.root)], wb = chroma[size_t(b.chord.root)];
  if (wa != wb) return wa > wb;
  return a.chord.root < b.chord.root;
}

}  // namespace

const std::vector<int>& chord_intervals(ChordQuality quality) {
  static const std::vector<int> kIntervals[kNumChordQualities] = {
      {0, 4, 7}, {0, 3, 7}, {0, 5, 7}, {0, 3, 6}, {0, 4, 8}, {0, 4, 7, 10}, {0, 4, 7, 11}, {0, 3, 7, 10}};
  const int q = int(quality);
  ACC_CHECK(q >= 0 && q < kNumChordQualities, "chord quality", std::to_string(q) + " is not a template");
  return kIntervals[q];
}

Chord make_chord(int root, ChordQuality quality) {
  Chord chord;
  chord.root = pitch_class(root);
  chord.quality = quality;
  for (int interval : chord_intervals(quality)) chord.pitch_classes |= uint16_t(1u << ((chord.root + interval) % 12));
  return chord;
}

std::string chord_name(const Chord& chord) {
  static const char* kSuffix[kNumChordQualities] = {"", "m", "sus4", "dim", "aug", "7", "maj7", "m7"};
  return std::string(kPitchNames[chord.root]) + kSuffix[int(chord.quality)];
}

std::vector<BarChroma> bar_chromas(const std::vector<midi::Note>& notes, int ticks_per_quarter, int64_t num_bars) {
  ACC_CHECK(ticks_per_quarter >= 1, "ticks per quarter", "not positive");
  ACC_CHECK(num_bars >= 0, "bars", "negative count");
  const int64_t bar_ticks = int64_t(kBeatsPerBar) * ticks_per_quarter;
  std::vector<BarChroma> chroma(size_t(num_bars), BarChroma{});
  for (const midi::Note& note : notes) {
    const int64_t start = std::max<int64_t>(note.start, 0);
    const int64_t end = std::min(note.end, num_bars * bar_ticks);
    for (int64_t bar = start / bar_ticks; bar < num_bars && bar * bar_ticks < end; ++bar) {
      const int64_t lo = std::max(start, bar * bar_ticks);
      const int64_t hi = std::min(end, (bar + 1) * bar_ticks);
      if (hi > lo) chroma[size_t(bar)][size_t(pitch_class(note.pitch))] += hi - lo;
    }
  }
  return chroma;
}

std::optional<Chord> match_chord(const BarChroma& chroma) {
  if (std::all_of(chroma.begin(), chroma.end(), [](int64_t v) { return v == 0; })) return std::nullopt;
  std::optional<Candidate> best;
  for (int q = 0; q < kNumChordQualities; ++q) {
    for (int root = 0; root < 12; ++root) {
      Candidate c;
      c.chord = make_chord(root, ChordQuality(q));
      c.size = int(chord_intervals(ChordQuality(q)).size());
      for (int pc = 0; pc < 12; ++pc)
        if (c.chord.contains(pc)) c.dot += chroma[size_t(pc)];
      if (!best || better(c, *best, chroma)) best = c;
    }
  }
  return best->chord;
}

std::vector<std::optional<Chord>> bar_chords(const std::vector<midi::Note>& source, int ticks_per_quarter,
                                             int64_t num_bars) {
  std::vector<std::optional<Chord>> chords;
  for (const BarChroma& chroma : bar_chromas(source, ticks_per_quarter, num_bars))
    chords.push_back(match_chord(chroma));
  return chords;
}

int chord_id(const std::optional<Chord>& chord) {
  if (!chord) return 0;
  return 1 + chord->root * kNumChordQualities + int(chord->quality);
}

}  // namespace acc::midi
