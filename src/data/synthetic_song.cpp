#include "accompanist/data/synthetic_song.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "accompanist/midi/meter.h"
#include "accompanist/midi/writer.h"
#include "accompanist/util/error.h"
#include "accompanist/util/progress.h"
#include "accompanist/util/splitmix64.h"
#include "accompanist/util/thread_pool.h"

namespace acc::data {
namespace {

// A splitmix64 stream: identical everywhere (std:: distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return util::splitmix64_next(state_); }
  int uniform(int lo, int hi) { return lo + int(next() % uint64_t(hi - lo + 1)); }  // inclusive
  double unit() { return double(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[next() % v.size()];
  }

 private:
  uint64_t state_;
};

const std::vector<int> kMajor = {0, 2, 4, 5, 7, 9, 11};
const std::vector<int> kMinor = {0, 2, 3, 5, 7, 8, 10};
const std::vector<std::vector<int>> kMajorProgressions = {{0, 4, 5, 3}, {0, 5, 3, 4}, {1, 4, 0, 0}, {0, 3, 4, 3},
                                                          {0, 3, 0, 4}, {5, 3, 0, 4}, {0, 2, 3, 4}};
const std::vector<std::vector<int>> kMinorProgressions = {
    {0, 5, 2, 6}, {0, 3, 4, 0}, {0, 6, 5, 6}, {0, 3, 6, 2}, {0, 5, 3, 4}};
const std::vector<int> kTicksPerQuarter = {96, 120, 192, 220, 240, 384, 480, 960};
const std::vector<std::string> kPianoPatterns = {"whole", "half", "quarter", "arpeggio", "syncopated"};
const std::vector<std::string> kBassPatterns = {"whole", "roots", "root-fifth", "quarter", "eighth"};

struct Chord {
  std::vector<int> pitch_classes;  // root first
  int64_t start = 0, end = 0;      // ticks
  int inversion = 0;               // chords style: which chord tone the piano puts lowest
};

// The scale step `degree` (may exceed 6) as semitones above the tonic.
int scale_semitones(const std::vector<int>& scale, int degree) {
  return scale[size_t(degree % 7)] + 12 * (degree / 7);
}

// Places pitch classes near `center`, inside [lo, hi], sorted, without repeats.
std::vector<int> voice(const std::vector<int>& pcs, int center, int lo, int hi) {
  std::vector<int> out;
  for (int pc : pcs) {
    int p = center - ((center - pc) % 12 + 12) % 12;  // highest pitch <= center with this class
    if (center - p > 6) p += 12;
    while (p < lo) p += 12;
    while (p > hi) p -= 12;
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class SongBuilder {
 public:
  SongBuilder(uint64_t seed, uint64_t index, SynthStyle style)
      : rng_(seed * 0x100000001B3ull ^ (index + 0x51ED270B2F9A3ULL)), style_(style) {}

  SyntheticSong build(uint64_t index) {
    SyntheticSong out;
    SyntheticSongInfo& info = out.info;
    info.ticks_per_quarter = rng_.pick(kTicksPerQuarter);
    tpq_ = info.ticks_per_quarter;
    info.key = rng_.uniform(0, 11);
    info.minor = rng_.chance(0.4);
    info.bpm = rng_.uniform(70, 160);
    info.bars = rng_.uniform(16, 96);
    info.piano_pattern = rng_.pick(kPianoPatterns);
    info.bass_pattern = rng_.pick(kBassPatterns);
    jitter_ = rng_.chance(0.4) ? tpq_ / 24 : 0;
    info.max_jitter = jitter_;

    if (style_ == SynthStyle::kChords)
      build_bar_chords(info);
    else
      build_chords(info);
    midi::Song& song = out.song;
    song.format = 1;
    song.ticks_per_quarter = tpq_;
    song.tempos.push_back({0, int(60e6 / info.bpm)});
    if (rng_.chance(0.2)) song.tempos.push_back({int64_t(info.bars / 2) * bar_ticks(), int(60e6 / (info.bpm * 1.1))});
    song.time_signatures.push_back({0, midi::kBeatsPerBar, 4});

    int piano_program = rng_.uniform(0, 7), bass_program = rng_.uniform(32, 39);
    bool split_hands = rng_.chance(0.25);
    // In the chords style a left hand on the root would give the bass away too
    // often; the inversions are the point there.
    bool left_hand = split_hands || rng_.chance(style_ == SynthStyle::kChords ? 0.1 : 0.5);
    midi::Part right{0, 0, piano_program, false, "Piano", {}};
    midi::Part left{0, 2, piano_program, false, "Piano LH", {}};
    piano(info.piano_pattern, right.notes, left_hand ? (split_hands ? &left.notes : &right.notes) : nullptr);
    midi::Part bass_part{0, 1, bass_program, false, "Bass", {}};
    bass(info, bass_part.notes);

    std::vector<midi::Part> parts;
    parts.push_back(std::move(right));
    if (split_hands) parts.push_back(std::move(left));
    parts.insert(rng_.chance(0.3) ? parts.begin() : parts.end(), std::move(bass_part));
    if (rng_.chance(0.3)) parts.push_back(drums(info));
    for (size_t i = 0; i < parts.size(); ++i) {
      parts[i].track = int(i) + 1;
      sort_notes(parts[i].notes);
    }
    song.parts = std::move(parts);
    out.relative_path = fmt::format("artist_{:03}/song_{:05}.mid", index / 10, index);
    return out;
  }

 private:
  void build_chords(SyntheticSongInfo& info) {
    const std::vector<int>& scale = info.minor ? kMinor : kMajor;
    std::vector<int> degrees = rng_.pick(info.minor ? kMinorProgressions : kMajorProgressions);
    if (rng_.chance(0.4)) {
      const auto& more = rng_.pick(info.minor ? kMinorProgressions : kMajorProgressions);
      degrees.insert(degrees.end(), more.begin(), more.end());
    }
    bool sevenths = rng_.chance(0.35);
    int64_t span = rng_.chance(0.25) ? bar_ticks() / 2 : bar_ticks();  // chords per half bar or per bar
    info.chord_ticks = span;
    int64_t song_end = int64_t(info.bars) * bar_ticks();
    for (int64_t t = 0, k = 0; t < song_end; t += span, ++k) {
      int d = degrees[size_t(k) % degrees.size()];
      Chord c;
      for (int step : {0, 2, 4}) c.pitch_classes.push_back((info.key + scale_semitones(scale, d + step)) % 12);
      if (sevenths) c.pitch_classes.push_back((info.key + scale_semitones(scale, d + 6)) % 12);
      c.start = t;
      c.end = std::min(song_end, t + span);
      chords_.push_back(c);
      info.chords.push_back(c.pitch_classes);
    }
  }

  // The chords style: one triad a bar from the chords whose quality a triad
  // template names without doubt (no diminished ones), each in root position
  // or an inversion.
  void build_bar_chords(SyntheticSongInfo& info) {
    const std::vector<int>& scale = info.minor ? kMinor : kMajor;
    const std::vector<int> usable =
        info.minor ? std::vector<int>{0, 2, 3, 4, 5, 6} : std::vector<int>{0, 1, 2, 3, 4, 5};
    std::vector<int> degrees;
    if (rng_.chance(0.5)) {
      for (int d : rng_.pick(info.minor ? kMinorProgressions : kMajorProgressions))
        if (std::find(usable.begin(), usable.end(), d) != usable.end()) degrees.push_back(d);
    } else {
      const int n = rng_.uniform(3, 8);
      for (int i = 0; i < n; ++i) degrees.push_back(i == 0 ? 0 : rng_.pick(usable));
    }
    const int inversion_mode = rng_.uniform(0, 3);  // 0-2: that inversion throughout; 3: a random one per chord
    info.chord_ticks = bar_ticks();
    const int64_t song_end = int64_t(info.bars) * bar_ticks();
    for (int64_t t = 0, k = 0; t < song_end; t += info.chord_ticks, ++k) {
      const int d = degrees[size_t(k) % degrees.size()];
      Chord c;
      for (int step : {0, 2, 4}) c.pitch_classes.push_back((info.key + scale_semitones(scale, d + step)) % 12);
      c.start = t;
      c.end = std::min(song_end, t + info.chord_ticks);
      c.inversion = inversion_mode == 3 ? rng_.uniform(0, 2) : inversion_mode;
      chords_.push_back(c);
      info.chords.push_back(c.pitch_classes);
      info.inversions.push_back(c.inversion);
    }
  }

  // Close position from the inversion's bass note upwards, lowest note in [52, 63].
  static std::vector<int> invert(const Chord& c) {
    std::vector<int> out;
    int prev = -1;
    for (int i = 0; i < 3; ++i) {
      const int pc = c.pitch_classes[size_t((c.inversion + i) % 3)];
      int p = prev < 0 ? 52 + ((pc - 52) % 12 + 12) % 12 : prev + 1 + ((pc - prev - 1) % 12 + 12) % 12;
      out.push_back(p);
      prev = p;
    }
    return out;
  }

  // Adds a note in the slot [slot_start, slot_end): onset jittered, the end
  // kept clear of the next slot so that same-pitch notes never overlap.
  void note(std::vector<midi::Note>& out, int pitch, int velocity, int64_t slot_start, int64_t slot_end,
            double legato) {
    int64_t len = slot_end - slot_start;
    int64_t end = slot_start + std::max<int64_t>(1, int64_t(double(len) * legato));
    end = std::min(end, slot_end - jitter_ - 1);
    int64_t start = slot_start + (jitter_ > 0 ? rng_.uniform(-jitter_, jitter_) : 0);
    start = std::max<int64_t>(0, start);
    if (end <= start) end = start + 1;
    velocity = std::clamp(velocity + rng_.uniform(-8, 8), 1, 127);
    out.push_back({pitch, velocity, start, end});
  }

  void piano(const std::string& pattern, std::vector<midi::Note>& right, std::vector<midi::Note>* left) {
    int base_velocity = rng_.uniform(55, 95);
    double legato = 0.6 + 0.35 * rng_.unit();
    int center = rng_.uniform(60, 68);
    const int64_t q = tpq_, e = tpq_ / 2;
    for (const Chord& c : chords_) {
      std::vector<int> v = style_ == SynthStyle::kChords ? invert(c) : voice(c.pitch_classes, center, 52, 79);
      std::vector<std::pair<int64_t, int64_t>> slots;  // relative to the chord start
      int64_t span = c.end - c.start;
      if (pattern == "whole")
        slots = {{0, span}};
      else if (pattern == "half")
        for (int64_t t = 0; t < span; t += 2 * q) slots.push_back({t, std::min(span, t + 2 * q)});
      else if (pattern == "quarter")
        for (int64_t t = 0; t < span; t += q) slots.push_back({t, std::min(span, t + q)});
      else if (pattern == "syncopated")
        for (int64_t bar = 0; bar < span; bar += bar_ticks())
          for (auto [a, b] : {std::pair<int64_t, int64_t>{0, 3 * e}, {3 * e, 6 * e}, {6 * e, 8 * e}})
            if (bar + a < span) slots.push_back({bar + a, std::min(span, bar + b)});
      if (pattern == "arpeggio") {
        size_t k = 0;
        for (int64_t t = 0; t + e <= span; t += e, ++k)
          note(right, v[k % v.size()] + (k / v.size() % 2 ? 12 : 0), base_velocity, c.start + t, c.start + t + e, 0.9);
      } else {
        for (auto [a, b] : slots)
          for (int p : v) note(right, p, base_velocity, c.start + a, c.start + b, legato);
      }
      if (left) {
        int root = voice({c.pitch_classes[0]}, 42, 36, 47)[0];
        note(*left, root, base_velocity - 5, c.start, c.end, 0.9);
        if (span >= bar_ticks() && rng_.chance(0.5)) {
          int fifth = voice({c.pitch_classes[2]}, 42, 36, 47)[0];  // the chord's own fifth
          if (fifth != root) note(*left, fifth, base_velocity - 10, c.start + 2 * q, c.end, 0.8);
        }
      }
    }
  }

  void bass(const SyntheticSongInfo& info, std::vector<midi::Note>& out) {
    int base_velocity = rng_.uniform(70, 110);
    const int64_t q = tpq_, e = tpq_ / 2;
    // Sometimes the bass rests for a stretch (a break), so some windows lose it.
    int64_t rest_from = -1, rest_to = -1;
    if (rng_.chance(0.2)) {
      rest_from = int64_t(rng_.uniform(0, info.bars - 1)) * bar_ticks();
      rest_to = rest_from + int64_t(rng_.uniform(4, 30)) * bar_ticks();
    }
    const std::string& pattern = info.bass_pattern;
    for (size_t k = 0; k < chords_.size(); ++k) {
      const Chord& c = chords_[k];
      int root = 28 + ((c.pitch_classes[0] - 28) % 12 + 12) % 12;              // E1..D#2
      int fifth = root + (c.pitch_classes[2] - c.pitch_classes[0] + 12) % 12;  // the chord's own fifth
      std::vector<std::pair<int64_t, int>> hits;  // (offset in the chord, pitch); strong beats first
      int64_t span = c.end - c.start;
      int64_t step = pattern == "whole" ? span : pattern == "quarter" ? q : pattern == "eighth" ? e : 2 * q;
      for (int64_t t = 0, i = 0; t < span; t += step, ++i) {
        int pitch = root;
        if (pattern == "root-fifth" && i % 2 == 1) pitch = fifth;
        if (pattern == "quarter" && i % 4 == 2 && rng_.chance(0.3)) pitch = root + 12;
        // Variation: now and then a fifth or a passing tone off the strong beat.
        if (i % 2 == 1 && rng_.chance(0.1)) pitch = rng_.chance(0.5) ? fifth : root + 2;
        hits.push_back({t, pitch});
      }
      if (pattern == "quarter" && k + 1 < chords_.size() && rng_.chance(0.3) && !hits.empty()) {
        int next_root = 28 + ((chords_[k + 1].pitch_classes[0] - 28) % 12 + 12) % 12;
        hits.back().second = next_root + (next_root > root ? -1 : 1);  // chromatic approach
      }
      for (size_t i = 0; i < hits.size(); ++i) {
        int64_t start = c.start + hits[i].first;
        if (start >= rest_from && start < rest_to) continue;
        int64_t end = i + 1 < hits.size() ? c.start + hits[i + 1].first : c.end;
        note(out, hits[i].second, base_velocity, start, end, 0.85);
      }
    }
  }

  midi::Part drums(const SyntheticSongInfo& info) {
    midi::Part p{0, 9, 0, true, "Drums", {}};
    const int64_t e = tpq_ / 2;
    for (int64_t t = 0; t < int64_t(info.bars) * bar_ticks(); t += e) {
      int64_t beat = t / tpq_;
      bool on_beat = t % tpq_ == 0;
      p.notes.push_back({42, 70, t, t + e / 2});
      if (on_beat && beat % 2 == 0) p.notes.push_back({36, 100, t, t + e / 2});
      if (on_beat && beat % 2 == 1) p.notes.push_back({38, 95, t, t + e / 2});
    }
    return p;
  }

  static void sort_notes(std::vector<midi::Note>& notes) {
    std::sort(notes.begin(), notes.end(), [](const midi::Note& a, const midi::Note& b) {
      if (a.start != b.start) return a.start < b.start;
      if (a.pitch != b.pitch) return a.pitch < b.pitch;
      return a.end < b.end;
    });
  }

  // The songs are in 4/4 (midi/meter.h).
  int64_t bar_ticks() const { return int64_t(midi::kBeatsPerBar) * tpq_; }

  Rng rng_;
  SynthStyle style_;
  int tpq_ = 480;
  int64_t jitter_ = 0;
  std::vector<Chord> chords_;
};

}  // namespace

SynthStyle parse_synth_style(const std::string& name) {
  if (name == "mixed") return SynthStyle::kMixed;
  if (name == "chords") return SynthStyle::kChords;
  throw Error("synth style", "unknown style \"" + name + "\" (choose mixed or chords)");
}

SyntheticSong make_synthetic_song(uint64_t seed, uint64_t index, SynthStyle style) {
  return SongBuilder(seed, index, style).build(index);
}

std::vector<std::string> write_synthetic_set(const std::string& dir, uint64_t count, uint64_t seed, int threads,
                                             bool progress, SynthStyle style) {
  std::vector<std::string> paths(count);
  util::ThreadPool pool(threads);
  std::unique_ptr<util::Progress> bar;
  if (progress) {
    bar = std::make_unique<util::Progress>("synth", count, "songs");
  }
  pool.parallel_for(count, [&](size_t i) {
    SyntheticSong s = make_synthetic_song(seed, i, style);
    std::filesystem::path out = std::filesystem::path(dir) / s.relative_path;
    std::error_code ec;
    std::filesystem::create_directories(out.parent_path(), ec);
    if (ec) throw Error(out.parent_path().string(), "cannot create directory: " + ec.message());
    midi::write_midi_file(s.song, out.string());
    paths[i] = s.relative_path;
    if (bar) bar->add();
  });
  if (bar) bar->finish();
  return paths;
}

}  // namespace acc::data
