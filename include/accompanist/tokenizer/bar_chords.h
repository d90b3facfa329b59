// The chord of every bar of a token sequence (midi/chord.h), for a model
// conditioned on the harmony of the part it accompanies
// (model.chord_conditioning, docs/model.md "Chord conditioning"). The same
// estimate `accompanist evaluate` measures root agreement against.
#pragma once

#include <cstdint>
#include <vector>

#include "accompanist/tokenizer/tokenizer.h"

namespace acc::tokenizer {

// BPE ids -> one chord id (midi::chord_id) per bar, for the bars the REMI
// sequence opens (its Bar tokens): 0 for a bar without notes. Malformed note
// groups are skipped, as in decoding.
std::vector<int32_t> bar_chord_ids(const Tokenizer& tokenizer, const TokenSeq& ids);

// Per position: the chord id of the bar each position is in (bars[i] indexes
// bar_chords; an index outside it gives 0, no chord).
std::vector<int64_t> chords_at(const std::vector<int64_t>& bars, const std::vector<int32_t>& bar_chords);

}  // namespace acc::tokenizer
