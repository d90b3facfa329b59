#include "accompanist/tokenizer/remi.h"

#include <algorithm>
#include <array>
#include <string>

#include "accompanist/util/error.h"

namespace acc::tokenizer {
namespace {

// A note after MidiTok's preprocessing: snapped times, velocity bin.
struct SnappedNote {
  int pitch;
  int velocity_bin;
  int64_t start;
  int64_t end;          // snapped (or clipped) offset, before the duration table
  int64_t start_steps;  // start / step
  int64_t end_steps;    // end / step, when tpq is divisible by 8 (then every end is a whole step)
};

void check_resolution(int ticks_per_quarter) {
  if (ticks_per_quarter < kMinTicksPerQuarter) {
    throw Error("ticks per quarter", std::to_string(ticks_per_quarter) + " is below " +
                                         std::to_string(kMinTicksPerQuarter) +
                                         ", the smallest resolution REMI tokenizes (MidiTok skips such files)");
  }
}

// Index of the nearest multiple of step; an exact half step goes down
// (MidiTok's `offset <= step / 2`). One division gives quotient and offset.
int64_t snap_steps(int64_t tick, int64_t step) {
  int64_t q = tick / step;
  int64_t offset = tick - q * step;
  if (offset < 0) {  // floor division for negative ends (never in files; stay total)
    offset += step;
    --q;
  }
  return 2 * offset <= step ? q : q + 1;
}

// Velocity bin of every MIDI velocity, at compile time: the nearest of
// 15, 31, ..., 127, ties to the lower bin (as Vocabulary::velocity_bin).
constexpr std::array<int8_t, 128> kVelocityBins = [] {
  std::array<int8_t, 128> t{};
  for (int v = 0; v < 128; ++v) {
    int bin = 0;
    while (bin + 1 < kNumVelocities && 16 * (bin + 1) + 15 - v < v - (16 * bin + 15)) ++bin;
    t[size_t(v)] = int8_t(bin);
  }
  return t;
}();

int velocity_bin(int velocity) {
  return velocity >= 0 && velocity < 128 ? kVelocityBins[size_t(velocity)] : Vocabulary::velocity_bin(velocity);
}

// Stable sort for nearly sorted input (parts arrive sorted by raw onset;
// snapping disturbs the order locally): insertion sort, handing over to
// std::stable_sort when the input turns out far from sorted.
template <class T, class Less>
void sort_nearly_sorted(std::vector<T>& v, Less less) {
  size_t moves = 0;
  const size_t budget = 8 * v.size() + 64;
  for (size_t i = 1; i < v.size(); ++i) {
    if (!less(v[i], v[i - 1])) continue;
    T x = v[i];
    size_t j = i;
    for (; j > 0 && less(x, v[j - 1]); --j) v[j] = v[j - 1];  // equal keys stay in order
    v[j] = x;
    moves += i - j;
    if (moves > budget) {
      std::stable_sort(v.begin(), v.end(), less);
      return;
    }
  }
}

// MidiTok's preprocessing into out (a reused buffer).
void snap_notes(const std::vector<midi::Note>& notes, int tpq, std::vector<SnappedNote>& out) {
  check_resolution(tpq);
  const int64_t step = tpq / kStepsPerBeat;
  const int64_t max_ticks = int64_t(kMaxDurationBeats) * tpq;
  out.clear();
  out.reserve(notes.size());
  for (const midi::Note& n : notes) {
    if (n.pitch < kMinPitch || n.pitch > kMaxPitch) continue;
    if (n.start < 0) throw Error("notes", "a note starts at the negative tick " + std::to_string(n.start));
    SnappedNote s;
    s.pitch = n.pitch;
    s.velocity_bin = velocity_bin(n.velocity);
    s.start_steps = snap_steps(n.start, step);
    s.start = s.start_steps * step;
    if (n.end - s.start > max_ticks) {
      s.end = s.start + max_ticks;  // not snapped, as in MidiTok
      s.end_steps = s.start_steps + kMaxDurationBeats * kStepsPerBeat;
    } else {
      s.end_steps = snap_steps(n.end, step);
      if (s.end_steps == s.start_steps) ++s.end_steps;
      s.end = s.end_steps * step;
    }
    out.push_back(s);
  }
  // Stable: among equal keys the later input note survives the de-duplication,
  // as with Python's sort and MidiTok's remove_duplicated_notes.
  const auto less = [](const SnappedNote& a, const SnappedNote& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.pitch != b.pitch) return a.pitch < b.pitch;
    return a.end < b.end;
  };
  sort_nearly_sorted(out, less);
  // Same pitch and onset: keep the last one, the longest.
  size_t kept = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i + 1 < out.size() && out[i + 1].pitch == out[i].pitch && out[i + 1].start == out[i].start) continue;
    out[kept++] = out[i];
  }
  out.resize(kept);
}

}  // namespace

