#include "accompanist/tokenizer/vocabulary.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace acc::tokenizer {
namespace {

// np.linspace(0, 127, 9)[1:] truncated to int, as MidiTok builds them.
constexpr int kVelocityValues[kNumVelocities] = {15, 31, 47, 63, 79, 95, 111, 127};

// Durations with resolution 8 cover 1/8 .. 31/8 beats (31 tokens); the rest
// have resolution 4 and cover 16/4 .. 48/4 beats (33 tokens).
constexpr int kFineDurations = kBeatsPerBar * kStepsPerBeat - 1;

}  // namespace

TokenType Vocabulary::type(TokenId id) {
  if (id < 0) return TokenType::Invalid;
  if (id == kPad) return TokenType::Pad;
  if (id == kBos) return TokenType::Bos;
  if (id == kEos) return TokenType::Eos;
  if (id == kMask) return TokenType::Mask;
  if (id == kBar) return TokenType::Bar;
  if (id < kVelocityBase) return TokenType::Pitch;
  if (id < kDurationBase) return TokenType::Velocity;
  if (id < kPositionBase) return TokenType::Duration;
  if (id < kBaseVocabSize) return TokenType::Position;
  return TokenType::Bpe;
}

std::string Vocabulary::name(TokenId id) {
  switch (type(id)) {
    case TokenType::Pad:
      return "PAD_None";
    case TokenType::Bos:
      return "BOS_None";
    case TokenType::Eos:
      return "EOS_None";
    case TokenType::Mask:
      return "MASK_None";
    case TokenType::Bar:
      return "Bar_None";
    case TokenType::Pitch:
      return "Pitch_" + std::to_string(id - kPitchBase + kMinPitch);
    case TokenType::Velocity:
      return "Velocity_" + std::to_string(velocity_value(id - kVelocityBase));
    case TokenType::Duration: {
      DurationValue d = duration_value(id - kDurationBase);
      return "Duration_" + std::to_string(d.beats) + "." + std::to_string(d.steps) + "." + std::to_string(d.resolution);
    }
    case TokenType::Position:
      return "Position_" + std::to_string(id - kPositionBase);
    case TokenType::Bpe:
      return "BPE_" + std::to_string(id);
    case TokenType::Invalid:
      break;
  }
  return "Invalid_" + std::to_string(id);
}

TokenId Vocabulary::id_of(const std::string& name) {
  // The vocabulary is tiny: a linear search keeps this obviously consistent with name().
  for (TokenId id = 0; id < kBaseVocabSize; ++id) {
    if (Vocabulary::name(id) == name) return id;
  }
  return -1;
}

int Vocabulary::velocity_value(int bin) {
  return kVelocityValues[bin];
}

int Vocabulary::velocity_bin(int velocity) {
  int best = 0;
  for (int b = 1; b < kNumVelocities; ++b) {
    // Strictly smaller distance only: ties stay with the lower bin (np.argmin).
    if (std::abs(kVelocityValues[b] - velocity) < std::abs(kVelocityValues[best] - velocity)) best = b;
  }
  return best;
}

DurationValue Vocabulary::duration_value(int index) {
  if (index < kFineDurations) {
    int steps = index + 1;
    return {steps / kStepsPerBeat, steps % kStepsPerBeat, kStepsPerBeat};
  }
  constexpr int kCoarseRes = 4;
  int quarters = kBeatsPerBar * kCoarseRes + (index - kFineDurations);
  return {quarters / kCoarseRes, quarters % kCoarseRes, kCoarseRes};
}

int64_t Vocabulary::duration_ticks(int index, int ticks_per_quarter) {
  DurationValue d = duration_value(index);
  return (int64_t(d.beats) * d.resolution + d.steps) * ticks_per_quarter / d.resolution;
}

DurationTable::DurationTable(int ticks_per_quarter) : ticks_(kNumDurations) {
  for (int i = 0; i < kNumDurations; ++i) ticks_[i] = Vocabulary::duration_ticks(i, ticks_per_quarter);
}

int DurationTable::nearest(int64_t ticks) const {
  // The table is strictly increasing for tpq >= 32; compare the two neighbours.
  auto it = std::lower_bound(ticks_.begin(), ticks_.end(), ticks);
  if (it == ticks_.begin()) return 0;
  if (it == ticks_.end()) return kNumDurations - 1;
  int hi = int(it - ticks_.begin());
  int lo = hi - 1;
  return (ticks - ticks_[lo] <= ticks_[hi] - ticks) ? lo : hi;
}

}  // namespace acc::tokenizer
