// One part of a sample as the evaluation sees it: its BPE ids decoded to
// notes at tpq 384, with the bar count and the grammar errors.
#pragma once

#include <cstdint>
#include <vector>

#include "accompanist/midi/song.h"
#include "accompanist/tokenizer/tokenizer.h"

namespace acc::eval {

struct DecodedPart {
  std::vector<midi::Note> notes;  // at tokenizer::kDecodeTicksPerQuarter, token order
  // Bars the part spans: its Bar tokens, or up to the bar of its last onset
  // when that is later (a sequence that starts with a Position).
  int64_t bars = 0;
  int64_t tokens = 0;       // ids after strip_special (BPE ids)
  int64_t base_tokens = 0;  // after BPE decoding
  int64_t grammar_errors = 0;
};

// strip_special, BPE decoding, REMI decoding. Throws acc::Error for ids
// outside the tokenizer's vocabulary.
DecodedPart decode_part(const tokenizer::Tokenizer& tokenizer, const tokenizer::TokenSeq& ids);

}  // namespace acc::eval
