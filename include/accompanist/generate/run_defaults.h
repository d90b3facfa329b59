// What `accompanist generate` takes from its checkpoint when the command line
// does not say: the direction the model was trained for, and at most one note
// per onset when its training targets play one note at a time (a bass line).
// Both come from the checkpoint's corpus.json (acc::data::CorpusRecord);
// checkpoints without one keep the old behaviour (the direction from --corpus
// or --direction, notes unlimited).
#pragma once

#include <optional>
#include <string>

#include "accompanist/data/corpus_record.h"

namespace acc::generate {

// Training targets with fewer notes per onset than this play one note at a
// time (bass lines: about 1.0-1.1; piano parts: 2 and more).
inline constexpr double kOneNoteAtATime = 1.25;

struct DirectionSources {
  std::optional<data::CorpusRecord> checkpoint;  // its corpus.json
  std::string checkpoint_dir;
  std::string corpus;            // --corpus, "" without
  std::string corpus_direction;  // its direction
  std::string option;            // --direction, "" without
};

// The checkpoint's direction, else the corpus's, else --direction. Any two
// that are given must agree: acc::Error("--direction", why) when --direction
// differs, acc::Error("--corpus", why) when the corpus's differs from the
// checkpoint's; acc::Error("--midi", why) when none is known.
std::string resolve_direction(const DirectionSources& sources);

// requested: -1 for the default, else 0 (unlimited) .. Grammar::kMaxNotesPerOnset.
// The default is 1 when the checkpoint's training targets average fewer than
// kOneNoteAtATime notes per onset, else 0. The limit is a rule of the grammar
// mask, so without the mask it is 0 (asking for one is an
// acc::Error("--max-notes-per-onset", why)).
int resolve_max_notes_per_onset(int requested, bool grammar_mask, const std::optional<data::CorpusRecord>& checkpoint);

}  // namespace acc::generate
