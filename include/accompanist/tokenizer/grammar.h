// A state machine for valid REMI sequences, for masking during generation
// (SPEC section 7). Valid means what the encoder produces, plus EOS after a
// complete note:
//   sequence := Bar (Bar | Position group+)* ... EOS?
//   group    := Pitch Velocity Duration
// with positions strictly increasing inside a bar and, at one position,
// pitches strictly increasing (the encoder's (onset, pitch) order, which also
// rules out repeated notes). The first token is a Bar; BOS is not part of the
// sequence, PAD and MASK are never allowed.
//
// Optionally at most max_notes_per_onset notes at one position (a bass line
// that plays one note at a time: 1). The count is part of the state, so a BPE
// id that holds several note groups is judged as a whole; the number of
// states grows with the limit, hence kMaxNotesPerOnset.
//
// A BPE id is allowed iff its whole base expansion is accepted from the
// current state. All transitions are precomputed, so a step is one table
// lookup and the mask of allowed ids is a pointer into a table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "accompanist/tokenizer/bpe.h"
#include "accompanist/tokenizer/vocabulary.h"

namespace acc::tokenizer {

class Grammar {
 public:
  using State = uint16_t;
  static constexpr State kDead = 0xFFFF;  // after a token that breaks the grammar

  // Beyond this the states no longer fit in State (0 = unlimited is always possible).
  static constexpr int kMaxNotesPerOnset = 7;

  // max_notes_per_onset: 0 = unlimited, else 1..kMaxNotesPerOnset (acc::Error otherwise).
  explicit Grammar(const Bpe& bpe, int max_notes_per_onset = 0);

  size_t vocab_size() const { return vocab_; }
  size_t num_states() const { return num_states_; }
  State start() const { return 0; }

  // The state after id; kDead when id is not allowed (or s is kDead).
  State next(State s, TokenId id) const {
    if (s == kDead || id < 0 || size_t(id) >= vocab_) return kDead;
    return transitions_[size_t(s) * vocab_ + size_t(id)];
  }
  bool allowed(State s, TokenId id) const { return next(s, id) != kDead; }
  // vocab_size() bytes, 1 where the id is allowed; nullptr for kDead.
  const uint8_t* mask(State s) const { return s == kDead ? nullptr : masks_.data() + size_t(s) * vocab_; }
  std::vector<bool> allowed_ids(State s) const;

  // The state after a whole prefix (kDead once any token breaks the grammar).
  State run(const TokenSeq& prefix) const;
  // Like next(), but notes past max_notes_per_onset are accepted (counted as
  // the limit): for forced (primed) ids, which come from reference parts that
  // may stack notes. A stacked prime must not switch the mask off for the
  // rest of the sample. Walks the id's expansion, so it is slower than next().
  State next_lenient(State s, TokenId id) const;
  // Whether a sequence may end here: after a complete note group or EOS.
  bool may_end(State s) const;
  // "after Duration at Position_3, pitch 60", for messages and tests (with a
  // limit also ", note 2 at this onset").
  std::string describe(State s) const;
  int max_notes_per_onset() const { return max_notes_; }

 private:
  State base_next(State s, TokenId id, bool lenient) const;

  Bpe bpe_;  // the expansions, for next_lenient
  int max_notes_;
  size_t vocab_;
  size_t num_states_;
  std::vector<State> transitions_;  // [state, id]
  std::vector<uint8_t> masks_;      // [state, id]
};

}  // namespace acc::tokenizer
