#include "accompanist/tokenizer/grammar.h"

#include <algorithm>
#include <string>

#include "accompanist/util/error.h"

namespace acc::tokenizer {
namespace {

// State numbering: 0 start, 1 after Bar, 2 after EOS, 3 + p after Position p,
// then the note states (after Pitch, Velocity or Duration) with the position,
// the pitch of the current group and, with a per-onset limit, how many notes
// the position holds so far (1..limit; always 1 without a limit).
enum Phase { kAfterPitch = 0, kAfterVelocity = 1, kAfterDuration = 2 };
constexpr Grammar::State kStart = 0;
constexpr Grammar::State kAfterBar = 1;
constexpr Grammar::State kEnd = 2;
constexpr Grammar::State kPositionStates = 3;
constexpr Grammar::State kNoteStates = kPositionStates + kNumPositions;
constexpr size_t kStatesPerCount = 3 * kNumPositions * kNumPitches;
static_assert(kNoteStates + kStatesPerCount * Grammar::kMaxNotesPerOnset < Grammar::kDead, "states must fit in State");

Grammar::State note_state(int phase, int position, int pitch_index, int notes) {
  return Grammar::State(kNoteStates + size_t(notes - 1) * kStatesPerCount +
                        size_t((phase * kNumPositions + position) * kNumPitches + pitch_index));
}

struct NoteState {
  int phase, position, pitch_index, notes;
};
NoteState decompose(Grammar::State s) {
  const int rest = int((s - kNoteStates) % kStatesPerCount);
  return {rest / (kNumPositions * kNumPitches), (rest / kNumPitches) % kNumPositions, rest % kNumPitches,
          int((s - kNoteStates) / kStatesPerCount) + 1};
}

}  // namespace

Grammar::State Grammar::base_next(State s, TokenId id, bool lenient) const {
  const TokenType type = Vocabulary::type(id);
  if (s == kStart) return type == TokenType::Bar ? kAfterBar : kDead;
  if (s == kEnd) return kDead;
  if (s == kAfterBar) {
    if (type == TokenType::Bar) return kAfterBar;
    if (type == TokenType::Position) return State(kPositionStates + (id - kPositionBase));
    return kDead;
  }
  if (s < kNoteStates) {  // after Position p: a note must follow
    if (type == TokenType::Pitch) return note_state(kAfterPitch, s - kPositionStates, id - kPitchBase, 1);
    return kDead;
  }
  const NoteState n = decompose(s);
  switch (n.phase) {
    case kAfterPitch:
      return type == TokenType::Velocity ? note_state(kAfterVelocity, n.position, n.pitch_index, n.notes) : kDead;
    case kAfterVelocity:
      return type == TokenType::Duration ? note_state(kAfterDuration, n.position, n.pitch_index, n.notes) : kDead;
    default:  // after a complete note
      if (type == TokenType::Pitch && id - kPitchBase > n.pitch_index) {
        if (max_notes_ == 0) return note_state(kAfterPitch, n.position, id - kPitchBase, 1);
        if (n.notes < max_notes_) return note_state(kAfterPitch, n.position, id - kPitchBase, n.notes + 1);
        return lenient ? note_state(kAfterPitch, n.position, id - kPitchBase, n.notes) : kDead;
      }
      if (type == TokenType::Position && id - kPositionBase > n.position) {
        return State(kPositionStates + (id - kPositionBase));
      }
      if (type == TokenType::Bar) return kAfterBar;
      if (type == TokenType::Eos) return kEnd;
      return kDead;
  }
}

Grammar::Grammar(const Bpe& bpe, int max_notes_per_onset)
    : bpe_(bpe), max_notes_(max_notes_per_onset), vocab_(bpe.vocab_size()) {
  ACC_CHECK(
      max_notes_per_onset >= 0 && max_notes_per_onset <= kMaxNotesPerOnset, "max notes per onset",
      "must be 0 (unlimited) to " + std::to_string(kMaxNotesPerOnset) + ", got " + std::to_string(max_notes_per_onset));
  num_states_ = size_t(kNoteStates) + kStatesPerCount * size_t(std::max(1, max_notes_));
  transitions_.assign(num_states_ * vocab_, kDead);
  for (size_t s = 0; s < num_states_; ++s) {
    for (TokenId id = 0; id < kBaseVocabSize; ++id)
      transitions_[s * vocab_ + size_t(id)] = base_next(State(s), id, /*lenient=*/false);
  }
  // Merge i = (a, b) is accepted iff a is, then b from where a leads; a and b
  // are older ids, so their columns are complete when id's is filled.
  const std::vector<Merge>& merges = bpe.merges();
  for (size_t i = 0; i < merges.size(); ++i) {
    const size_t id = size_t(kBaseVocabSize) + i;
    for (size_t s = 0; s < num_states_; ++s) {
      State mid = transitions_[s * vocab_ + size_t(merges[i].first)];
      transitions_[s * vocab_ + id] =
          mid == kDead ? kDead : transitions_[size_t(mid) * vocab_ + size_t(merges[i].second)];
    }
  }
  masks_.resize(transitions_.size());
  for (size_t k = 0; k < transitions_.size(); ++k) masks_[k] = transitions_[k] != kDead;
}

std::vector<bool> Grammar::allowed_ids(State s) const {
  std::vector<bool> out(vocab_, false);
  if (const uint8_t* m = mask(s)) {
    for (size_t i = 0; i < vocab_; ++i) out[i] = m[i] != 0;
  }
  return out;
}

Grammar::State Grammar::run(const TokenSeq& prefix) const {
  State s = start();
  for (TokenId id : prefix) {
    s = next(s, id);
    if (s == kDead) break;
  }
  return s;
}

Grammar::State Grammar::next_lenient(State s, TokenId id) const {
  if (s == kDead || id < 0 || size_t(id) >= vocab_) return kDead;
  if (max_notes_ == 0) return next(s, id);
  size_t n = 0;
  const TokenId* e = bpe_.expansion(id, &n);
  for (size_t i = 0; i < n && s != kDead; ++i) s = base_next(s, e[i], /*lenient=*/true);
  return s;
}

bool Grammar::may_end(State s) const {
  return s == kEnd || (s != kDead && s >= kNoteStates && decompose(s).phase == kAfterDuration);
}

std::string Grammar::describe(State s) const {
  if (s == kDead) return "dead";
  if (s == kStart) return "start";
  if (s == kAfterBar) return "after Bar";
  if (s == kEnd) return "after EOS";
  if (s < kNoteStates) return "after Position_" + std::to_string(s - kPositionStates);
  const NoteState n = decompose(s);
  static const char* kNames[] = {"Pitch", "Velocity", "Duration"};
  std::string out = std::string("after ") + kNames[n.phase] + " at Position_" + std::to_string(n.position) +
                    ", pitch " + std::to_string(n.pitch_index + kMinPitch);
  if (max_notes_ > 0) out += ", note " + std::to_string(n.notes) + " at this onset";
  return out;
}

}  // namespace acc::tokenizer