std::vector<midi::Note> quantize_notes(const std::vector<midi::Note>& notes, int ticks_per_quarter) {
  std::vector<SnappedNote> snapped;
  snap_notes(notes, ticks_per_quarter, snapped);
  DurationTable durations(ticks_per_quarter);
  std::vector<midi::Note> out;
  out.reserve(snapped.size());
  for (const SnappedNote& s : snapped) {
    int64_t length = durations.ticks(durations.nearest(s.end - s.start));
    out.push_back({s.pitch, Vocabulary::velocity_value(s.velocity_bin), s.start, s.start + length});
  }
  return out;
}

TokenSeq encode_remi(const std::vector<midi::Note>& notes, int ticks_per_quarter) {
  TokenSeq ids;
  encode_remi(notes, ticks_per_quarter, ids);
  return ids;
}

void encode_remi(const std::vector<midi::Note>& notes, int ticks_per_quarter, TokenSeq& ids) {
  thread_local std::vector<SnappedNote> snapped;
  snap_notes(notes, ticks_per_quarter, snapped);
  const int64_t bar_ticks = int64_t(kBeatsPerBar) * ticks_per_quarter;
  ids.clear();
  // Every bar up to the last onset becomes a token: bound them so that a
  // corrupt file with a note at tick 2^40 fails instead of exhausting memory.
  if (!snapped.empty() && snapped.back().start / bar_ticks >= kMaxBars) {
    throw Error("notes", "an onset at tick " + std::to_string(snapped.back().start) + " is in bar " +
                             std::to_string(snapped.back().start / bar_ticks) + "; REMI takes at most " +
                             std::to_string(kMaxBars) + " bars");
  }
  ids.reserve(snapped.size() * 3 + snapped.size() / 2 + 16);
  int64_t current_bar = -1;
  int64_t previous_onset = -1;
  if (ticks_per_quarter % kStepsPerBeat == 0) {
    // Every time is a whole number of steps and a bar is 32 steps: bar and
    // position are a shift and a mask, the duration a step count (the same
    // tokens as the general path below, without its divisions).
    constexpr int64_t kStepsPerBar = kBeatsPerBar * kStepsPerBeat;
    for (const SnappedNote& s : snapped) {
      if (s.start != previous_onset) {
        const int64_t bar = s.start_steps / kStepsPerBar;
        for (; current_bar < bar; ++current_bar) ids.push_back(kBar);
        ids.push_back(Vocabulary::position_id(int(s.start_steps % kStepsPerBar)));
        previous_onset = s.start;
      }
      const int64_t k = s.end_steps - s.start_steps;
      const int duration = k <= 1 ? 0 : k <= 32 ? int(k) - 1 : k >= 96 ? kNumDurations - 1 : 31 + int(k - 32) / 2;
      ids.push_back(Vocabulary::pitch_id(s.pitch));
      ids.push_back(Vocabulary::velocity_id(s.velocity_bin));
      ids.push_back(Vocabulary::duration_id(duration));
    }
    return;
  }
  DurationTable durations(ticks_per_quarter);
  for (const SnappedNote& s : snapped) {
    if (s.start != previous_onset) {
      int64_t bar = s.start / bar_ticks;
      for (; current_bar < bar; ++current_bar) ids.push_back(kBar);  // also for empty bars
      // floor(8 * offset / tpq): for a tpq not divisible by 8 this is not
      // offset div step, and two onsets may share a position (as in MidiTok).
      int64_t position = kStepsPerBeat * (s.start - bar * bar_ticks) / ticks_per_quarter;
      ids.push_back(Vocabulary::position_id(int(position)));
      previous_onset = s.start;
    }
    ids.push_back(Vocabulary::pitch_id(s.pitch));
    ids.push_back(Vocabulary::velocity_id(s.velocity_bin));
    ids.push_back(Vocabulary::duration_id(durations.nearest(s.end - s.start)));
  }
}

