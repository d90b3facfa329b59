#include "accompanist/eval/part_analysis.h"

#include <algorithm>

#include "accompanist/eval/rhythm.h"
#include "accompanist/eval/samples.h"

namespace acc::eval {

DecodedPart decode_part(const tokenizer::Tokenizer& tokenizer, const tokenizer::TokenSeq& ids) {
  DecodedPart part;
  const tokenizer::TokenSeq stripped = strip_special(ids);
  const tokenizer::TokenSeq base = tokenizer.decode_bpe(stripped);
  tokenizer::DecodeResult decoded = tokenizer::decode_remi(base);
  part.notes = std::move(decoded.notes);
  part.tokens = int64_t(stripped.size());
  part.base_tokens = int64_t(base.size());
  part.grammar_errors = decoded.errors;
  const int64_t bar_tokens = std::count(base.begin(), base.end(), tokenizer::kBar);
  part.bars = std::max(bar_tokens, bar_count(part.notes, tokenizer::kDecodeTicksPerQuarter));
  return part;
}

}  // namespace acc::eval
