#include "accompanist/tokenizer/decoded_part.h"

#include <algorithm>
#include <utility>

#include "accompanist/midi/meter.h"

namespace acc::tokenizer {

DecodedPart decode_part(const Tokenizer& tokenizer, const TokenSeq& ids) {
  const TokenSeq base = tokenizer.decode_bpe(ids);
  DecodeResult decoded = decode_remi(base);
  DecodedPart part;
  part.notes = std::move(decoded.notes);
  part.tokens = int64_t(ids.size());
  part.grammar_errors = decoded.errors;
  const int64_t bar_tokens = std::count(base.begin(), base.end(), kBar);
  part.bars = std::max(bar_tokens, midi::bar_count(part.notes, kDecodeTicksPerQuarter));
  return part;
}

}  // namespace acc::tokenizer
