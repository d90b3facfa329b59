// Small tokenizers for tests that need BPE ids without a trained tokenizer.
// Header-only; shared by the generator and trainer-sample tests.
#pragma once

#include "accompanist/tokenizer/tokenizer.h"

namespace acc::testing {

// Four merges, so that BPE ids are exercised: (Bar, Position_0),
// (Pitch_60, Velocity_79), one over that with Duration index 7, and
// (Bar+Position_0, Pitch_48), an id that opens a bar with a note.
inline tokenizer::Tokenizer test_tokenizer() {
  namespace tk = tokenizer;
  const tk::TokenId bar_pos0 = tk::kBaseVocabSize, pitch_vel = tk::kBaseVocabSize + 1;
  return tk::Tokenizer(tk::Bpe({{tk::kBar, tk::Vocabulary::position_id(0)},
                                {tk::Vocabulary::pitch_id(60), tk::Vocabulary::velocity_id(4)},
                                {pitch_vel, tk::Vocabulary::duration_id(7)},
                                {bar_pos0, tk::Vocabulary::pitch_id(48)}}));
}

}  // namespace acc::testing
