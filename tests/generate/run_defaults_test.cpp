// generate's defaults from the checkpoint's corpus.json: the direction (and
// every way the options can contradict it), and the notes-per-onset limit.
#include <gtest/gtest.h>

#include "accompanist/generate/run_defaults.h"
#include "accompanist/util/error.h"

namespace {

using acc::data::CorpusRecord;
using acc::generate::DirectionSources;
using acc::generate::resolve_direction;
using acc::generate::resolve_max_notes_per_onset;

CorpusRecord trained(const std::string& direction, int64_t notes = 0, int64_t onsets = 0) {
  CorpusRecord r;
  r.direction = direction;
  r.target.notes = notes;
  r.target.onsets = onsets;
  return r;
}

std::string error_of(const DirectionSources& s) {
  try {
    return "ok: " + resolve_direction(s);
  } catch (const acc::Error& e) {
    return e.what();
  }
}

TEST(RunDefaults, DirectionComesFromTheCheckpoint) {
  EXPECT_EQ(error_of({trained("piano->bass"), "ck", "", "", ""}), "ok: piano->bass");
  EXPECT_EQ(error_of({trained("piano->bass"), "ck", "", "", "piano->bass"}), "ok: piano->bass");
  EXPECT_EQ(error_of({trained("piano->bass"), "ck", "c.h5", "piano->bass", ""}), "ok: piano->bass");
  EXPECT_EQ(error_of({trained("piano->bass"), "ck", "", "", "bass->piano"}),
            "--direction: 'bass->piano' differs from the direction the checkpoint was trained for, 'piano->bass' (ck)");
  EXPECT_EQ(error_of({trained("piano->bass"), "ck", "c.h5", "bass->piano", ""}),
            "--corpus: c.h5 is bass->piano, but the checkpoint was trained for piano->bass (ck)");
}

TEST(RunDefaults, OldCheckpointsKeepTheOldRules) {
  EXPECT_EQ(error_of({std::nullopt, "ck", "c.h5", "bass->piano", ""}), "ok: bass->piano");
  EXPECT_EQ(error_of({std::nullopt, "ck", "", "", "bass->piano"}), "ok: bass->piano");
  EXPECT_EQ(error_of({std::nullopt, "ck", "c.h5", "bass->piano", "piano->bass"}),
            "--direction: 'piano->bass' differs from the corpus direction 'bass->piano'");
  EXPECT_EQ(error_of({std::nullopt, "ck", "", "", ""}).rfind("--midi: needs --corpus or --direction", 0), 0u);
}

TEST(RunDefaults, OneNotePerOnsetWhereTheTargetsPlayOneAtATime) {
  const auto bass = trained("piano->bass", 1040, 1000);   // 1.04 notes per onset
  const auto piano = trained("bass->piano", 2600, 1000);  // 2.6
  EXPECT_EQ(resolve_max_notes_per_onset(-1, true, bass), 1);
  EXPECT_EQ(resolve_max_notes_per_onset(-1, true, trained("piano->bass", 1249, 1000)), 1);
  EXPECT_EQ(resolve_max_notes_per_onset(-1, true, trained("piano->bass", 1250, 1000)), 0);
  EXPECT_EQ(resolve_max_notes_per_onset(-1, true, piano), 0);
  EXPECT_EQ(resolve_max_notes_per_onset(-1, true, trained("piano->bass")), 0);  // no onsets counted
  EXPECT_EQ(resolve_max_notes_per_onset(-1, true, std::nullopt), 0);            // an old checkpoint
  // Asked for: wins over the record.
  EXPECT_EQ(resolve_max_notes_per_onset(0, true, bass), 0);
  EXPECT_EQ(resolve_max_notes_per_onset(3, true, piano), 3);
  // No grammar mask, no limit; asking for both is an error.
  EXPECT_EQ(resolve_max_notes_per_onset(-1, false, bass), 0);
  EXPECT_EQ(resolve_max_notes_per_onset(0, false, bass), 0);
  EXPECT_THROW(resolve_max_notes_per_onset(1, false, bass), acc::Error);
  EXPECT_THROW(resolve_max_notes_per_onset(8, true, bass), acc::Error);
  EXPECT_THROW(resolve_max_notes_per_onset(-2, true, bass), acc::Error);
}

}  // namespace
