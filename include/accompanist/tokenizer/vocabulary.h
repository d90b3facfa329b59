// The 197 base token ids of MidiTok 2.1.8 REMI (SPEC section 4): special
// tokens, Bar, Pitch 21..108, 8 velocity bins, 64 durations and 32 positions.
// BPE ids (197 and up) are defined by a tokenizer's merges, not here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "accompanist/midi/meter.h"

namespace acc::tokenizer {

using TokenId = int32_t;
using TokenSeq = std::vector<TokenId>;

// Special tokens; PAD, BOS and MASK never appear in stored sequences.
constexpr TokenId kPad = 0;
constexpr TokenId kBos = 1;
constexpr TokenId kEos = 2;
constexpr TokenId kMask = 3;
constexpr TokenId kNumSpecial = 4;

constexpr TokenId kBar = 4;
constexpr TokenId kPitchBase = 5;  // Pitch_21
constexpr int kMinPitch = 21;
constexpr int kMaxPitch = 108;
constexpr int kNumPitches = kMaxPitch - kMinPitch + 1;       // 88
constexpr TokenId kVelocityBase = kPitchBase + kNumPitches;  // 93
constexpr int kNumVelocities = 8;
constexpr TokenId kDurationBase = kVelocityBase + kNumVelocities;  // 101
constexpr int kNumDurations = 64;
constexpr TokenId kPositionBase = kDurationBase + kNumDurations;  // 165
constexpr int kNumPositions = 32;
constexpr TokenId kBaseVocabSize = kPositionBase + kNumPositions;  // 197

// REMI time grid: 8 steps a beat, 4 beats a bar (midi/meter.h), durations up to 12 beats.
constexpr int kStepsPerBeat = 8;
using midi::kBeatsPerBar;
constexpr int kMaxDurationBeats = 12;
// MidiTok refuses time divisions below 4 * 8 ticks per quarter.
constexpr int kMinTicksPerQuarter = kStepsPerBeat * 4;
// Longest sequence encoded: a Bar token per bar up to the last onset, so a
// corrupt onset far in the future must fail rather than allocate without bound
// (2^20 bars of 4/4 are over 48 days at 120 bpm).
constexpr int64_t kMaxBars = int64_t(1) << 20;
// The resolution decoded notes come out in (MidiTok's default).
constexpr int kDecodeTicksPerQuarter = 384;

enum class TokenType { Pad, Bos, Eos, Mask, Bar, Pitch, Velocity, Duration, Position, Bpe, Invalid };

// A duration token value: beats + steps / resolution (MidiTok's "b.s.r").
struct DurationValue {
  int beats = 0;
  int steps = 0;
  int resolution = 8;
};

// The REMI base vocabulary; all functions are pure and cheap.
class Vocabulary {
 public:
  static constexpr TokenId size() { return kBaseVocabSize; }

  // Type of a base id; Bpe for ids >= 197, Invalid for negative ids.
  static TokenType type(TokenId id);
  // "Pitch_60", "Velocity_95", "Duration_1.0.8", "Position_3", "Bar_None",
  // "PAD_None", ...; "BPE_<id>" for ids past the base vocabulary.
  static std::string name(TokenId id);
  // Inverse of name() for base tokens; -1 when the name is unknown.
  static TokenId id_of(const std::string& name);

  static TokenId pitch_id(int pitch) { return kPitchBase + (pitch - kMinPitch); }
  static TokenId velocity_id(int bin) { return kVelocityBase + bin; }
  static TokenId duration_id(int index) { return kDurationBase + index; }
  static TokenId position_id(int position) { return kPositionBase + position; }

  // Velocity bin values 15, 31, 47, 63, 79, 95, 111, 127.
  static int velocity_value(int bin);
  // Index of the nearest velocity bin, ties to the lower one.
  static int velocity_bin(int velocity);

  // The 64 durations in table order: 0.1.8 .. 3.7.8, 4.0.4 .. 12.0.4.
  static DurationValue duration_value(int index);
  // Length of a duration in ticks: (beats * res + steps) * tpq div res.
  static int64_t duration_ticks(int index, int ticks_per_quarter);
};

// The durations of the table in ticks at one resolution; nearest() maps a
// length in ticks to its duration index (ties to the shorter one).
class DurationTable {
 public:
  explicit DurationTable(int ticks_per_quarter);
  int nearest(int64_t ticks) const;
  int64_t ticks(int index) const { return ticks_[index]; }

 private:
  std::vector<int64_t> ticks_;
};

}  // namespace acc::tokenizer
