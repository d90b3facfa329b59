#include "accompanist/tokenizer/bar_chords.h"

#include <algorithm>

#include "accompanist/midi/chord.h"

namespace acc::tokenizer {

std::vector<int32_t> bar_chord_ids(const Tokenizer& tokenizer, const TokenSeq& ids) {
  const TokenSeq base = tokenizer.decode_bpe(ids);
  const int64_t bars = std::count(base.begin(), base.end(), TokenId(kBar));
  const DecodeResult decoded = decode_remi(base);
  std::vector<int32_t> out;
  out.reserve(size_t(bars));
  for (const auto& chord : midi::bar_chords(decoded.notes, kDecodeTicksPerQuarter, bars))
    out.push_back(int32_t(midi::chord_id(chord)));
  return out;
}

}  // namespace acc::tokenizer