namespace {

// MidiTok's token type graph for REMI without additional tokens, with the
// special tokens added the way MIDITokenizer adds them: every type may be
// followed by PAD, EOS or MASK (not BOS); PAD, BOS and MASK may be followed by
// anything; EOS by nothing.
bool may_follow(TokenType previous, TokenType next) {
  const bool next_special_not_bos = next == TokenType::Pad || next == TokenType::Eos || next == TokenType::Mask;
  switch (previous) {
    case TokenType::Pad:
    case TokenType::Bos:
    case TokenType::Mask:
      return true;
    case TokenType::Eos:
      return false;
    case TokenType::Bar:
      return next == TokenType::Position || next == TokenType::Bar || next_special_not_bos;
    case TokenType::Position:
      return next == TokenType::Pitch || next_special_not_bos;
    case TokenType::Pitch:
      return next == TokenType::Velocity || next_special_not_bos;
    case TokenType::Velocity:
      return next == TokenType::Duration || next_special_not_bos;
    case TokenType::Duration:
      return next == TokenType::Pitch || next == TokenType::Position || next == TokenType::Bar || next_special_not_bos;
    default:
      return false;
  }
}

void check_base_ids(const TokenSeq& ids) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= kBaseVocabSize) {
      throw Error("token " + std::to_string(i), "id " + std::to_string(ids[i]) + " is not a base REMI id (0.." +
                                                    std::to_string(kBaseVocabSize - 1) + "); decode BPE ids first");
    }
  }
}

}  // namespace

int64_t count_grammar_errors(const TokenSeq& ids) {
  check_base_ids(ids);
  if (ids.empty()) return 0;
  int64_t errors = 0;
  int current_position = -1;
  // Pitches already played at the current position (bit per pitch 0..127).
  uint64_t played[2] = {0, 0};
  auto reset_pitches = [&] { played[0] = played[1] = 0; };
  TokenType previous = Vocabulary::type(ids[0]);
  if (previous == TokenType::Pitch) {
    int p = ids[0] - kPitchBase + kMinPitch;
    played[p >> 6] |= uint64_t(1) << (p & 63);
  } else if (previous == TokenType::Position) {
    current_position = ids[0] - kPositionBase;
  }
  for (size_t i = 1; i < ids.size(); ++i) {
    TokenType type = Vocabulary::type(ids[i]);
    if (!may_follow(previous, type)) {
      ++errors;
    } else if (type == TokenType::Bar) {
      current_position = -1;
      reset_pitches();
    } else if (type == TokenType::Pitch) {
      int p = ids[i] - kPitchBase + kMinPitch;
      uint64_t bit = uint64_t(1) << (p & 63);
      if (played[p >> 6] & bit) {
        ++errors;  // the same pitch twice at one position
      } else {
        played[p >> 6] |= bit;
      }
    } else if (type == TokenType::Position) {
      int position = ids[i] - kPositionBase;
      if (position <= current_position) ++errors;  // time does not move forward
      current_position = position;
      reset_pitches();
    }
    previous = type;  // MidiTok moves on even after an error
  }
  return errors;
}

DecodeResult decode_remi(const TokenSeq& ids) {
  check_base_ids(ids);
  DecodeResult result;
  result.tokens = int64_t(ids.size());
  result.errors = count_grammar_errors(ids);
  constexpr int64_t kStepTicks = kDecodeTicksPerQuarter / kStepsPerBeat;
  constexpr int64_t kBarTicks = int64_t(kBeatsPerBar) * kDecodeTicksPerQuarter;
  int64_t current_tick = 0;
  int64_t bar_start = 0;
  int64_t current_bar = -1;
  for (size_t i = 0; i < ids.size(); ++i) {
    switch (Vocabulary::type(ids[i])) {
      case TokenType::Bar:
        ++current_bar;
        if (current_bar > 0) current_tick = bar_start + kBarTicks;
        bar_start = current_tick;
        break;
      case TokenType::Position:
        if (current_bar == -1) current_bar = 0;  // a Position before any Bar is in bar 0
        current_tick = bar_start + int64_t(ids[i] - kPositionBase) * kStepTicks;
        break;
      case TokenType::Pitch:
        if (i + 2 < ids.size() && Vocabulary::type(ids[i + 1]) == TokenType::Velocity &&
            Vocabulary::type(ids[i + 2]) == TokenType::Duration) {
          int64_t length = Vocabulary::duration_ticks(ids[i + 2] - kDurationBase, kDecodeTicksPerQuarter);
          result.notes.push_back({ids[i] - kPitchBase + kMinPitch,
                                  Vocabulary::velocity_value(ids[i + 1] - kVelocityBase), current_tick,
                                  current_tick + length});
        }
        break;
      default:
        break;  // Velocity and Duration are read with their Pitch; specials carry no notes
    }
  }
  return result;
}

}  // namespace acc::tokenizer
