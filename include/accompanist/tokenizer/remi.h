// REMI encoding and decoding of one part (SPEC section 4), equal to MidiTok
// 2.1.8 REMI with pitch_range (21, 109), beat_res {(0,4): 8, (4,12): 4},
// 8 velocities and no additional tokens. Works on plain notes so that it does
// not depend on how they were read.
#pragma once

#include <cstdint>
#include <vector>

#include "accompanist/midi/song.h"
#include "accompanist/tokenizer/vocabulary.h"

namespace acc::tokenizer {

// MidiTok's preprocessing in the file's own ticks: drops pitches outside
// [21, 108], snaps onsets and offsets to tpq div 8 ticks, clips notes to 12
// beats, sorts by (onset, pitch, end) and keeps the longest of notes with the
// same pitch and onset. Velocities become bin values and ends become
// onset + the tick length of the duration token, so the result is what the
// tokens describe. Throws acc::Error when tpq < 32.
std::vector<midi::Note> quantize_notes(const std::vector<midi::Note>& notes, int ticks_per_quarter);

// Notes (any order) at ticks_per_quarter -> base REMI ids, no BOS/EOS.
// Throws acc::Error("ticks per quarter", ...) when tpq < 32, and
// acc::Error("notes", ...) for an onset past kMaxBars bars.
TokenSeq encode_remi(const std::vector<midi::Note>& notes, int ticks_per_quarter);
// The same into out (cleared first), reusing its capacity.
void encode_remi(const std::vector<midi::Note>& notes, int ticks_per_quarter, TokenSeq& out);

// MidiTok's tokens_errors on base ids: tokens whose type may not follow the
// previous token's type, positions that do not move forward inside a bar, and
// pitches repeated at one position. The first token is never an error.
int64_t count_grammar_errors(const TokenSeq& base_ids);

struct DecodeResult {
  std::vector<midi::Note> notes;  // at kDecodeTicksPerQuarter, in token order
  int64_t errors = 0;             // count_grammar_errors of the base ids
  int64_t tokens = 0;             // tokens given (BPE ids when decoding BPE)
  double error_rate() const { return tokens > 0 ? double(errors) / double(tokens) : 0.0; }
};

// Base REMI ids -> notes at tpq 384. A Pitch makes a note only when the next
// two tokens are a Velocity and a Duration; anything else is skipped (and
// shows in errors). Ids outside 0..196 throw acc::Error.
DecodeResult decode_remi(const TokenSeq& base_ids);

}  // namespace acc::tokenizer
