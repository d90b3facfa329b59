#include "accompanist/generate/run_defaults.h"

#include <fmt/format.h>

#include "accompanist/tokenizer/grammar.h"
#include "accompanist/util/error.h"

namespace acc::generate {

std::string resolve_direction(const DirectionSources& s) {
  const std::string trained = s.checkpoint ? s.checkpoint->direction : std::string();
  if (!trained.empty() && !s.option.empty() && s.option != trained)
    throw Error("--direction", fmt::format("'{}' differs from the direction the checkpoint was trained for, '{}' ({})",
                                           s.option, trained, s.checkpoint_dir));
  if (!trained.empty() && !s.corpus.empty() && s.corpus_direction != trained)
    throw Error("--corpus", fmt::format("{} is {}, but the checkpoint was trained for {} ({})", s.corpus,
                                        s.corpus_direction, trained, s.checkpoint_dir));
  if (!s.corpus.empty() && !s.option.empty() && s.option != s.corpus_direction)
    throw Error("--direction",
                fmt::format("'{}' differs from the corpus direction '{}'", s.option, s.corpus_direction));
  if (!trained.empty()) return trained;
  if (!s.corpus.empty()) return s.corpus_direction;
  ACC_CHECK(!s.option.empty(), "--midi",
            "needs --corpus or --direction (e.g. piano->bass) to know the parts: the checkpoint does not record its "
            "direction (no corpus.json)");
  return s.option;
}

int resolve_max_notes_per_onset(int requested, bool grammar_mask, const std::optional<data::CorpusRecord>& checkpoint) {
  ACC_CHECK(requested >= -1 && requested <= tokenizer::Grammar::kMaxNotesPerOnset, "--max-notes-per-onset",
            fmt::format("must be 0 (unlimited) to {}, got {}", tokenizer::Grammar::kMaxNotesPerOnset, requested));
  if (!grammar_mask) {
    ACC_CHECK(requested <= 0, "--max-notes-per-onset", "is a rule of the grammar mask: drop --no-grammar-mask");
    return 0;
  }
  if (requested >= 0) return requested;
  if (!checkpoint || checkpoint->target.onsets == 0) return 0;  // nothing known: as before
  return checkpoint->target.notes_per_onset() < kOneNoteAtATime ? 1 : 0;
}

}  // namespace acc::generate
