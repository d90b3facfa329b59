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
// (The chord of each position's bar: model::chord_of_bar, musical_time.h.)

}  // namespace acc::tokenizer
