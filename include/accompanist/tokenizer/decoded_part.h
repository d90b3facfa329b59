// One part's BPE ids decoded to notes, as generation counts its output
// (grammar errors, unrepairable samples; thesis 4) and as the evaluation
// measures samples and the data: the one decoding of a part both use.
#pragma once

#include <cstdint>
#include <vector>

#include "accompanist/midi/song.h"
#include "accompanist/tokenizer/tokenizer.h"

namespace acc::tokenizer {

struct DecodedPart {
  // At kDecodeTicksPerQuarter, in token order. Malformed note groups are
  // skipped, so these are the notes that could be repaired.
  std::vector<midi::Note> notes;
  // Bars the part spans: its Bar tokens, or up to the bar of its last onset
  // (midi::bar_count) when that is later (a sequence that starts with a Position).
  int64_t bars = 0;
  int64_t tokens = 0;          // BPE ids given
  int64_t grammar_errors = 0;  // on the base ids (MidiTok's tokens_errors)
  // A part without a single note cannot be repaired.
  bool unrepairable() const { return notes.empty(); }
};

// BPE decoding, then REMI decoding of the ids as given: a caller whose
// sequences may hold BOS, EOS or PAD strips them first (eval::strip_special).
// Throws acc::Error for ids outside the tokenizer's vocabulary.
DecodedPart decode_part(const Tokenizer& tokenizer, const TokenSeq& ids);

}  // namespace acc::tokenizer
